/**
 * The limits of every training-config field, in one table: `validateConfig` (config.ts) checks a TrainConfig
 * against it, and through it the CLI flags, the URL (after its codecs), saved runs and model-zip metadata. The UI's
 * slider ranges (state/url-schema.ts RANGES) lie inside these limits (a test checks it). `Record<keyof TrainConfig,
 * …>` makes the table exhaustive: a new config field does not compile until it has a row here.
 *
 * Upper bounds are what the app can sensibly run, not what the paper used: a seed is 32 bits, 10,000 epochs, lr
 * and stage-2 lr at most 10, weight decay at most 1, batches of at most 4096 images.
 */
import type { TrainConfig, Stage2Config } from './config';
import { CONFIG_FIELDS } from './config-fields';
import { LOSSES, isLossId } from '../losses/registry';
import { MODEL_KINDS } from '../models/spec';

export interface NumberRule {
  kind: 'number';
  min: number;
  max: number;
  integer?: boolean;
  /** min itself is not allowed (lr > 0). */
  openMin?: boolean;
  /** max itself is not allowed (momentum < 1). */
  openMax?: boolean;
  /** null / undefined allowed (means "none" / "all"). */
  nullable?: boolean;
}

export type FieldRule =
  | NumberRule
  | { kind: 'enum'; values: readonly string[]; optional?: boolean }
  | { kind: 'boolean' }
  | { kind: 'string' }
  /** The loss hyperparameters: finite numbers, within the chosen loss' schema for the keys it knows. */
  | { kind: 'lossParams' }
  /** The stage-2 settings: STAGE2_LIMITS. */
  | { kind: 'stage2' };

const num = (min: number, max: number, more: Omit<NumberRule, 'kind' | 'min' | 'max'> = {}): NumberRule => ({
  kind: 'number',
  min,
  max,
  ...more,
});
const int = (min: number, max: number, more: Omit<NumberRule, 'kind' | 'min' | 'max' | 'integer'> = {}): NumberRule =>
  num(min, max, { integer: true, ...more });

/** Largest seed: seeds are 32-bit. */
export const MAX_SEED = 2 ** 32 - 1;
const MAX_BATCH = 4096;
const MAX_EPOCHS = 10_000;
/** Largest mixup α accepted. */
const MAX_MIXUP_ALPHA = 10;
/** Largest validation fraction accepted. */
const MAX_VAL_FRACTION = 0.5;

export const CONFIG_LIMITS = {
  dataset: { kind: 'string' },
  imbalance: num(1, 10_000),
  profile: { kind: 'enum', values: ['exp', 'step', 'asis'] },
  stepMu: num(0, 1, { openMin: true, openMax: true }),
  headImages: int(1, 1_000_000, { nullable: true }),
  seed: int(0, MAX_SEED),
  model: { kind: 'enum', values: MODEL_KINDS.map((m) => m.kind) },
  head: { kind: 'enum', values: ['cosine', 'linear'] },
  batchSize: int(2, MAX_BATCH),
  epochs: int(1, MAX_EPOCHS),
  lr: num(0, 10, { openMin: true }),
  momentum: num(0, 1, { openMax: true }),
  weightDecay: num(0, 1),
  schedule: { kind: 'enum', values: ['auto', 'step01', 'step001', 'constant'] },
  warmup: { kind: 'boolean' },
  loss: { kind: 'enum', values: Object.keys(LOSSES) },
  lossParams: { kind: 'lossParams' },
  sampler: { kind: 'enum', values: ['instance', 'classBalanced', 'cben'] },
  augment: { kind: 'boolean' },
  hflip: { kind: 'boolean' },
  evalPerClass: int(1, 1_000_000, { nullable: true }),
  logEvery: int(1, 1_000_000),
  stage2: { kind: 'stage2' },
  engine: { kind: 'enum', values: ['auto', 'fused', 'tfjs'], optional: true },
  mixupAlpha: num(0, MAX_MIXUP_ALPHA, { nullable: true }),
  linearInit: { kind: 'enum', values: ['uniform', 'kaiming'], optional: true },
  fblCurriculum: { kind: 'enum', values: ['scaled', 'official'], optional: true },
  valFraction: num(0, MAX_VAL_FRACTION, { nullable: true }),
} as const satisfies Readonly<Record<keyof TrainConfig, FieldRule>>;

const gcl = (key: string): NumberRule => {
  const spec = LOSSES.gcl.schema.find((p) => p.key === key)!;
  return num(spec.min, spec.max);
};

/** Stage 2 re-trains the classifier with GCL: s, m, noiseMul and focalGamma have GCL's schema ranges. */
export const STAGE2_LIMITS = {
  epochs: int(1, MAX_EPOCHS),
  sampler: { kind: 'enum', values: ['cben', 'classBalanced'] },
  lrMax: num(0, 10, { openMin: true }),
  s: gcl('s'),
  m: gcl('m'),
  noiseMul: gcl('noiseMul'),
  focalGamma: gcl('focalGamma'),
  batchSize: int(2, MAX_BATCH),
  from: { kind: 'enum', values: ['last', 'best'], optional: true },
} as const satisfies Readonly<Record<keyof Stage2Config, FieldRule>>;

