/**
 * The trainer: one batch per `step()`, so a driver (CLI loop, Web Worker) can run, pause, single-step and stop
 * at batch granularity, and change lr / loss hyperparameters / sampler / augmentation between steps without
 * touching the weights or the momentum buffers.
 *
 * Stage 1 trains everything with the chosen loss. GCL stage 2 (`startStage2`) freezes the backbone (BN in eval
 * mode, running statistics untouched), keeps the stage-1 classifier and re-trains it with the GCL loss (focal γ),
 * a CBEN or class-balanced sampler and the cosine learning-rate schedule.
 */
import { changesBetween, type SettingChange } from './change-log';
import type { Dataset, Group, LongTailSubset } from '../data/types';
import { assertLoaded, capPerClass, groupOf, makeLongTail } from '../data/longtail';
import { createSampler } from '../data/samplers';
import { makeBatch } from '../data/augment';
import type { Model, ModelSpec } from '../models/types';
import { buildSpec, createModel } from '../models';
import type { LossContext, LossDescription, LossId, LossParams, LossSwitch } from '../losses/types';
import { getLoss, defaultParams } from '../losses/registry';
import { drawClippedNormal } from '../losses/noise';
import { classificationMetrics, groupAccuracy, PerClassMean, rowNorms, scoreOutputs, type GroupAccuracy } from '../metrics/classification';
import { featureSpace, type FeatureSpace } from '../metrics/feature-space';
import { Rng, type RngState } from '../rng';
import { cloneWeights, setWeights } from '../models';
import { type TrainConfig, type Stage2Config, STAGE2_LOSS, validateConfig, ConfigError } from './config';
import { haltMessage } from './halt-cause';
import { drwStartEpoch, fblAlpha, gaStartEpoch, stage1Lr, stage2Lr, type LrSchedule } from './schedules';
import { applyLive, type LiveSettings } from './config-fields';
import type { EngineKind, EngineMix, InFlightStep, StepEngine } from './step-engine';
import { drawMix, mixRows } from './mixup';
import { TfjsEngine } from './tfjs-engine';
import { FusedEngine } from './fused-engine';
import type { ConvVariant, ConvVariantChoice } from '../gpu/kernels';
import type { ConvKernelsInfo } from '../gpu/conv-info';
import { resolveEngine, type EngineResolution } from './engine-choice';
import type { SelfCheckGate, SelfCheckReport } from './self-check';

export type Stage = 1 | 2;

export interface BatchInfo {
  stage: Stage;
  epoch: number;
  batch: number;
  batchesPerEpoch: number;
  step: number;
  loss: number;
  lr: number;
}

export interface EpochMetrics {
  stage: Stage;
  /** 0-based epoch within the stage. */
  epoch: number;
  epochsInStage: number;
  step: number;
  lr: number;
  /** FBL curriculum α(t) of this epoch (computed for every loss so charts share a time axis). */
  alpha: number;
  gaActive: boolean;
  drwActive: boolean;
  trainLoss: number;
  trainAccuracy: number;
  /** null without test images (an upload may have none): never NaN. */
  testLoss: number | null;
  testAccuracy: number | null;
  /** null for a class without test images. */
  perClassAccuracy: (number | null)[];
  groupAccuracy: GroupAccuracy;
  confusion: number[][];
  featureNormTrain: (number | null)[];
  featureNormTest: (number | null)[];
  /** Per-class quantities of the loss actually in force (GCL cloud, KPS scale/margin, FBL stimulus, …). */
  lossPerClass: Record<string, number[]>;
  /**
   * Validation split on (config.valFraction > 0): mean per-class accuracy on the held-out training images, and
   * per class. Absent when the split is off.
   */
  valAccuracy?: number | null;
  valPerClassAccuracy?: (number | null)[];
  /** What chooses the best epoch: the validation split when on, else the test set (as the papers report). */
  selection?: 'validation' | 'test';
  /** The score the best epoch is chosen by (valAccuracy, or testAccuracy). */
  selectionScore?: number | null;
  /** GCL only: the downward shift noiseMul·|ε|·d̂_c actually sampled in the last batch, per class (C × B). */
  gclNoiseLastBatch?: number[][];
  /**
   * With `TrainerOptions.featureSpace`: PCA of the pooled features of the evaluated test images (at most
   * FEATURE_SPACE_POINTS points; class weight arrows and per-class cosines for a cosine head).
   */
  featureSpace?: FeatureSpace;
  seconds: number;
  imagesPerSecond: number;
  /** The engine that trained this epoch's last step ('fused' WebGPU executor or 'tfjs'). */
  engine?: EngineKind;
}

/**
 * The predictions of the trainer's last evaluation on the test images (what the confusion matrix of that epoch
 * counts), kept as plain arrays so the page can look at the images behind any confusion-matrix cell.
 */
export interface EvaluationRecord {
  stage: Stage;
  /** 0-based epoch within the stage whose end was evaluated (-1: before the stage's first epoch finished). */
  epoch: number;
  /** Global step at the evaluation. */
  step: number;
  /** Test-set indices evaluated, in evaluation order. */
  indices: Int32Array;
  /** True class of each (same order). */
  labels: Int32Array;
  /** Predicted class (arg max of the logits). */
  preds: Int32Array;
  /** Softmax probability of the predicted class (logits scaled as in the test loss). */
  confidence: Float32Array;
}

export interface Halt {
  reason: 'non-finite';
  step: number;
  message: string;
}

export interface StepOutcome {
  batch: BatchInfo;
  /** Present when this step finished an epoch (evaluation included). */
  epoch?: EpochMetrics;
  /** The stage's last epoch has finished. */
  stageDone?: boolean;
  /** The step was refused (weights kept as before it). */
  halt?: Halt;
}

export interface TrainerCheckpoint {
  version: 1;
  config: TrainConfig;
  stage: Stage;
  epoch: number;
  globalStep: number;
  lossParams: LossParams;
  stage2: Stage2Config;
  /** Parameters and BN buffers by PyTorch state-dict name. */
  weights: Record<string, Float32Array>;
  bnBatchesTracked: Record<string, number>;
  /** SGD momentum buffers by parameter name. */
  momentum: Record<string, Float32Array>;
  rng: { sampler: RngState; augment: RngState; noise: RngState; mix?: RngState };
  /** The best stage-1 epoch so far (kept for GCL stage 2 from the best epoch; cosine head only). */
  best?: BestSnapshot;
  /** The configuration the run started with (absent in older checkpoints: `config` then). */
  initialConfig?: TrainConfig;
  /** The live changes since (absent in older checkpoints: none recorded). */
  changes?: SettingChange[];
}

