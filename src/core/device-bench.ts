/**
 * "Benchmark this device": training-step throughput of the fused engine, tfjs on WebGPU and tfjs on wasm for the
 * standard shapes (ConvNet b64 28×28×1, ResNet-32 b128 32×32×3), each after warm-up steps for a fixed number of
 * timed steps, with progress and cancel. One runner for the app's worker and `npm run bench -- --device-only`; the
 * result is the JSON users paste into a bug report (adapter and build included).
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendName } from './backend';
import { KERNEL_CLASSES, kernelClass, type KernelClass } from './gpu/cost-model';
import { buildPlan } from './gpu/plan';
import { buildSpec, createModel } from './models';
import type { ModelKind } from './models/types';
import { Rng } from './rng';
import { defaultParams } from './losses/registry';
import { FusedEngine } from './train/fused-engine';
import { adapterIdentity, BUILD_VERSION, type AdapterIdentity } from './train/self-check';
import type { StepEngine } from './train/step-engine';
import { TfjsEngine } from './train/tfjs-engine';

export type BenchTarget = 'fused' | 'tfjs-webgpu' | 'wasm';

export interface BenchCase {
  model: ModelKind;
  batch: number;
  input: [number, number, number];
}

export interface BenchPlan {
  cases: BenchCase[];
  targets: BenchTarget[];
  warmup: number;
  steps: number;
}

/** The shapes of the project's benchmarks (docs/benchmarks.md). */
export const DEVICE_BENCH: BenchPlan = {
  cases: [
    { model: 'convnet', batch: 64, input: [28, 28, 1] },
    { model: 'resnet32', batch: 128, input: [32, 32, 3] },
  ],
  targets: ['fused', 'tfjs-webgpu', 'wasm'],
  warmup: 3,
  steps: 10,
};

/** Test mode: the same two models at tiny shapes, one warm-up and two timed steps. */
export const DEVICE_BENCH_TEST: BenchPlan = {
  cases: [
    { model: 'convnet', batch: 4, input: [8, 8, 1] },
    { model: 'resnet32', batch: 4, input: [8, 8, 3] },
  ],
  targets: ['fused', 'tfjs-webgpu', 'wasm'],
  warmup: 1,
  steps: 2,
};

export interface BenchRow {
  target: BenchTarget;
  model: ModelKind;
  batch: number;
  input: [number, number, number];
  /** Median ms per timed step (null when the target could not run). */
  msPerStep: number | null;
  imagesPerSecond: number | null;
  /** Why the target did not run (e.g. "WebGPU unavailable"), else null. */
  error: string | null;
  /** Fused rows where the device has timestamp-query: GPU ms of a step's dispatches per kernel class. */
  gpuMsPerKernelClass?: Record<KernelClass, number> | null;
}

export interface DeviceBenchResult {
  tool: 'long-tail-playground device benchmark';
  version: 1;
  build: string;
  date: string;
  adapter: AdapterIdentity | null;
  /** Where it ran: the user agent in a browser, `node <version>` in Node. */
  runtime: string;
  warmup: number;
  steps: number;
  rows: BenchRow[];
  /**
   * GPU time per kernel class on the fused rows: 'gpu timestamps' when the device has timestamp-query (each
   * class: median step with only its dispatches issued minus the step with none, from the pass's timestamps).
   */
  gpuTimePerKernelClass: 'gpu timestamps' | 'not available';
  /** True when it was cancelled (rows hold what finished). */
  cancelled: boolean;
}

export interface BenchProgress {
  /** Steps done (warm-up and timed) of `total`. */
  done: number;
  total: number;
  label: string;
}

export interface DeviceBenchOptions {
  plan?: BenchPlan;
  /** The fused engine's device (tfjs' own on the webgpu backend when absent). */
  device?: GPUDevice | null;
  onProgress?: (p: BenchProgress) => void;
  signal?: AbortSignal;
  wasmPaths?: string;
}

const LABEL: Record<BenchTarget, string> = { fused: 'fused', 'tfjs-webgpu': 'tfjs webgpu', wasm: 'tfjs wasm' };

