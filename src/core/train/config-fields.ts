/**
 * The one table of the training settings: for every field of the training config its words (label, help, unit),
 * how it may change during a run, its limits (range, step, integer-ness, values), its URL parameter and its CLI
 * flag. The validator (config-limits.ts), the URL codec (state/settings/url-schema.ts), the settings panels' number fields
 * and the CLI's flags and `--help` (node/flags.ts) are all read from here, so the CLI, the URL and the page accept the
 * same values. Adding a setting is one row here, plus its use.
 *
 * Change modes:
 *  - 'live':   applied at the next step; weights, momentum and BN statistics stay (lr, loss hyperparameters, sampler,
 *              augmentation, weight decay, engine);
 *  - 'stage2': the GCL stage-2 settings, read when stage 2 starts;
 *  - 'reset':  needs new weights (a new run from epoch 0): data, model, loss type, schedule, …
 * `Record<keyof TrainConfig, …>` makes the table exhaustive: a new config field does not compile until it is listed.
 * Row order is the order of the URL parameters and of `--help`.
 *
 * Ranges are what the app can sensibly run, not what the papers used: a seed is 32 bits, at most 1,000 epochs,
 * batches of at most 1,024 images (the fused executor's activations of a larger batch outgrow a storage buffer),
 * lr up to 10 and weight decay up to 1 (so a diverging run can be provoked and explained).
 */
import type { EngineChoice, Stage2Config, TrainConfig } from './config-types';
import { LOSSES } from '../losses/registry';
import { MODEL_KINDS } from '../models/spec';

export type ChangeMode = 'live' | 'reset' | 'stage2';

/** A number setting: a closed range [min, max] and the step of its control (the loss hyperparameters' shape). */
export interface NumberRule {
  kind: 'number';
  min: number;
  max: number;
  step: number;
  integer?: boolean;
  /** null / undefined allowed: "none" / "all" (the URL writes `all`), or, with the field's `absent`, that value. */
  nullable?: boolean;
}

export type FieldRule =
  | NumberRule
  | {
      kind: 'enum';
      values: readonly string[];
      optional?: boolean;
      /** The values a URL or a flag may choose (default: all); the others are set by the app ('asis' by the data). */
      settable?: readonly string[];
    }
  | { kind: 'boolean' }
  | { kind: 'string' }
  /** The loss hyperparameters: finite numbers, within the chosen loss' schema for the keys it knows. */
  | { kind: 'lossParams' }
  /** The stage-2 settings: STAGE2_FIELDS. */
  | { kind: 'stage2' };

/** The `--help` sections, in order. */
export type FieldGroup = 'data' | 'model' | 'loss' | 'optimiser' | 'recipe' | 'stage2' | 'run';

export interface ConfigField {
  /** Lower-case words: the question "Changing the … needs new weights", messages; capitalised, the control's label. */
  label: string;
  /** One-line meaning (the control's tooltip, the flag's line in `--help`). */
  help: string;
  unit?: string;
  change: ChangeMode;
  rule: FieldRule;
  /** The URL query parameter. */
  url?: string;
  /** The CLI flag, without the dashes; a boolean's flag turns it off (`no-augment`). */
  flag?: string;
  /** `--help`: the section, and the name of the value (`N`, `LR`). */
  group?: FieldGroup;
  meta?: string;
  /** What an absent optional field means; the URL and the page store that value as absent (defaults round-trip). */
  absent?: number | string;
  /** The loaded data narrows the range (its imbalance factors, its pool): the page uses the data's, the URL the embedded data's. */
  dataBound?: boolean;
}

const num = (min: number, max: number, step: number, more: Omit<NumberRule, 'kind' | 'min' | 'max' | 'step'> = {}): NumberRule => ({
  kind: 'number',
  min,
  max,
  step,
  ...more,
});
const int = (min: number, max: number, more: Omit<NumberRule, 'kind' | 'min' | 'max' | 'step' | 'integer'> = {}): NumberRule =>
  num(min, max, 1, { integer: true, ...more });
const oneOf = (values: readonly string[], more: { optional?: boolean; settable?: readonly string[] } = {}) =>
  ({ kind: 'enum', values, ...more }) as const;

/** Largest seed: seeds are 32-bit. */
export const MAX_SEED = 2 ** 32 - 1;
const BATCH = int(2, 1024);
const EPOCHS = int(1, 1000);
const LR = num(1e-5, 10, 0.001);

