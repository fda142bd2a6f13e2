/**
 * The benchmarked training step, shared by the Node bench and the browser bench page (no Node imports here).
 *
 * One step = the Trainer's step without its data pipeline and bookkeeping: forward (BN in training mode), the
 * loss from the registry (CE on a linear head, GCL stage 1 on a cosine head, with the CIFAR-10-LT IF-100 class
 * counts), backward (tf.variableGrads), the project's SGD (momentum 0.9, weight decay 2e-4 on every parameter),
 * the BN running-statistics commit, and the loss read back asynchronously (`await value.data()` after the update
 * has been issued). Inputs are fixed random batches already on the backend.
 */
import * as tf from '@tensorflow/tfjs';
import { buildSpec, createModel } from '../../src/core/models';
import type { ModelKind } from '../../src/core/models/types';
import { defaultParams } from '../../src/core/losses/registry';
import { seededNoise } from '../../src/core/losses/compute/noise';
import { computeLoss, type ComputeContext } from '../../src/core/losses/compute';
import { Rng } from '../../src/core/rng';
import { Sgd } from '../../src/core/train/sgd';

export type BenchLoss = 'ce' | 'gcl';

export interface StepConfig {
  model: ModelKind;
  batch: number;
  /** [H, W, C] */
  input: [number, number, number];
  loss: BenchLoss;
}

export interface StepPlan extends StepConfig {
  /** Timed steps (median reported). */
  steps: number;
  /** Untimed steps after the first (compile) step. */
  warmup: number;
  /** Also run one extra step under tf.profile (kernel count, peak bytes, per-kernel times). */
  profile?: boolean;
  /** Stop timing after this many ms (at least 1 timed step); software backends. */
  budgetMs?: number;
}

export interface KernelStat {
  name: string;
  calls: number;
  ms: number;
}

export interface BenchStepResult extends StepConfig {
  backend: string;
  firstStepMs: number;
  medianMs: number;
  meanMs: number;
  minMs: number;
  imgPerSec: number;
  stepsMs: number[];
  warmup: number;
  firstLoss: number;
  lastLoss: number;
  /** tf.memory() right after the backward pass of a timed step (gradients alive): the step's working set. */
  memory: { numTensors: number; numBytes: number; numBytesInGPU?: number };
  /** From tf.profile of one extra step (when asked): engine peak bytes, new tensors, kernels per step. */
  profile?: {
    peakBytes: number;
    newTensors: number;
    kernels: number;
    /** What the per-kernel ms are: backend timer (GPU timestamps on webgpu when available) or a fallback. */
    timing: string;
    /** Wall time of the profiled step (profiling overhead included). */
    wallMs: number;
    totalKernelMs: number;
    top: KernelStat[];
  };
  leakedTensors: number;
}

/** CIFAR-10-LT IF 100 counts (n_max 5000): the class counts the long-tail losses see. */
export const LT_COUNTS = [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50];

export const median = (a: number[]): number => {
  const s = [...a].sort((p, q) => p - q);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function randn(n: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal();
  return out;
}

const now = () => performance.now();

export interface BuiltStep {
  step(): Promise<number>;
  /** The synchronous part of a step (for tf.profile); returns the loss tensor (caller disposes). */
  stepSync(): tf.Scalar;
  dispose(): void;
}

export function buildStep(cfg: StepConfig, seed = 1): BuiltStep {
  const C = LT_COUNTS.length;
  const head = cfg.loss === 'ce' ? 'linear' : 'cosine';
  const spec = buildSpec({ kind: cfg.model, head, inputShape: cfg.input, numClasses: C });
  const rng = new Rng(seed);
  const model = createModel(spec, rng.fork('init'));
  const params = defaultParams(cfg.loss);
  const noise = seededNoise(rng.fork('noise'));
  const ctx: ComputeContext = { counts: LT_COUNTS, head, alpha: 0, gaActive: false, drwActive: false, noise };
  const sgd = new Sgd({ momentum: 0.9, weightDecay: 2e-4 });
  const vars = model.trainable('all');
  const [H, W, Cc] = cfg.input;
  const x = tf.tensor4d(randn(cfg.batch * H * W * Cc, rng.fork('x')), [cfg.batch, H, W, Cc]);
  const y = tf.tensor1d(
    Int32Array.from({ length: cfg.batch }, (_, i) => i % C),
    'int32',
  );
  let memSample: BenchStepResult['memory'] | null = null;
  const stepSync = (): tf.Scalar => {
    const { value, grads } = tf.variableGrads(() => {
      const { features, output } = model.forward(x, 'train');
      return computeLoss(cfg.loss, { output, labels: y, features }, params, ctx);
    }, vars);
    if (!memSample) {
      const m = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number };
      memSample = {
        numTensors: m.numTensors,
        numBytes: m.numBytes,
        ...(m.numBytesInGPU !== undefined ? { numBytesInGPU: m.numBytesInGPU } : {}),
      };
    }
    sgd.apply(vars, grads, 0.1);
    tf.dispose(grads);
    model.commitBnUpdates();
    return value;
  };
  return {
    stepSync,
    async step() {
      const v = stepSync();
      const d = await v.data();
      v.dispose();
      return d[0];
    },
    dispose() {
      tf.dispose([x, y]);
      sgd.dispose();
      model.dispose();
    },
    get memory() {
      return memSample;
    },
    resetMemory() {
      memSample = null;
    },
  } as BuiltStep & { memory: BenchStepResult['memory'] | null; resetMemory(): void };
}