/** The weights of the best stage-1 epoch (by the selection score), for stage 2 from the best epoch. */
export interface BestSnapshot {
  /** 0-based stage-1 epoch. */
  epoch: number;
  score: number;
  selection: 'validation' | 'test';
  weights: Record<string, Float32Array>;
  bnBatchesTracked: Record<string, number>;
}

/** Draws GCL noise ε before |·|: rows·cols values of N(0, 1/3) clipped to [−1, 1]. */
export type NoiseDraw = (rows: number, cols: number) => Float32Array;

export interface TrainerOptions {
  /** Replace the GCL noise draw (tests feed fixed noise); default: the run's seeded noise stream. */
  noise?: NoiseDraw;
  /** Compute the feature space of the test images after every epoch (EpochMetrics.featureSpace; the page's chart). */
  featureSpace?: boolean;
  /**
   * The WebGPU device of the fused engine; default: tfjs' own when its backend is webgpu (the browser, the worker),
   * else none (then the engine is tfjs). Node passes a Dawn device here.
   */
  gpuDevice?: GPUDevice | null;
  /** Called after every applied training step with what it used (a run bundle replays the steps from this). */
  onStep?: (rec: StepRecord) => void;
  /**
   * The fused engine's self-check (./self-check.ts): run before the first fused step on a device; a failure trains
   * on tfjs with its reason as the engine note. Absent: no check.
   */
  selfCheck?: SelfCheckGate | null;
  /** Called with the self-check's report once it is known (fresh or remembered). */
  onSelfCheck?: (report: SelfCheckReport) => void;
  /**
   * Steps the fused engine keeps in flight (default 2): step t's loss is read while step t + 1 runs. 1: every
   * step's result is read before the next is submitted. The tfjs engine always runs one at a time.
   */
  pipelineDepth?: number;
  /** The fused engine's convolution kernels (default 'auto'; see `FusedExecutorOptions.convVariant`). */
  convVariant?: ConvVariantChoice;
}

/** A batch submitted ahead of the step being taken into the run (see `Trainer.step`). */
interface PendingBatch {
  run: InFlightStep;
  pos: Int32Array;
  labels: Int32Array;
  lr: number;
  noise: Float32Array | null;
  mix: EngineMix | undefined;
  draws: Int8Array | undefined;
  /** The RNG streams and the epoch's draw before this batch was prepared (dropping it puts them back). */
  before: { sampler: RngState; augment: RngState; noise: RngState; mix: RngState; positions: Int32Array | null };
}

/** One training step as run: subset positions, augmentation draws (dy, dx, flip per image), GCL noise, lr, loss. */
export interface StepRecord {
  stage: 1 | 2;
  epoch: number;
  step: number;
  positions: Int32Array;
  augment: Int8Array | null;
  noise: Float32Array | null;
  lr: number;
  loss: number;
  mixed: boolean;
}

/** Points of the feature-space chart sent per epoch (the statistics use every evaluated image). */
export const FEATURE_SPACE_POINTS = 2000;

export class Trainer {
  readonly dataset: Dataset;
  readonly subset: LongTailSubset;
  readonly counts: number[];
  readonly groups: Group[];
  readonly spec: ModelSpec;
  /** The model's tfjs variables (trained by the tfjs engine; kept in step by others for exports and checkpoints). */
  readonly model: Model;
  readonly loss: LossDescription;
  /** Head actually used ('forced' when the loss needs a particular one). */
  readonly headNote: string | null;

  stage: Stage = 1;
  epoch = 0;
  batchInEpoch = 0;
  globalStep = 0;
  lossParams: LossParams;
  stage2: Stage2Config;

  private cfg: TrainConfig;
  /** The configuration the run started with (the head the loss forces applied) and every live change since. */
  private initialCfg: TrainConfig;
  private changeLog: SettingChange[] = [];
  private engine: StepEngine;
  private readonly gpuDevice: GPUDevice | null | undefined;
  /** Why the engine differs from the one asked for (e.g. 'fused' without WebGPU), or null. */
  engineNote: string | null = null;
  private readonly selfCheckGate: SelfCheckGate | null;
  private readonly onSelfCheck: ((r: SelfCheckReport) => void) | undefined;
  /** The self-check of the fused engine's device and plan (null until one has run). */
  private checked: { device: GPUDevice; plan: string; report: SelfCheckReport } | null = null;
  private readonly rngs: { sampler: Rng; augment: Rng; noise: Rng; mix: Rng };
  /** Validation split (pool indices and labels); empty when off. */
  private readonly valIndices: Int32Array;
  private readonly valLabels: Int32Array;
  /** Best stage-1 epoch (weights kept when a stage 2 could follow). */
  private best: BestSnapshot | null = null;
  /** Which stage-1 epoch stage 2 started from (null before stage 2). */
  stage2Origin: { from: 'last' | 'best'; epoch: number } | null = null;
  private sampler: ReturnType<typeof createSampler>;
  private positions: Int32Array | null = null;
  private batchBuf: Float32Array | null = null;
  private readonly noise: NoiseDraw;
  private readonly onStep: ((rec: StepRecord) => void) | undefined;
  private readonly pipelineDepth: number | undefined;
  private readonly convChoice: ConvVariantChoice | undefined;
  /** The batch the running `step()` waits for, and those submitted after it (same epoch, oldest first). */
  private owned: PendingBatch | null = null;
  private ahead: PendingBatch[] = [];
  /** Results of dropped batches, awaited before the next submit (their read-back slots free up). */
  private dropped: Promise<unknown>[] = [];
  /** The noise of the stage's last batch, |ε| (B×C), for the GCL cloud chart. */
  private lastNoise: { values: Float32Array; rows: number; cols: number } | null = null;
  /** Indices into the test set of the images evaluated. */
  readonly testIndices: Int32Array;
  /** Predictions of the last `evaluate()` (null until one ran). */
  lastEvaluation: EvaluationRecord | null = null;
  // per-epoch accumulators
  private lossSum = 0;
  private lossCount = 0;
  private correct = 0;
  private seen = 0;
  private epochStart = 0;
  private readonly normAcc: PerClassMean;
  private readonly withFeatureSpace: boolean;

