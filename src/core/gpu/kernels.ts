/**
 * WGSL sources of the fused executor's kernels (pure string builders, no GPU calls).
 *
 * Conventions shared by every kernel:
 *  - every binding is a read_write `array<f32>` (sub-ranges of a few large buffers; read-write everywhere so two
 *    bindings of the same GPUBuffer never conflict within one dispatch); integers are stored as their i32 bits;
 *  - binding 0 is a small control block whose word 0 is the batch size n (written before every step): for most
 *    kernels the dispatch's own "meta" slot [n, shape…], for the head/loss kernels the step block (n, lr, labels,
 *    noise, the loss' per-class numbers). Shapes are run-time values, so one pipeline serves every layer, model and
 *    batch size (a handful of pipelines in all; they compile slowly on a software adapter), and one recorded
 *    dispatch list serves every batch size up to the executor's maximum;
 *  - no workgroup barrier inside a loop (SwiftShader compiles those very slowly): the convolutions are direct,
 *    register-blocked (each thread 4 positions × 4 channels, or 4 taps × 4 channels of a weight-gradient chunk),
 *    reductions do one pass per thread, one barrier, then one thread adds the 256 partial sums;
 *  - NHWC activations; weights in the tfjs layouts ([kh, kw, in, out] = [K, out] row-major; linear [D, C]).
 */

/** Threads per workgroup of every kernel except the convolutions. */
export const WG = 256;
/** Threads per workgroup of the convolutions. */
export const CONV_WG = 64;

export interface KernelSource {
  /** Short name for labels and errors. */
  name: string;
  code: string;
  /** Number of storage bindings (group 0, bindings 0..n-1). */
  bindings: number;
}

const BN_EPS = '1e-5';

/** Storage declarations of the bindings `names`, those in `vec4` typed `array<vec4<f32>>`, the others `array<f32>`. */
function decls(names: readonly string[], vec4: readonly string[] = []): string {
  return names
    .map((n, i) => `@group(0) @binding(${i}) var<storage, read_write> ${n} : array<${vec4.includes(n) ? 'vec4<f32>' : 'f32'}>;`)
    .join('\n');
}

/** `let NAME = int at b0[k];` for each name, k = 1, 2, … (word 0 is n). */
function metaLets(names: readonly string[]): string {
  return names.map((n, k) => `  let ${n} = bitcast<i32>(bm[${k + 1}]);`).join('\n');
}

const COMMON = `fn isFiniteF(x : f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }`;

