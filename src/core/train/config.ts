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
  /**
   * Which stage-1 weights stage 2 starts from: 'last' (the final stage-1 epoch; default) or 'best' (the stage-1
   * epoch with the best selection score — validation when a validation split is on, else test — as the authors'
   * GCL classifier script does: `--resume ckpt.best.pth.tar`, GCLLoss cifar_train_classifier.py line 60).
   */
  from?: 'last' | 'best';
}

/** Head weight init of the linear head: PyTorch's nn.Linear default U(±1/√D), or kaiming_normal_ N(0, 2/D). */
export type LinearInit = 'uniform' | 'kaiming';
/** FBL curriculum α(t): ours (t/(T − T/20))², or the official script's (t/(T − 10))² (FBL train.py line 226). */
export type FblCurriculum = 'scaled' | 'official';

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
  /** Mixup α (Beta(α, α) mixing weight per batch; 0 or absent: no mixup). */
  mixupAlpha?: number;
  /** Init of the linear head's weight (absent: 'uniform'). The cosine head is unaffected. */
  linearInit?: LinearInit;
  /** FBL curriculum α(t) (absent: 'scaled'). */
  fblCurriculum?: FblCurriculum;
  /**
   * Hold out this fraction of each class's training images (seeded) as a validation split, used to choose the
   * best epoch (mean per-class validation accuracy) instead of the test set. 0 or absent: off (as the papers).
   */
  valFraction?: number;
}

/** Largest validation fraction accepted. */
export const MAX_VAL_FRACTION = 0.5;
/** Largest mixup α accepted. */
export const MAX_MIXUP_ALPHA = 10;

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
  const s2 = c.stage2;
  check(posInt(s2.epochs), `stage-2 epochs must be a positive integer (got ${s2.epochs})`);
  check(s2.sampler === 'cben' || s2.sampler === 'classBalanced', `stage-2 sampler must be cben or classBalanced (got ${s2.sampler})`);
  check(s2.lrMax > 0, `stage-2 lrMax must be > 0 (got ${s2.lrMax})`);
  check(posInt(s2.batchSize) && s2.batchSize >= 2, `stage-2 batch size must be an integer ≥ 2 (got ${s2.batchSize})`);
  check(s2.from === undefined || s2.from === 'last' || s2.from === 'best', `stage-2 start must be last or best (got ${s2.from})`);
  const mix = c.mixupAlpha ?? 0;
  check(Number.isFinite(mix) && mix >= 0 && mix <= MAX_MIXUP_ALPHA, `mixup α must be in [0, ${MAX_MIXUP_ALPHA}] (got ${c.mixupAlpha})`);
  check(
    c.linearInit === undefined || c.linearInit === 'uniform' || c.linearInit === 'kaiming',
    `linear-head init must be uniform or kaiming (got ${c.linearInit})`,
  );
  check(
    c.fblCurriculum === undefined || c.fblCurriculum === 'scaled' || c.fblCurriculum === 'official',
    `FBL curriculum must be scaled or official (got ${c.fblCurriculum})`,
  );
  const vf = c.valFraction ?? 0;
  check(
    Number.isFinite(vf) && vf >= 0 && vf <= MAX_VAL_FRACTION,
    `validation fraction must be in [0, ${MAX_VAL_FRACTION}] (got ${c.valFraction})`,
  );
}
