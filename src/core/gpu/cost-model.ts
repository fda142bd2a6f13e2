/**
 * A modelled GPU time for the fused executor's dispatch lists: per dispatch its FLOPs, the global bytes it must
 * read and write, its workgroups and threads, and a roofline estimate on a GPU profile — max(compute, memory) at
 * attainable rates, divided by how much of the GPU the grid can fill, plus a fixed cost per dispatch. A planning
 * proxy (which kernels matter, what a variant would save), never a measurement. Pure: it reads a plan, no GPU.
 *
 * A kernel definition may carry its own `cost(meta, dims)`; otherwise the rule of its family (by name) applies, so
 * a new variant states its cost in its definition or falls under its family's rule here.
 */
import type { KernelCost, PlanDims } from './kernels';
import type { Dispatch, Plan } from './plan';

const F32 = 4;

/** The kernel classes a step's time is summed over. */
export type KernelClass = 'conv' | 'bn' | 'pool' | 'loss' | 'sgd';
export const KERNEL_CLASSES: readonly KernelClass[] = ['conv', 'bn', 'pool', 'loss', 'sgd'];

export interface GpuProfile {
  id: string;
  name: string;
  /** Peak FP32 FLOP/s (FMA = 2; no tensor cores: every kernel is plain f32). */
  peakFlops: number;
  /** Peak global-memory bandwidth, bytes/s. */
  bandwidth: number;
  /** Fraction of the peaks a direct (untiled) kernel attains at full occupancy. */
  computeEfficiency: number;
  /** The same for a staged, register-blocked kernel (the tiled convolutions). */
  stagedComputeEfficiency: number;
  memoryEfficiency: number;
  /** Streaming multiprocessors / execution units: a grid with fewer workgroups leaves the rest idle. */
  units: number;
  /** Threads one unit needs resident to hide its latency; fewer per unit scale the rates down in proportion. */
  threadsPerUnit: number;
  /** The same for a staged kernel: each thread has 16 independent accumulators to hide latency with. */
  stagedThreadsPerUnit: number;
  /** Launch + barrier cost of one dispatch inside a recorded command buffer, seconds. */
  dispatchSeconds: number;
  why: string;
}

/**
 * NVIDIA H100 SXM5: 132 SMs × 128 FP32 lanes × 2 × 1.98 GHz ≈ 67 TFLOP/s, HBM3 3.35 TB/s (NVIDIA's data sheet).
 * A direct convolution without workgroup-memory tiling is load-bound inside the SM: ~35 % of the FP32 peak is a
 * generous figure for it; streaming kernels reach ~80 % of HBM bandwidth. 1,024 resident threads per SM (half of
 * its 2,048) hide latency for such kernels. A tiled kernel with 4 × 4 register blocks reads 8 workgroup-memory
 * words per 16 FMAs; an SM serves 32 such words per clock against 128 FMA lanes, which caps it at 50 % of the FP32
 * peak — 45 % with the barriers and the global loads of each slice; its 16 independent accumulators per thread
 * hide latency with a quarter of the threads (256 per SM). ~3 µs per dispatch: a kernel launch plus the barrier Dawn puts between
 * dependent dispatches of one compute pass (drain and ramp-up), CUDA-graph-like since the step is pre-recorded.
 */
export const H100: GpuProfile = {
  id: 'h100',
  name: 'datacentre GPU ≈ NVIDIA H100 SXM',
  peakFlops: 67e12,
  bandwidth: 3.35e12,
  computeEfficiency: 0.35,
  stagedComputeEfficiency: 0.45,
  memoryEfficiency: 0.8,
  units: 132,
  threadsPerUnit: 1024,
  stagedThreadsPerUnit: 256,
  dispatchSeconds: 3e-6,
  why: '132 SMs, 67 TFLOP/s FP32, 3.35 TB/s HBM3; 35 % of FP32 peak for untiled kernels (45 % tiled), 80 % of bandwidth, 1,024 threads/SM to hide latency (256 tiled), 3 µs per dispatch',
};

/**
 * A laptop integrated GPU ≈ Intel Iris Xe (96 EUs × 8 FP32 lanes × 2 × 1.3 GHz ≈ 2.0 TFLOP/s) on dual-channel
 * LPDDR4X-4266 (68 GB/s, shared with the CPU, ~70 % attainable). An EU holds 7 threads of SIMD8 = 56 lanes. A
 * tiled kernel is bounded by shared local memory the same way as on the H100 (45 %), with a quarter of the lanes
 * resident. ~8 µs per dispatch (integrated GPUs' command streamers are slower to drain and refill).
 */
export const LAPTOP_IGPU: GpuProfile = {
  id: 'igpu',
  name: 'laptop iGPU ≈ Intel Iris Xe 96 EU',
  peakFlops: 2.0e12,
  bandwidth: 68e9,
  computeEfficiency: 0.35,
  stagedComputeEfficiency: 0.45,
  memoryEfficiency: 0.7,
  units: 96,
  threadsPerUnit: 56,
  stagedThreadsPerUnit: 14,
  dispatchSeconds: 8e-6,
  why: '96 EUs, 2.0 TFLOP/s FP32, 68 GB/s LPDDR4X (shared); 35 % of FP32 peak (45 % tiled), 70 % of bandwidth, 56 lanes/EU (14 tiled), 8 µs per dispatch',
};