  constructor(dataset: Dataset, config: TrainConfig, opts: TrainerOptions = {}) {
    validateConfig(config);
    this.cfg = structuredClone(config);
    this.dataset = capPerClass(dataset, config.headImages);
    dataset = this.dataset;
    const root = new Rng(config.seed);
    this.subset = makeLongTail(dataset.pool, {
      imbalance: config.imbalance,
      profile: config.profile,
      stepMu: config.stepMu,
      seed: config.seed,
    });
    // a pool assembled from parts of the embedded pack: the draw must only touch images that were fetched
    assertLoaded(dataset.pool, this.subset.indices, 'training images the long-tail draw selects');
    const split = splitValidation(this.subset, config.valFraction ?? 0, root.fork('val'));
    this.subset = split.train;
    this.valIndices = split.valIndices;
    this.valLabels = split.valLabels;
    this.counts = this.subset.counts;
    this.groups = this.subset.groups;
    this.loss = getLoss(config.loss);
    let head = config.head;
    this.headNote = null;
    if (this.loss.head !== 'any' && this.loss.head !== head) {
      this.headNote = `${this.loss.label} needs the ${this.loss.head} head; using it instead of ${head}`;
      head = this.loss.head;
    }
    this.cfg.head = head;
    const { height, width, channels, numClasses } = dataset.pool;
    this.spec = buildSpec({ kind: config.model, head, inputShape: [height, width, channels], numClasses });
    this.model = createModel(this.spec, root.fork('init'));
    if (config.linearInit === 'kaiming' && head === 'linear')
      kaimingLinear(this.model, root.fork('init').fork('init/linear.weight/kaiming'));
    // the tfjs engine holds the state until the first step swaps in the configured engine (see ensureEngine)
    this.engine = new TfjsEngine(this.model, { momentum: config.momentum, weightDecay: config.weightDecay });
    this.gpuDevice = opts.gpuDevice;
    this.onStep = opts.onStep;
    this.pipelineDepth = opts.pipelineDepth;
    this.selfCheckGate = opts.selfCheck ?? null;
    this.onSelfCheck = opts.onSelfCheck;
    this.convChoice = opts.convVariant;
    this.lossParams = { ...defaultParams(config.loss), ...config.lossParams };
    this.stage2 = { ...config.stage2 };
    this.rngs = { sampler: root.fork('sampler'), augment: root.fork('augment'), noise: root.fork('noise'), mix: root.fork('mixup') };
    this.noise = opts.noise ?? ((rows, cols) => drawClippedNormal(this.rngs.noise, new Float32Array(rows * cols)));
    this.sampler = createSampler(config.sampler, this.subset.labels, this.counts, this.rngs.sampler);
    this.normAcc = new PerClassMean(numClasses);
    this.withFeatureSpace = !!opts.featureSpace;
    this.testIndices = pickTestIndices(dataset.test.labels, numClasses, config.evalPerClass);
    // Fail early on counts the loss cannot use (equal counts, zero-count class).
    this.loss.perClass(this.lossParams, this.lossContext());
    this.initialCfg = structuredClone(this.cfg);
  }

  /** The run's configuration (the head the loss forces, live changes applied). */
  get config(): TrainConfig {
    return this.cfg;
  }

  /** The configuration the run started with; `changes` lists what changed since (configAt gives `config`). */
  get initialConfig(): TrainConfig {
    return this.initialCfg;
  }

  /** Every live change, in order, with the stage, epoch and step where it took effect. */
  get changes(): readonly SettingChange[] {
    return this.changeLog;
  }

  /** Which engine computes the steps (the configured one once the first step has run). */
  get engineKind(): EngineKind {
    return this.engine.kind;
  }

  /** The engine the configuration asks for on this machine, and why when it is not the one asked for. */
  engineResolution(): EngineResolution {
    const r = resolveEngine(this.cfg.engine, this.gpuDevice);
    const c = this.checked;
    if (r.kind === 'fused' && c && c.device === r.device && !c.report.ok) return { kind: 'tfjs', device: null, note: c.report.reason };
    return r;
  }

  /** The last self-check's report (null before the first fused step, or without a check). */
  get selfCheck(): SelfCheckReport | null {
    return this.checked?.report ?? null;
  }

  /** Runs the self-check for the fused engine's device and this stage's plan, once (the gate remembers passes). */
  private async runSelfCheck(): Promise<void> {
    const gate = this.selfCheckGate;
    const r = resolveEngine(this.cfg.engine, this.gpuDevice);
    if (!gate || r.kind !== 'fused' || !r.device) return;
    const maxBatch = this.batchSize();
    const plan = String(maxBatch);
    if (this.checked && this.checked.device === r.device && this.checked.plan === plan) return;
    const report = await gate.verify(r.device, this.spec, maxBatch);
    this.checked = { device: r.device, plan, report };
    this.onSelfCheck?.(report);
  }

  /** Buffer count and bytes the fused engine holds (null with the tfjs engine). */
  engineStats(): { buffers: number; bytes: number } | null {
    return this.engine instanceof FusedEngine ? this.engine.stats() : null;
  }

  /** The convolution kernels the fused engine runs (null with the tfjs engine, or before the fused one exists). */
  get convVariant(): ConvVariant | null {
    return this.engine instanceof FusedEngine ? this.engine.stats().convVariant : null;
  }

  /** Why the fused engine's convolutions run as they do (null with the tfjs engine, or before the fused one exists). */
  get convKernels(): ConvKernelsInfo | null {
    return this.engine instanceof FusedEngine ? this.engine.convKernels : null;
  }

