/**
 * Everything the user can set: the trainer's config, the playground's data cap and the backend choice.
 * PLAYGROUND_DEFAULTS is the first-visit configuration (quick on any machine, see the README of the app).
 */
import type { BackendName } from '../core/backend';
import { countsFor } from '../core/data/longtail';
import { getLoss, defaultParams } from '../core/losses/registry';
import type { LossId } from '../core/losses/types';
import { DEFAULT_CONFIG, type TrainConfig } from '../core/train/config';
import type { RunSpec } from '../worker/protocol';

export type BackendChoice = 'auto' | BackendName;

export interface Settings {
  config: TrainConfig;
  /** Images per class kept from the pool before the long-tail subset is drawn (null: all, i.e. 5000). */
  nMax: number | null;
  backend: BackendChoice;
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

/**
 * First visit: GCL on a ConvNet, IF 100 with 1000 images in the head class (2.5k training images; many, medium and
 * few classes all present), 6 epochs of batch 64, 50 test images per class evaluated per epoch. On a laptop GPU an
 * epoch takes a few seconds; GCL stage 2 (3 epochs) can be started right after.
 */
export const PLAYGROUND_DEFAULTS: Settings = {
  config: {
    ...DEFAULT_CONFIG,
    stage2: { ...DEFAULT_CONFIG.stage2, epochs: 3, batchSize: 64 },
    dataset: EMBEDDED.id,
    imbalance: 100,
    profile: 'exp',
    seed: 1,
    model: 'convnet',
    head: 'cosine',
    batchSize: 64,
    epochs: 6,
    lr: 0.1,
    loss: 'gcl',
    lossParams: defaultParams('gcl'),
    evalPerClass: 50,
    logEvery: 1,
  },
  nMax: 1000,
  backend: 'auto',
};

export function cloneSettings(s: Settings): Settings {
  return structuredClone(s);
}

export function defaultSettings(): Settings {
  return cloneSettings(PLAYGROUND_DEFAULTS);
}

/** The head a loss forces (null when it works with both), with the reason shown next to the disabled control. */
export function forcedHead(loss: LossId): { head: TrainConfig['head']; reason: string } | null {
  const def = getLoss(loss);
  if (def.head === 'any') return null;
  return { head: def.head, reason: `${def.label} is defined on the ${def.head} classifier` };
}

/** Settings → what the worker gets. */
export function toRunSpec(s: Settings): RunSpec {
  const config = structuredClone(s.config);
  const forced = forcedHead(config.loss);
  if (forced) config.head = forced.head;
  return { config, data: { nMax: s.nMax } };
}

/** Training counts per class of the current settings (head first), without the data. */
export function previewCounts(s: Settings): number[] {
  return countsFor(EMBEDDED.classes, s.nMax ?? EMBEDDED.poolMax, {
    imbalance: s.config.imbalance,
    profile: s.config.profile,
    stepMu: s.config.stepMu,
  });
}

/** Smallest head-class size for which every class keeps ≥ 1 image at this imbalance. */
export function minNMaxFor(imbalance: number): number {
  return Math.ceil(imbalance - 1e-9);
}
