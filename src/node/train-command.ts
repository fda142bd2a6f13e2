/**
 * Headless training: `npm run train -- --dataset fmnist-lt --imbalance 100 --model resnet8 --loss gcl
 *   --epochs 10 --seed 1 --out run.json`. Progress on stderr, one JSON document on stdout or in --out.
 */
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_CONFIG, type TrainConfig } from '../core/train/config';
import { Trainer, type EpochMetrics } from '../core/train/trainer';
import { TrainController } from '../core/train/controller';
import { getLoss } from '../core/losses/registry';
import {
  loadDatasetForCli,
  loadImageFolder,
  isImageFolderPath,
  DATASET_IDS,
  EMBEDDED_PACK,
  FOLDER_DATASET,
  type FolderLoadOptions,
} from './datasets';
import { initBackend, initNodeWebGPU } from '../core/backend';
import { exportInfoFromTrainer } from '../core/export/info';
import { exportSafetensors } from '../core/export/safetensors';
import { exportTfjsZip } from '../core/export/tfjs';
import { testLogits } from '../core/export/logits';
import { LossWatch } from '../core/train/halt-cause';
import { checkConfigFlags, checkOutputs } from './checks';
import {
  CONFIG_OPTIONS,
  FlagError,
  SELF_CHECK_OPTIONS,
  applyConfigFlags,
  flagHelp,
  lossParamFlag,
  readFlags,
  selfCheckFlag,
} from './flags';
import { selfCheckGateFor } from './self-check';
import { tfjsWebGpuDevice } from '../core/train/engine-choice';
import type { SelfCheckReport } from '../core/train/self-check';
import { checkNotInputs, checkOutputFolder, saveOutput } from './outputs';
import { BUNDLE_OUTPUTS, writeBundle } from './bundle';
import { bundleExportInfo } from '../core/export/bundle';
import type { StepRecord } from '../core/train/trainer';
import { Interrupt } from './interrupt';
import { applyRecipe } from '../core/train/recipe';
import { runSweep, SWEEP_USAGE } from './train-sweep';
import { parseSweepArg, planSweep, type SweepPlan } from '../core/train/sweep';
import { groupLine, runSeeds, SEEDS_USAGE } from './train-seeds';
import { parseSeeds } from '../core/train/groups';
import { MAX_SEED, parseDecimal } from '../core/train/config-fields';
import { percent } from '../core/format';
import { FOLDER_TARGETS, MAX_TEST_FRACTION, MIN_TEST_FRACTION } from '../core/data/folder-limits';
import type { FolderTargetId } from '../worker/upload-info';
import type { Dataset } from '../core/data/types';

/** The values the CLI chooses for a field: the data sets it can load ("as is" only for an image folder, as in the app). */
const CHOICES = { dataset: [...DATASET_IDS, FOLDER_DATASET] };
const FOLDER_CHOICES = { ...CHOICES, profile: ['exp', 'step', 'asis'] };
const TARGET_IDS = Object.keys(FOLDER_TARGETS) as FolderTargetId[];
const help = (group: Parameters<typeof flagHelp>[0]) =>
  flagHelp(group, DEFAULT_CONFIG, CHOICES, { head: 'default: the loss’ own head, else linear' });