/** Kernel over a 1-D index `i` (2-D dispatch when one dimension is not enough); `body` guards `i` itself. */
function indexed(
  name: string,
  names: readonly string[],
  meta: readonly string[],
  body: string,
  wg = WG,
  extra = '',
  vec4: readonly string[] = [],
): KernelSource {
  const code = `${decls(names, vec4)}
${COMMON}
${extra}
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(num_workgroups) nwg : vec3<u32>,
        @builtin(local_invocation_index) lid : u32) {
  let i = i32((wid.y * nwg.x + wid.x) * ${wg}u + lid);
  let n = bitcast<i32>(bm[0]);
${metaLets(meta)}
${body}
}`;
  return { name, code, bindings: names.length };
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
const REDUCE2 = `var<workgroup> r1 : array<f32, ${WG}>;
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

// ---------------------------------------------------------------------------------------------------------------
// Convolutions

/** Meta of the convolution kernels: the layer geometry. */
export const CONV_META = ['H', 'W', 'CI', 'HO', 'WO', 'CO', 'KS', 'ST', 'PD'] as const;

/** Four copies of a code fragment, `$` replaced by 0…3 (register blocking without indexed private arrays, which
 * software adapters emulate slowly). */
const x4 = (code: string, sep = '\n') => [0, 1, 2, 3].map((p) => code.replaceAll('$', String(p))).join(sep);

/**
 * y[n·HO·WO, CO] = im2col(x)·W, each thread 4 consecutive output positions × 4 output channels.
 * Bindings: bm (meta: conv geometry), bx, bw, by. Threads: CO/4 · ⌈n·HO·WO/4⌉.
 */
export function convForwardKernel(): KernelSource {
  return indexed(
    'conv-forward',
    ['bm', 'bx', 'bw', 'by'],
    CONV_META,
    `  let c4n = CO / 4;
  let c4 = i % c4n;
  let mb = (i / c4n) * 4;
  let M = n * HO * WO;
  if (mb >= M) { return; }
${x4(`  let m$ = min(mb + $, M - 1);
  let wo$ = m$ % WO; let q$ = m$ / WO; let hb$ = (q$ % HO) * ST - PD; let wb$ = wo$ * ST - PD; let xb$ = (q$ / HO) * H;`)}
${x4('  var acc$ = vec4<f32>(0.0);')}
  for (var kh = 0; kh < KS; kh = kh + 1) {
    for (var kw = 0; kw < KS; kw = kw + 1) {
${x4(`      let hi$ = hb$ + kh; let wi$ = wb$ + kw;
      let ok$ = hi$ >= 0 && hi$ < H && wi$ >= 0 && wi$ < W;
      let b$ = select(0, ((xb$ + hi$) * W + wi$) * CI, ok$);`)}
      let wrow = ((kh * KS + kw) * CI) * CO + c4 * 4;
      for (var ci = 0; ci < CI; ci = ci + 1) {
        let o = wrow + ci * CO;
        let wv = vec4<f32>(bw[o], bw[o + 1], bw[o + 2], bw[o + 3]);
${x4('        acc$ = acc$ + select(0.0, bx[b$ + ci], ok$) * wv;')}
      }
    }
  }
${x4(`  if (mb + $ < M) {
    let o = (mb + $) * CO + c4 * 4;
    by[o] = acc$.x; by[o + 1] = acc$.y; by[o + 2] = acc$.z; by[o + 3] = acc$.w;
  }`)}`,
    CONV_WG,
  );
}

/** Like `indexed` on the convolution workgroup size, with the bindings in `vec4` typed `array<vec4<f32>>`. */
function indexedV4(name: string, names: readonly string[], vec4: readonly string[], meta: readonly string[], body: string): KernelSource {
  return indexed(name, names, meta, body, CONV_WG, '', vec4);
}

/**
 * The forward convolution for CI and CO multiples of 4 (every layer but a network's first): like
 * `convForwardKernel`, with the input channels and weights read as vec4 (one load per 4 channels — a software
 * adapter's cost is mostly loads) and each thread 4 consecutive output positions × 4 output channels (8 positions would save loads, but made
 * SwiftShader compile the forward kernel for 18 s and crash on the input gradient).
 * Bindings: bm (conv geometry), bx, bw, by (vec4). Threads: CO/4 · ⌈n·HO·WO/4⌉.
 */
export function convForwardV4Kernel(): KernelSource {
  return indexedV4(
    'conv-forward-v4',
    ['bm', 'bx', 'bw', 'by'],
    ['bx', 'bw', 'by'],
    CONV_META,
    `  let c4n = CO / 4;
  let ci4n = CI / 4;
  let c4 = i % c4n;
  let mb = (i / c4n) * 4;
  let M = n * HO * WO;
  if (mb >= M) { return; }
${x4(`  let m$ = min(mb + $, M - 1);
  let wo$ = m$ % WO; let q$ = m$ / WO; let hb$ = (q$ % HO) * ST - PD; let wb$ = wo$ * ST - PD; let xb$ = (q$ / HO) * H;`)}
${x4('  var acc$ = vec4<f32>(0.0);')}
  for (var kh = 0; kh < KS; kh = kh + 1) {
    for (var kw = 0; kw < KS; kw = kw + 1) {
${x4(`      let hi$ = hb$ + kh; let wi$ = wb$ + kw;
      let ok$ = hi$ >= 0 && hi$ < H && wi$ >= 0 && wi$ < W;
      let b$ = select(0, ((xb$ + hi$) * W + wi$) * ci4n, ok$);
      let z$ = select(0.0, 1.0, ok$);`)}
      var wr = (kh * KS + kw) * CI * c4n + c4;
      for (var cq = 0; cq < ci4n; cq = cq + 1) {
        let w0 = bw[wr]; let w1 = bw[wr + c4n]; let w2 = bw[wr + 2 * c4n]; let w3 = bw[wr + 3 * c4n];
        wr = wr + 4 * c4n;
${x4(`        let v$ = bx[b$ + cq] * z$;
        acc$ = acc$ + w0 * v$.x + w1 * v$.y + w2 * v$.z + w3 * v$.w;`)}
      }
    }
  }
${x4('  if (mb + $ < M) { by[(mb + $) * c4n + c4] = acc$; }')}`,
  );
}

export type ResidualGradKind = 'none' | 'identity' | 'optionA';

/**
 * dx[n·H·W, CI] = the transposed convolution of dy (strided or not), each thread 4 consecutive input positions × 4
 * input channels; for a block's first convolution plus the shortcut's gradient gout·[out > 0] (identity) or its
 * option-A subsample / channel-shift adjoint (PADC = meta word 10).
 * Bindings: bm (conv geometry, PADC), bdy, bw, bdx[, bgout, bout]. Threads: CI/4 · ⌈n·H·W/4⌉.
 */
/** Bindings of the input-gradient kernels: with a shortcut, also its gradient and the block output (f32). */
const inputGradNames = (res: ResidualGradKind) =>
  res === 'none' ? ['bm', 'bdy', 'bw', 'bdx'] : ['bm', 'bdy', 'bw', 'bdx', 'bgout', 'bout'];

/**
 * What the input-gradient kernels add to position `$`'s 4 channels `v`: the shortcut's gradient gout·[out > 0]
 * (identity), or its option-A subsample / channel-shift adjoint; nothing without a shortcut.
 */
function residualGradCode(res: ResidualGradKind): string {
  const mask = (o: string) =>
    `select(vec4<f32>(0.0), vec4<f32>(bgout[${o}], bgout[${o} + 1], bgout[${o} + 2], bgout[${o} + 3]), vec4<f32>(bout[${o}], bout[${o} + 1], bout[${o} + 2], bout[${o} + 3]) > vec4<f32>(0.0))`;
  if (res === 'identity') {
    return `    let ro = (mb + $) * CI + c4 * 4;
    v = v + ${mask('ro')};`;
  }
  if (res === 'optionA') {
    return `    if (hh$ % 2 == 0 && ww$ % 2 == 0) {
      let ro = ((nn$ * HO + hh$ / 2) * WO + ww$ / 2) * CO + c4 * 4 + PADC;
      v = v + ${mask('ro')};
    }`;
  }
  return '';
}

export function convInputGradKernel(res: ResidualGradKind): KernelSource {
  const names = inputGradNames(res);
  const resCode = residualGradCode(res);
  return indexed(
    `conv-input-grad${res === 'none' ? '' : `-${res}`}`,
    names,
    [...CONV_META, 'PADC'],
    `  let c4n = CI / 4;
  let c4 = i % c4n;
  let mb = (i / c4n) * 4;
  let M = n * H * W;
  if (mb >= M) { return; }
${x4(`  let m$ = min(mb + $, M - 1);
  let ww$ = m$ % W; let q$ = m$ / W; let hh$ = q$ % H; let nn$ = q$ / H;`)}
${x4('  var acc$ = vec4<f32>(0.0);')}
  for (var kh = 0; kh < KS; kh = kh + 1) {
    for (var kw = 0; kw < KS; kw = kw + 1) {
${x4(`      let th$ = hh$ + PD - kh; let tw$ = ww$ + PD - kw;
      let ho$ = th$ / ST; let wo$ = tw$ / ST;
      let ok$ = th$ >= 0 && tw$ >= 0 && th$ % ST == 0 && tw$ % ST == 0 && ho$ < HO && wo$ < WO;
      let b$ = select(0, ((nn$ * HO + ho$) * WO + wo$) * CO, ok$);`)}
      let wrow = ((kh * KS + kw) * CI + c4 * 4) * CO;
      for (var co = 0; co < CO; co = co + 1) {
        let wv = vec4<f32>(bw[wrow + co], bw[wrow + CO + co], bw[wrow + 2 * CO + co], bw[wrow + 3 * CO + co]);
${x4('        acc$ = acc$ + select(0.0, bdy[b$ + co], ok$) * wv;')}
      }
    }
  }
${x4(`  if (mb + $ < M) {
    var v = acc$;
${resCode}
    let o = (mb + $) * CI + c4 * 4;
    bdx[o] = v.x; bdx[o + 1] = v.y; bdx[o + 2] = v.z; bdx[o + 3] = v.w;
  }`)}`,
    CONV_WG,
  );
}

/**
 * The input gradient for CI and CO multiples of 4: like `convInputGradKernel`, with dy and the weights read as vec4
 * and each thread 4 consecutive input positions × 4 input channels (dx written as vec4).
 * Bindings: bm (conv geometry, PADC), bdy, bw, bdx (vec4)[, bgout, bout (f32)]. Threads: CI/4 · ⌈n·H·W/4⌉.
 */
export function convInputGradV4Kernel(res: ResidualGradKind): KernelSource {
  const resCode = residualGradCode(res);
  return indexedV4(
    `conv-input-grad-v4${res === 'none' ? '' : `-${res}`}`,
    inputGradNames(res),
    ['bdy', 'bw', 'bdx'],
    [...CONV_META, 'PADC'],
    `  let c4n = CI / 4;
  let co4n = CO / 4;
  let c4 = i % c4n;
  let mb = (i / c4n) * 4;
  let M = n * H * W;
  if (mb >= M) { return; }
${x4(`  let m$ = min(mb + $, M - 1);
  let ww$ = m$ % W; let q$ = m$ / W; let hh$ = q$ % H; let nn$ = q$ / H;`)}
${x4('  var acc$ = vec4<f32>(0.0);')}
  for (var kh = 0; kh < KS; kh = kh + 1) {
    for (var kw = 0; kw < KS; kw = kw + 1) {
${x4(`      let th$ = hh$ + PD - kh; let tw$ = ww$ + PD - kw;
      let ho$ = th$ / ST; let wo$ = tw$ / ST;
      let ok$ = th$ >= 0 && tw$ >= 0 && th$ % ST == 0 && tw$ % ST == 0 && ho$ < HO && wo$ < WO;
      let b$ = select(0, ((nn$ * HO + ho$) * WO + wo$) * co4n, ok$);
      let z$ = select(0.0, 1.0, ok$);`)}
      let wrow = ((kh * KS + kw) * CI + c4 * 4) * co4n;
      for (var cq = 0; cq < co4n; cq = cq + 1) {
        let w0 = bw[wrow + cq]; let w1 = bw[wrow + co4n + cq]; let w2 = bw[wrow + 2 * co4n + cq]; let w3 = bw[wrow + 3 * co4n + cq];
${x4(`        let d$ = bdy[b$ + cq] * z$;
        acc$ = acc$ + vec4<f32>(dot(w0, d$), dot(w1, d$), dot(w2, d$), dot(w3, d$));`)}
      }
    }
  }
${x4(`  if (mb + $ < M) {
    var v = acc$;
${resCode}
    bdx[(mb + $) * c4n + c4] = v;
  }`)}`,
  );
}

/** Threads per chunk of the weight gradient of a layer: ⌈K/4⌉ tap groups × CO/4 channel groups. */
export function wgradThreadsPerChunk(K: number, CO: number): number {
  return Math.ceil(K / 4) * (CO / 4);
}

/** Chunking of the weight gradient's reduction over M = n·HO·WO rows: ~64k threads in all, ≥ 64 rows per chunk. */
export function wgradChunking(M: number, K: number, CO: number): { len: number; chunks: number } {
  const per = wgradThreadsPerChunk(K, CO);
  const want = Math.max(1, Math.min(Math.ceil(65536 / per), Math.ceil(M / 64)));
  const len = Math.ceil(M / want);
  return { len, chunks: Math.ceil(M / len) };
}

/**
 * Weight gradient, chunked over the reduction (the formulation of src/core/kernels/conv2d-backprop-filter-webgpu.ts,
 * without shared memory): part[chunk, K, CO] = Σ over the chunk's rows of im2col(x)[m, K] ⊗ dy[m, CO], the im2col
 * gathered on the fly; each thread 4 consecutive taps × 4 channels. With one chunk it writes the gradient itself.
 * Bindings: bm (conv geometry, LEN, CHUNKS), bx, bdy, bout. Threads: ⌈K/4⌉ · CO/4 · CHUNKS.
 */
export function convWeightGradKernel(): KernelSource {
  return indexed(
    'conv-weight-grad',
    ['bm', 'bx', 'bdy', 'bout'],
    [...CONV_META, 'LEN', 'CHUNKS'],
    `  let K = KS * KS * CI;
  let c4n = CO / 4;
  let kgn = (K + 3) / 4;
  let c4 = i % c4n;
  let q0 = i / c4n;
  let kg = q0 % kgn;
  let chunk = q0 / kgn;
  if (chunk >= CHUNKS) { return; }
${x4(`  let kk$ = min(kg * 4 + $, K - 1);
  let ci$ = kk$ % CI; let t$ = kk$ / CI; let dw$ = t$ % KS - PD; let dh$ = t$ / KS - PD;`)}
  let mStart = chunk * LEN;
  let mEnd = min(mStart + LEN, n * HO * WO);
${x4('  var acc$ = vec4<f32>(0.0);')}
  if (mStart < mEnd) {
    var wo = mStart % WO;
    var q = mStart / WO;
    var ho = q % HO;
    var nb = q / HO;
    for (var m = mStart; m < mEnd; m = m + 1) {
      let o = m * CO + c4 * 4;
      let g = vec4<f32>(bdy[o], bdy[o + 1], bdy[o + 2], bdy[o + 3]);
${x4(`      let hi$ = ho * ST + dh$; let wi$ = wo * ST + dw$;
      let ok$ = hi$ >= 0 && hi$ < H && wi$ >= 0 && wi$ < W;
      acc$ = acc$ + select(0.0, bx[select(0, ((nb * H + hi$) * W + wi$) * CI + ci$, ok$)], ok$) * g;`)}
      wo = wo + 1;
      if (wo == WO) { wo = 0; ho = ho + 1; if (ho == HO) { ho = 0; nb = nb + 1; } }
    }
  }
${x4(`  if (kg * 4 + $ < K) {
    let o = (chunk * K + kg * 4 + $) * CO + c4 * 4;
    bout[o] = acc$.x; bout[o + 1] = acc$.y; bout[o + 2] = acc$.z; bout[o + 3] = acc$.w;
  }`)}`,
    CONV_WG,
  );
}

/**
 * The weight gradient for CI and CO multiples of 4: like `convWeightGradKernel` (same chunking and thread count),
 * each thread's 4 taps being 4 consecutive input channels of one kernel position, so x and dy are read as vec4.
 * Bindings: bm (conv geometry, LEN, CHUNKS), bx, bdy, bout (vec4).
 */
export function convWeightGradV4Kernel(): KernelSource {
  return indexedV4(
    'conv-weight-grad-v4',
    ['bm', 'bx', 'bdy', 'bout'],
    ['bx', 'bdy', 'bout'],
    [...CONV_META, 'LEN', 'CHUNKS'],
    `  let K = KS * KS * CI;
  let c4n = CO / 4;
  let ci4n = CI / 4;
  let kgn = K / 4;
  let c4 = i % c4n;
  let q0 = i / c4n;
  let kg = q0 % kgn;
  let chunk = q0 / kgn;
  if (chunk >= CHUNKS) { return; }
  let cq = kg % ci4n; let t = kg / ci4n; let dw = t % KS - PD; let dh = t / KS - PD;
  let mStart = chunk * LEN;
  let mEnd = min(mStart + LEN, n * HO * WO);
${x4('  var acc$ = vec4<f32>(0.0);')}
  if (mStart < mEnd) {
    var wo = mStart % WO;
    var q = mStart / WO;
    var ho = q % HO;
    var nb = q / HO;
    for (var m = mStart; m < mEnd; m = m + 1) {
      let g = bdy[m * c4n + c4];
      let hi = ho * ST + dh; let wi = wo * ST + dw;
      let ok = hi >= 0 && hi < H && wi >= 0 && wi < W;
      let v = bx[select(0, ((nb * H + hi) * W + wi) * ci4n + cq, ok)] * select(0.0, 1.0, ok);
      acc0 = acc0 + v.x * g; acc1 = acc1 + v.y * g; acc2 = acc2 + v.z * g; acc3 = acc3 + v.w * g;
      wo = wo + 1;
      if (wo == WO) { wo = 0; ho = ho + 1; if (ho == HO) { ho = 0; nb = nb + 1; } }
    }
  }
${x4('  bout[(chunk * K + kg * 4 + $) * c4n + c4] = acc$;')}`,
  );
}

/** grad[i] = Σ_c part[c·SIZE + i]. Bindings: bm (SIZE, CHUNKS), bpart, bgrad. */
export function chunkSumKernel(): KernelSource {
  return indexed(
    'chunk-sum',
    ['bm', 'bpart', 'bgrad'],
    ['SIZE', 'CHUNKS'],
    `  if (i >= SIZE) { return; }
  var s = 0.0;
  for (var c = 0; c < CHUNKS; c = c + 1) { s = s + bpart[c * SIZE + i]; }
  bgrad[i] = s;`,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Batch norm (training: batch statistics; eval: running statistics), fused with the residual add and the ReLU

/** Meta of the per-channel BN kernels. */
export const BN_META = ['C', 'HW', 'CS'] as const;

/** Threads per workgroup of the per-channel final reductions. */
export const FINAL_WG = 64;

/** Partitions of the rows of a BN layer for its partial reductions: ~64k threads, ≥ 4 rows each. */
export function bnPartitions(M: number, C: number): { parts: number; rows: number } {
  const want = Math.max(1, Math.min(Math.ceil(65536 / C), Math.ceil(M / 4)));
  const rows = Math.ceil(M / want);
  return { parts: Math.ceil(M / rows), rows };
}

/** Meta of the partial BN reductions. */
export const BN_PART_META = ['C', 'HW', 'P', 'R', 'CS'] as const;

/**
 * BN batch statistics, pass 1 of 2: thread (p, c) takes rows [p·R, (p+1)·R) of channel c and writes their count,
 * mean and sum of squared deviations (two passes over its own rows) to part[(p·C + c)·3 …].
 * Bindings: bm (C, HW, P, R, CS), bx, bpart. Threads: C·P.
 */
export function bnStatsPartialKernel(): KernelSource {
  return indexed(
    'bn-stats-partial',
    ['bm', 'bx', 'bpart'],
    BN_PART_META,
    `  if (i >= C * P) { return; }
  let c = i % C; let p = i / C;
  let m0 = p * R;
  let m1 = min(m0 + R, n * HW);
  var s = 0.0;
  for (var m = m0; m < m1; m = m + 1) { s = s + bx[m * C + c]; }
  let cnt = max(m1 - m0, 0);
  var mean = 0.0;
  if (cnt > 0) { mean = s / f32(cnt); }
  var q = 0.0;
  for (var m = m0; m < m1; m = m + 1) { let d = bx[m * C + c] - mean; q = q + d * d; }
  let o = (p * C + c) * 3;
  bpart[o] = f32(cnt); bpart[o + 1] = mean; bpart[o + 2] = q;`,
  );
}

/**
 * BN batch statistics, pass 2: one workgroup per channel combines the P partial (count, mean, M2) triples
 * (Chan et al.) into the batch mean and biased variance, written to the layer's stats slot
 * [mean(CS) | var(CS) | count(CS)]. Bindings: bm (C, P, CS), bpart, bst. Workgroups: C.
 */
export function bnStatsFinalKernel(): KernelSource {
  const names = ['bm', 'bpart', 'bst'];
  const code = `${decls(names)}
var<workgroup> sn : array<f32, ${FINAL_WG}>;
var<workgroup> sm : array<f32, ${FINAL_WG}>;
var<workgroup> sq : array<f32, ${FINAL_WG}>;
${CHAN_COMBINE}
@compute @workgroup_size(${FINAL_WG})
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(local_invocation_index) lidu : u32) {
  let lid = i32(lidu);
  let c = i32(wid.x);
${metaLets(['C', 'P', 'CS'])}
  var a = vec3<f32>(0.0);
  for (var p = lid; p < P; p = p + ${FINAL_WG}) {
    let o = (p * C + c) * 3;
    a = combine(a.x, a.y, a.z, bpart[o], bpart[o + 1], bpart[o + 2]);
  }
  sn[lid] = a.x; sm[lid] = a.y; sq[lid] = a.z;
  workgroupBarrier();
  if (lid == 0) {
    var t = vec3<f32>(0.0);
    for (var k = 0; k < ${FINAL_WG}; k = k + 1) { t = combine(t.x, t.y, t.z, sn[k], sm[k], sq[k]); }
    bst[c] = t.y;
    bst[CS + c] = t.z / t.x;
    bst[2 * CS + c] = t.x;
  }
}`;
  return { name: 'bn-stats-final', code, bindings: names.length };
}

/** Partition counts up to which the per-channel final passes run one thread per channel (no barrier). */
export const SERIAL_FINAL_MAX_P = 256;

const CHAN_COMBINE = `fn combine(na : f32, ma : f32, qa : f32, nb : f32, mb : f32, qb : f32) -> vec3<f32> {
  let nn = na + nb;
  if (nb == 0.0) { return vec3<f32>(na, ma, qa); }
  if (na == 0.0) { return vec3<f32>(nb, mb, qb); }
  let d = mb - ma;
  return vec3<f32>(nn, ma + d * (nb / nn), qa + qb + d * d * (na * nb / nn));
}`;

/** bnStatsFinalKernel for few partitions: one thread per channel. Bindings: bm (C, P, CS), bpart, bst. Threads: C. */
export function bnStatsFinalSerialKernel(): KernelSource {
  return indexed(
    'bn-stats-final-serial',
    ['bm', 'bpart', 'bst'],
    ['C', 'P', 'CS'],
    `  if (i >= C) { return; }
  var t = vec3<f32>(0.0);
  for (var p = 0; p < P; p = p + 1) {
    let o = (p * C + i) * 3;
    t = combine(t.x, t.y, t.z, bpart[o], bpart[o + 1], bpart[o + 2]);
  }
  bst[i] = t.y;
  bst[CS + i] = t.z / t.x;
  bst[2 * CS + i] = t.x;`,
    FINAL_WG,
    CHAN_COMBINE,
  );
}

export type ResidualFwdKind = 'none' | 'identity' | 'optionA';

/** Meta of the BN apply kernel. */
export const BN_APPLY_META = ['H', 'W', 'C', 'CS', 'HIN', 'WIN', 'CIN', 'PADC'] as const;

/**
 * y = relu((x − μ)·rsqrt(σ² + eps)·γ + β [+ shortcut]); the option-A shortcut reads the block input
 * [n, HIN, WIN, CIN] at (2ho, 2wo, c − PADC). 'train': batch statistics from the stats slot; 'eval': running
 * statistics ([mean(CS) | var(CS)]). Bindings: bm, bx, bst, bgb (γ(C) | β(C)), by[, bres].
 */
export function bnApplyKernel(res: ResidualFwdKind, relu: boolean): KernelSource {
  const names = ['bm', 'bx', 'bst', 'bgb', 'by'];
  let r = '';
  if (res === 'identity') {
    names.push('bres');
    r = '  v = v + bres[i];';
  } else if (res === 'optionA') {
    names.push('bres');
    r = `  let m = i / C; let wo = m % W; let q = m / W; let ho = q % H; let nb = q / H;
  if (c >= PADC && c < PADC + CIN) { v = v + bres[((nb * HIN + 2 * ho) * WIN + 2 * wo) * CIN + c - PADC]; }`;
  }
  return indexed(
    `bn-apply${relu ? '-relu' : ''}${res === 'none' ? '' : `-${res}`}`,
    names,
    BN_APPLY_META,
    `  if (i >= n * H * W * C) { return; }
  let c = i % C;
  let istd = inverseSqrt(bst[CS + c] + ${BN_EPS});
  var v = (bx[i] - bst[c]) * istd * bgb[c] + bgb[C + c];