export const CONFIG_FIELDS = {
  dataset: {
    label: 'data set',
    help: 'The embedded Fashion-MNIST-LT, or CIFAR-10/100-LT from the official binary archive (--data).',
    change: 'reset',
    rule: { kind: 'string' },
    url: 'dataset',
    flag: 'dataset',
    group: 'data',
    meta: 'ID',
  },
  imbalance: {
    label: 'imbalance factor',
    help: 'IF = n_max / n_min: images of the largest class over the smallest.',
    change: 'reset',
    rule: num(1, 10_000, 1),
    url: 'if',
    flag: 'imbalance',
    group: 'data',
    meta: 'IF',
    dataBound: true,
  },
  profile: {
    label: 'profile',
    help: 'exp: counts fall geometrically from head to tail; step: the tail classes share one small count.',
    change: 'reset',
    rule: oneOf(['exp', 'step', 'asis'], { settable: ['exp', 'step'] }),
    url: 'profile',
    flag: 'profile',
    group: 'data',
    meta: 'P',
  },
  stepMu: {
    label: 'tail fraction μ',
    help: 'Step profile: fraction of the classes that are in the tail.',
    change: 'reset',
    rule: num(0.05, 0.95, 0.05),
    url: 'mu',
    flag: 'step-mu',
    group: 'data',
    meta: 'MU',
  },
  headImages: {
    label: 'head-class images',
    help: 'Keep at most N images per class before drawing the tail (n_max = N); none: the whole pool.',
    change: 'reset',
    rule: int(1, 1_000_000, { nullable: true }),
    url: 'nmax',
    flag: 'head-images',
    group: 'data',
    meta: 'N',
    dataBound: true,
  },
  seed: {
    label: 'seed',
    help: 'Seeds the subset, the initial weights, the sampler, the augmentation and the GCL noise.',
    change: 'reset',
    rule: int(0, MAX_SEED),
    url: 'seed',
    flag: 'seed',
    group: 'run',
    meta: 'N',
  },
  model: {
    label: 'model',
    help: 'The backbone.',
    change: 'reset',
    rule: oneOf(MODEL_KINDS.map((m) => m.kind)),
    url: 'model',
    flag: 'model',
    group: 'model',
    meta: 'M',
  },
  head: {
    label: 'head',
    help: 'cosine: logits are scaled cosines of features and weights; linear: z = fW + b. Forced when the loss needs one.',
    change: 'reset',
    rule: oneOf(['cosine', 'linear']),
    url: 'head',
    flag: 'head',
    group: 'model',
    meta: 'H',
  },
  loss: {
    label: 'loss type',
    help: 'The training loss.',
    change: 'reset',
    rule: oneOf(Object.keys(LOSSES)),
    url: 'loss',
    flag: 'loss',
    group: 'loss',
    meta: 'L',
  },
  // its own schema per loss (HyperParamSpec): `lp.<key>` in the URL, `--param KEY=VALUE` on the CLI
  lossParams: { label: 'loss hyperparameters', help: '', change: 'live', rule: { kind: 'lossParams' }, flag: 'param' },
  batchSize: {
    label: 'batch size',
    help: 'Images per training step.',
    unit: 'images',
    change: 'reset',
    rule: BATCH,
    url: 'batch',
    flag: 'batch',
    group: 'optimiser',
    meta: 'N',
  },
  epochs: {
    label: 'epochs',
    help: 'Stage-1 epochs; the lr steps, KPS GA and LDAM DRW switch at fixed fractions of it (0.8/0.9, 0.6, 0.8).',
    change: 'reset',
    rule: EPOCHS,
    url: 'epochs',
    flag: 'epochs',
    group: 'optimiser',
    meta: 'N',
  },
  lr: {
    label: 'learning rate',
    help: 'Base SGD learning rate (changes apply at the next step, without a reset).',
    change: 'live',
    rule: LR,
    url: 'lr',
    flag: 'lr',
    group: 'optimiser',
    meta: 'LR',
  },
  momentum: {
    label: 'momentum',
    help: 'SGD momentum (changing it restarts the run).',
    change: 'reset',
    rule: num(0, 0.99, 0.01),
    url: 'momentum',
    flag: 'momentum',
    group: 'optimiser',
    meta: 'M',
  },
  weightDecay: {
    label: 'weight decay',
    help: 'L2 weight decay (applies at the next step).',
    change: 'live',
    rule: num(0, 1, 0.0001),
    url: 'wd',
    flag: 'wd',
    group: 'optimiser',
    meta: 'WD',
  },
  schedule: {
    label: 'lr schedule',
    help: "Learning-rate steps at 80 % and 90 % of the epochs, after a short warm-up (auto: the authors' schedule for the loss).",
    change: 'reset',
    rule: oneOf(['auto', 'step01', 'step001', 'constant']),
    url: 'schedule',
    flag: 'schedule',
    group: 'optimiser',
    meta: 'S',
  },
  warmup: {
    label: 'warm-up',
    help: 'The linear lr warm-up of the first epochs.',
    change: 'reset',
    rule: { kind: 'boolean' },
    url: 'warmup',
    flag: 'no-warmup',
    group: 'optimiser',
  },
  sampler: {
    label: 'sampler',
    help: 'How training images are drawn; applies from the next step.',
    change: 'live',
    rule: oneOf(['instance', 'classBalanced', 'cben']),
    url: 'sampler',
    flag: 'sampler',
    group: 'data',
    meta: 'S',
  },
  augment: {
    label: 'augmentation',
    help: 'Random crop with zero padding (applies at the next step).',
    change: 'live',
    rule: { kind: 'boolean' },
    url: 'augment',
    flag: 'no-augment',
    group: 'data',
  },
  hflip: {
    label: 'horizontal flip',
    help: 'Random left-right flips (applies at the next step).',
    change: 'live',
    rule: { kind: 'boolean' },
    url: 'hflip',
    flag: 'no-flip',
    group: 'data',
  },
  evalPerClass: {
    label: 'test images per class',
    help: 'Evaluate on the first N test images of each class after every epoch (none: the whole test set).',
    change: 'reset',
    rule: int(1, 1_000_000, { nullable: true }),
    url: 'eval',
    flag: 'eval-per-class',
    group: 'data',
    meta: 'N',
  },
  logEvery: {
    label: 'log interval',
    help: 'Report the loss every N batches.',
    change: 'reset',
    rule: int(1, 10_000),
    url: 'log',
    flag: 'log-every',
    group: 'run',
    meta: 'N',
  },
  mixupAlpha: {
    label: 'mixup α',
    help: 'λ ~ Beta(α, α) per batch, images mixed with a shuffled copy of the batch (0 = off).',
    change: 'live',
    rule: num(0, 10, 0.1, { nullable: true }),
    url: 'mixup',
    flag: 'mixup',
    group: 'recipe',
    meta: 'A',
    absent: 0,
  },
  linearInit: {
    label: 'linear-head init',
    help: 'Init of the linear head: uniform U(±1/√D) (PyTorch default) or kaiming_normal_ N(0, 2/D).',
    change: 'reset',
    rule: oneOf(['uniform', 'kaiming'], { optional: true }),
    url: 'linit',
    flag: 'linear-init',
    group: 'recipe',
    meta: 'I',
    absent: 'uniform',
  },
  fblCurriculum: {
    label: 'FBL curriculum',
    help: 'FBL curriculum α(t): scaled (t/(T − T/20))², or the official script’s (t/(T − 10))².',
    change: 'reset',
    rule: oneOf(['scaled', 'official'], { optional: true }),
    url: 'fblc',
    flag: 'fbl-curriculum',
    group: 'recipe',
    meta: 'F',
    absent: 'scaled',
  },
  valFraction: {
    label: 'validation split',
    help: "Fraction of each class's training images held out (seeded) to choose the best epoch on; 0 = off, best chosen on the test set as the papers do. Needs new weights.",
    change: 'reset',
    rule: num(0, 0.5, 0.05, { nullable: true }),
    url: 'val',
    flag: 'val-fraction',
    group: 'recipe',
    meta: 'F',
    absent: 0,
  },
  stage2: { label: 'stage-2 settings', help: '', change: 'stage2', rule: { kind: 'stage2' } },
  // checkpoints are engine-independent: the trainer swaps engines at the next step, weights and momentum kept
  engine: {
    label: 'engine',
    help: 'fused: the whole training step as prepared WebGPU dispatches; tfjs: one tfjs kernel per operation; auto: fused when the backend is webgpu.',
    change: 'live',
    rule: oneOf(['auto', 'fused', 'tfjs'] satisfies EngineChoice[], { optional: true }),
    url: 'engine',
    flag: 'engine',
    group: 'run',
    meta: 'E',
  },
} as const satisfies Readonly<Record<keyof TrainConfig, ConfigField>>;