  /**
   * Puts the configured engine in place (at construction the tfjs engine holds the state; an `engine` change swaps
   * at the next step): the old engine's weights, BN statistics and momentum move over, so the run goes on unchanged.
   */
  async ensureEngine(): Promise<void> {
    await this.runSelfCheck();
    const r = this.engineResolution();
    this.engineNote = r.note;
    // the fused executor is sized for the stage's batch (its dispatch grids cover maxBatch whatever n is, so a larger
    // executor wastes work on every step): a stage with another batch size gets a new one
    const maxBatch = this.batchSize();
    if (this.engine.kind === r.kind && !(this.engine instanceof FusedEngine && this.engine.maxBatch !== maxBatch)) return;
    this.dropAhead();
    await this.settleDropped();
    const old = this.engine;
    await old.syncToModel();
    const momentum = await old.readMomentum();
    const opts = { momentum: this.cfg.momentum, weightDecay: this.cfg.weightDecay };
    const next: StepEngine =
      r.kind === 'fused'
        ? await FusedEngine.create(this.model, {
            ...opts,
            device: r.device!,
            maxBatch,
            ...(this.pipelineDepth !== undefined ? { depth: this.pipelineDepth } : {}),
            ...(this.convChoice ? { convVariant: this.convChoice } : {}),
          })
        : new TfjsEngine(this.model, opts);
    try {
      await next.syncFromModel();
      next.writeMomentum(momentum, this.stage === 2 ? 'classifier' : 'all');
    } catch (e) {
      next.dispose();
      throw e;
    }
    old.dispose();
    this.engine = next;
  }

  /** Number of test images evaluated each epoch. */
  get testCount(): number {
    return this.testIndices.length;
  }

  get epochsInStage(): number {
    return this.stage === 1 ? this.cfg.epochs : this.stage2.epochs;
  }

  get schedule(): LrSchedule {
    return this.cfg.schedule === 'auto' ? this.loss.schedule : this.cfg.schedule;
  }

  /** True when the current stage has run all its epochs. */
  get stageDone(): boolean {
    return this.epoch >= this.epochsInStage;
  }

  /** The lr of the next batch: the schedules run on the fractional epoch, so they switch at batch granularity. */
  currentLr(): number {
    return this.lrAt(this.batchInEpoch);
  }

  private lrAt(batch: number): number {
    const t = this.epoch + Math.min(batch / this.batchesPerEpoch(), 1);
    if (this.stage === 2) return stage2Lr(t, this.stage2.epochs, this.stage2.lrMax);
    return stage1Lr(t, this.cfg.epochs, this.cfg.lr, this.schedule, this.cfg.warmup);
  }

  batchesPerEpoch(): number {
    const n = this.subset.indices.length;
    const b = this.batchSize();
    const full = Math.floor(n / b);
    return n % b >= 2 ? full + 1 : Math.max(full, 1);
  }

  private batchSize(): number {
    return this.stage === 1 ? this.cfg.batchSize : this.stage2.batchSize;
  }

  private lossContext(): LossContext {
    const T = this.cfg.epochs;
    const e = this.stage === 1 ? this.epoch : T - 1;
    return {
      counts: this.counts,
      head: this.spec.config.head,
      alpha: fblAlpha(e, T, this.cfg.fblCurriculum),
      gaActive: this.stage === 1 && e >= gaStartEpoch(T),
      drwActive: e >= drwStartEpoch(T),
    };
  }

  /** Loss and parameters in force now (stage 2: the stage-2 loss with the stage-2 parameters). */
  private activeLoss(): { id: LossId; def: LossDescription; params: LossParams } {
    if (this.stage === 1) return { id: this.loss.id, def: this.loss, params: this.lossParams };
    const s2 = this.stage2;
    return {
      id: STAGE2_LOSS,
      def: getLoss(STAGE2_LOSS),
      params: { ...defaultParams(STAGE2_LOSS), s: s2.s, m: s2.m, noiseMul: s2.noiseMul, focalGamma: s2.focalGamma },
    };
  }

  /** Whether the loss' schedule switch `kind` (KPS gradient adjustment, LDAM DRW) is in force in this epoch. */
  private switchOn(kind: LossSwitch, ctx: LossContext, params: LossParams): boolean {
    const sw = this.loss.switch;
    if (this.stage !== 1 || !sw || sw.kind !== kind) return false;
    const inForce = kind === 'ga' ? ctx.gaActive : ctx.drwActive;
    return inForce && (sw.param === null || params[sw.param] >= 0.5);
  }

  /** Apply settings that take effect at the next step; weights and momentum stay. */
  update(s: LiveSettings): void {
    validateConfig(applyLive(this.cfg, s)); // the same limits as a new run's (ConfigError naming the field)
    // the batches submitted ahead were prepared with the old settings: they are dropped and prepared again
    this.dropAhead();
    const prevParams = { ...this.lossParams };
    if (s.lossParams) {
      const next = { ...defaultParams(this.loss.id), ...s.lossParams };
      this.loss.perClass(next, this.lossContext());
      this.lossParams = next;
    }
    const prevSampler = this.cfg.sampler;
    const before = this.cfg;
    this.cfg = applyLive(this.cfg, s);
    if (s.lossParams) this.cfg.lossParams = { ...this.lossParams };
    // a step() in progress has its batch on the engine already: the change applies from the step after it
    const lastOfEpoch = this.owned !== null && this.batchInEpoch + 1 >= this.batchesPerEpoch();
    const at = {
      stage: this.stage,
      step: this.globalStep + (this.owned ? 1 : 0),
      nextEpoch: this.epoch + (lastOfEpoch ? 2 : 1),
    };
    // loss hyperparameters compare as in effect (defaults filled in), the rest as configured
    this.changeLog.push(...changesBetween(s.lossParams ? { ...before, lossParams: prevParams } : before, this.cfg, at));
    if (s.weightDecay !== undefined) this.engine.setWeightDecay(s.weightDecay);
    if (this.cfg.sampler !== prevSampler) {
      this.sampler = createSampler(this.cfg.sampler, this.subset.labels, this.counts, this.rngs.sampler);
      // the rest of this epoch is drawn by the new sampler
      this.positions = null;
    }
  }

