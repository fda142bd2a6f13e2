/**
 * The training configuration's types (config.ts has the defaults and the check): apart, so that the settings
 * table and its limits (config-fields.ts, config-limits.ts), which config.ts uses, need not import config.ts.
 */
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
  /**
   * What computes the steps: 'fused' = the fused WebGPU executor, 'tfjs' = tfjs on the active backend, 'auto'
   * (default; also when absent) = fused when a WebGPU device is available (the tfjs backend is webgpu), else tfjs.
   */
  engine?: EngineChoice;
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

export type EngineChoice = 'auto' | 'fused' | 'tfjs';
