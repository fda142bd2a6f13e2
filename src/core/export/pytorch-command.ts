/**
 * "Continue in PyTorch": the command line that trains a playground run's loss at full scale with the
 * authors' own code, plus a config JSON of the run and the list of what does not carry over. Pure and page-safe
 * (no tfjs). The flag names and their defaults were read from each repository's argument parser (never its code):
 *
 *  - GCL  → Keke921/GCLLoss: `cifar_train_backbone.py` (stage 1) and `cifar_train_classifier.py` (stage 2);
 *  - KPS  → Keke921/KPSLoss: `cifar_train.py`;
 *  - FBL  → juyongjiang/FBL: `train.py` (underscore flags: --batch_size, --learning_rate, --weight_decay, --lambda_);
 *  - LDAM-DRW, CE, class-balanced CE → kaidic/LDAM-DRW: `cifar_train.py` (CE + `--train_rule Reweight` is CB-CE).
 *
 * The scripts hard-code what they have no flag for (loss hyperparameters, the lr schedule: 5-epoch warm-up, decay
 * after epochs 160 and 180; GA from epoch 120; DRW from epoch 160; CIFAR-10/100-LT only); the command says so in
 * `notCarried` whenever the run differs from it. Balanced Softmax and logit adjustment have no script there.
 */
import type { TrainConfig } from '../train/config';
import { describeChange, type SettingChange } from '../train/change-log';
import { REFERENCE_EPOCHS } from '../train/schedules';
import type { LossId } from '../losses/types';

export interface HandoffRepo {
  /** owner/name on GitHub. */
  repo: string;
  url: string;
}

export interface HandoffCommand {
  title: string;
  /** Script inside the repository. */
  script: string;
  /** argv after `python`: [script, flag, value, flag, value, …] (values are plain tokens, no quoting needed). */
  argv: string[];
  /** The shell line. */
  line: string;
}

export interface PytorchHandoff {
  /** null: no authors' training script for this loss among the repositories (the JSON and safetensors still apply). */
  repo: HandoffRepo | null;
  commands: HandoffCommand[];
  /** What of the run the command cannot reproduce, one sentence each. */
  notCarried: string[];
  /** Why there is no command (repo null). */
  reason?: string;
}

export interface HandoffRun {
  config: TrainConfig;
  /** Data set shown name, classes and the training counts of the run's subset. */
  datasetTitle: string;
  numClasses: number;
  counts: readonly number[];
  /** Use the run's own number of epochs instead of the scripts' 200-epoch recipe. */
  runEpochs?: boolean;
  /** Live changes of the run since `config` (its initial settings). */
  changes?: readonly SettingChange[];
}

const GH = (repo: string): HandoffRepo => ({ repo, url: `https://github.com/${repo}` });
export const REPOS = {
  gcl: GH('Keke921/GCLLoss'),
  kps: GH('Keke921/KPSLoss'),
  fbl: GH('juyongjiang/FBL'),
  ldam: GH('kaidic/LDAM-DRW'),
} as const;

/** Which repository trains which loss (Balanced Softmax and logit adjustment: none). */
export const REPO_OF: Readonly<Record<LossId, keyof typeof REPOS | null>> = {
  gcl: 'gcl',
  kps: 'kps',
  fbl: 'fbl',
  ldam: 'ldam',
  ce: 'ldam',
  cbce: 'ldam',
  balancedSoftmax: null,
  logitAdjust: null,
};

/** What the scripts hard-code (from their argument defaults and loss constructors). */
const SCRIPT_DEFAULTS = {
  gcl: { s: 30, m: 0, noiseMul: 0.5 },
  gclStage2: { s: 20, m: 0.1, noiseMul: 0.5, focalGamma: 1, epochs: 30 },
  kps: { maxM: 0.2, s: 15 },
  ldam: { maxM: 0.5, s: 30, beta: 0.9999 },
  cbce: { beta: 0.9999 },
} as const;