  /** Switch to GCL stage 2 (classifier re-training on the frozen backbone). */
  startStage2(s2: Partial<Stage2Config> = {}): void {
    if (this.spec.config.head !== 'cosine') {
      throw new ConfigError('GCL stage 2 re-trains a cosine classifier: train stage 1 with a cosine head (GCL, KPS, LDAM or CE-cosine)');
    }
    validateConfig({ ...this.cfg, stage2: { ...this.stage2, ...s2 } });
    this.dropAhead();
    this.stage2 = { ...this.stage2, ...s2 };
    if (this.stage === 1) {
      const useBest = this.stage2.from === 'best' && this.best !== null;
      if (useBest) {
        setWeights(this.model, new Map(Object.entries(this.best!.weights)));
        for (const [k, n] of Object.entries(this.best!.bnBatchesTracked)) this.model.bnBatchesTracked.set(k, n);
        this.engine.syncFromModel();
      }
      this.stage2Origin = { from: useBest ? 'best' : 'last', epoch: useBest ? this.best!.epoch : this.epoch - 1 };
    }
    this.stage = 2;
    this.epoch = 0;
    this.batchInEpoch = 0;
    this.positions = null;
    this.resetEpochAccumulators();
    this.sampler = createSampler(this.stage2.sampler, this.subset.labels, this.counts, this.rngs.sampler);
    this.engine.resetMomentum();
  }

  private resetEpochAccumulators(): void {
    this.lossSum = 0;
    this.lossCount = 0;
    this.correct = 0;
    this.seen = 0;
    this.normAcc.reset();
    this.epochStart = now();
  }

  /**
   * One training batch; at the end of an epoch also evaluates on the test set.
   *
   * On an engine with depth d > 1 (the fused engine) the step keeps up to d − 1 later batches of the same epoch
   * submitted behind this one, so the GPU runs them while this step's result is read and taken into the run; an
   * epoch's last batch has none behind it (the evaluation and the checkpoint see the epoch's weights). Whatever
   * reads or changes the run between two steps (`update`, `classify`, `evaluate`, `syncModel`, stage 2, an engine
   * swap) first drops the batches submitted ahead: the engine puts its state back as it was before them and the
   * RNG streams are rewound, so they are prepared again, identically, with the settings then in force. A pipelined
   * run is therefore the same run, step for step, as one step at a time: same losses, same halts, same weights.
   * (A test's own `noise` draw is not rewound.)
   */
  async step(): Promise<StepOutcome> {
    if (this.stageDone) throw new Error(`stage ${this.stage} has finished its ${this.epochsInStage} epochs`);
    await this.settleDropped();
    if (!this.ahead.length) await this.ensureEngine();
    const nb = this.batchesPerEpoch();
    const own = this.ahead.shift() ?? this.submitBatch(this.batchInEpoch);
    while (this.ahead.length < this.engine.depth - 1 && this.batchInEpoch + 1 + this.ahead.length < nb) {
      this.ahead.push(this.submitBatch(this.batchInEpoch + 1 + this.ahead.length));
    }
    this.owned = own;
    let r: Awaited<InFlightStep['result']>;
    try {
      r = await own.run.result;
    } catch (e) {
      this.dropped.push(...this.ahead.map((p) => p.run.result));
      this.ahead = [];
      throw e;
    } finally {
      this.owned = null;
    }
    const { pos, labels, lr, noise, mix, draws } = own;
    const C = this.dataset.pool.numClasses;
    const step = this.globalStep + 1;
    const batch: BatchInfo = {
      stage: this.stage,
      epoch: this.epoch,
      batch: this.batchInEpoch,
      batchesPerEpoch: nb,
      step,
      loss: r.loss,
      lr,
    };
    if (!r.applied) {
      // the refused step changed nothing; the steps behind it ran on top: back to the state before it
      if (this.ahead.length) {
        own.run.restore();
        this.dropAhead(false);
      }
      // changes made while it ran apply from its retry
      for (const c of this.changeLog) {
        if (c.step > this.globalStep) {
          c.step = this.globalStep;
          c.epoch = this.epoch + 1;
        }
      }
      const message = haltMessage({
        step,
        stage: this.stage,
        epoch: this.epoch,
        batch: this.batchInEpoch,
        loss: r.loss,
        gradientSum: r.gradientSum,
        lr,
        weightDecay: this.cfg.weightDecay,
        momentum: this.cfg.momentum,
        stepsBefore: this.globalStep,
      });
      return { batch, halt: { reason: 'non-finite', step, message } };
    }
    if (noise && this.batchInEpoch === nb - 1) this.lastNoise = { values: noise.map(Math.abs), rows: pos.length, cols: C };

    this.globalStep = step;
    this.onStep?.({
      stage: this.stage,
      epoch: this.epoch,
      step,
      positions: pos.slice(),
      augment: draws ?? null,
      noise,
      lr,
      loss: r.loss,
      mixed: !!mix,
    });
    this.lossSum += r.loss * pos.length;
    this.lossCount += pos.length;
    if (mix) {
      // the authors' accuracy under mixup: λ·acc(y_a) + (1 − λ)·acc(y_b)
      for (let i = 0; i < r.preds.length; i++)
        this.correct += mix.lambda * +(r.preds[i] === labels[i]) + (1 - mix.lambda) * +(r.preds[i] === mix.labels[i]);
    } else for (let i = 0; i < r.preds.length; i++) if (r.preds[i] === labels[i]) this.correct++;
    this.seen += pos.length;
    this.normAcc.add(r.featureNorms, labels);
    this.batchInEpoch++;
    if (this.batchInEpoch < nb) return { batch };

    const epochMetrics = await this.finishEpoch(lr);
    return { batch, epoch: epochMetrics, stageDone: this.stageDone };
  }

