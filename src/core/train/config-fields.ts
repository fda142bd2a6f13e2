/**
 * How each field of the training config may change during a run — the one table the trainer, the worker and the
 * page's change policy share:
 *  - 'live':   applied at the next step; weights, momentum and BN statistics stay (lr, loss hyperparameters, sampler,
 *              augmentation, weight decay, engine);
 *  - 'stage2': the GCL stage-2 settings, read when stage 2 starts;
 *  - 'reset':  needs new weights (a new run from epoch 0): data, model, loss type, schedule, …
 * `Record<keyof TrainConfig, …>` makes the table exhaustive: a new config field does not compile until it is listed.
 */
import type { TrainConfig } from './config';

export type ChangeMode = 'live' | 'reset' | 'stage2';

export interface ConfigField {
  /** Words for the "Changing the … needs new weights" question. */
  label: string;
  change: ChangeMode;
}

export const CONFIG_FIELDS = {
  dataset: { label: 'data set', change: 'reset' },
  imbalance: { label: 'imbalance factor', change: 'reset' },
  profile: { label: 'profile', change: 'reset' },
  stepMu: { label: 'step μ', change: 'reset' },
  headImages: { label: 'head-class images', change: 'reset' },
  seed: { label: 'seed', change: 'reset' },
  model: { label: 'model', change: 'reset' },
  head: { label: 'head', change: 'reset' },
  batchSize: { label: 'batch size', change: 'reset' },
  epochs: { label: 'epochs', change: 'reset' },
  lr: { label: 'learning rate', change: 'live' },
  momentum: { label: 'momentum', change: 'reset' },
  weightDecay: { label: 'weight decay', change: 'live' },
  schedule: { label: 'lr schedule', change: 'reset' },
  warmup: { label: 'warm-up', change: 'reset' },
  loss: { label: 'loss type', change: 'reset' },
  lossParams: { label: 'loss hyperparameters', change: 'live' },
  sampler: { label: 'sampler', change: 'live' },
  augment: { label: 'augmentation', change: 'live' },
  hflip: { label: 'horizontal flip', change: 'live' },
  evalPerClass: { label: 'test images per class', change: 'reset' },
  logEvery: { label: 'log interval', change: 'reset' },
  stage2: { label: 'stage-2 settings', change: 'stage2' },
  // checkpoints are engine-independent: the trainer swaps engines at the next step, weights and momentum kept
  engine: { label: 'engine', change: 'live' },
  mixupAlpha: { label: 'mixup α', change: 'live' },
  linearInit: { label: 'linear-head init', change: 'reset' },
  fblCurriculum: { label: 'FBL curriculum', change: 'reset' },
  valFraction: { label: 'validation split', change: 'reset' },
} as const satisfies Readonly<Record<keyof TrainConfig, ConfigField>>;

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
