/**
 * Headless training: `npm run train -- --dataset fmnist-lt --imbalance 100 --model resnet8 --loss gcl
 *   --epochs 10 --seed 1 --out run.json`. Progress on stderr, one JSON document on stdout or in --out.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_CONFIG, ConfigError, ENGINE_CHOICES, type TrainConfig } from '../core/train/config';
import { Trainer, type EpochMetrics } from '../core/train/trainer';
import { TrainController } from '../core/train/controller';
import { LOSS_IDS, getLoss } from '../core/losses/registry';
import { loadDatasetForCli, DATASET_IDS, EMBEDDED_PACK } from './datasets';
import { initBackend, initNodeWebGPU } from '../core/backend';
import { exportInfoFromTrainer } from '../core/export/info';
import { exportSafetensors } from '../core/export/safetensors';
import { exportTfjsZip } from '../core/export/tfjs';
import { testLogits } from '../core/export/logits';
import { LossWatch } from '../core/train/halt-cause';
import { checkConfigFlags, checkOutputs } from './checks';
import { checkNotInputs, saveOutput } from './outputs';
import { Interrupt } from './interrupt';
import { applyRecipe } from '../core/train/recipe';
import { runSweep, SWEEP_USAGE } from './train-sweep';
import { parseSweepArg, type SweepPlan } from '../state/sweep';

const MODELS = ['convnet', 'resnet8', 'resnet20', 'resnet32'];

const USAGE = `Usage: npm run train -- [options]

Data
  --dataset ID          ${DATASET_IDS.join(' | ')} (default ${DEFAULT_CONFIG.dataset})
  --data FILE           archive for cifar10-lt / cifar100-lt (official cifar-10-binary.tar.gz / cifar-100-binary.tar.gz)
  --imbalance IF        imbalance factor n_max/n_min, ≥ 1 (default ${DEFAULT_CONFIG.imbalance})
  --profile P           exp | step (default exp)
  --step-mu MU          step profile: fraction of tail classes (default 0.5)
  --head-images N       keep at most N images per class before drawing the tail (n_max = N; the app's
                        "head-class images" setting)
  --sampler S           instance | classBalanced | cben (default instance)
  --no-augment          no random crop / flip
  --no-flip             no horizontal flip
  --eval-per-class N    evaluate on the first N test images of each class (default: whole test set)
Model
  --model M             ${MODELS.join(' | ')} (default ${DEFAULT_CONFIG.model})
  --head H              cosine | linear (forced when the loss needs one)
Loss
  --loss L              ${LOSS_IDS.join(' | ')} (default ${DEFAULT_CONFIG.loss})
  --param KEY=VALUE     a loss hyperparameter, repeatable (e.g. --param s=30 --param noiseMul=0.5)
Optimiser
  --epochs N  --batch N  --lr LR  --momentum M  --wd WD
  --schedule S          auto | step01 | step001 | constant (auto: the authors' schedule for the loss)
  --no-warmup
Recipe (each option cites the authors' script line in src/core/train/recipe.ts)
  --recipe R            ours (default) | authors: the authors' per-loss batch size, mixup α, kaiming linear
                        head, official FBL curriculum, stage 2 from the best stage-1 epoch with a class-balanced
                        sampler; the options below (and --batch, --stage2-*) override single settings
  --mixup A             mixup α (0 = off)
  --linear-init I       uniform (PyTorch default) | kaiming
  --fbl-curriculum F    scaled | official
  --stage2-from W       last | best (stage-1 epoch that stage 2 starts from)
  --val-fraction F      hold out this fraction of each class's training images (seeded) to choose the best
                        epoch on (0 = off: best chosen on the test set, as the papers)
${SWEEP_USAGE}
GCL stage 2 (after stage 1; needs a cosine head)
  --stage2              run stage 2 after stage 1
  --stage2-epochs N  --stage2-sampler cben|classBalanced  --stage2-lr LRMAX  --stage2-batch N
  --stage2-s S  --stage2-m M  --stage2-noise-mul X  --stage2-gamma G
Run
  --seed N              (default 1)
  --backend B           auto | wasm | cpu | webgpu (default auto: wasm, else cpu; webgpu uses Dawn)
  --engine E            auto | fused | tfjs (default auto: the fused WebGPU executor when the backend is webgpu,
                        else tfjs). fused with another backend runs the executor on its own Dawn device while
                        tfjs (wasm/cpu) only mirrors the weights for checkpoints and exports
  --out FILE            write the JSON there instead of stdout
                        (written whole through a temporary file; if the write fails, the JSON goes to a
                        fallback file the error names). SIGINT / SIGTERM (Ctrl-C): stop after the current
                        batch and write the finished epochs ("halted": "interrupted", exit 130 / 143); a
                        second signal quits at once
  --quiet               no progress bar
  --help
Export (written after training, from the final weights)
  --save-tfjs FILE.zip  TensorFlow.js zip: model.json (layers-model) + weights.bin, loads with tf.loadLayersModel
  --save-safetensors FILE
                        safetensors with PyTorch ResNet_s state-dict names and layouts, metadata incl. mean/std
  --save-test-logits FILE.json
                        {"indices": [...], "logits": [[...]]}: classifier outputs of the first 256 test images
`;

function usage(msg?: string): never {
  if (msg) process.stderr.write(`error: ${msg}\n\n`);
  process.stderr.write(USAGE);
  process.exit(msg ? 2 : 0);
}

function num(name: string, v: string | undefined, int = false): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || (int && !Number.isInteger(n)))
    usage(`--${name} needs ${int ? 'an integer' : 'a number'}, got "${v}"`);
  return n;
}

function oneOf<T extends string>(name: string, v: string | undefined, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (!allowed.includes(v as T)) usage(`--${name} must be one of ${allowed.join(', ')}; got "${v}"`);
  return v as T;
}

function parse(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        dataset: { type: 'string' },
        data: { type: 'string' },
        imbalance: { type: 'string' },
        profile: { type: 'string' },
        'step-mu': { type: 'string' },
        'head-images': { type: 'string' },
        sampler: { type: 'string' },
        'no-augment': { type: 'boolean' },
        'no-flip': { type: 'boolean' },
        'eval-per-class': { type: 'string' },
        model: { type: 'string' },
        head: { type: 'string' },
        loss: { type: 'string' },
        param: { type: 'string', multiple: true },
        epochs: { type: 'string' },
        batch: { type: 'string' },
        lr: { type: 'string' },
        momentum: { type: 'string' },
        wd: { type: 'string' },
        schedule: { type: 'string' },
        'no-warmup': { type: 'boolean' },
        stage2: { type: 'boolean' },
        'stage2-epochs': { type: 'string' },
        'stage2-sampler': { type: 'string' },
        'stage2-lr': { type: 'string' },
        'stage2-batch': { type: 'string' },
        'stage2-s': { type: 'string' },
        'stage2-m': { type: 'string' },
        'stage2-noise-mul': { type: 'string' },
        'stage2-gamma': { type: 'string' },
        seed: { type: 'string' },
        backend: { type: 'string' },
        engine: { type: 'string' },
        out: { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean' },
        'log-every': { type: 'string' },
        'save-tfjs': { type: 'string' },
        'save-safetensors': { type: 'string' },
        'save-test-logits': { type: 'string' },
        recipe: { type: 'string' },
        mixup: { type: 'string' },
        'linear-init': { type: 'string' },
        'fbl-curriculum': { type: 'string' },
        'stage2-from': { type: 'string' },
        'val-fraction': { type: 'string' },
        sweep: { type: 'string' },
        'sweep-when': { type: 'string' },
      },
    });
  } catch (e) {
    usage((e as Error).message);
  }
  const v = parsed.values;
  if (v.help) usage();
  const c: TrainConfig = structuredClone(DEFAULT_CONFIG);
  const set = <K extends keyof TrainConfig>(k: K, val: TrainConfig[K] | undefined) => {
    if (val !== undefined) c[k] = val;
  };
  set('dataset', oneOf('dataset', v.dataset, DATASET_IDS));
  set('imbalance', num('imbalance', v.imbalance));
  set('profile', oneOf('profile', v.profile, ['exp', 'step'] as const));
  set('stepMu', num('step-mu', v['step-mu']));
  set('headImages', num('head-images', v['head-images'], true));
  set('sampler', oneOf('sampler', v.sampler, ['instance', 'classBalanced', 'cben'] as const));
  if (v['no-augment']) c.augment = false;
  if (v['no-flip']) c.hflip = false;
  set('evalPerClass', num('eval-per-class', v['eval-per-class'], true));
  set('model', oneOf('model', v.model, MODELS as TrainConfig['model'][]));
  set('loss', oneOf('loss', v.loss, LOSS_IDS));
  const loss = getLoss(c.loss);
  c.head = oneOf('head', v.head, ['cosine', 'linear'] as const) ?? (loss.head === 'any' ? 'linear' : loss.head);
  c.lossParams = {};
  for (const kv of v.param ?? []) {
    const m = /^([A-Za-z0-9_]+)=(.+)$/.exec(kv);
    if (!m) usage(`--param needs KEY=VALUE, got "${kv}"`);
    const spec = loss.schema.find((p) => p.key === m[1]);
    if (!spec) usage(`loss ${c.loss} has no hyperparameter "${m[1]}" (it has: ${loss.schema.map((p) => p.key).join(', ')})`);
    const val = num(`param ${m[1]}`, m[2])!;
    if (val < spec.min || val > spec.max) usage(`--param ${m[1]}=${val} is outside [${spec.min}, ${spec.max}]`);
    c.lossParams[m[1]] = val;
  }
  const recipe = oneOf('recipe', v.recipe, ['ours', 'authors'] as const) ?? 'ours';
  if (recipe === 'authors') Object.assign(c, applyRecipe(c, 'authors'));
  set('mixupAlpha', num('mixup', v.mixup));
  set('linearInit', oneOf('linear-init', v['linear-init'], ['uniform', 'kaiming'] as const));
  set('fblCurriculum', oneOf('fbl-curriculum', v['fbl-curriculum'], ['scaled', 'official'] as const));
  set('valFraction', num('val-fraction', v['val-fraction']));
  set('epochs', num('epochs', v.epochs, true));
  set('batchSize', num('batch', v.batch, true));
  set('lr', num('lr', v.lr));
  set('momentum', num('momentum', v.momentum));
  set('weightDecay', num('wd', v.wd));
  set('schedule', oneOf('schedule', v.schedule, ['auto', 'step01', 'step001', 'constant'] as const));
  if (v['no-warmup']) c.warmup = false;
  set('seed', num('seed', v.seed, true));
  set('logEvery', num('log-every', v['log-every'], true));
  const s2 = c.stage2;
  s2.epochs = num('stage2-epochs', v['stage2-epochs'], true) ?? s2.epochs;
  s2.sampler = oneOf('stage2-sampler', v['stage2-sampler'], ['cben', 'classBalanced'] as const) ?? s2.sampler;
  s2.lrMax = num('stage2-lr', v['stage2-lr']) ?? s2.lrMax;
  s2.batchSize = num('stage2-batch', v['stage2-batch'], true) ?? s2.batchSize;
  s2.s = num('stage2-s', v['stage2-s']) ?? s2.s;
  s2.m = num('stage2-m', v['stage2-m']) ?? s2.m;
  s2.noiseMul = num('stage2-noise-mul', v['stage2-noise-mul']) ?? s2.noiseMul;
  s2.focalGamma = num('stage2-gamma', v['stage2-gamma']) ?? s2.focalGamma;
  const from = oneOf('stage2-from', v['stage2-from'], ['last', 'best'] as const);
  if (from) s2.from = from;
  const backend = oneOf('backend', v.backend, ['auto', 'wasm', 'cpu', 'webgpu'] as const) ?? 'auto';
  set('engine', oneOf('engine', v.engine, ENGINE_CHOICES));
  if ((c.dataset === 'cifar10-lt' || c.dataset === 'cifar100-lt') && !v.data)
    usage(`--dataset ${c.dataset} needs --data FILE (the official binary archive)`);
  const save = { tfjs: v['save-tfjs'], safetensors: v['save-safetensors'], testLogits: v['save-test-logits'] };
  let sweep: SweepPlan | null = null;
  if (v.sweep !== undefined) {
    const plan = parseSweepArg(v.sweep, c);
    if (!plan.ok) usage(plan.why);
    sweep = plan.value;
    if (save.tfjs || save.safetensors || save.testLogits) usage('--save-* exports one model; not with --sweep');
  }
  const sweepWhen = oneOf('sweep-when', v['sweep-when'], ['last', 'best'] as const) ?? 'last';
  const bad =
    checkConfigFlags(c) ??
    checkOutputs([
      ['--out', v.out],
      ['--save-tfjs', save.tfjs],
      ['--save-safetensors', save.safetensors],
      ['--save-test-logits', save.testLogits],
    ]);
  if (bad) usage(bad);
  return { config: c, stage2: !!v.stage2, backend, out: v.out, quiet: !!v.quiet, data: v.data, save, sweep, sweepWhen };
}

class Progress {
  private last = 0;
  constructor(private readonly quiet: boolean) {}
  update(text: string, force = false): void {
    if (this.quiet) return;
    const t = Date.now();
    if (!force && t - this.last < 200) return;
    this.last = t;
    process.stderr.write(`\r\x1b[K${text}`);
  }
  line(text: string): void {
    if (this.quiet) return;
    process.stderr.write(`\r\x1b[K${text}\n`);
  }
  /** Errors and warnings: printed even with --quiet. */
  always(text: string): void {
    process.stderr.write(`${this.quiet ? '' : '\r\x1b[K'}${text}\n`);
  }
}