  /** Prepares batch `b` of the epoch (sampling, augmentation, noise, mixup, its lr) and submits it to the engine. */
  private submitBatch(b: number): PendingBatch {
    const before = {
      sampler: this.rngs.sampler.getState(),
      augment: this.rngs.augment.getState(),
      noise: this.rngs.noise.getState(),
      mix: this.rngs.mix.getState(),
      positions: this.positions,
    };
    if (!this.positions) {
      this.positions = this.sampler.epoch();
      if (b === 0) this.resetEpochAccumulators();
    }
    const B = this.batchSize();
    const start = b * B;
    const pos = this.positions.slice(start, Math.min(start + B, this.positions.length));
    const poolIdx = new Int32Array(pos.length);
    const labels = new Int32Array(pos.length);
    for (let i = 0; i < pos.length; i++) {
      poolIdx[i] = this.subset.indices[pos[i]];
      labels[i] = this.subset.labels[pos[i]];
    }
    const { height: H, width: W, channels: Cc, numClasses: C } = this.dataset.pool;
    const need = pos.length * H * W * Cc;
    if (!this.batchBuf || this.batchBuf.length !== need) this.batchBuf = new Float32Array(need);
    const draws = this.onStep && this.cfg.augment ? new Int8Array(3 * pos.length) : undefined;
    makeBatch(
      this.dataset.pool,
      poolIdx,
      this.dataset.meta,
      {
        augment: this.cfg.augment,
        hflip: this.cfg.hflip && this.dataset.meta.hflip,
        rng: this.rngs.augment,
        ...(draws ? { draws } : {}),
      },
      this.batchBuf,
    );

    const lr = this.lrAt(b);
    const { id, def, params } = this.activeLoss();
    const ctx = this.lossContext();
    const noise = def.usesNoise ? this.noise(pos.length, C) : null;
    const alphaMix = this.cfg.mixupAlpha ?? 0;
    let mix: EngineMix | undefined;
    if (alphaMix > 0) {
      const d = drawMix(this.rngs.mix, alphaMix, pos.length);
      mixRows(this.batchBuf, pos.length, H * W * Cc, d);
      const labelsB = Int32Array.from(d.perm, (j) => labels[j]);
      // the second call of the loss draws its own noise (the authors' mixup_criterion calls GCL twice)
      mix = { labels: labelsB, lambda: d.lambda, ...(def.usesNoise ? { noise: this.noise(pos.length, C) } : {}) };
    }
    // the engine copies the input when it submits (the batch buffer is reused by the next batch)
    const run = this.engine.submit({
      x: this.batchBuf,
      n: pos.length,
      labels,
      lr,
      loss: { id, params, ctx },
      noise,
      frozen: this.stage === 2,
      ...(mix ? { mix } : {}),
    });
    run.result.catch(() => undefined); // awaited by its step(), or dropped
    return { run, pos, labels, lr, noise, mix, draws, before };
  }

  /**
   * Drops the batches submitted ahead of the running step: the engine's state goes back to before the first of them
   * (unless `restore` is false: the caller restored an earlier point), the RNG streams and the epoch's draw to
   * before it was prepared.
   */
  private dropAhead(restore = true): void {
    const first = this.ahead[0];
    if (!first) return;
    if (restore) first.run.restore();
    const b = first.before;
    this.rngs.sampler.setState(b.sampler);
    this.rngs.augment.setState(b.augment);
    this.rngs.noise.setState(b.noise);
    this.rngs.mix.setState(b.mix);
    this.positions = b.positions;
    this.dropped.push(...this.ahead.map((p) => p.run.result));
    this.ahead = [];
  }

  private async settleDropped(): Promise<void> {
    const d = this.dropped;
    this.dropped = [];
    await Promise.allSettled(d);
  }

  private async finishEpoch(lr: number): Promise<EpochMetrics> {
    const trainSeconds = (now() - this.epochStart) / 1000;
    const ev = await this.evaluate(this.epoch);
    const val = this.valIndices.length ? await this.evaluateValidation() : null;
    const selection = val ? ('validation' as const) : ('test' as const);
    const selectionScore = val ? val.accuracy : ev.accuracy;
    if (this.stage === 1 && selectionScore !== null && (this.best === null || selectionScore > this.best.score)) {
      this.best = {
        epoch: this.epoch,
        score: selectionScore,
        selection,
        // weights only where a stage 2 can follow (cosine head); the score alone otherwise
        weights: this.spec.config.head === 'cosine' ? Object.fromEntries(await this.readModelWeights()) : {},
        bnBatchesTracked: Object.fromEntries(this.model.bnBatchesTracked),
      };
    }
    const ctx = this.lossContext();
    const { def, params } = this.activeLoss();
    const lossPerClass = def.perClass(params, ctx);
    let gclNoiseLastBatch: number[][] | undefined;
    if (this.lastNoise) {
      const { values: v, rows: B, cols: C } = this.lastNoise;
      this.lastNoise = null;
      const amp = lossPerClass.cloudAmplitude;
      gclNoiseLastBatch = Array.from({ length: C }, (_, c) => Array.from({ length: B }, (_, b) => v[b * C + c] * (amp ? amp[c] : 1)));
    }
    // no test images (an upload with one image per class): no feature space, as no accuracy
    const fs = this.withFeatureSpace && ev.labels.length > 0 ? await this.featureSpaceOf(ev.features, ev.labels) : undefined;
    const m: EpochMetrics = {
      stage: this.stage,
      epoch: this.epoch,
      epochsInStage: this.epochsInStage,
      step: this.globalStep,
      lr,
      alpha: ctx.alpha,
      gaActive: this.switchOn('ga', ctx, params),
      drwActive: this.switchOn('drw', ctx, params),
      trainLoss: this.lossSum / Math.max(1, this.lossCount),
      trainAccuracy: this.correct / Math.max(1, this.seen),
      testLoss: ev.loss,
      testAccuracy: ev.accuracy,
      ...(val ? { valAccuracy: val.accuracy, valPerClassAccuracy: val.perClassAccuracy } : {}),
      selection,
      selectionScore,
      perClassAccuracy: ev.perClassAccuracy,
      groupAccuracy: groupAccuracy(ev.perClassAccuracy, this.groups),
      confusion: ev.confusion,
      featureNormTrain: this.normAcc.means(),
      featureNormTest: ev.featureNorm,
      lossPerClass,
      gclNoiseLastBatch,
      ...(fs ? { featureSpace: fs } : {}),
      seconds: trainSeconds,
      imagesPerSecond: this.seen / Math.max(1e-9, trainSeconds),
      engine: this.engine.kind,
    };
    this.epoch++;
    this.batchInEpoch = 0;
    this.positions = null;
    return m;
  }

