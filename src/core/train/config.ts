/** Training configuration: one plain, serialisable object shared by the CLI, the worker and the URL state. */
import type { LtProfile, SamplerKind } from '../data/types';
import type { HeadKind, ModelKind } from '../models/types';
import type { LossId, LossParams } from '../losses/types';
import type { LrSchedule } from './schedules';

export interface Stage2Config {
  epochs: number;
  sampler: Extract<SamplerKind, 'cben' | 'classBalanced'>;
  lrMax: number;
  s: number;
  m: number;
  noiseMul: number;
  focalGamma: number;
  batchSize: number;
}

export interface TrainConfig {
  dataset: string;
  imbalance: number;
  profile: LtProfile;
  stepMu: number;
  /**
   * Keep at most this many images per class of the pool before drawing the long tail (the first ones in pool
   * order), so small demos stay small: n_max becomes this number. null/undefined: the whole pool (n_max ≤ 5000).
   */
  headImages?: number | null;
  seed: number;
  model: ModelKind;
  head: HeadKind;
  batchSize: number;
  epochs: number;
  lr: number;
  momentum: number;
  weightDecay: number;
  schedule: LrSchedule | 'auto';
  warmup: boolean;
  loss: LossId;
  lossParams: LossParams;
  sampler: SamplerKind;
  augment: boolean;
  hflip: boolean;
  /** Evaluate on at most this many test images per class (null: the whole test set). */
  evalPerClass: number | null;
  /** Emit a batch event with the loss every this many batches. */
  logEvery: number;
  stage2: Stage2Config;
  /**
   * What computes the steps: 'fused' = the fused WebGPU executor, 'tfjs' = tfjs on the active backend, 'auto'
   * (default; also when absent) = fused when a WebGPU device is available (the tfjs backend is webgpu), else tfjs.
   */
  engine?: EngineChoice;
}

export type EngineChoice = 'auto' | 'fused' | 'tfjs';
export const ENGINE_CHOICES: readonly EngineChoice[] = ['auto', 'fused', 'tfjs'];

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
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function check(cond: boolean, msg: string): void {
  if (!cond) throw new ConfigError(msg);
}

/** Throws ConfigError with a readable message on the first problem. */
export function validateConfig(c: TrainConfig): void {
  const posInt = (v: number) => Number.isInteger(v) && v > 0;
  check(Number.isFinite(c.imbalance) && c.imbalance >= 1, `imbalance must be ≥ 1 (got ${c.imbalance})`);
  check(c.profile === 'exp' || c.profile === 'step' || c.profile === 'asis', `profile must be exp, step or asis (got ${c.profile})`);
  check(c.stepMu > 0 && c.stepMu < 1, `stepMu must be in (0, 1) (got ${c.stepMu})`);
  check(
    c.headImages == null || (Number.isInteger(c.headImages) && c.headImages >= 1),
    `head-class images must be a positive integer (got ${c.headImages})`,
  );
  check(Number.isInteger(c.seed) && c.seed >= 0, `seed must be a non-negative integer (got ${c.seed})`);
  check(posInt(c.batchSize) && c.batchSize >= 2, `batch size must be an integer ≥ 2 (got ${c.batchSize})`);
  check(posInt(c.epochs), `epochs must be a positive integer (got ${c.epochs})`);
  check(Number.isFinite(c.lr) && c.lr > 0, `lr must be > 0 (got ${c.lr})`);
  check(c.momentum >= 0 && c.momentum < 1, `momentum must be in [0, 1) (got ${c.momentum})`);
  check(c.weightDecay >= 0, `weight decay must be ≥ 0 (got ${c.weightDecay})`);
  check(['instance', 'classBalanced', 'cben'].includes(c.sampler), `sampler must be instance, classBalanced or cben (got ${c.sampler})`);
  check(c.evalPerClass === null || posInt(c.evalPerClass), `evalPerClass must be a positive integer (got ${c.evalPerClass})`);
  check(posInt(c.logEvery), `logEvery must be a positive integer (got ${c.logEvery})`);
  check(c.engine == null || ENGINE_CHOICES.includes(c.engine), `engine must be auto, fused or tfjs (got ${c.engine})`);
  const s2 = c.stage2;
  check(posInt(s2.epochs), `stage-2 epochs must be a positive integer (got ${s2.epochs})`);
  check(s2.sampler === 'cben' || s2.sampler === 'classBalanced', `stage-2 sampler must be cben or classBalanced (got ${s2.sampler})`);
  check(s2.lrMax > 0, `stage-2 lrMax must be > 0 (got ${s2.lrMax})`);
  check(posInt(s2.batchSize) && s2.batchSize >= 2, `stage-2 batch size must be an integer ≥ 2 (got ${s2.batchSize})`);
}