/** Stage 2 re-trains the classifier with GCL: s, m, noiseMul and focalGamma have GCL's schema ranges. */
const gcl = (key: string): NumberRule => {
  const spec = LOSSES.gcl.schema.find((p) => p.key === key)!;
  return num(spec.min, spec.max, spec.step);
};

/** The GCL stage-2 settings (`config.stage2`), one row each as CONFIG_FIELDS. */
export const STAGE2_FIELDS = {
  epochs: {
    label: 'stage-2 epochs',
    help: 'Epochs of classifier re-training.',
    change: 'stage2',
    rule: EPOCHS,
    url: 's2.epochs',
    flag: 'stage2-epochs',
    group: 'stage2',
    meta: 'N',
  },
  sampler: {
    label: 'stage-2 sampler',
    help: 'Stage 2 draws balanced batches so the classifier sees the tail as often as the head.',
    change: 'stage2',
    rule: oneOf(['cben', 'classBalanced']),
    url: 's2.sampler',
    flag: 'stage2-sampler',
    group: 'stage2',
    meta: 'S',
  },
  lrMax: {
    label: 'stage-2 max lr',
    help: 'Peak of the stage-2 cosine lr schedule (authors: 0.1).',
    change: 'stage2',
    rule: LR,
    url: 's2.lr',
    flag: 'stage2-lr',
    group: 'stage2',
    meta: 'LR',
  },
  s: {
    label: 'stage-2 scale s',
    help: 'Logit scale in stage 2 (authors: 20).',
    change: 'stage2',
    rule: gcl('s'),
    url: 's2.s',
    flag: 'stage2-s',
    group: 'stage2',
    meta: 'S',
  },
  m: {
    label: 'stage-2 margin m',
    help: 'Margin on the target cosine in stage 2 (authors: 0.1).',
    change: 'stage2',
    rule: gcl('m'),
    url: 's2.m',
    flag: 'stage2-m',
    group: 'stage2',
    meta: 'M',
  },
  noiseMul: {
    label: 'stage-2 cloud size',
    help: 'Amplitude of the Gaussian cloud of the rarest class in stage 2 (authors: 0.5).',
    change: 'stage2',
    rule: gcl('noiseMul'),
    url: 's2.noise',
    flag: 'stage2-noise-mul',
    group: 'stage2',
    meta: 'X',
  },
  focalGamma: {
    label: 'stage-2 focal γ',
    help: 'Focal exponent in stage 2 (authors: 1).',
    change: 'stage2',
    rule: gcl('focalGamma'),
    url: 's2.gamma',
    flag: 'stage2-gamma',
    group: 'stage2',
    meta: 'G',
  },
  batchSize: {
    label: 'stage-2 batch size',
    help: 'Images per stage-2 step.',
    unit: 'images',
    change: 'stage2',
    rule: BATCH,
    url: 's2.batch',
    flag: 'stage2-batch',
    group: 'stage2',
    meta: 'N',
  },
  from: {
    label: 'stage-2 start',
    help: 'The stage-1 epoch stage 2 starts from: the last, or the best (on the validation split when one is on, else the test set).',
    change: 'stage2',
    rule: oneOf(['last', 'best'], { optional: true }),
    url: 's2.from',
    flag: 'stage2-from',
    group: 'recipe',
    meta: 'W',
    absent: 'last',
  },
} as const satisfies Readonly<Record<keyof Stage2Config, ConfigField>>;