/** A number as a command-line token (no exponent for the usual values, trailing zeros dropped). */
export function numToken(v: number): string {
  if (!Number.isFinite(v)) throw new Error(`pytorch-command: ${v} is not a finite number`);
  return String(Number(v.toPrecision(6)));
}

const line = (argv: readonly string[]) => ['python', ...argv].join(' ');

function cmd(title: string, script: string, flags: Array<[string, string | number]>): HandoffCommand {
  const argv = [script, ...flags.flatMap(([f, v]) => [f, typeof v === 'number' ? numToken(v) : v])];
  return { title, script, argv, line: line(argv) };
}

/** The run's imbalance factor as the scripts take it (--imb_factor = n_min / n_max) and the profile. */
function imbalance(run: HandoffRun, notes: string[]): { imbType: 'exp' | 'step'; imbFactor: number } {
  const c = run.config;
  if (c.profile === 'asis') {
    const pos = run.counts.filter((n) => n > 0);
    const ratio = pos.length ? Math.max(...pos) / Math.min(...pos) : 1;
    notes.push(
      `The profile “as is” keeps your data’s own imbalance (largest/smallest class ${numToken(ratio)}); the command draws an exponential CIFAR long tail with that ratio instead.`,
    );
    return { imbType: 'exp', imbFactor: 1 / Math.max(1, ratio) };
  }
  if (c.profile === 'step' && c.stepMu !== 0.5) {
    notes.push(`The scripts’ step profile puts half of the classes in the tail; this run used μ = ${numToken(c.stepMu)}.`);
  }
  return { imbType: c.profile, imbFactor: 1 / c.imbalance };
}

function common(run: HandoffRun, notes: string[], stage1Epochs: number) {
  const c = run.config;
  const dataset = run.numClasses <= 10 ? 'cifar10' : 'cifar100';
  notes.push(
    `Data: the scripts train ${dataset === 'cifar10' ? 'CIFAR-10-LT' : 'CIFAR-100-LT'} (downloaded by torchvision); “${run.datasetTitle}” (${run.numClasses} classes) does not carry over without writing a Dataset for it.`,
  );
  if (c.model !== 'resnet32')
    notes.push(`Model: this run’s ${c.model} is not in the scripts; --arch resnet32 (the papers’ CIFAR model) is used.`);
  if (c.headImages)
    notes.push(
      `Head-class cap: this run kept at most ${c.headImages} images per class; the scripts start from CIFAR’s 5,000 (500 for CIFAR-100).`,
    );
  if (!c.augment || !c.hflip) notes.push('Augmentation: the scripts always use random crop (4-pixel padding) and horizontal flip.');
  if (!run.runEpochs && c.epochs !== REFERENCE_EPOCHS) {
    notes.push(
      `Epochs: the command uses the papers’ ${REFERENCE_EPOCHS} (this run: ${c.epochs}); the scripts’ lr schedule is fixed to that length.`,
    );
  }
  if (run.runEpochs && stage1Epochs < 161) {
    notes.push(
      `Epochs: with --epochs ${stage1Epochs} the scripts’ fixed lr decay (after epochs 160 and 180) and switches (DRW at 160, GA at 120) come late or never.`,
    );
  }
  if (c.schedule !== 'auto' || !c.warmup) {
    notes.push(
      'Learning-rate schedule: the scripts always warm up for 5 epochs and decay after epochs 160 and 180; this run’s schedule differs.',
    );
  }
  notes.push(
    `Subset and seed: the scripts draw their own long-tail subset (--rand_number) and initialisation; --seed ${c.seed} does not reproduce this run’s images or weights.`,
  );
  return { dataset, epochs: stage1Epochs };
}

