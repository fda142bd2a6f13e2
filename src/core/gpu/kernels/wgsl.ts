/**
 * What every fused-executor kernel shares: the definition type the plan binds against, and the WGSL building blocks.
 *
 * Conventions shared by every kernel:
 *  - every binding is a read_write `array<f32>` (sub-ranges of a few large buffers; read-write everywhere so two
 *    bindings of the same GPUBuffer never conflict within one dispatch); integers are stored as their i32 bits;
 *  - binding 0 (`bm`) is a small control block whose word 0 is the batch size n (written before every step): for
 *    most kernels the dispatch's own "meta" slot [n, shape…], for the head/loss kernels the step block (n, lr,
 *    labels, noise, the loss' per-class numbers). Shapes are run-time values, so one pipeline serves every layer,
 *    model and batch size (a handful of pipelines in all; they compile slowly on a software adapter), and one
 *    recorded dispatch list serves every batch size up to the executor's maximum;
 *  - no workgroup barrier inside a loop (SwiftShader compiles those very slowly): the convolutions are direct,
 *    register-blocked (each thread 4 positions × 4 channels, or 4 taps × 4 channels of a weight-gradient chunk),
 *    reductions do one pass per thread, one barrier, then one thread adds the 256 partial sums;
 *  - NHWC activations; weights in the tfjs layouts ([kh, kw, in, out] = [K, out] row-major; linear [D, C]).
 */

/** Threads per workgroup of every kernel except the convolutions. */
export const WG = 256;
/** Threads per workgroup of the convolutions. */
export const CONV_WG = 64;

/** The plan's fixed sizes a launch may depend on besides the meta words (the step block carries them too). */
export interface PlanDims {
  maxBatch: number;
  /** Classes. */
  C: number;
  /** Feature dimension. */
  D: number;
}

/**
 * What one dispatch moves and computes, for the modelled GPU time (`../cost-model.ts`): floating-point operations
 * executed (masked-off taps included) and the global bytes it must read and write at least once.
 */
export interface KernelCost {
  flops: number;
  bytesRead: number;
  bytesWritten: number;
  /**
   * The kernel stages its operands in workgroup memory and blocks its outputs in registers: the profile's rates
   * for such kernels apply (a higher share of the FP32 peak, fewer resident threads needed to hide latency).
   */
  staged?: boolean;
}

/** How many threads a dispatch needs (the plan turns them into workgroups), or its workgroups themselves. */
export type Launch = { threads: number } | { workgroups: [number, number, number] };

/**
 * One compiled kernel and its whole interface. Binding 0 is the meta slot (or the step block, `meta: 'step'`);
 * `bindings` name bindings 1… in order (WGSL `b<name>`), `meta` names the meta words 1… (word 0 is n).
 */
export interface KernelDef<B extends string = string, M extends string = string> {
  /** Short name for labels, errors and the WGSL snapshot. */
  readonly name: string;
  readonly code: string;
  readonly bindings: readonly B[];
  readonly meta: readonly M[] | 'step';
  readonly workgroupSize: number;
  /** The launch for a dispatch with these meta words (n at its maximum). */
  readonly launch: (meta: Readonly<Record<M, number>>, dims: PlanDims) => Launch;
  /**
   * Shape-specialised kernels: the WGSL `override` constants of a dispatch with these meta words (its meta words
   * are then overrides, not reads of binding 0; one pipeline per distinct set).
   */
  readonly constants?: (meta: Readonly<Record<M, number>>) => Readonly<Record<string, number>>;
  /** Its cost per dispatch; without one, the cost model's rule for the kernel's family applies. */
  readonly cost?: (meta: Readonly<Record<M, number>>, dims: PlanDims) => KernelCost;
}

/** Storage declarations: bm, then the bindings `names`, those in `vec4` typed `array<vec4<f32>>`, the others `array<f32>`. */
export function decls(names: readonly string[], vec4: readonly string[] = []): string {
  return ['m', ...names]
    .map((n, i) => `@group(0) @binding(${i}) var<storage, read_write> b${n} : array<${vec4.includes(n) ? 'vec4<f32>' : 'f32'}>;`)
    .join('\n');
}