export const GPU_PROFILES: readonly GpuProfile[] = [H100, LAPTOP_IGPU];

type Meta = Readonly<Record<string, number>>;
const cost = (flops: number, bytesRead: number, bytesWritten: number): KernelCost => ({ flops, bytesRead, bytesWritten });

/** The class a kernel's time is counted under, from its name. */
export function kernelClass(name: string): KernelClass {
  if (name.startsWith('conv-') || name === 'chunk-sum' || name === 'chunk-sum-tree') return 'conv';
  if (name.startsWith('bn-')) return 'bn';
  if (name.startsWith('maxpool') || name.startsWith('gap')) return 'pool';
  if (name.startsWith('head-') || name === 'loss') return 'loss';
  if (name === 'grad-sum' || name === 'health' || name === 'sgd') return 'sgd';
  throw new Error(`cost model: no class for kernel '${name}'`);
}

/** The convolutions: executed multiply-adds ×2, every input, weight and output tensor touched once (L2 takes the reuse). */
function convCost(name: string, m: Meta, d: PlanDims): KernelCost {
  const B = d.maxBatch;
  const K = m.KS * m.KS * m.CI;
  const xs = B * m.H * m.W * m.CI * F32;
  const ys = B * m.HO * m.WO * m.CO * F32;
  const ws = K * m.CO * F32;
  if (name.startsWith('conv-forward')) return cost(2 * B * m.HO * m.WO * K * m.CO, xs + ws, ys);
  if (name.startsWith('conv-input-grad')) {
    // every input position runs all KS² taps (masked ones too, as the kernel does)
    const flops = 2 * B * m.H * m.W * K * m.CO;
    const res = name.endsWith('-identity') ? 2 * xs : name.endsWith('-optionA') ? 2 * ys * (m.CI / m.CO) : 0;
    return cost(flops, ys + ws + res, xs);
  }
  if (name.startsWith('conv-weight-grad')) return cost(2 * B * m.HO * m.WO * K * m.CO, xs + ys, m.CHUNKS * ws);
  throw new Error(`cost model: unknown convolution kernel '${name}'`);
}

/** The family rules: kernels without their own `cost`. */
function familyCost(name: string, m: Meta, d: PlanDims): KernelCost {
  const B = d.maxBatch;
  if (name.startsWith('conv-')) return convCost(name, m, d);
  if (name === 'chunk-sum' || name === 'chunk-sum-tree') return cost(m.SIZE * m.CHUNKS, m.SIZE * m.CHUNKS * F32, m.SIZE * F32);
  if (name === 'bn-stats-partial') return cost(3 * B * m.HW * m.C, B * m.HW * m.C * F32, 3 * m.C * m.P * F32);
  if (name.startsWith('bn-stats-final')) return cost(6 * m.C * m.P, 3 * m.C * m.P * F32, 2 * m.C * F32);
  if (name.startsWith('bn-apply')) {
    const e = B * m.H * m.W * m.C;
    const res = name.endsWith('-identity') ? e : name.endsWith('-optionA') ? B * m.H * m.W * m.CIN : 0;
    return cost(e * (4 + (res ? 1 : 0) + (name.includes('-relu') ? 1 : 0)), (e + res) * F32, e * F32);
  }
  if (name.startsWith('bn-backward-partial')) {
    const e = B * m.HW * m.C;
    return cost(5 * e, e * (name.endsWith('-relu') ? 3 : 2) * F32, 2 * m.C * m.P * F32);
  }
  if (name.startsWith('bn-backward-final')) {
    return cost(2 * m.C * m.P + m.SIZE * m.CHUNKS, (2 * m.C * m.P + m.SIZE * m.CHUNKS) * F32, (2 * m.C + m.SIZE) * F32);
  }
  if (name.startsWith('bn-backward-apply')) {
    const e = B * m.HW * m.C;
    return cost(7 * e, e * (name.endsWith('-relu') ? 3 : 2) * F32, e * F32);
  }
  if (name === 'bn-commit') return cost(6 * m.L * m.CS, 4 * m.L * m.CS * F32, 2 * m.L * m.CS * F32);
  if (name === 'maxpool' || name === 'maxpool-backward') {
    const e = B * m.H * m.W * m.C;
    const o = e / (m.S * m.S);
    return name === 'maxpool' ? cost(e, e * F32, o * F32) : cost(e, (e + o) * F32, e * F32);
  }
  if (name === 'gap') return cost(B * m.HW * m.C, B * m.HW * m.C * F32, B * m.C * F32);
  if (name === 'gap-backward') return cost(B * m.HW * m.C, B * m.C * F32, B * m.HW * m.C * F32);
  if (name.startsWith('head-forward')) return cost(2 * B * d.D * d.C + 4 * (B + d.C) * d.D, (B * d.D + d.D * d.C) * F32, 3 * B * d.C * F32);
  if (name === 'loss') return cost(12 * B * d.C, 3 * B * d.C * F32, (B * d.C + 2 * B) * F32);
  if (name.startsWith('head-backward')) {
    return cost(4 * B * d.D * d.C, (B * d.D + d.D * d.C + 3 * B * d.C) * F32, (B * d.D + d.D * d.C) * F32);
  }
  if (name === 'grad-sum') return cost(2 * m.LEN, m.LEN * F32, 2 * m.P * F32);
  if (name === 'health') return cost(2 * m.P, 2 * m.P * F32, 4 * F32);
  if (name === 'sgd') return cost(6 * m.LEN, 3 * m.LEN * F32, 2 * m.LEN * F32);
  throw new Error(`cost model: no cost rule for kernel '${name}'`);
}