function paramNote(notes: string[], file: string, what: string, run: Record<string, number>, script: Record<string, number>): void {
  const diff = Object.keys(script).filter((k) => run[k] !== undefined && run[k] !== script[k]);
  if (diff.length) {
    notes.push(
      `${what}: ${diff.map((k) => `${k} = ${numToken(run[k])}`).join(', ')} has no flag (the script hard-codes ${diff
        .map((k) => `${k} = ${numToken(script[k])}`)
        .join(', ')}); edit the loss constructor call in ${file}.`,
    );
  }
}

/** The hand-off of a run: repository, command line(s) and what does not carry over. */
export function pytorchHandoff(run: HandoffRun): PytorchHandoff {
  const c = run.config;
  const which = REPO_OF[c.loss];
  if (!which) {
    return {
      repo: null,
      commands: [],
      notCarried: [],
      reason:
        'None of the authors’ repositories we hand off to (GCLLoss, KPSLoss, FBL, LDAM-DRW) trains this loss; the safetensors and the run config JSON still carry over.',
    };
  }
  const notes: string[] = [];
  if (run.changes?.length) {
    notes.push(
      `Live changes are not in the command, which reproduces the run's initial settings: ${run.changes.map(describeChange).join('; ')}.`,
    );
  }
  const epochs = run.runEpochs ? c.epochs : REFERENCE_EPOCHS;
  const base = common(run, notes, epochs);
  const { imbType, imbFactor } = imbalance(run, notes);
  const p = c.lossParams;
  const sgd = (bs: string, lr: string, wd: string): Array<[string, string | number]> => [
    ['--epochs', epochs],
    [bs, c.batchSize],
    [lr, c.lr],
    ['--momentum', c.momentum],
    [wd, c.weightDecay],
    ['--seed', c.seed],
    ['--gpu', 0],
  ];
  const head: Array<[string, string | number]> = [
    ['--arch', 'resnet32'],
    ['--dataset', base.dataset],
  ];
  const imb: Array<[string, string | number]> = [
    ['--imb_type', imbType],
    ['--imb_factor', imbFactor],
  ];
  const commands: HandoffCommand[] = [];
  const samplerNote = () => {
    if (c.sampler !== 'instance')
      notes.push(`Sampler: this run drew batches with the ${c.sampler} sampler; the command uses the script’s plain sampling.`);
  };

  if (which === 'gcl') {
    paramNote(notes, 'cifar_train_backbone.py (GCLLoss(…))', 'GCL stage 1', p, SCRIPT_DEFAULTS.gcl);
    if ((p.focalGamma ?? 0) !== 0) notes.push('GCL stage 1: the script has no focal term in stage 1 (focal γ is a stage-2 setting there).');
    samplerNote();
    notes.push(
      'Mixup: the GCL scripts mix up by default and “--mixup False” does not turn it off (argparse reads any non-empty text as True); this playground trains without mixup — set the default to False in the script to compare like with like.',
    );
    commands.push(
      cmd('Stage 1: backbone and classifier', 'cifar_train_backbone.py', [
        ...head,
        ['--loss_type', 'GCL'],
        ...imb,
        ['--train_rule', 'None'],
        ...sgd('--batch-size', '--lr', '--wd'),
      ]),
    );
    const s2 = c.stage2;
    const rule = s2.sampler === 'cben' ? 'CBENRS' : s2.sampler === 'classBalanced' ? 'BalancedRS' : 'None';
    paramNote(notes, 'cifar_train_classifier.py (GCLLoss(…))', 'GCL stage 2', s2 as unknown as Record<string, number>, {
      s: SCRIPT_DEFAULTS.gclStage2.s,
      m: SCRIPT_DEFAULTS.gclStage2.m,
      noiseMul: SCRIPT_DEFAULTS.gclStage2.noiseMul,
    });
    commands.push(
      cmd('Stage 2: classifier re-training on the frozen backbone', 'cifar_train_classifier.py', [
        ...head,
        ['--loss_type', 'GCL'],
        ...imb,
        ['--train_rule', rule],
        ['--epochs', run.runEpochs ? s2.epochs : SCRIPT_DEFAULTS.gclStage2.epochs],
        ['--batch-size', s2.batchSize],
        ['--lr', s2.lrMax],
        ['--momentum', c.momentum],
        ['--wd', c.weightDecay],
        ['--seed', c.seed],
        ['--gpu', 0],
        ['--resume', 'STAGE1_CHECKPOINT/ckpt.best.pth.tar'],
      ]),
    );
    notes.push('Stage 2 --resume: replace STAGE1_CHECKPOINT with the folder stage 1 saved its ckpt.best.pth.tar in (under checkpoint/).');
    return { repo: REPOS.gcl, commands, notCarried: notes };
  }
  if (which === 'kps') {
    paramNote(notes, 'cifar_train.py (KPSLoss(…))', 'KPS', p, SCRIPT_DEFAULTS.kps);
    samplerNote();
    const ga = (p.ga ?? 1) >= 0.5;
    commands.push(
      cmd('Train', 'cifar_train.py', [
        ...head,
        ['--loss_type', 'KPS'],
        ...imb,
        ['--train_rule', ga ? 'GA' : 'None'],
        ...sgd('--batch-size', '--lr', '--wd'),
      ]),
    );
    if (ga)
      notes.push('Gradient adjustment: the script switches GA on at epoch 120 (fixed), as the playground does at 120/200 of its epochs.');
    return { repo: REPOS.kps, commands, notCarried: notes };
  }
  if (which === 'fbl') {
    samplerNote();
    commands.push(
      cmd('Train', 'train.py', [
        ...head,
        ['--data_path', './dataset/data_img'],
        ['--loss_type', 'FeaBal'],
        ...imb,
        ['--train_rule', 'None'],
        ['--lambda_', p.A ?? 60],
        ...sgd('--batch_size', '--learning_rate', '--weight_decay'),
      ]),
    );
    notes.push('FBL’s curriculum α(t) = (t/(T−10))² follows --epochs in the script as in the playground.');
    return { repo: REPOS.fbl, commands, notCarried: notes };
  }
  // kaidic/LDAM-DRW: LDAM-DRW, CE, class-balanced CE
  let lossType = 'CE';
  let rule = 'None';
  if (c.loss === 'ldam') {
    lossType = 'LDAM';
    rule = 'DRW';
    paramNote(notes, 'cifar_train.py (LDAMLoss(…) and the DRW betas)', 'LDAM-DRW', p, SCRIPT_DEFAULTS.ldam);
  } else if (c.loss === 'cbce') {
    rule = 'Reweight';
    paramNote(notes, 'cifar_train.py (the Reweight beta)', 'Class-balanced CE', p, SCRIPT_DEFAULTS.cbce);
  }
  if (c.loss !== 'ldam' && c.head === 'cosine')
    notes.push('Head: the script uses a cosine (normalised) head only for LDAM; CE runs there use a linear head.');
  if (c.sampler === 'classBalanced' && c.loss === 'ce') rule = 'Resample';
  else samplerNote();
  commands.push(
    cmd('Train', 'cifar_train.py', [
      ...head,
      ['--loss_type', lossType],
      ...imb,
      ['--train_rule', rule],
      ...sgd('--batch-size', '--lr', '--wd'),
    ]),
  );
  return { repo: REPOS.ldam, commands, notCarried: notes };
}

/** The run's configuration as a JSON document (what the command was built from, for the record). */
export function runConfigJson(run: HandoffRun & { classNames?: readonly string[] }): string {
  return JSON.stringify(
    {
      app: 'long-tail-playground',
      dataset: { title: run.datasetTitle, numClasses: run.numClasses, counts: run.counts, classNames: run.classNames ?? null },
      config: run.config,
      changes: run.changes ?? [],
      changesText: (run.changes ?? []).map(describeChange),
    },
    null,
    2,
  );
}