${r}
${relu ? '  v = select(v, 0.0, v < 0.0);' : ''}
  by[i] = v;`,
  );
}

/**
 * BN backward, pass 1 of 2: thread (p, c) sums g·x̂ and g over rows [p·R, (p+1)·R) of channel c, with
 * g = gy·[y > 0] when the layer is followed by a ReLU. Bindings: bm (C, HW, P, R, CS), bgy, by, bx, bst, bpart.
 * Threads: C·P.
 */
export function bnBackwardPartialKernel(relu: boolean): KernelSource {
  const g = relu ? 'bgy[i2] * select(0.0, 1.0, by[i2] > 0.0)' : 'bgy[i2]';
  return indexed(
    `bn-backward-partial${relu ? '-relu' : ''}`,
    ['bm', 'bgy', 'by', 'bx', 'bst', 'bpart'],
    BN_PART_META,
    `  if (i >= C * P) { return; }
  let c = i % C; let p = i / C;
  let m0 = p * R;
  let m1 = min(m0 + R, n * HW);
  let mean = bst[c];
  let istd = inverseSqrt(bst[CS + c] + ${BN_EPS});
  var sg = 0.0;
  var sb = 0.0;
  for (var m = m0; m < m1; m = m + 1) {
    let i2 = m * C + c;
    let g = ${g};
    sb = sb + g;
    sg = sg + g * ((bx[i2] - mean) * istd);
  }
  bpart[(p * C + c) * 2] = sg;
  bpart[(p * C + c) * 2 + 1] = sb;`,
  );
}

/**
 * BN backward, pass 2: workgroups 0…C−1 add the partial sums of one channel each into the layer's gradient slot
 * [dγ(C) | dβ(C)]; the workgroups after them, when SIZE > 0, finish the previous convolution's chunked weight
 * gradient (grad[i] = Σ_k cpart[k·SIZE + i]) — one dispatch for both.
 * Bindings: bm (C, P, SIZE, CHUNKS), bpart, bgrad, bcpart, bcgrad. Workgroups: C + ⌈SIZE/64⌉.
 */
export function bnBackwardFinalKernel(): KernelSource {
  const names = ['bm', 'bpart', 'bgrad', 'bcpart', 'bcgrad'];
  const code = `${decls(names)}