function tfjsDevice(): GPUDevice | null {
  if (tf.getBackend() !== 'webgpu') return null;
  return (tf.backend() as unknown as { device?: GPUDevice }).device ?? null;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Switches tfjs to `name` (loading it when needed); throws with the reason when it does not start. */
async function switchTo(name: BackendName, wasmPaths?: string): Promise<void> {
  if (tf.getBackend() === name) return;
  await initBackend({ order: [name], ...(wasmPaths ? { wasmPaths } : {}) });
}

/** Runs the plan; the tfjs backend that was active is active again afterwards. */
export async function runDeviceBench(o: DeviceBenchOptions = {}): Promise<DeviceBenchResult> {
  const plan = o.plan ?? DEVICE_BENCH;
  const start = tf.getBackend() as BackendName;
  const device = o.device ?? tfjsDevice();
  const total = plan.cases.length * plan.targets.length * (plan.warmup + plan.steps);
  let done = 0;
  const rows: BenchRow[] = [];
  let cancelled = false;
  try {
    for (const c of plan.cases) {
      for (const target of plan.targets) {
        if (o.signal?.aborted) {
          cancelled = true;
          break;
        }
        const label = `${LABEL[target]} · ${c.model} b${c.batch} ${c.input.slice(0, 2).join('×')}`;
        o.onProgress?.({ done, total, label });
        const row: BenchRow = {
          target,
          model: c.model,
          batch: c.batch,
          input: c.input,
          msPerStep: null,
          imagesPerSecond: null,
          error: null,
        };
        rows.push(row);
        const base = done;
        try {
          const times = await timeTarget(target, c, plan, device, o, () => {
            done++;
            o.onProgress?.({ done, total, label });
          });
          if (!times) {
            cancelled = true;
            break;
          }
          if (times.classMs !== undefined) row.gpuMsPerKernelClass = times.classMs;
          row.msPerStep = median(times.ms);
          row.imagesPerSecond = (1000 * c.batch) / row.msPerStep;
        } catch (e) {
          row.error = e instanceof Error ? e.message : String(e);
          done = base + plan.warmup + plan.steps;
          o.onProgress?.({ done, total, label });
        }
      }
      if (cancelled) break;
    }
  } finally {
    if (tf.getBackend() !== start) await switchTo(start, o.wasmPaths).catch(() => undefined);
  }
  if (o.signal?.aborted) cancelled = true;
  return {
    tool: 'long-tail-playground device benchmark',
    version: 1,
    build: BUILD_VERSION,
    date: new Date().toISOString(),
    adapter: device ? adapterIdentity(device) : null,
    runtime: typeof navigator !== 'undefined' && navigator.userAgent ? navigator.userAgent : `node ${globalThis.process?.version ?? ''}`,
    warmup: plan.warmup,
    steps: plan.steps,
    rows,
    gpuTimePerKernelClass: device?.features.has('timestamp-query') ? 'gpu timestamps' : 'not available',
    cancelled,
  };
}

/** Timed steps of one target (null: cancelled). */
async function timeTarget(
  target: BenchTarget,
  c: BenchCase,
  plan: BenchPlan,
  device: GPUDevice | null,
  o: DeviceBenchOptions,
  tick: () => void,
): Promise<{ ms: number[]; classMs?: Record<KernelClass, number> | null } | null> {
  if (target === 'fused' && !device) throw new Error('no WebGPU device');
  if (target === 'tfjs-webgpu') await switchTo('webgpu', o.wasmPaths);
  else if (target === 'wasm') await switchTo('wasm', o.wasmPaths);
  const C = 10;
  const spec = buildSpec({ kind: c.model, head: 'linear', inputShape: c.input, numClasses: C });
  const model = createModel(spec, new Rng(7));
  let engine: StepEngine | null = null;
  try {
    engine =
      target === 'fused'
        ? await FusedEngine.create(model, { device: device!, momentum: 0.9, weightDecay: 5e-4, maxBatch: c.batch })
        : new TfjsEngine(model, { momentum: 0.9, weightDecay: 5e-4 });
    const px = c.input[0] * c.input[1] * c.input[2];
    const x = new Float32Array(c.batch * px);
    let s = 12345;
    for (let i = 0; i < x.length; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      x[i] = s / 2 ** 31 - 1;
    }
    const labels = Int32Array.from({ length: c.batch }, (_, i) => i % C);
    const counts = Array.from({ length: C }, () => 10);
    const step = {
      x,
      n: c.batch,
      labels,
      lr: 0.01,
      loss: {
        id: 'ce' as const,
        params: defaultParams('ce'),
        ctx: { counts, head: 'linear' as const, alpha: 1, gaActive: false, drwActive: false },
      },
      noise: null,
      frozen: false,
    };
    const times: number[] = [];
    for (let i = 0; i < plan.warmup + plan.steps; i++) {
      if (o.signal?.aborted) return null;
      const t0 = performance.now();
      await engine.train(step);
      if (i >= plan.warmup) times.push(performance.now() - t0);
      tick();
    }
    if (target !== 'fused' || !device!.features.has('timestamp-query')) return { ms: times };
    const kernels = buildPlan(spec, c.batch, device!.limits).train.map((d) => d.src.name);
    const run = engine;
    // a failure here keeps the row's step time (the class times are extra)
    const classMs = await gpuClassTimes(device!, kernels, () => run.train(step).then(() => undefined), plan.steps, o.signal).catch(
      () => null,
    );
    return classMs === undefined ? null : { ms: times, classMs };
  } finally {
    engine?.dispose();
    model.dispose();
  }
}

/** One step's compute pass: the class whose dispatches were issued (null: none) and the pass's timestamps (ns). */
export interface PassSample {
  keep: KernelClass | null;
  begin: bigint;
  end: bigint;
}

/**
 * GPU ms per kernel class from pass timestamps: the median pass with only that class's dispatches issued minus the
 * median pass with none (the pass's fixed cost), at least 0. A class with no samples is 0 (the plan has none of it);
 * samples whose end precedes their begin are dropped (a counter that wrapped or was reset).
 */
export function classTimesFromTimestamps(samples: readonly PassSample[]): Record<KernelClass, number> {
  const ms = (k: KernelClass | null): number | null => {
    const d = samples.filter((s) => s.keep === k && s.end >= s.begin).map((s) => Number(s.end - s.begin) / 1e6);
    return d.length ? median(d) : null;
  };
  const none = ms(null);
  if (none === null) throw new Error('no valid timestamps of a pass with no dispatches');
  const out = {} as Record<KernelClass, number>;
  for (const k of KERNEL_CLASSES) {
    const t = ms(k);
    out[k] = t === null ? 0 : Math.max(0, t - none);
  }
  return out;
}

/**
 * Per-class GPU time of `step` (one compute pass of `kernels`' dispatches, in order) on a device with
 * timestamp-query: while installed, every compute pass gets timestamp writes and only the kept class's dispatches
 * are issued (the values computed are meaningless; the time is what is kept). Undefined when cancelled.
 */
async function gpuClassTimes(
  device: GPUDevice,
  kernels: string[],
  step: () => Promise<void>,
  reps: number,
  signal?: AbortSignal,
): Promise<Record<KernelClass, number> | undefined> {
  const g = globalThis as unknown as {
    GPUCommandEncoder: { prototype: GPUCommandEncoder };
    GPUComputePassEncoder: { prototype: GPUComputePassEncoder };
  };
  const enc = g.GPUCommandEncoder.prototype;
  const pass = g.GPUComputePassEncoder.prototype;
  const { beginComputePass, finish } = enc;
  const { dispatchWorkgroups } = pass;
  const cls = kernels.map(kernelClass);
  const present = KERNEL_CLASSES.filter((k) => cls.includes(k));
  const qs = device.createQuerySet({ type: 'timestamp', count: 2 });
  const resolved = device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const read = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const timed = new WeakSet<GPUCommandEncoder>();
  let keep: KernelClass | null = null;
  let idx = 0;
  enc.beginComputePass = function (this: GPUCommandEncoder, d?: GPUComputePassDescriptor) {
    timed.add(this);
    idx = 0;
    return beginComputePass.call(this, { ...d, timestampWrites: { querySet: qs, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } });
  };
  enc.finish = function (this: GPUCommandEncoder, d?: GPUCommandBufferDescriptor) {
    if (timed.has(this)) {
      this.resolveQuerySet(qs, 0, 2, resolved, 0);
      this.copyBufferToBuffer(resolved, 0, read, 0, 16);
    }
    return finish.call(this, d);
  };
  pass.dispatchWorkgroups = function (this: GPUComputePassEncoder, ...a: Parameters<GPUComputePassEncoder['dispatchWorkgroups']>) {
    if (cls[idx++ % cls.length] === keep) dispatchWorkgroups.apply(this, a);
  };
  const samples: PassSample[] = [];
  try {
    for (const k of [null, ...present]) {
      keep = k;
      for (let r = 0; r < Math.max(1, reps); r++) {
        if (signal?.aborted) return undefined;
        await step();
        if (idx !== cls.length) throw new Error(`the step's pass issued ${idx} dispatches, the plan has ${cls.length}`);
        await read.mapAsync(GPUMapMode.READ);
        const t = new BigUint64Array(read.getMappedRange().slice(0));
        read.unmap();
        samples.push({ keep: k, begin: t[0], end: t[1] });
      }
    }
  } finally {
    enc.beginComputePass = beginComputePass;
    enc.finish = finish;
    pass.dispatchWorkgroups = dispatchWorkgroups;
    qs.destroy();
    resolved.destroy();
    read.destroy();
  }
  return classTimesFromTimestamps(samples);
}