  /**
   * Evaluates the model (eval mode) on the test set (or its first `evalPerClass` images per class) and keeps the
   * predictions in `lastEvaluation`, recorded as the evaluation after 0-based epoch `afterEpoch` of the stage
   * (default: the last finished one).
   */
  async evaluate(afterEpoch = this.epoch - 1): Promise<{
    accuracy: number | null;
    loss: number | null;
    perClassAccuracy: (number | null)[];
    confusion: number[][];
    featureNorm: (number | null)[];
    preds: Int32Array;
    /** Pooled features of the evaluated images (n × D, evaluation order) and their labels. */
    features: Float32Array;
    labels: Int32Array;
  }> {
    this.dropAhead();
    const test = this.dataset.test;
    const { height: H, width: W, channels: Cc } = test;
    const C = test.numClasses;
    const D = this.spec.featureDim;
    const idx = this.testIndices;
    const preds = new Int32Array(idx.length);
    const confidence = new Float32Array(idx.length);
    const labels = new Int32Array(idx.length);
    const norms = new PerClassMean(C);
    const feats = new Float32Array(idx.length * D);
    const { def, params } = this.activeLoss();
    const scale = def.inferenceScale(params, this.spec.config.head);
    let lossSum = 0;
    const EB = 256;
    const buf = new Float32Array(EB * H * W * Cc);
    for (let s = 0; s < idx.length; s += EB) {
      const part = idx.subarray(s, Math.min(s + EB, idx.length));
      const n = part.length;
      const lab = labels.subarray(s, s + n);
      for (let i = 0; i < n; i++) lab[i] = test.labels[part[i]];
      makeBatch(test, part, this.dataset.meta, { augment: false, rng: this.rngs.augment }, buf.subarray(0, n * H * W * Cc));
      const { output, features } = await this.engine.evaluate(buf, n);
      const scored = scoreOutputs(output, lab, C, scale);
      preds.set(scored.preds, s);
      confidence.set(scored.confidence, s);
      norms.add(rowNorms(features, n, D), lab);
      feats.set(features.subarray(0, n * D), s * D);
      lossSum += scored.lossSum;
    }
    const cm = classificationMetrics(preds, labels, C);
    this.lastEvaluation = {
      stage: this.stage,
      epoch: afterEpoch,
      step: this.globalStep,
      indices: idx,
      labels,
      preds: preds.slice(),
      confidence,
    };
    return {
      accuracy: cm.accuracy,
      loss: idx.length ? lossSum / idx.length : null,
      perClassAccuracy: cm.perClassAccuracy,
      confusion: cm.confusion,
      featureNorm: norms.means(),
      preds,
      features: feats,
      labels,
    };
  }

  /** The feature-space chart's data of an evaluation: PCA of its features (+ class weights of a cosine head). */
  private async featureSpaceOf(features: Float32Array, labels: Int32Array): Promise<FeatureSpace> {
    let weights: Float32Array | undefined;
    if (this.spec.config.head === 'cosine') {
      await this.engine.syncToModel();
      const w = this.model.vars.get('linear.weight');
      if (w) weights = (await w.data()) as Float32Array;
    }
    return featureSpace(features, labels, { numClasses: this.dataset.test.numClasses, weights, maxPoints: FEATURE_SPACE_POINTS });
  }

  /**
   * Class probabilities of one image (uint8 HWC pixels at the data set's size), as the evaluation scores a test
   * image: eval mode, the data set's normalisation, softmax of the output times the loss' inference scale.
   */
  async classify(pixels: Uint8Array): Promise<{ probs: Float32Array; pred: number }> {
    const { height: H, width: W, channels: Cc, numClasses: C } = this.dataset.test;
    if (pixels.length !== H * W * Cc) {
      throw new RangeError(`classify: the image has ${pixels.length} values, the model takes ${H}×${W}×${Cc} = ${H * W * Cc}`);
    }
    this.dropAhead();
    const { loaded: _all, ...set } = this.dataset.test; // one image, always loaded
    const one = { ...set, images: pixels, labels: new Uint16Array(1) };
    const buf = makeBatch(one, [0], this.dataset.meta, { augment: false, rng: this.rngs.augment });
    const { output } = await this.engine.evaluate(buf, 1);
    const { def, params } = this.activeLoss();
    const scale = def.inferenceScale(params, this.spec.config.head);
    let mx = -Infinity;
    let pred = 0;
    for (let c = 0; c < C; c++) {
      if (output[c] > mx) {
        mx = output[c];
        pred = c;
      }
    }
    const probs = new Float32Array(C);
    let sum = 0;
    for (let c = 0; c < C; c++) sum += probs[c] = Math.exp((output[c] - mx) * scale);
    for (let c = 0; c < C; c++) probs[c] /= sum;
    return { probs, pred };
  }

  /** Mean per-class accuracy (and per class) on the validation split, eval mode. */
  private async evaluateValidation(): Promise<{ accuracy: number | null; perClassAccuracy: (number | null)[] }> {
    const pool = this.dataset.pool;
    const { height: H, width: W, channels: Cc, numClasses: C } = pool;
    const idx = this.valIndices;
    const preds = new Int32Array(idx.length);
    const EB = 256;
    const buf = new Float32Array(EB * H * W * Cc);
    for (let s = 0; s < idx.length; s += EB) {
      const part = idx.subarray(s, Math.min(s + EB, idx.length));
      const n = part.length;
      makeBatch(pool, part, this.dataset.meta, { augment: false, rng: this.rngs.augment }, buf.subarray(0, n * H * W * Cc));
      const { output } = await this.engine.evaluate(buf, n);
      for (let i = 0; i < n; i++) {
        let b = 0;
        for (let c = 1; c < C; c++) if (output[i * C + c] > output[i * C + b]) b = c;
        preds[s + i] = b;
      }
    }
    const cm = classificationMetrics(preds, this.valLabels, C);
    const present = cm.perClassAccuracy.filter((v): v is number => v !== null && !Number.isNaN(v));
    const accuracy = present.length ? present.reduce((a, b) => a + b, 0) / present.length : null;
    return { accuracy, perClassAccuracy: cm.perClassAccuracy };
  }

  /** Number of validation images (0: no split). */
  get valCount(): number {
    return this.valIndices.length;
  }

  /** The best stage-1 epoch so far by the selection score (null before the first epoch). */
  get bestEpoch(): { epoch: number; score: number; selection: 'validation' | 'test' } | null {
    return this.best && { epoch: this.best.epoch, score: this.best.score, selection: this.best.selection };
  }

  private async readModelWeights(): Promise<Map<string, Float32Array>> {
    await this.engine.syncToModel();
    return readWeights(this.model);
  }