var<workgroup> s1 : array<f32, ${FINAL_WG}>;
var<workgroup> s2 : array<f32, ${FINAL_WG}>;
var<workgroup> wc : i32;
@compute @workgroup_size(${FINAL_WG})
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(local_invocation_index) lidu : u32) {
  let lid = i32(lidu);
  let w = i32(wid.x);
${metaLets(['C', 'P', 'SIZE', 'CHUNKS'])}
  if (lid == 0) { wc = C; }
  if (w < workgroupUniformLoad(&wc)) {
    var a = 0.0;
    var b = 0.0;
    for (var p = lid; p < P; p = p + ${FINAL_WG}) { a = a + bpart[(p * C + w) * 2]; b = b + bpart[(p * C + w) * 2 + 1]; }
    s1[lid] = a;
    s2[lid] = b;
    workgroupBarrier();
    if (lid == 0) {
      var ta = 0.0;
      var tb = 0.0;
      for (var k = 0; k < ${FINAL_WG}; k = k + 1) { ta = ta + s1[k]; tb = tb + s2[k]; }
      bgrad[w] = ta;
      bgrad[C + w] = tb;
    }
    return;
  }
  let i = (w - C) * ${FINAL_WG} + lid;
  if (i >= SIZE) { return; }
  var s = 0.0;
  for (var k = 0; k < CHUNKS; k = k + 1) { s = s + bcpart[k * SIZE + i]; }
  bcgrad[i] = s;
}`;
  return { name: 'bn-backward-final', code, bindings: names.length };
}

/**
 * bnBackwardFinalKernel for few partitions: threads 0…C−1 one channel each, threads C… the pending chunk sum.
 * Bindings: bm (C, P, SIZE, CHUNKS), bpart, bgrad, bcpart, bcgrad. Threads: C + SIZE.
 */
export function bnBackwardFinalSerialKernel(): KernelSource {
  return indexed(
    'bn-backward-final-serial',
    ['bm', 'bpart', 'bgrad', 'bcpart', 'bcgrad'],
    ['C', 'P', 'SIZE', 'CHUNKS'],
    `  if (i < C) {
    var a = 0.0;
    var b = 0.0;
    for (var p = 0; p < P; p = p + 1) { a = a + bpart[(p * C + i) * 2]; b = b + bpart[(p * C + i) * 2 + 1]; }
    bgrad[i] = a;
    bgrad[C + i] = b;
    return;
  }
  let j = i - C;
  if (j >= SIZE) { return; }
  var s = 0.0;
  for (var k = 0; k < CHUNKS; k = k + 1) { s = s + bcpart[k * SIZE + j]; }
  bcgrad[j] = s;`,
    FINAL_WG,
  );
}

/**
 * BN backward, apply: dx = γ·istd·(g − x̂·dγ/N − dβ/N). Bindings: bm (C, HW, CS), bgy, by, bx, bst, bgb (γ | β),
 * bgrad (dγ | dβ), bdx.
 */
export function bnBackwardApplyKernel(relu: boolean): KernelSource {
  const g = relu ? 'bgy[i] * select(0.0, 1.0, by[i] > 0.0)' : 'bgy[i]';
  return indexed(
    `bn-backward-apply${relu ? '-relu' : ''}`,
    ['bm', 'bgy', 'by', 'bx', 'bst', 'bgb', 'bgrad', 'bdx'],
    BN_META,
    `  if (i >= n * HW * C) { return; }
  let c = i % C;
  let istd = inverseSqrt(bst[CS + c] + ${BN_EPS});
  let invN = 1.0 / f32(n * HW);
  let xh = (bx[i] - bst[c]) * istd;
  let proj = xh * (bgrad[c] * invN) + bgrad[C + c] * invN;
  bdx[i] = (${g} - proj) * (bgb[c] * istd);`,
  );
}

/**
 * Running statistics after a finite training step: running = 0.9·running + 0.1·batch, the variance with the
 * unbiased factor n/(n−1). Slots: stats [mean | var | count] (stride SS), running [mean | var] (stride RS), each
 * CS wide; channels with count 0 are padding. Bindings: bm (L, CS, SS, RS), bres (finite flag at [2]), bst, brun.
 */
export function bnCommitKernel(): KernelSource {
  return indexed(
    'bn-commit',
    ['bm', 'bres', 'bst', 'brun'],
    ['L', 'CS', 'SS', 'RS'],
    `  if (i >= L * CS || bres[2] < 0.5) { return; }
  let l = i / CS;
  let c = i % CS;
  let cnt = bst[l * SS + 2 * CS + c];
  if (cnt < 1.5) { return; }
  let r = l * RS + c;
  brun[r] = brun[r] * 0.9 + bst[l * SS + c] * 0.1;
  brun[r + CS] = brun[r + CS] * 0.9 + bst[l * SS + CS + c] * ((0.1 * cnt) / (cnt - 1.0));`,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Pooling

const POOL_META = ['H', 'W', 'C', 'S'] as const;

/** S×S max-pool, stride S, 'valid'. Bindings: bm (H, W, C, S), bx, by. */
export function maxPoolKernel(): KernelSource {
  return indexed(
    'maxpool',
    ['bm', 'bx', 'by'],
    POOL_META,
    `  let HO = H / S; let WO = W / S;
  if (i >= n * HO * WO * C) { return; }
  let c = i % C; let m = i / C; let wo = m % WO; let q = m / WO; let ho = q % HO; let nb = q / HO;
  var best = bx[((nb * H + ho * S) * W + wo * S) * C + c];
  for (var dh = 0; dh < S; dh = dh + 1) {
    for (var dw = 0; dw < S; dw = dw + 1) {
      let v = bx[((nb * H + ho * S + dh) * W + wo * S + dw) * C + c];
      if (v > best) { best = v; }
    }
  }
  by[i] = best;`,
  );
}

/** Gradient of the max-pool: each window's gradient goes to its first maximum (row-major). Bindings: bm, bx, bgy, bdx. */
export function maxPoolBackwardKernel(): KernelSource {
  return indexed(
    'maxpool-backward',
    ['bm', 'bx', 'bgy', 'bdx'],
    POOL_META,
    `  let HO = H / S; let WO = W / S;
  if (i >= n * H * W * C) { return; }
  let c = i % C; let m = i / C; let x = m % W; let q = m / W; let y = q % H; let nb = q / H;
  let ho = y / S; let wo = x / S;
  var g = 0.0;
  if (ho < HO && wo < WO) {
    var best = bx[((nb * H + ho * S) * W + wo * S) * C + c];
    var pos = 0;
    for (var dh = 0; dh < S; dh = dh + 1) {
      for (var dw = 0; dw < S; dw = dw + 1) {
        let v = bx[((nb * H + ho * S + dh) * W + wo * S + dw) * C + c];
        if (v > best) { best = v; pos = dh * S + dw; }
      }
    }
    if (pos == (y - ho * S) * S + (x - wo * S)) { g = bgy[((nb * HO + ho) * WO + wo) * C + c]; }
  }
  bdx[i] = g;`,
  );
}

/** f[b, c] = mean over H·W. Bindings: bm (HW, C), bx, bf. */
export function gapKernel(): KernelSource {
  return indexed(
    'gap',
    ['bm', 'bx', 'bf'],
    ['HW', 'C'],
    `  if (i >= n * C) { return; }
  let nb = i / C; let c = i % C;
  var s = 0.0;
  for (var p = 0; p < HW; p = p + 1) { s = s + bx[(nb * HW + p) * C + c]; }
  bf[i] = s / f32(HW);`,
  );
}

/** Gradient of the global average pool. Bindings: bm (HW, C), bdf, bdx. */
export function gapBackwardKernel(): KernelSource {
  return indexed(
    'gap-backward',
    ['bm', 'bdf', 'bdx'],
    ['HW', 'C'],
    `  if (i >= n * HW * C) { return; }
  let c = i % C; let nb = i / (HW * C);
  bdx[i] = bdf[nb * C + c] / f32(HW);`,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Head, loss, head backward (the "tail"): binding 0 is the step block; they share one scratch region

/** Offsets (floats) inside the tail scratch region. */
export interface TailLayout {
  o: number;
  dO: number;
  nf: number;
  nw: number;
  gn: number;
  nr: number;
  lse: number;
  coef: number;
  total: number;
}

export function tailLayout(maxB: number, C: number): TailLayout {
  const o = 0;
  const dO = o + maxB * C;
  const nf = dO + maxB * C;
  const nw = nf + maxB;
  const gn = nw + C;
  const nr = gn + maxB;
  const lse = nr + maxB;
  const coef = lse + 2 * maxB;
  const total = coef + 2 * maxB;
  return { o, dO, nf, nw, gn, nr, lse, coef, total };
}

/**
 * The step block the CPU writes before each step. Header words: [0] n (i32), [1] lr, [2] weight decay,
 * [3] momentum, [4] terms (i32: 1, or 2 with mixup), [5] λ (weight of term 0), [6] focal γ, [7] class weights on
 * (i32), [8] maxBatch (i32), [9] C (i32), [10] D (i32). Then labels [2][maxB], noise [2][maxB·C] and the seven
 * per-class vectors of the logit form.
 */
export interface StepLayout {
  labels: number;
  noise: number;
  outScale: number;
  sampleScale: number;
  noiseAmp: number;
  targetMargin: number;
  logitBias: number;
  featureStimulus: number;
  classWeight: number;
  total: number;
}

export const STEP_HEADER = 16;

export function stepLayout(maxB: number, C: number): StepLayout {
  const labels = STEP_HEADER;
  const noise = labels + 2 * maxB;
  const outScale = noise + 2 * maxB * C;
  const sampleScale = outScale + C;
  const noiseAmp = sampleScale + C;
  const targetMargin = noiseAmp + C;
  const logitBias = targetMargin + C;
  const featureStimulus = logitBias + C;
  const classWeight = featureStimulus + C;
  const total = classWeight + C;
  return { labels, noise, outScale, sampleScale, noiseAmp, targetMargin, logitBias, featureStimulus, classWeight, total };
}

/** Offsets (floats) of the result block that is read back after each step: [0] loss, [1] Σ gradients, [2] finite. */
export function resultLayout(maxB: number): { norms: number; preds: number; total: number } {
  return { norms: 4, preds: 4 + maxB, total: 4 + 2 * maxB };
}

/** WGSL: the step/tail offsets from the step block's header (bm is the step block here). */
const TAIL_LETS = `  let n = bitcast<i32>(bm[0]);
  let MAXB = bitcast<i32>(bm[8]);
  let C = bitcast<i32>(bm[9]);
  let D = bitcast<i32>(bm[10]);
  let T_O = 0;
  let T_DO = MAXB * C;
  let T_NF = 2 * MAXB * C;
  let T_NW = T_NF + MAXB;
  let T_GN = T_NW + C;
  let T_NR = T_GN + MAXB;
  let T_LSE = T_NR + MAXB;
  let T_COEF = T_LSE + 2 * MAXB;`;

function tailKernel(name: string, names: readonly string[], body: string, extra = '', wg = WG): KernelSource {
  const code = `${decls(names)}