const USAGE = `Usage: npm run train -- [options]

Data
${help('data')}
  --data FILE           archive for cifar10-lt / cifar100-lt (official cifar-10-binary.tar.gz / cifar-100-binary.tar.gz),
                        or an image folder: a directory or a .zip with one sub-folder per class (--dataset folder,
                        implied; the profile starts "asis", every image, as in the app; PNG images are decoded)
  --image-size S        image folder: rgb32 (default, 32×32 RGB) | grey28 (28×28 grey), the app's upload choice
  --test-fraction F     image folder: share of each class held out for the test set, ${MIN_TEST_FRACTION}–${MAX_TEST_FRACTION} (default 0.2)
  --split-seed N        image folder: the seed of that split (default --seed; the app uses the seed set at upload)
Model
${help('model')}
Loss
${help('loss')}
  --param KEY=VALUE     a loss hyperparameter, repeatable (e.g. --param s=30 --param noiseMul=0.5)
Optimiser
${help('optimiser')}
Recipe (each option cites the authors' script line in src/core/train/recipe.ts)
  --recipe R            ours (default) | authors: the authors' per-loss batch size, mixup α, kaiming linear
                        head, official FBL curriculum, stage 2 from the best stage-1 epoch with a class-balanced
                        sampler; the options below (and --batch, --stage2-*) override single settings
${help('recipe')}
${SWEEP_USAGE}
${SEEDS_USAGE}
GCL stage 2 (after stage 1; needs a cosine head)
  --stage2              run stage 2 after stage 1
${help('stage2')}
Run
${help('run')}
  --backend B           auto | wasm | cpu | webgpu (default auto: wasm, else cpu; webgpu uses Dawn). --engine fused with
                        another backend runs the executor on its own Dawn device while tfjs (wasm/cpu) only mirrors the
                        weights for checkpoints and exports
  --self-check          before the first fused step, compare one step on this GPU with tfjs (loss, gradients, BN
                        statistics) and train on tfjs if they disagree; default on for a hardware adapter with
                        --engine fused, off on a software one (SwiftShader …); --no-self-check turns it off
  --conv-variant V      the fused engine's convolution kernels: auto (default: direct on a software adapter, tiled
                        on large layers of a hardware one) | direct | tiled; default from LTP_CONV_VARIANT if set
  --out FILE            write the JSON there instead of stdout
                        (written whole through a temporary file; if the write fails, the JSON goes to a
                        fallback file the error names). SIGINT / SIGTERM (Ctrl-C): stop after the current
                        batch and write the finished epochs ("halted": "interrupted", exit 130 / 143); a
                        second signal quits at once
  --quiet               no progress bar
  --help
Numbers are decimal (1e-3 is); a flag is given once, --param once per key.
Export (written after training, from the final weights)
  --save-tfjs FILE.zip  TensorFlow.js zip: model.json (layers-model) + weights.bin, loads with tf.loadLayersModel
  --save-safetensors FILE
                        safetensors with PyTorch ResNet_s state-dict names and layouts, metadata incl. mean/std
  --save-test-logits FILE.json
                        {"indices": [...], "logits": [[...]]}: classifier outputs of the first 256 test images
  --save-bundle DIR     run bundle for tools/pytorch/train.py: run.json, indices.json (official data order),
                        steps.json (every step's images, augmentation, noise, lr, loss), init.safetensors,
                        model.safetensors; \`python3 tools/pytorch/train.py DIR --reproduce\` replays the run
`;

export function usage(msg?: string): never {
  if (msg) process.stderr.write(`error: ${msg}\n\n`);
  process.stderr.write(USAGE);
  process.exit(msg ? 2 : 0);
}

function oneOf<T extends string>(name: string, v: string | undefined, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (!allowed.includes(v as T)) usage(`--${name} must be one of ${allowed.join(', ')}; got "${v}"`);
  return v as T;
}

/** An image folder's upload settings from --image-size, --test-fraction and --split-seed (usage errors exit 2). */
function folderOptions(v: Record<string, unknown>, seed: number): FolderLoadOptions {
  if (v.data === undefined)
    usage(`--dataset ${FOLDER_DATASET} needs --data DIR_OR_ZIP (a folder with one sub-folder per class, or a .zip of it)`);
  const target = oneOf('image-size', v['image-size'] as string | undefined, TARGET_IDS) ?? 'rgb32';
  let testFraction = 0.2;
  if (v['test-fraction'] !== undefined) {
    const f = parseDecimal(v['test-fraction'] as string);
    if (f === null || !(f >= MIN_TEST_FRACTION && f <= MAX_TEST_FRACTION))
      usage(`--test-fraction must be a number from ${MIN_TEST_FRACTION} to ${MAX_TEST_FRACTION}; got "${String(v['test-fraction'])}"`);
    testFraction = f;
  }
  let splitSeed = seed;
  if (v['split-seed'] !== undefined) {
    const n = parseDecimal(v['split-seed'] as string);
    if (n === null || !Number.isInteger(n) || n < 0 || n > MAX_SEED)
      usage(`--split-seed must be an integer from 0 to ${MAX_SEED}; got "${String(v['split-seed'])}"`);
    splitSeed = n;
  }
  return { target, testFraction, seed: splitSeed };
}

