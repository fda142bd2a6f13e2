/**
 * The settings model: everything the user can set — the trainer's config (data, model, optimiser, loss, stage 2)
 * and the backend choice — as one immutable value. Every change makes a new object (`patchSettings`,
 * `withLoss`); nothing edits a Settings in place (the type is read-only and values are frozen).
 * PLAYGROUND_DEFAULTS is the first-visit configuration (quick on any machine, see the README of the app).
 *
 * How each field may change during a run (live / stage 2 / reset) is the core table CONFIG_FIELDS
 * (src/core/train/config-fields.ts); the cross-field rules live in ./rules.ts.
 */
import type { BackendName } from '../../core/backend';
import { defaultParams, forcedHead } from '../../core/losses/registry';
import type { LossId, LossParams } from '../../core/losses/types';
import { DEFAULT_CONFIG, type Stage2Config, type TrainConfig } from '../../core/train/config';
import type { RunSpec } from '../../worker/protocol';
import { FIRST_VISIT_DATA } from '../../core/data/first-visit-data';

export type BackendChoice = 'auto' | BackendName;

/** The training config as the settings hold it (read-only, nested objects too). */
export type SettingsConfig = Readonly<Omit<TrainConfig, 'stage2' | 'lossParams'>> & {
  readonly stage2: Readonly<Stage2Config>;
  readonly lossParams: Readonly<LossParams>;
};

export interface Settings {
  readonly config: SettingsConfig;
  readonly backend: BackendChoice;
  /** wasm threads (absent: automatic, core/wasm-threads.ts); a page setting like the backend. */
  readonly threads?: number;
}

/** A change to the settings: the fields given replace the current ones (`lossParams` as a whole set). */
export interface SettingsPatch {
  config?: Partial<Omit<TrainConfig, 'stage2' | 'lossParams'>>;
  stage2?: Partial<Stage2Config>;
  lossParams?: LossParams;
  backend?: BackendChoice;
  /** 'auto' clears a set thread count. */
  threads?: number | 'auto';
}

/** Classes and head-class size of the embedded pool. */
export const EMBEDDED = {
  id: 'fmnist-lt',
  title: 'Fashion-MNIST-LT (embedded)',
  classes: 10,
  poolMax: 5000,
  minIF: 10,
  maxIF: 200,
} as const;

export const FMNIST_CLASS_NAMES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

function freeze(s: Settings): Settings {
  Object.freeze(s.config.stage2);
  Object.freeze(s.config.lossParams);
  Object.freeze(s.config);
  return Object.freeze(s);
}

/** Settings from plain data (copied and frozen). */
export function makeSettings(config: TrainConfig | SettingsConfig, backend: BackendChoice, threads?: number): Settings {
  const c = structuredClone(config) as TrainConfig;
  return freeze({ config: c, backend, ...(threads === undefined ? {} : { threads }) });
}

/**
 * First visit: GCL on a ConvNet, IF 100 with 1000 images in the head class (2.5k training images; many, medium and
 * few classes all present), 6 epochs of batch 64, 50 test images per class evaluated per epoch. On a laptop GPU an
 * epoch takes a few seconds; GCL stage 2 (3 epochs) can be started right after.
 */
export const PLAYGROUND_DEFAULTS: Settings = makeSettings(
  {
    ...DEFAULT_CONFIG,
    stage2: { ...DEFAULT_CONFIG.stage2, epochs: 3, batchSize: 64 },
    dataset: EMBEDDED.id,
    ...FIRST_VISIT_DATA,
    model: 'convnet',
    head: 'cosine',
    batchSize: 64,
    epochs: 6,
    lr: 0.1,
    loss: 'gcl',
    lossParams: defaultParams('gcl'),
    logEvery: 1,
    engine: 'auto',
  },
  'auto',
);

export function defaultSettings(): Settings {
  return PLAYGROUND_DEFAULTS;
}

/** `s` with `p` applied (a new, frozen object; `s` is unchanged). */
export function patchSettings(s: Settings, p: SettingsPatch): Settings {
  if (!p.config && !p.stage2 && !p.lossParams && p.backend === undefined && p.threads === undefined) return s;
  const config: TrainConfig = {
    ...(s.config as TrainConfig),
    ...p.config,
    stage2: p.stage2 ? { ...s.config.stage2, ...p.stage2 } : s.config.stage2,
    lossParams: p.lossParams ? { ...p.lossParams } : s.config.lossParams,
  };
  const threads = p.threads === undefined ? s.threads : p.threads === 'auto' ? undefined : p.threads;
  return freeze({ config, backend: p.backend ?? s.backend, ...(threads === undefined ? {} : { threads }) });
}

/** `s` with another loss and that loss' default hyperparameters. */
export function withLoss(s: Settings, loss: LossId): Settings {
  return patchSettings(s, { config: { loss }, lossParams: defaultParams(loss) });
}

/** A mutable copy of the config (for the worker, the CLI, tests). */
export function trainConfigOf(s: Settings): TrainConfig {
  return structuredClone(s.config) as TrainConfig;
}

/** Settings → what the worker gets (the head a loss forces applied). */
export function toRunSpec(s: Settings): RunSpec {
  const config = trainConfigOf(s);
  const forced = forcedHead(config.loss);
  if (forced) config.head = forced.head;
  return { config };
}