/** A dispatch's meta words by name (the step-block kernels have none). */
export function metaRecord(d: Dispatch): Meta {
  if (d.meta === 'step' || d.src.meta === 'step') return {};
  const names = d.src.meta;
  const words = d.meta;
  return Object.fromEntries(names.map((k, i) => [k, words[i]]));
}

export interface DispatchCost extends KernelCost {
  label: string;
  kernel: string;
  cls: KernelClass;
  workgroups: number;
  threads: number;
}

export function dispatchCost(d: Dispatch, dims: PlanDims): DispatchCost {
  const m = metaRecord(d);
  const c = d.src.cost ? d.src.cost(m, dims) : familyCost(d.src.name, m, dims);
  const workgroups = d.groups[0] * d.groups[1] * d.groups[2];
  return { ...c, label: d.label, kernel: d.src.name, cls: kernelClass(d.src.name), workgroups, threads: workgroups * d.src.workgroupSize };
}

/** Seconds of one dispatch on `p`: roofline at the attainable rates, slowed by the share of the GPU its grid fills. */
export function modelSeconds(c: DispatchCost, p: GpuProfile): number {
  const compute = c.flops / (p.peakFlops * (c.staged ? p.stagedComputeEfficiency : p.computeEfficiency));
  const memory = (c.bytesRead + c.bytesWritten) / (p.bandwidth * p.memoryEfficiency);
  const active = Math.min(c.workgroups, p.units);
  const fill = (active / p.units) * Math.min(1, c.threads / active / (c.staged ? p.stagedThreadsPerUnit : p.threadsPerUnit));
  return Math.max(compute, memory) / fill + p.dispatchSeconds;
}

export interface ProfileEstimate {
  profile: string;
  ms: number;
  byClass: Record<KernelClass, number>;
  /** Dispatches that fill less than the whole GPU (fewer workgroups than units, or too few threads per unit). */
  underfilled: number;
}

export interface StepModel {
  dispatches: number;
  flops: number;
  bytesRead: number;
  bytesWritten: number;
  threads: number;
  byClass: Record<KernelClass, { dispatches: number; flops: number; bytes: number }>;
  estimates: ProfileEstimate[];
  rows: DispatchCost[];
}

const zeroClasses = <T>(f: () => T): Record<KernelClass, T> =>
  Object.fromEntries(KERNEL_CLASSES.map((k) => [k, f()])) as Record<KernelClass, T>;

/** The modelled cost of one of a plan's dispatch lists (default: the training step) on each profile. */
export function modelStep(
  plan: Plan,
  which: 'train' | 'frozen' | 'eval' = 'train',
  profiles: readonly GpuProfile[] = GPU_PROFILES,
): StepModel {
  const dims: PlanDims = { maxBatch: plan.maxBatch, C: plan.numClasses, D: plan.featureDim };
  const rows = plan[which].map((d) => dispatchCost(d, dims));
  const byClass = zeroClasses(() => ({ dispatches: 0, flops: 0, bytes: 0 }));
  for (const r of rows) {
    const b = byClass[r.cls];
    b.dispatches++;
    b.flops += r.flops;
    b.bytes += r.bytesRead + r.bytesWritten;
  }
  const estimates = profiles.map((p): ProfileEstimate => {
    const cls = zeroClasses(() => 0);
    let ms = 0;
    let underfilled = 0;
    for (const r of rows) {
      const t = modelSeconds(r, p) * 1e3;
      cls[r.cls] += t;
      ms += t;
      if (r.workgroups < p.units || r.threads < p.units * (r.staged ? p.stagedThreadsPerUnit : p.threadsPerUnit)) underfilled++;
    }
    return { profile: p.id, ms, byClass: cls, underfilled };
  });
  const sum = (f: (r: DispatchCost) => number) => rows.reduce((s, r) => s + f(r), 0);
  return {
    dispatches: rows.length,
    flops: sum((r) => r.flops),
    bytesRead: sum((r) => r.bytesRead),
    bytesWritten: sum((r) => r.bytesWritten),
    threads: sum((r) => r.threads),
    byClass,
    estimates,
    rows,
  };
}