const STAGE2_LABELS: Readonly<Record<keyof Stage2Config, string>> = {
  epochs: 'stage-2 epochs',
  sampler: 'stage-2 sampler',
  lrMax: 'stage-2 max lr',
  s: 'stage-2 scale s',
  m: 'stage-2 margin m',
  noiseMul: 'stage-2 cloud size',
  focalGamma: 'stage-2 focal γ',
  batchSize: 'stage-2 batch size',
  from: 'stage-2 start',
};

/** One failed check: the field's path ("lr", "stage2.s", "lossParams.tau") and a sentence naming it. */
export interface LimitProblem {
  field: string;
  /** "is 1e+300, expected a number in (0, 10]". */
  detail: string;
  /** "learning rate (lr) is 1e+300, expected a number in (0, 10]". */
  message: string;
}

const problem = (field: string, label: string, detail: string): LimitProblem => ({
  field,
  detail,
  message: `${label} (${field}) ${detail}`,
});

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return Array.isArray(v) ? 'a list' : `a ${typeof v}`;
}

/** "an integer in [1, 10000]", "a number in (0, 10]". */
export function describeRule(r: NumberRule): string {
  const range = `${r.openMin ? '(' : '['}${r.min}, ${r.max}${r.openMax ? ')' : ']'}`;
  return `${r.integer ? 'an integer' : 'a number'} in ${range}${r.nullable ? ' (or none)' : ''}`;
}

/** Whether `v` satisfies a number rule. */
export function numberOk(r: NumberRule, v: unknown): boolean {
  if (v === null || v === undefined) return !!r.nullable;
  if (typeof v !== 'number' || !Number.isFinite(v)) return false;
  if (r.integer && !Number.isInteger(v)) return false;
  if (v < r.min || (r.openMin && v === r.min)) return false;
  return !(v > r.max || (r.openMax && v === r.max));
}

function checkRule(rule: FieldRule, v: unknown, field: string, label: string, loss: unknown): LimitProblem | null {
  const bad = (expected: string): LimitProblem => problem(field, label, `is ${show(v)}, expected ${expected}`);
  switch (rule.kind) {
    case 'number':
      return numberOk(rule, v) ? null : bad(describeRule(rule));
    case 'enum':
      if (v === undefined && rule.optional) return null;
      return typeof v === 'string' && rule.values.includes(v) ? null : bad(`one of ${rule.values.join(', ')}`);
    case 'boolean':
      return typeof v === 'boolean' ? null : bad('true or false');
    case 'string':
      return typeof v === 'string' && v.length > 0 && v.length <= 200 ? null : bad('a name of 1 to 200 characters');
    case 'lossParams': {
      if (!v || typeof v !== 'object' || Array.isArray(v)) return bad('an object of numbers');
      const schema = typeof loss === 'string' && isLossId(loss) ? LOSSES[loss].schema : [];
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        const spec = schema.find((p) => p.key === k);
        const r = spec ? num(spec.min, spec.max) : num(-Number.MAX_VALUE, Number.MAX_VALUE);
        if (!numberOk(r, x)) {
          const expected = spec ? describeRule(r) : 'a finite number';
          return problem(`lossParams.${k}`, spec ? spec.label : 'loss hyperparameter', `is ${show(x)}, expected ${expected}`);
        }
      }
      return null;
    }
    case 'stage2': {
      if (!v || typeof v !== 'object' || Array.isArray(v)) return bad('an object');
      const s2 = v as Record<string, unknown>;
      for (const k of Object.keys(STAGE2_LIMITS) as (keyof Stage2Config)[]) {
        const p = checkRule(STAGE2_LIMITS[k], s2[k], `stage2.${k}`, STAGE2_LABELS[k], loss);
        if (p) return p;
      }
      return null;
    }
  }
}

/** The first field of `c` outside its limits (null: all within). Never throws, whatever `c` holds. */
export function firstLimitProblem(c: unknown): LimitProblem | null {
  if (!c || typeof c !== 'object' || Array.isArray(c))
    return { field: '', detail: `is ${show(c)}`, message: `the training configuration is ${show(c)}` };
  const o = c as Record<string, unknown>;
  for (const k of Object.keys(CONFIG_LIMITS) as (keyof TrainConfig)[]) {
    const p = checkRule(CONFIG_LIMITS[k], o[k], k, CONFIG_FIELDS[k].label, o.loss);
    if (p) return p;
  }
  return null;
}

/** The rule of a field path ("lr", "stage2.s"), for codecs and flags that check one value. */
export function ruleOf(field: string): FieldRule | undefined {
  const [a, b] = field.split('.');
  if (a === 'stage2' && b) return (STAGE2_LIMITS as Record<string, FieldRule>)[b];
  return (CONFIG_LIMITS as Record<string, FieldRule>)[a];
}