${COMMON}
${extra}
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(num_workgroups) nwg : vec3<u32>,
        @builtin(local_invocation_index) lidu : u32) {
  let i = i32((wid.y * nwg.x + wid.x) * ${wg}u + lidu);
  let lid = i32(lidu);
${TAIL_LETS}
${body}
}`;
  return { name, code, bindings: names.length };
}

/**
 * Classifier output o [n, C] (cosine: normalize_rows(f)·normalize_cols(W), norms clamped at 1e-12; linear:
 * f·W + b) and the norms ‖f_b‖, ‖W_c‖ for the backward pass. Bindings: bm (step block), bf, bp (W | b), bt (tail).
 */
export function headForwardKernel(kind: 'cosine' | 'linear'): KernelSource {
  const dot =
    kind === 'cosine'
      ? `  let nfc = max(nf, 1e-12); let nwc = max(nw, 1e-12);
  var s = 0.0;
  for (var d = 0; d < D; d = d + 1) { s = s + (bf[b * D + d] / nfc) * (bp[d * C + c] / nwc); }`
      : `  var s = 0.0;
  for (var d = 0; d < D; d = d + 1) { s = s + bf[b * D + d] * bp[d * C + c]; }
  s = s + bp[D * C + c];`;
  return tailKernel(
    `head-forward-${kind}`,
    ['bm', 'bf', 'bp', 'bt'],
    `  if (i >= n * C) { return; }
  let b = i / C; let c = i % C;
  var sf = 0.0; var sw = 0.0;
  for (var d = 0; d < D; d = d + 1) { let a = bf[b * D + d]; sf = sf + a * a; let w = bp[d * C + c]; sw = sw + w * w; }
  let nf = sqrt(sf); let nw = sqrt(sw);