function parse(argv: string[]) {
  let v;
  try {
    v = readFlags(argv, {
      ...CONFIG_OPTIONS,
      data: { type: 'string' },
      'image-size': { type: 'string' },
      'test-fraction': { type: 'string' },
      'split-seed': { type: 'string' },
      param: { type: 'string', multiple: true },
      stage2: { type: 'boolean' },
      backend: { type: 'string' },
      'conv-variant': { type: 'string' },
      out: { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean' },
      'save-tfjs': { type: 'string' },
      'save-safetensors': { type: 'string' },
      'save-test-logits': { type: 'string' },
      'save-bundle': { type: 'string' },
      recipe: { type: 'string' },
      sweep: { type: 'string' },
      sweep2: { type: 'string' },
      'sweep-when': { type: 'string' },
      seeds: { type: 'string' },
      ...SELF_CHECK_OPTIONS,
    });
  } catch (e) {
    usage((e as Error).message);
  }
  if (v.help) usage();
  const c: TrainConfig = structuredClone(DEFAULT_CONFIG);
  const isFolder = v.dataset === FOLDER_DATASET || (v.dataset === undefined && v.data !== undefined && isImageFolderPath(v.data));
  const choices = isFolder ? FOLDER_CHOICES : CHOICES;
  if (isFolder) {
    // an upload starts "as is" in the app (its own imbalance); --profile picks another
    c.dataset = FOLDER_DATASET;
    c.profile = 'asis';
  }
  try {
    applyConfigFlags(c, v, choices);
    const loss = getLoss(c.loss);
    if (v.head === undefined) c.head = loss.head === 'any' ? 'linear' : loss.head;
    c.lossParams = {};
    for (const kv of v.param ?? []) {
      const [key, value] = lossParamFlag(kv, c.loss, loss.schema);
      if (key in c.lossParams) throw new FlagError(`--param ${key} is given more than once; give it once`);
      c.lossParams[key] = value;
    }
    const recipe = oneOf('recipe', v.recipe, ['ours', 'authors'] as const) ?? 'ours';
    if (recipe === 'authors') {
      Object.assign(c, applyRecipe(c, 'authors'));
      applyConfigFlags(c, v, choices); // a flag overrides the recipe's setting
    }
  } catch (e) {
    if (e instanceof FlagError) usage(e.message);
    throw e;
  }
  const backend = oneOf('backend', v.backend, ['auto', 'wasm', 'cpu', 'webgpu'] as const) ?? 'auto';
  const convVariant =
    oneOf('conv-variant', v['conv-variant'] ?? (process.env.LTP_CONV_VARIANT || undefined), ['auto', 'direct', 'tiled'] as const) ?? 'auto';
  if ((c.dataset === 'cifar10-lt' || c.dataset === 'cifar100-lt') && !v.data)
    usage(`--dataset ${c.dataset} needs --data FILE (the official binary archive)`);
  const folder = isFolder ? folderOptions(v, c.seed) : null;
  if (!isFolder) {
    for (const f of ['image-size', 'test-fraction', 'split-seed'] as const)
      if (v[f] !== undefined) usage(`--${f} is an image folder's setting (--data DIR_OR_ZIP)`);
    if (v.data !== undefined && isImageFolderPath(v.data))
      usage(`--data ${v.data} is an image folder, but --dataset is ${c.dataset}; leave --dataset out or give --dataset folder`);
  }
  const save = { tfjs: v['save-tfjs'], safetensors: v['save-safetensors'], testLogits: v['save-test-logits'], bundle: v['save-bundle'] };
  let sweep: SweepPlan | null = null;
  if (v.sweep !== undefined) {
    const plan = parseSweepArg(v.sweep, c);
    if (!plan.ok) usage(plan.why);
    sweep = plan.value;
    if (v.sweep2 !== undefined) {
      // a second parameter: the grid of both lists
      const second = parseSweepArg(v.sweep2, c);
      if (!second.ok) usage(`--sweep2: ${second.why}`);
      const grid = planSweep(c, plan.value.param.id, plan.value.values, { paramId: second.value.param.id, values: second.value.values });
      if (!grid.ok) usage(grid.why);
      sweep = grid.value;
    }
    if (save.tfjs || save.safetensors || save.testLogits || save.bundle) usage('--save-* exports one model; not with --sweep');
  }
  if (v.sweep2 !== undefined && v.sweep === undefined) usage('--sweep2 is the second parameter of a --sweep');
  let seeds: number[] | null = null;
  if (v.seeds !== undefined) {
    const r = parseSeeds(v.seeds, c.seed, MAX_SEED);
    if (!r.ok) usage(`--seeds: ${r.why}`);
    seeds = r.seeds;
    if (save.tfjs || save.safetensors || save.testLogits || save.bundle) usage('--save-* exports one model; not with --seeds');
  }
  const sweepWhen = oneOf('sweep-when', v['sweep-when'], ['last', 'best'] as const) ?? 'last';
  const bad =
    checkConfigFlags(c) ??
    checkOutputs([
      ['--out', v.out],
      ['--save-tfjs', save.tfjs],
      ['--save-safetensors', save.safetensors],
      ['--save-test-logits', save.testLogits],
    ]) ??
    (save.bundle === undefined ? null : checkOutputFolder('--save-bundle', save.bundle, BUNDLE_OUTPUTS, [['--data', v.data]]));
  if (bad) usage(bad);
  let selfCheck: boolean | null;
  try {
    selfCheck = selfCheckFlag(v);
  } catch (e) {
    usage((e as Error).message);
  }
  return {
    config: c,
    stage2: !!v.stage2,
    backend,
    out: v.out,
    quiet: !!v.quiet,
    data: v.data,
    folder,
    save,
    sweep,
    sweepWhen,
    seeds,
    selfCheck,
    convVariant,
  };
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

const pct = (v: number | null) => percent(v).padStart(5);

/** The train command over its arguments (the entry point, src/cli/train.ts, passes process.argv's). */
export async function main(argv: string[]): Promise<void> {
  const args = parse(argv);
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
  let dataset: Dataset;
  if (args.folder) {
    const loaded = await loadImageFolder(args.data!, args.folder);
    dataset = loaded.dataset;
    for (const n of loaded.info.notes) progress.always(`note: ${n}`);
    for (const k of loaded.info.skipped) progress.line(`  skipped ${k.file}: ${k.reason}`);
  } else dataset = await loadDatasetForCli(args.config.dataset, args.data);
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
      args.seeds ?? undefined,
    );
    writeResult(JSON.stringify(doc, null, 1));
    if (!args.quiet) process.stderr.write(`${doc.table}\n`);
    process.exitCode = interrupt.exitCode ?? (saved ? 0 : 1);
    return;
  }
  if (args.seeds) {
    const doc = await runSeeds(
      args.config,
      args.seeds,
      async (config, label) => {
        progress.line(`seeds: ${label}`);
        const { result, trainer } = await trainOnce({ ...args, config }, dataset, backend, progress, interrupt);
        trainer.dispose();
        return result;
      },
      () => interrupt.signal !== null,
    );
    writeResult(JSON.stringify(doc, null, 1));
    progress.line(`final: ${groupLine(doc.group.final, doc.group.n)}`);
    const halted = doc.runs.some((r) => r.result.halted);
    process.exitCode = interrupt.exitCode ?? (!saved ? 1 : halted ? 3 : 0);
    return;
  }
  const { result, trainer, bundle } = await trainOnce(args, dataset, backend, progress, interrupt);
  writeResult(JSON.stringify(result, null, 1));
  if (args.save.bundle && bundle) {
    await trainer.syncModel();
    const model = exportSafetensors(trainer.model, bundleExportInfo(trainer, backend.name));
    const epochsDone = result.epochs.length;
    const r = await writeBundle(args.save.bundle, { trainer, init: bundle.init, model, steps: bundle.steps, epochsDone });
    if (r.ok) progress.line(`wrote ${args.save.bundle}/ (run bundle for tools/pytorch/train.py)`);
    else progress.always(`error: ${r.message}`);
    saved &&= r.ok;
  }
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
  dataset: Dataset,
  backend: Awaited<ReturnType<typeof initBackend>>,
  progress: Progress,
  interrupt: Interrupt,
) {
  const steps: StepRecord[] = [];
  const gpuDevice = await fusedDevice(args.config.engine, backend.name);
  const checkDevice = gpuDevice ?? (backend.name === 'webgpu' ? tfjsWebGpuDevice() : null);
  const check = args.config.engine === 'fused' && checkDevice ? selfCheckGateFor(checkDevice, args.selfCheck) : null;
  let selfCheck: SelfCheckReport | null = null;
  const trainer = new Trainer(dataset, args.config, {
    gpuDevice,
    convVariant: args.convVariant,
    ...(check
      ? {
          selfCheck: check,
          onSelfCheck: (r: SelfCheckReport) => {
            selfCheck = r;
            progress.always(r.ok ? `self-check passed on this GPU (${r.variants} kernel variants, ${r.ms} ms)` : r.reason!);
          },
        }
      : {}),
    ...(args.save.bundle ? { onStep: (s: StepRecord) => steps.push(s) } : {}),
  });
  let init: Uint8Array | null = null;
  if (args.save.bundle) {
    await trainer.syncModel();
    init = exportSafetensors(trainer.model, bundleExportInfo(trainer, backend.name));
  }
  if (trainer.headNote) progress.line(trainer.headNote);
  const engine = trainer.engineResolution();
  if (engine.note) throw new Error(`--engine fused: ${engine.note}`);
  progress.line(`engine: ${engine.kind === 'fused' ? `fused WebGPU executor (convolutions: ${args.convVariant})` : 'tfjs'}`);
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
    selfCheck,
    convVariant: trainer.convVariant,
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
  return { result, trainer, bundle: init ? { init, steps } : null };
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