function bar(frac: number, width = 24): string {
  const n = Math.round(Math.max(0, Math.min(1, frac)) * width);
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}]`;
}

const pct = (v: number | null) => (v === null || Number.isNaN(v) ? '  -  ' : `${(100 * v).toFixed(1)}%`);

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  const clash = checkNotInputs(
    [
      ['--out', args.out],
      ['--save-tfjs', args.save.tfjs],
      ['--save-safetensors', args.save.safetensors],
      ['--save-test-logits', args.save.testLogits],
    ],
    [args.data === undefined ? ['the embedded pack', EMBEDDED_PACK] : ['--data', args.data]],
  );
  if (clash) usage(clash);
  const progress = new Progress(args.quiet);
  const interrupt = new Interrupt(`the finished epochs are written ${args.out ? `to ${args.out}` : 'to stdout'}`);
  // In Node, auto = wasm → cpu: Dawn without a hardware GPU is a software rasteriser, slower than wasm.
  const order = args.backend === 'auto' ? (['wasm', 'cpu'] as const) : ([args.backend] as const);
  // the data first: a bad file (an endless stream, images too large for the backend) is refused before any backend runs
  const dataset = await loadDatasetForCli(args.config.dataset, args.data);
  if (args.backend === 'webgpu') {
    const gpu = await initNodeWebGPU();
    if (!gpu.ok) throw new Error(`--backend webgpu: ${gpu.reason}`);
  }
  const backend = await initBackend({ order: [...order] });
  progress.line(`backend: ${backend.name} (${backend.reason})`);
  interrupt.arm();
  let saved = true;
  const save = (flag: string, file: string, data: string | Uint8Array, what: string) => {
    const r = saveOutput(flag, file, data, flag === '--out');
    if (r.ok) progress.line(`wrote ${file}${what}`);
    else progress.always(`error: ${r.message}`);
    saved &&= r.ok;
  };
  const writeResult = (json: string) => (args.out ? save('--out', args.out, json, '') : process.stdout.write(`${json}\n`));
  if (args.sweep) {
    const doc = await runSweep(
      args.sweep,
      args.sweepWhen,
      (config, label) => {
        progress.line(`sweep: ${label}`);
        return trainOnce({ ...args, config }, dataset, backend, progress, interrupt);
      },
      () => interrupt.signal !== null,
    );
    writeResult(JSON.stringify(doc, null, 1));
    if (!args.quiet) process.stderr.write(`${doc.table}\n`);
    process.exitCode = interrupt.exitCode ?? (saved ? 0 : 1);
    return;
  }
  const { result, trainer } = await trainOnce(args, dataset, backend, progress, interrupt);
  writeResult(JSON.stringify(result, null, 1));
  const exp = args.save;
  if (exp.tfjs || exp.safetensors || exp.testLogits) {
    await trainer.syncModel(); // the fused engine's weights into the tfjs model
    const info = exportInfoFromTrainer(trainer, backend.name);
    if (exp.safetensors)
      save('--save-safetensors', exp.safetensors, exportSafetensors(trainer.model, info), ' (safetensors, PyTorch ResNet_s layout)');
    if (exp.tfjs) save('--save-tfjs', exp.tfjs, await exportTfjsZip(trainer.model, info), ' (TensorFlow.js model.json + weights.bin)');
    if (exp.testLogits) {
      const tl = await testLogits(trainer.model, dataset, 256);
      save('--save-test-logits', exp.testLogits, JSON.stringify(tl), ` (outputs of the first ${tl.indices.length} test images)`);
    }
  }
  trainer.dispose();
  process.exitCode = interrupt.exitCode ?? (!saved ? 1 : result.halted ? 3 : 0);
}

/** Trains one run (stage 1, then stage 2 when asked); the caller disposes the trainer. */
async function trainOnce(
  args: ReturnType<typeof parse>,
  dataset: Awaited<ReturnType<typeof loadDatasetForCli>>,
  backend: Awaited<ReturnType<typeof initBackend>>,
  progress: Progress,
  interrupt: Interrupt,
) {
  const trainer = new Trainer(dataset, args.config, { gpuDevice: await fusedDevice(args.config.engine, backend.name) });
  if (trainer.headNote) progress.line(trainer.headNote);
  const engine = trainer.engineResolution();
  if (engine.note) throw new Error(`--engine fused: ${engine.note}`);
  progress.line(`engine: ${engine.kind === 'fused' ? 'fused WebGPU executor' : 'tfjs'}`);
  progress.line(
    `data: ${dataset.meta.title}, IF ${args.config.imbalance} (${args.config.profile}), ${trainer.subset.indices.length} training images, counts ${trainer.counts.join(' ')}`,
  );
  const stage1: EpochMetrics[] = [];
  const stage2: EpochMetrics[] = [];
  let halted: string | null = null;
  const started = Date.now();
  const watch = new LossWatch();
  let watchedStage = 0;
  const ctl = new TrainController(trainer, (e) => {
    if (e.type === 'batch') {
      const b = e.batch;
      if (b.stage !== watchedStage) {
        watchedStage = b.stage;
        watch.reset();
      }
      watch.batch(b.loss);
      const total = trainer.epochsInStage;
      const frac = (b.epoch + (b.batch + 1) / b.batchesPerEpoch) / total;
      progress.update(
        `stage ${b.stage} ${bar(frac)} epoch ${b.epoch + 1}/${total} batch ${b.batch + 1}/${b.batchesPerEpoch} loss ${b.loss.toFixed(4)} lr ${b.lr.toPrecision(3)}`,
      );
    } else if (e.type === 'epoch') {
      const m = e.metrics;
      (m.stage === 1 ? stage1 : stage2).push(m);
      const warning = watch.epoch(m.trainLoss, m.epoch, m.stage);
      if (warning) progress.always(warning);
      const g = m.groupAccuracy;
      progress.line(
        `stage ${m.stage} epoch ${m.epoch + 1}/${m.epochsInStage}: train loss ${m.trainLoss.toFixed(4)}, test acc ${pct(m.testAccuracy)} (many ${pct(g.many)}, medium ${pct(g.medium)}, few ${pct(g.few)}), ${m.imagesPerSecond.toFixed(0)} img/s`,
      );
    } else if (e.type === 'halt') {
      halted = e.halt.message;
      progress.always(e.halt.message);
    }
  });
  // the first SIGINT / SIGTERM: stop after the batch in flight; the finished epochs make the result
  const unhook = interrupt.onStop(() => void ctl.pause());
  if (!interrupt.signal) await ctl.run();
  if (args.stage2 && !halted && !interrupt.signal) {
    trainer.startStage2();
    await ctl.run();
  }
  unhook();
  if (interrupt.signal) halted ??= 'interrupted';
  const last = (stage2.length ? stage2 : stage1).at(-1);
  const result = {
    tool: 'long-tail-playground train',
    version: 1,
    date: new Date().toISOString(),
    config: trainer.config,
    stage2Config: args.stage2 ? trainer.stage2 : null,
    backend,
    engine: trainer.engineKind,
    tfjsVersion: tf.version.tfjs,
    dataset: {
      id: dataset.meta.id,
      title: dataset.meta.title,
      classNames: dataset.pool.classNames,
      counts: trainer.counts,
      groups: trainer.groups,
      trainImages: trainer.subset.indices.length,
      testImages: trainer.testCount,
    },
    model: { kind: trainer.spec.config.kind, head: trainer.spec.config.head, headNote: trainer.headNote },
    lossParams: trainer.lossParams,
    halted,
    seconds: (Date.now() - started) / 1000,
    bestEpoch: trainer.bestEpoch,
    stage2Origin: trainer.stage2Origin,
    epochs: stage1,
    stage2Epochs: stage2,
    final: last
      ? {
          stage: last.stage,
          testAccuracy: last.testAccuracy,
          groupAccuracy: last.groupAccuracy,
          perClassAccuracy: last.perClassAccuracy,
          featureNormTest: last.featureNormTest,
          confusion: last.confusion,
        }
      : null,
  };
  return { result, trainer };
}

/**
 * The fused engine's device: tfjs' own on the webgpu backend (found by the trainer: undefined here); with
 * `--engine fused` on another backend, a Dawn device of its own.
 */
async function fusedDevice(engine: TrainConfig['engine'], backend: string): Promise<GPUDevice | undefined> {
  if (engine !== 'fused' || backend === 'webgpu') return undefined;
  const gpu = await initNodeWebGPU();
  if (!gpu.ok) throw new Error(`--engine fused needs WebGPU (Dawn): ${gpu.reason}`);
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) throw new Error('--engine fused: no WebGPU adapter (navigator.gpu.requestAdapter() returned null)');
  return adapter.requestDevice();
}

main().catch((e) => {
  if (e instanceof ConfigError) usage(e.message);
  process.stderr.write(`\nerror: ${(e as Error).message}\n`);
  process.exit(1);
});