/**
 * Timing fallback for backends whose timer gives no per-kernel time (WebGPU without timestamp queries): each
 * kernel's CPU-side wall time (encode + dispatch) measured around the kernel call. Returns an undo function.
 */
export function installWallClockKernelTimer(): () => void {
  const backend = tf.backend() as unknown as { time: (f: () => void) => Promise<unknown>; timerAvailable?: () => boolean };
  const orig = backend.time.bind(backend);
  backend.time = async (f: () => void) => {
    const t = now();
    f();
    return { kernelMs: now() - t, wallMs: now() - t };
  };
  return () => {
    backend.time = orig;
  };
}

export async function profileStep(s: BuiltStep, timing: string): Promise<NonNullable<BenchStepResult['profile']>> {
  const t0 = now();
  const info = await tf.profile(() => s.stepSync());
  const agg = new Map<string, KernelStat>();
  let total = 0;
  for (const k of info.kernels) {
    const ms = await k.kernelTimeMs;
    const v = typeof ms === 'number' ? ms : 0;
    total += v;
    const e = agg.get(k.name) ?? { name: k.name, calls: 0, ms: 0 };
    e.calls++;
    e.ms += v;
    agg.set(k.name, e);
  }
  await (info.result as tf.Tensor).data();
  const wallMs = now() - t0;
  tf.dispose(info.result as tf.Tensor);
  const top = [...agg.values()].sort((a, b) => b.ms - a.ms || b.calls - a.calls).slice(0, 25);
  return {
    peakBytes: info.peakBytes,
    newTensors: info.newTensors,
    kernels: info.kernels.length,
    timing,
    wallMs,
    totalKernelMs: total,
    top,
  };
}

/** Runs the plan on the current tfjs backend. */
export async function benchStep(plan: StepPlan, timingNote?: () => string): Promise<BenchStepResult> {
  const before = tf.memory().numTensors;
  const s = buildStep(plan) as BuiltStep & { memory: BenchStepResult['memory'] | null; resetMemory(): void };
  let t = now();
  const firstLoss = await s.step();
  const firstStepMs = now() - t;
  for (let i = 0; i < plan.warmup; i++) await s.step();
  const stepsMs: number[] = [];
  let lastLoss = firstLoss;
  const start = now();
  if (plan.steps > 0) s.resetMemory();
  for (let i = 0; i < plan.steps; i++) {
    t = now();
    lastLoss = await s.step();
    stepsMs.push(now() - t);
    if (plan.budgetMs !== undefined && now() - start > plan.budgetMs) break;
  }
  const memory = s.memory ?? { numTensors: -1, numBytes: -1 };
  let profile: BenchStepResult['profile'];
  if (plan.profile) profile = await profileStep(s, timingNote ? timingNote() : 'backend timer (tf.profile kernelTimeMs)');
  s.dispose();
  const med = median(stepsMs);
  return {
    model: plan.model,
    batch: plan.batch,
    input: plan.input,
    loss: plan.loss,
    backend: tf.getBackend(),
    firstStepMs,
    medianMs: med,
    meanMs: stepsMs.reduce((a, b) => a + b, 0) / stepsMs.length,
    minMs: stepsMs.length ? Math.min(...stepsMs) : NaN,
    imgPerSec: (plan.batch / med) * 1000,
    stepsMs,
    warmup: plan.warmup,
    firstLoss,
    lastLoss,
    memory,
    profile,
    leakedTensors: tf.memory().numTensors - before,
  };
}

export const configKey = (c: StepConfig): string => `${c.model}/b${c.batch}/${c.input.join('x')}/${c.loss}`;