  /** Brings the tfjs model's variables up to date with the engine (before an export). */
  async syncModel(): Promise<void> {
    this.dropAhead();
    await this.engine.syncToModel();
  }

  /**
   * Everything needed to continue this run elsewhere (another backend, a reloaded page): plain data, buffers
   * transferable. Only at an epoch boundary.
   */
  async checkpoint(): Promise<TrainerCheckpoint> {
    if (this.batchInEpoch !== 0) throw new Error('checkpoint() is only possible at an epoch boundary');
    await this.engine.syncToModel();
    const momentum = await this.engine.readMomentum();
    return {
      version: 1,
      config: structuredClone(this.cfg),
      stage: this.stage,
      epoch: this.epoch,
      globalStep: this.globalStep,
      lossParams: { ...this.lossParams },
      stage2: { ...this.stage2 },
      weights: Object.fromEntries(await readWeights(this.model)),
      bnBatchesTracked: Object.fromEntries(this.model.bnBatchesTracked),
      momentum: Object.fromEntries(momentum),
      rng: {
        sampler: this.rngs.sampler.getState(),
        augment: this.rngs.augment.getState(),
        noise: this.rngs.noise.getState(),
        mix: this.rngs.mix.getState(),
      },
      ...(this.best ? { best: structuredClone(this.best) } : {}),
      initialConfig: structuredClone(this.initialCfg),
      changes: structuredClone(this.changeLog),
    };
  }

  /** Rebuilds a trainer from a checkpoint on the current backend (same data subset, weights, momentum, RNG streams). */
  static fromCheckpoint(dataset: Dataset, ck: TrainerCheckpoint, opts: TrainerOptions = {}): Trainer {
    if (ck.version !== 1) throw new Error(`unknown checkpoint version ${ck.version}`);
    const t = new Trainer(dataset, ck.config, opts);
    setWeights(t.model, new Map(Object.entries(ck.weights)));
    for (const [k, n] of Object.entries(ck.bnBatchesTracked)) t.model.bnBatchesTracked.set(k, n);
    void t.engine.syncFromModel(); // the tfjs engine: nothing to do; another engine is swapped in by the first step
    t.stage = ck.stage;
    t.epoch = ck.epoch;
    t.globalStep = ck.globalStep;
    t.lossParams = { ...ck.lossParams };
    t.stage2 = { ...ck.stage2 };
    t.rngs.sampler.setState(ck.rng.sampler);
    t.rngs.augment.setState(ck.rng.augment);
    t.rngs.noise.setState(ck.rng.noise);
    if (ck.rng.mix) t.rngs.mix.setState(ck.rng.mix);
    if (ck.best) t.best = structuredClone(ck.best);
    if (ck.initialConfig) t.initialCfg = structuredClone(ck.initialConfig);
    if (ck.changes) t.changeLog = structuredClone(ck.changes);
    if (t.stage === 2) t.sampler = createSampler(t.stage2.sampler, t.subset.labels, t.counts, t.rngs.sampler);
    t.engine.writeMomentum(new Map(Object.entries(ck.momentum)), t.stage === 2 ? 'classifier' : 'all');
    return t;
  }

  dispose(): void {
    this.ahead = [];
    this.engine.dispose();
    this.model.dispose();
  }
}

/** Every parameter and buffer of `model` by name, read without a synchronous GPU read-back. */
async function readWeights(model: Model): Promise<Map<string, Float32Array>> {
  await Promise.all([...model.vars.values()].map((v) => v.data()));
  return cloneWeights(model);
}

/** kaiming_normal_ on the linear head's weight: N(0, 2/fan_in), fan_in = D (the bias keeps nn.Linear's default). */
function kaimingLinear(model: Model, rng: Rng): void {
  const w = model.vars.get('linear.weight');
  if (!w) return;
  const [D] = w.shape;
  const std = Math.sqrt(2 / D);
  const v = new Float32Array(w.size);
  for (let i = 0; i < v.length; i++) v[i] = rng.normal() * std;
  setWeights(model, new Map([['linear.weight', v]]), { partial: true });
}

/**
 * Splits `fraction` of each class's images off the long-tail subset as a validation set (seeded; at least one
 * image stays in training, at least one goes to validation when the class has two or more and fraction > 0).
 */
export function splitValidation(
  subset: LongTailSubset,
  fraction: number,
  rng: Rng,
): { train: LongTailSubset; valIndices: Int32Array; valLabels: Int32Array } {
  if (!(fraction > 0)) return { train: subset, valIndices: new Int32Array(0), valLabels: new Int32Array(0) };
  const C = subset.counts.length;
  const byClass: number[][] = Array.from({ length: C }, () => []);
  for (let i = 0; i < subset.labels.length; i++) byClass[subset.labels[i]].push(i);
  const isVal = new Uint8Array(subset.labels.length);
  for (let c = 0; c < C; c++) {
    const pos = byClass[c];
    if (pos.length < 2) continue;
    const k = Math.min(pos.length - 1, Math.max(1, Math.round(fraction * pos.length)));
    const order = rng.fork(`class/${c}`).shuffle(pos.slice());
    for (let j = 0; j < k; j++) isVal[order[j]] = 1;
  }
  const keep: number[] = [];
  const held: number[] = [];
  for (let i = 0; i < isVal.length; i++) (isVal[i] ? held : keep).push(i);
  const counts = new Array<number>(C).fill(0);
  for (const i of keep) counts[subset.labels[i]]++;
  return {
    train: {
      ...subset,
      indices: Int32Array.from(keep, (i) => subset.indices[i]),
      labels: Uint16Array.from(keep, (i) => subset.labels[i]),
      counts,
      groups: counts.map(groupOf),
    },
    valIndices: Int32Array.from(held, (i) => subset.indices[i]),
    valLabels: Int32Array.from(held, (i) => subset.labels[i]),
  };
}

function pickTestIndices(labels: Uint16Array, C: number, perClass: number | null): Int32Array {
  if (perClass === null) return Int32Array.from({ length: labels.length }, (_, i) => i);
  const taken = new Array<number>(C).fill(0);
  const out: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    if (taken[labels[i]] < perClass) {
      taken[labels[i]]++;
      out.push(i);
    }
  }
  return Int32Array.from(out);
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}