${dot}
  bt[T_O + i] = s;
  if (c == 0) { bt[T_NF + b] = nf; }
  if (b == 0) { bt[T_NW + c] = nw; }`,
  );
}

/**
 * The loss in the common logit form (src/core/losses/logit-form.ts; evalLogitForm is its float64 specification),
 * one workgroup: up to two terms (mixup: λ·L(y_a, ε_a) + (1−λ)·L(y_b, ε_b), each with its own weighted mean),
 * d loss / d output into the tail's dO, d loss / d‖f‖ into its gn, and into the result block the loss, the
 * feature norms ‖f_b‖ and the arg-max predictions. Bindings: bm (step block), bf, bt (tail), bres (result).
 */
export function lossKernel(): KernelSource {
  const term = (t: 0 | 1) => `
  {
    var num = 0.0;
    var dsum = 0.0;
    if (${t} < terms) {
      for (var b = lid; b < n; b = b + ${WG}) {
        let y = bitcast<i32>(bm[S_LAB + ${t} * MAXB + b]);
        let nrm = bt[T_NR + b];
        var mx = -3.4e38;
        for (var c = 0; c < C; c = c + 1) { mx = max(mx, logit(${t}, b, c, y, nrm)); }
        var se = 0.0;
        for (var c = 0; c < C; c = c + 1) { se = se + exp(logit(${t}, b, c, y, nrm) - mx); }
        let lse = mx + log(se);
        let nll = lse - logit(${t}, b, y, y, nrm);
        var focal = 1.0;
        if (gamma != 0.0) { focal = pow(max(1.0 - exp(-nll), 0.0), gamma); }
        var w = 1.0;
        if (useCw) { w = bm[S_CW + y]; }
        bt[T_LSE + ${t} * MAXB + b] = lse;
        bt[T_COEF + ${t} * MAXB + b] = w * focal;
        num = num + w * focal * nll;
        dsum = dsum + w;
      }
    }
    reduce2(lid, num, dsum, false);
    den[${t}] = t2;
    if (${t} < terms) { total = total + ${t === 0 ? 'lam' : '(1.0 - lam)'} * (t1 / t2); }
  }`;
  const extra = `${REDUCE2}