/** `let NAME = int at bm[k];` for each name, k = 1, 2, … (word 0 is n). */
export function metaLets(names: readonly string[]): string {
  return names.map((n, k) => `  let ${n} = bitcast<i32>(bm[${k + 1}]);`).join('\n');
}

export const COMMON = `fn isFiniteF(x : f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }`;

export interface IndexedOptions<B extends string, M extends string> {
  name: string;
  bindings: readonly B[];
  meta: readonly M[];
  body: string;
  threads: (meta: Readonly<Record<M, number>>, dims: PlanDims) => number;
  workgroupSize?: number;
  /** Module-scope code before the entry point. */
  extra?: string;
  /** Bindings typed `array<vec4<f32>>`. */
  vec4?: readonly B[];
}

/**
 * A module whose entry point runs over a 1-D index `i` (2-D dispatch when one dimension is not enough), the local
 * index named `lid` (u32); `prelude` (its lets) before `body`.
 */
export function entryModule(
  bindings: readonly string[],
  vec4: readonly string[],
  extra: string,
  wg: number,
  lid: string,
  prelude: string,
  body: string,
): string {
  return `${decls(bindings, vec4)}
${COMMON}
${extra}
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(num_workgroups) nwg : vec3<u32>,
        @builtin(local_invocation_index) ${lid} : u32) {
  let i = i32((wid.y * nwg.x + wid.x) * ${wg}u + ${lid});
${prelude}
${body}
}`;
}

/** Kernel over a 1-D index `i`, n and the meta words in scope; `body` guards `i` itself. */
export function indexed<B extends string, M extends string>(o: IndexedOptions<B, M>): KernelDef<B, M> {
  const wg = o.workgroupSize ?? WG;
  const prelude = `  let n = bitcast<i32>(bm[0]);
${metaLets(o.meta)}`;
  const code = entryModule(o.bindings, o.vec4 ?? [], o.extra ?? '', wg, 'lid', prelude, o.body);
  const threads = o.threads;
  return { name: o.name, code, bindings: o.bindings, meta: o.meta, workgroupSize: wg, launch: (m, d) => ({ threads: threads(m, d) }) };
}

/** Workgroup counts for `total` threads (2-D when one dimension is not enough). */
export function groups1d(total: number, perGroup = WG): [number, number, number] {
  const g = Math.max(1, Math.ceil(total / perGroup));
  if (g <= 65535) return [g, 1, 1];
  const y = Math.ceil(g / 65535);
  return [Math.ceil(g / y), y, 1];
}

/**
 * One-workgroup reduction helper: every thread stores its partial sums in r1/r2, one barrier, thread 0 adds them
 * and leaves the totals in t1/t2, one more barrier.
 */
export const REDUCE2 = `var<workgroup> r1 : array<f32, ${WG}>;
var<workgroup> r2 : array<f32, ${WG}>;
var<workgroup> t1 : f32;
var<workgroup> t2 : f32;
fn reduce2(lid : i32, a : f32, b : f32, maxB : bool) {
  r1[lid] = a;
  r2[lid] = b;
  workgroupBarrier();
  if (lid == 0) {
    var s = 0.0;
    var q = 0.0;
    for (var k = 0; k < ${WG}; k = k + 1) {
      s = s + r1[k];
      if (maxB) { q = max(q, r2[k]); } else { q = q + r2[k]; }
    }
    t1 = s;
    t2 = q;
  }
  workgroupBarrier();
}`;

/** Four copies of a code fragment, `$` replaced by 0…3 (register blocking without indexed private arrays, which
 * software adapters emulate slowly). */
export const x4 = (code: string, sep = '\n') => [0, 1, 2, 3].map((p) => code.replaceAll('$', String(p))).join(sep);