/** A field's path: a config key ("lr") or "stage2.<key>" ("stage2.s"). */
export type FieldPath = Exclude<keyof TrainConfig, 'stage2'> | `stage2.${keyof Stage2Config}`;

type NumberKeys<T> = { [K in keyof T]: T[K] extends { rule: { kind: 'number' } } ? K : never }[keyof T];
/** The paths of the number settings ("lr", "stage2.epochs"). */
export type NumberPath = NumberKeys<typeof CONFIG_FIELDS> | `stage2.${NumberKeys<typeof STAGE2_FIELDS>}`;

/** Every row with its path: the config fields in table order, stage 2's in place of `stage2`. */
export const ALL_FIELDS: readonly (readonly [FieldPath, ConfigField])[] = (Object.keys(CONFIG_FIELDS) as (keyof TrainConfig)[]).flatMap(
  (k): (readonly [FieldPath, ConfigField])[] =>
    k === 'stage2'
      ? (Object.keys(STAGE2_FIELDS) as (keyof Stage2Config)[]).map((s) => [`stage2.${s}`, STAGE2_FIELDS[s]] as const)
      : [[k, CONFIG_FIELDS[k]] as const],
);

/** The row of a path ("lr", "stage2.s"; undefined for an unknown one). */
export function fieldOf(path: string): ConfigField | undefined {
  const [a, b] = path.split('.');
  if (a === 'stage2' && b !== undefined) return (STAGE2_FIELDS as Record<string, ConfigField>)[b];
  return (CONFIG_FIELDS as Record<string, ConfigField>)[a];
}

