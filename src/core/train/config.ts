/** Training configuration: one plain, serialisable object shared by the CLI, the worker and the URL state. */
import type { LossId } from '../losses/types';
import type { Stage2Config, TrainConfig } from './config-types';
import { firstLimitProblem } from './config-limits';

export type { EngineChoice, Stage2Config, TrainConfig } from './config-types';

/** The loss GCL stage 2 re-trains the classifier with (the authors' stage-2 recipe), with the stage-2 parameters. */
export const STAGE2_LOSS: LossId = 'gcl';

export const STAGE2_DEFAULTS: Stage2Config = {
  epochs: 30,
  sampler: 'cben',
  lrMax: 0.1,
  s: 20,
  m: 0.1,
  noiseMul: 0.5,
  focalGamma: 1,
  batchSize: 128,
};

export const DEFAULT_CONFIG: TrainConfig = {
  dataset: 'fmnist-lt',
  imbalance: 100,
  profile: 'exp',
  stepMu: 0.5,
  headImages: null,
  seed: 1,
  model: 'resnet8',
  head: 'cosine',
  batchSize: 64,
  epochs: 10,
  lr: 0.1,
  momentum: 0.9,
  weightDecay: 2e-4,
  schedule: 'auto',
  warmup: true,
  loss: 'gcl',
  lossParams: {},
  sampler: 'instance',
  augment: true,
  hflip: true,
  evalPerClass: null,
  logEvery: 10,
  stage2: { ...STAGE2_DEFAULTS },
};

export class ConfigError extends Error {
  /** The field at fault: "lr", "stage2.s", "lossParams.tau" ('' for the whole object). */
  readonly field: string;
  /** The message without the field's name: "is 1e+300, expected a number in [0.00001, 10]". */
  readonly detail: string;
  constructor(message: string, field = '', detail = message) {
    super(message);
    this.name = 'ConfigError';
    this.field = field;
    this.detail = detail;
  }
}

/**
 * Throws ConfigError naming the first field outside its limits (the settings table in config-fields.ts: types,
 * enums, ranges with upper bounds, stage-2 and loss hyperparameters). Safe on any value (saved runs, model zips, JSON).
 */
export function validateConfig(c: TrainConfig): void {
  const p = firstLimitProblem(c);
  if (p) throw new ConfigError(p.message, p.field, p.detail);
}