var<private> S_LAB : i32;
var<private> S_NOI : i32;
var<private> S_OS : i32;
var<private> S_SS : i32;
var<private> S_NA : i32;
var<private> S_TM : i32;
var<private> S_LB : i32;
var<private> S_FS : i32;
var<private> S_CW : i32;
var<private> PMAXB : i32;
var<private> PC : i32;
var<private> PT_O : i32;
fn logit(t : i32, b : i32, c : i32, y : i32, nrm : f32) -> f32 {
  let S = bm[S_SS + y];
  let eps = abs(bm[S_NOI + (t * PMAXB + b) * PC + c]);
  var inner = bm[S_OS + c] * bt[PT_O + b * PC + c] - bm[S_NA + c] * eps;
  if (c == y) { inner = inner - bm[S_TM + c]; }
  return S * inner + bm[S_LB + c] - bm[S_FS + c] / (nrm + 1e-12);
}`;
  return tailKernel(
    'loss',
    ['bm', 'bf', 'bt', 'bres'],
    `  let R_NORM = 4;
  let R_PRED = 4 + MAXB;
  S_LAB = ${STEP_HEADER};
  S_NOI = S_LAB + 2 * MAXB;
  S_OS = S_NOI + 2 * MAXB * C;
  S_SS = S_OS + C;
  S_NA = S_SS + C;
  S_TM = S_NA + C;
  S_LB = S_TM + C;
  S_FS = S_LB + C;
  S_CW = S_FS + C;
  PMAXB = MAXB;
  PC = C;
  PT_O = T_O;
  let terms = bitcast<i32>(bm[4]);
  let lam = bm[5];
  let gamma = bm[6];
  let useCw = bitcast<i32>(bm[7]) != 0;
  for (var b = lid; b < n; b = b + ${WG}) {
    var sf = 0.0;
    for (var d = 0; d < D; d = d + 1) { let a = bf[b * D + d]; sf = sf + a * a; }
    bt[T_NR + b] = sqrt(sf + 1e-24);
    bres[R_NORM + b] = sqrt(sf);
    var best = bt[T_O + b * C];
    var arg = 0;
    for (var c = 1; c < C; c = c + 1) { let v = bt[T_O + b * C + c]; if (v > best) { best = v; arg = c; } }
    bres[R_PRED + b] = f32(arg);
  }
  var den : array<f32, 2>;
  var total = 0.0;