/** The row of a number setting, with its rule. */
export function numberField(path: NumberPath): ConfigField & { rule: NumberRule } {
  return fieldOf(path) as ConfigField & { rule: NumberRule };
}

/**
 * Decimal text → number, as the CLI and the URL read it: digits with an optional point and exponent ("0.1", ".5",
 * "1e-3"). Hex ("0x10"), a bare exponent ("1e"), an empty text, "Infinity" and overflow ("1e999") are refused (null).
 */
export function parseDecimal(raw: string): number | null {
  const t = raw.trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return null;
  const v = Number(t);
  return Number.isFinite(v) ? v : null;
}

/** A value's path in the config ("stage2.s" → config.stage2.s). */
export function readField(c: TrainConfig, path: FieldPath): unknown {
  const [a, b] = path.split('.');
  return b === undefined ? c[a as keyof TrainConfig] : c.stage2[b as keyof Stage2Config];
}

/** Sets one field of `c` in place (undefined deletes an optional one). */
export function writeField(c: TrainConfig, path: FieldPath, v: unknown): void {
  const [a, b] = path.split('.');
  const o = (b === undefined ? c : c.stage2) as unknown as Record<string, unknown>;
  const k = b ?? a;
  if (v === undefined) delete o[k];
  else o[k] = v;
}

type FieldsOf<M extends ChangeMode> = {
  [K in keyof TrainConfig]-?: (typeof CONFIG_FIELDS)[K]['change'] extends M ? K : never;
}[keyof TrainConfig];

/** The config fields that apply at the next step. */
export type LiveKey = 'lr' | 'weightDecay' | 'lossParams' | 'sampler' | 'augment' | 'hflip' | 'engine' | 'mixupAlpha';

/** Settings that may change between steps without resetting anything (`lossParams` replaces the whole set). */
export type LiveSettings = Partial<Pick<TrainConfig, LiveKey>>;

export const LIVE_KEYS = (Object.keys(CONFIG_FIELDS) as (keyof TrainConfig)[]).filter(
  (k): k is LiveKey => CONFIG_FIELDS[k].change === 'live',
);

// compile-time check that LiveKey is exactly the table's 'live' fields
const _liveKeysMatch: [LiveKey] extends [FieldsOf<'live'>] ? ([FieldsOf<'live'>] extends [LiveKey] ? true : false) : false = true;
void _liveKeysMatch;

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** How `to` differs from `from`: the live part, the labels of the fields that need a reset, and whether stage 2 changed. */
export function diffConfig(from: TrainConfig, to: TrainConfig): { live: LiveSettings; reset: string[]; stage2: boolean } {
  const live: Record<string, unknown> = {};
  const reset: string[] = [];
  let stage2 = false;
  for (const k of Object.keys(CONFIG_FIELDS) as (keyof TrainConfig)[]) {
    if (same(from[k] ?? null, to[k] ?? null)) continue;
    const f = CONFIG_FIELDS[k];
    if (f.change === 'live') live[k] = structuredClone(to[k]);
    else if (f.change === 'reset') reset.push(f.label);
    else stage2 = true;
  }
  return { live: live as LiveSettings, reset, stage2 };
}

/** `c` with the live settings applied (a new object; `lossParams` is replaced as a whole). */
export function applyLive(c: TrainConfig, s: LiveSettings): TrainConfig {
  const out: TrainConfig = { ...c };
  for (const k of LIVE_KEYS) {
    const v = s[k];
    if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = structuredClone(v);
  }
  return out;
}