${term(0)}
${term(1)}
  for (var b = lid; b < n; b = b + ${WG}) {
    let nrm = bt[T_NR + b];
    let ne = nrm + 1e-12;
    var gn = 0.0;
    for (var c = 0; c < C; c = c + 1) { bt[T_DO + b * C + c] = 0.0; }
    for (var t = 0; t < terms; t = t + 1) {
      let y = bitcast<i32>(bm[S_LAB + t * MAXB + b]);
      let S = bm[S_SS + y];
      let k = select(1.0 - lam, lam, t == 0) * bt[T_COEF + t * MAXB + b] / den[t];
      let lse = bt[T_LSE + t * MAXB + b];
      for (var c = 0; c < C; c = c + 1) {
        let p = exp(logit(t, b, c, y, nrm) - lse);
        let g = k * (p - select(0.0, 1.0, c == y));
        bt[T_DO + b * C + c] = bt[T_DO + b * C + c] + g * S * bm[S_OS + c];
        gn = gn + g * bm[S_FS + c] / (ne * ne);
      }
    }
    bt[T_GN + b] = gn;
  }
  if (lid == 0) { bres[0] = total; }`,
    extra,
  );
}

/**
 * Gradients of the head: dW (and db) into the classifier's gradient slot and, unless frozen (step header word 11),
 * df [n, D] including the FBL path through ‖f‖ (gn·f/‖f‖). Threads: maxB·D (df) + D·C (dW) + C (db, linear).
 * Bindings: bm (step block), bf, bp (W | b), bt (tail), bg (dW | db), bdf.
 */
export function headBackwardKernel(kind: 'cosine' | 'linear'): KernelSource {
  const df =
    kind === 'cosine'
      ? `    let nf = bt[T_NF + b]; let nfc = max(nf, 1e-12);
    var dfn = 0.0; var s = 0.0;
    for (var c = 0; c < C; c = c + 1) {
      let g = bt[T_DO + b * C + c];
      dfn = dfn + g * (bp[d * C + c] / max(bt[T_NW + c], 1e-12));
      s = s + g * bt[T_O + b * C + c];
    }
    var v = dfn / 1e-12;
    if (nf > 1e-12) { v = (dfn - (bf[b * D + d] / nfc) * s) / nfc; }`
      : `    var v = 0.0;
    for (var c = 0; c < C; c = c + 1) { v = v + bt[T_DO + b * C + c] * bp[d * C + c]; }`;
  const dw =
    kind === 'cosine'
      ? `    let nw = bt[T_NW + c]; let nwc = max(nw, 1e-12);
    var dwn = 0.0; var t = 0.0;
    for (var b = 0; b < n; b = b + 1) {
      let g = bt[T_DO + b * C + c];
      dwn = dwn + (bf[b * D + d] / max(bt[T_NF + b], 1e-12)) * g;
      t = t + g * bt[T_O + b * C + c];
    }
    var v = dwn / 1e-12;
    if (nw > 1e-12) { v = (dwn - (bp[d * C + c] / nwc) * t) / nwc; }
    bg[j] = v;`
      : `    var v = 0.0;
    for (var b = 0; b < n; b = b + 1) { v = v + bf[b * D + d] * bt[T_DO + b * C + c]; }
    bg[j] = v;`;
  const db =
    kind === 'linear'
      ? `  } else if (j < D * C + C) {
    let c = j - D * C;
    var v = 0.0;
    for (var b = 0; b < n; b = b + 1) { v = v + bt[T_DO + b * C + c]; }
    bg[j] = v;`
      : '';
  return tailKernel(
    `head-backward-${kind}`,
    ['bm', 'bf', 'bp', 'bt', 'bg', 'bdf'],
    `  let frozen = bitcast<i32>(bm[11]) != 0;
  if (i < MAXB * D) {
    let b = i / D; let d = i % D;
    if (b >= n || frozen) { return; }
${df}
    bdf[i] = v + bt[T_GN + b] * bf[i] / bt[T_NR + b];
    return;
  }
  let j = i - MAXB * D;
  if (j < D * C) {
    let d = j / C; let c = j % C;
${dw}
${db}
  }`,
  );
}

/** Threads of the head backward kernel. */
export function headBackwardThreads(kind: 'cosine' | 'linear', maxB: number, C: number, D: number): number {
  return maxB * D + D * C + (kind === 'linear' ? C : 0);
}

// ---------------------------------------------------------------------------------------------------------------
// Health check and SGD

/** Gradient elements per thread of the gradient-sum kernel. */
export const GRADSUM_PER_THREAD = 64;

/** Parameters per thread of the SGD kernel (a multiple of 4: read as vec4; fewer threads cost a software adapter less). */
export const SGD_PER_THREAD = 16;

/**
 * Partial sums of the gradients in [0, LEN) of the bound range, GRADSUM_PER_THREAD per thread, and whether any is
 * non-finite (by its bits, so no compiler assumption about NaN can hide it). Bindings: bm (LEN, P), bg,
 * bpart ([sum(P) | bad(P)]). Threads: P.
 */
export function gradSumKernel(): KernelSource {
  return indexedV4(
    'grad-sum',
    ['bm', 'bg', 'bpart'],
    ['bg'],
    ['LEN', 'P'],
    `  if (i >= P) { return; }
  let e0 = i * ${GRADSUM_PER_THREAD / 4};
  let e1 = min(e0 + ${GRADSUM_PER_THREAD / 4}, LEN / 4);
  var s = 0.0;
  var ok = true;
  for (var e = e0; e < e1; e = e + 1) {
    let g = bg[e];
    s = s + ((g.x + g.y) + (g.z + g.w));
    ok = ok && isFiniteF(g.x) && isFiniteF(g.y) && isFiniteF(g.z) && isFiniteF(g.w);
  }
  bpart[i] = s;
  bpart[P + i] = select(1.0, 0.0, ok);`,
  );
}

/** Result block: [1] Σ gradients, [2] 1 when the loss and every gradient are finite (else 0). Bindings: bm (P), bpart, bres. */
export function healthKernel(): KernelSource {
  const names = ['bm', 'bpart', 'bres'];
  const code = `${decls(names)}
${COMMON}
${REDUCE2}
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_index) lidu : u32) {
  let lid = i32(lidu);
${metaLets(['P'])}
  var s = 0.0;
  var bad = 0.0;
  for (var p = lid; p < P; p = p + ${WG}) { s = s + bpart[p]; bad = max(bad, bpart[P + p]); }
  reduce2(lid, s, bad, true);
  if (lid == 0) {
    let ok = t2 < 0.5 && isFiniteF(t1) && isFiniteF(bres[0]);
    bres[1] = t1;
    bres[2] = select(0.0, 1.0, ok);
  }
}`;
  return { name: 'health', code, bindings: names.length };
}

/**
 * SGD with momentum and coupled weight decay (PyTorch): d = g + wd·w; v ← μ·v + d; w ← w − lr·v, over [0, LEN)
 * of the bound ranges (LEN a multiple of 4, read as vec4; SGD_PER_THREAD per thread), only when the result block says
 * the step is finite.
 * Bindings: bm (LEN), bstep (lr, wd, μ), bres, bp, bg, bv.
 */
export function sgdKernel(): KernelSource {
  return indexedV4(
    'sgd',
    ['bm', 'bstep', 'bres', 'bp', 'bg', 'bv'],
    ['bp', 'bg', 'bv'],
    ['LEN'],
    `  let e0 = i * ${SGD_PER_THREAD / 4};
  let e1 = min(e0 + ${SGD_PER_THREAD / 4}, LEN / 4);
  if (e0 >= e1 || bres[2] < 0.5) { return; }
  let lr = bstep[1]; let wd = bstep[2]; let mu = bstep[3];
  for (var e = e0; e < e1; e = e + 1) {
    let w = bp[e];
    let v = mu * bv[e] + (bg[e] + wd * w);
    bv[e] = v;
    bp[e] = w - lr * v;
  }`,
  );
}
