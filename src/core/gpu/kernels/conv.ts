/**
 * Convolutions: forward, input gradient (optionally fused with a residual block's shortcut gradient), the chunked
 * weight gradient and its chunk sum. Each has a scalar variant (any channel count; a network's first layer) and a
 * vec4 one for CI and CO multiples of 4 (every other layer; one load per 4 channels — a software adapter's cost
 * is mostly loads).
 */
import { CONV_WG, indexed, type IndexedOptions, type KernelDef, type PlanDims, x4 } from './wgsl';

/** Every convolution kernel runs CONV_WG threads per workgroup. */
const conv = <B extends string, M extends string>(o: Omit<IndexedOptions<B, M>, 'workgroupSize'>) =>
  indexed({ ...o, workgroupSize: CONV_WG });

/** Meta of the convolution kernels: the layer geometry. */
export const CONV_META = ['H', 'W', 'CI', 'HO', 'WO', 'CO', 'KS', 'ST', 'PD'] as const;
type ConvMeta = Readonly<Record<(typeof CONV_META)[number], number>>;

/** The scalar kernels' stores: acc$ (4 channels) to `to[offset…+3]` when `cond` holds, for $ = 0…3. */
const store4 = (cond: string, offset: string, to: string) =>
  x4(`  if (${cond}) {
    let o = ${offset};
    ${to}[o] = acc$.x; ${to}[o + 1] = acc$.y; ${to}[o + 2] = acc$.z; ${to}[o + 3] = acc$.w;
  }`);

/** The forward kernels' interface; threads: CO/4 · ⌈n·HO·WO/4⌉ (4 positions × 4 channels each). */
const FWD = {
  bindings: ['x', 'w', 'y'] as const,
  meta: CONV_META,
  threads: (m: ConvMeta, d: PlanDims) => (m.CO / 4) * Math.ceil((d.maxBatch * m.HO * m.WO) / 4),
};

/**
 * The register-blocked kernels' first lines: thread i → channels c4·4…+3 (of `channels`) at positions mb…mb+3
 * of `rows` (m$, clamped; `position` unpacks m$), the accumulators, the kernel-window loops opened and each
 * position's `taps` (with ok$), then `tap`.
 */
const blockedHead = (o: { channels: string; rows: string; position: string; taps: string }) => (extra: string, tap: string) =>
  `  let c4n = ${o.channels} / 4;
${extra}  let c4 = i % c4n;
  let mb = (i / c4n) * 4;
  let M = ${o.rows};
  if (mb >= M) { return; }
${x4(`  let m$ = min(mb + $, M - 1);
${o.position}`)}
${x4('  var acc$ = vec4<f32>(0.0);')}
  for (var kh = 0; kh < KS; kh = kh + 1) {
    for (var kw = 0; kw < KS; kw = kw + 1) {
${x4(`${o.taps}
${tap}`)}`;

/** The forward kernels' first lines (output positions, input taps hi$, wi$). */
const forwardHead = blockedHead({
  channels: 'CO',
  rows: 'n * HO * WO',
  position: '  let wo$ = m$ % WO; let q$ = m$ / WO; let hb$ = (q$ % HO) * ST - PD; let wb$ = wo$ * ST - PD; let xb$ = (q$ / HO) * H;',
  taps: `      let hi$ = hb$ + kh; let wi$ = wb$ + kw;
      let ok$ = hi$ >= 0 && hi$ < H && wi$ >= 0 && wi$ < W;`,
});

/** y[n·HO·WO, CO] = im2col(x)·W, each thread 4 consecutive output positions × 4 output channels. */
export const convForward = conv({
  ...FWD,
  name: 'conv-forward',
  body: `${forwardHead('', '      let b$ = select(0, ((xb$ + hi$) * W + wi$) * CI, ok$);')}
      let wrow = ((kh * KS + kw) * CI) * CO + c4 * 4;
      for (var ci = 0; ci < CI; ci = ci + 1) {
        let o = wrow + ci * CO;
        let wv = vec4<f32>(bw[o], bw[o + 1], bw[o + 2], bw[o + 3]);
${x4('        acc$ = acc$ + select(0.0, bx[b$ + ci], ok$) * wv;')}
      }
    }
  }
${store4('mb + $ < M', '(mb + $) * CO + c4 * 4', 'by')}`,
});

/**
 * The forward convolution for CI and CO multiples of 4, x, w and y read as vec4; each thread 4 consecutive output
 * positions × 4 output channels (8 positions would save loads, but made SwiftShader compile the forward kernel
 * for 18 s and crash on the input gradient).
 */
export const convForwardV4 = conv({
  ...FWD,
  name: 'conv-forward-v4',
  vec4: ['x', 'w', 'y'],
  body: `${forwardHead(
    '  let ci4n = CI / 4;\n',
    `      let b$ = select(0, ((xb$ + hi$) * W + wi$) * ci4n, ok$);
      let z$ = select(0.0, 1.0, ok$);`,
  )}
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
});

export type ResidualGradKind = 'none' | 'identity' | 'optionA';

const INPUT_GRAD_META = [...CONV_META, 'PADC'] as const;
type InputGradBinding = 'dy' | 'w' | 'dx' | 'gout' | 'out';
/** Bindings of the input-gradient kernels: with a shortcut, also its gradient and the block output (f32). */
const inputGradBindings = (res: ResidualGradKind): InputGradBinding[] =>
  res === 'none' ? ['dy', 'w', 'dx'] : ['dy', 'w', 'dx', 'gout', 'out'];
/** Threads of the input gradient: CI/4 · ⌈n·H·W/4⌉ (4 positions × 4 channels each). */
const inputGradThreads = (m: ConvMeta, d: PlanDims) => (m.CI / 4) * Math.ceil((d.maxBatch * m.H * m.W) / 4);

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

/** The input-gradient kernels' first lines (input positions, output taps ho$, wo$). */
const inputGradHead = blockedHead({
  channels: 'CI',
  rows: 'n * H * W',
  position: '  let ww$ = m$ % W; let q$ = m$ / W; let hh$ = q$ % H; let nn$ = q$ / H;',
  taps: `      let th$ = hh$ + PD - kh; let tw$ = ww$ + PD - kw;
      let ho$ = th$ / ST; let wo$ = tw$ / ST;
      let ok$ = th$ >= 0 && tw$ >= 0 && th$ % ST == 0 && tw$ % ST == 0 && ho$ < HO && wo$ < WO;`,
});

const suffix = (res: ResidualGradKind) => (res === 'none' ? '' : `-${res}`);

/**
 * dx[n·H·W, CI] = the transposed convolution of dy (strided or not), each thread 4 consecutive input positions × 4
 * input channels; for a block's first convolution plus the shortcut's gradient gout·[out > 0] (identity) or its
 * option-A subsample / channel-shift adjoint (PADC: the channel shift).
 */
export function convInputGrad(res: ResidualGradKind): KernelDef<InputGradBinding, (typeof INPUT_GRAD_META)[number]> {
  return conv({
    name: `conv-input-grad${suffix(res)}`,
    bindings: inputGradBindings(res),
    meta: INPUT_GRAD_META,
    threads: inputGradThreads,
    body: `${inputGradHead('', '      let b$ = select(0, ((nn$ * HO + ho$) * WO + wo$) * CO, ok$);')}
      let wrow = ((kh * KS + kw) * CI + c4 * 4) * CO;
      for (var co = 0; co < CO; co = co + 1) {
        let wv = vec4<f32>(bw[wrow + co], bw[wrow + CO + co], bw[wrow + 2 * CO + co], bw[wrow + 3 * CO + co]);
${x4('        acc$ = acc$ + select(0.0, bdy[b$ + co], ok$) * wv;')}
      }
    }
  }
${x4(`  if (mb + $ < M) {
    var v = acc$;
${residualGradCode(res)}
    let o = (mb + $) * CI + c4 * 4;
    bdx[o] = v.x; bdx[o + 1] = v.y; bdx[o + 2] = v.z; bdx[o + 3] = v.w;
  }`)}`,
  });
}

/** The input gradient for CI and CO multiples of 4: dy, w and dx as vec4 (the shortcut's gout and out stay f32). */
export function convInputGradV4(res: ResidualGradKind): KernelDef<InputGradBinding, (typeof INPUT_GRAD_META)[number]> {
  return conv({
    name: `conv-input-grad-v4${suffix(res)}`,
    bindings: inputGradBindings(res),
    vec4: ['dy', 'w', 'dx'],
    meta: INPUT_GRAD_META,
    threads: inputGradThreads,
    body: `${inputGradHead(
      '  let co4n = CO / 4;\n',
      `      let b$ = select(0, ((nn$ * HO + ho$) * WO + wo$) * co4n, ok$);
      let z$ = select(0.0, 1.0, ok$);`,
    )}
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
${residualGradCode(res)}
    bdx[(mb + $) * c4n + c4] = v;
  }`)}`,
  });
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

const WGRAD_META = [...CONV_META, 'LEN', 'CHUNKS'] as const;

/** The weight-gradient kernels' walk over their chunk's rows m (position wo, ho, nb kept incrementally). */
const CHUNK_ROWS_OPEN = `  let mStart = chunk * LEN;
  let mEnd = min(mStart + LEN, n * HO * WO);
${x4('  var acc$ = vec4<f32>(0.0);')}
  if (mStart < mEnd) {
    var wo = mStart % WO;
    var q = mStart / WO;
    var ho = q % HO;
    var nb = q / HO;
    for (var m = mStart; m < mEnd; m = m + 1) {`;
const CHUNK_ROWS_CLOSE = `      wo = wo + 1;
      if (wo == WO) { wo = 0; ho = ho + 1; if (ho == HO) { ho = 0; nb = nb + 1; } }
    }
  }`;
/** The weight-gradient kernels' interface; threads: ⌈K/4⌉ · CO/4 · CHUNKS. */
const WGRAD = {
  bindings: ['x', 'dy', 'out'] as const,
  meta: WGRAD_META,
  threads: (m: Readonly<Record<(typeof WGRAD_META)[number], number>>) => wgradThreadsPerChunk(m.KS * m.KS * m.CI, m.CO) * m.CHUNKS,
};

/**
 * Weight gradient, chunked over the reduction (the formulation of src/core/tfjs-kernels/conv2d-backprop-filter-webgpu.ts,
 * without shared memory): out[chunk, K, CO] = Σ over the chunk's LEN rows of im2col(x)[m, K] ⊗ dy[m, CO], the
 * im2col gathered on the fly; each thread 4 consecutive taps × 4 channels. With one chunk it writes the gradient.
 */
export const convWeightGrad = conv({
  ...WGRAD,
  name: 'conv-weight-grad',
  body: `  let K = KS * KS * CI;
  let c4n = CO / 4;
  let kgn = (K + 3) / 4;
  let c4 = i % c4n;
  let q0 = i / c4n;
  let kg = q0 % kgn;
  let chunk = q0 / kgn;
  if (chunk >= CHUNKS) { return; }
${x4(`  let kk$ = min(kg * 4 + $, K - 1);
  let ci$ = kk$ % CI; let t$ = kk$ / CI; let dw$ = t$ % KS - PD; let dh$ = t$ / KS - PD;`)}
${CHUNK_ROWS_OPEN}
      let o = m * CO + c4 * 4;
      let g = vec4<f32>(bdy[o], bdy[o + 1], bdy[o + 2], bdy[o + 3]);
${x4(`      let hi$ = ho * ST + dh$; let wi$ = wo * ST + dw$;
      let ok$ = hi$ >= 0 && hi$ < H && wi$ >= 0 && wi$ < W;
      acc$ = acc$ + select(0.0, bx[select(0, ((nb * H + hi$) * W + wi$) * CI + ci$, ok$)], ok$) * g;`)}
${CHUNK_ROWS_CLOSE}
${store4('kg * 4 + $ < K', '(chunk * K + kg * 4 + $) * CO + c4 * 4', 'bout')}`,
});

/**
 * The weight gradient for CI and CO multiples of 4 (same chunking and thread count), each thread's 4 taps being 4
 * consecutive input channels of one kernel position, so x, dy and out are read as vec4.
 */
export const convWeightGradV4 = conv({
  ...WGRAD,
  name: 'conv-weight-grad-v4',
  vec4: ['x', 'dy', 'out'],
  body: `  let K = KS * KS * CI;
  let c4n = CO / 4;
  let ci4n = CI / 4;
  let kgn = K / 4;
  let c4 = i % c4n;
  let q0 = i / c4n;
  let kg = q0 % kgn;
  let chunk = q0 / kgn;
  if (chunk >= CHUNKS) { return; }
  let cq = kg % ci4n; let t = kg / ci4n; let dw = t % KS - PD; let dh = t / KS - PD;
${CHUNK_ROWS_OPEN}
      let g = bdy[m * c4n + c4];
      let hi = ho * ST + dh; let wi = wo * ST + dw;
      let ok = hi >= 0 && hi < H && wi >= 0 && wi < W;
      let v = bx[select(0, ((nb * H + hi) * W + wi) * ci4n + cq, ok)] * select(0.0, 1.0, ok);
      acc0 = acc0 + v.x * g; acc1 = acc1 + v.y * g; acc2 = acc2 + v.z * g; acc3 = acc3 + v.w * g;
${CHUNK_ROWS_CLOSE}
${x4('  bout[(chunk * K + kg * 4 + $) * c4n + c4] = acc$;')}`,
});

/** grad[i] = Σ_c part[c·SIZE + i]: the chunks of a weight gradient added up. */
export const chunkSum = indexed({
  name: 'chunk-sum',
  bindings: ['part', 'grad'],
  meta: ['SIZE', 'CHUNKS'],
  threads: (m) => m.SIZE,
  body: `  if (i >= SIZE) { return; }
  var s = 0.0;
  for (var c = 0; c < CHUNKS; c = c + 1) { s = s + bpart[c * SIZE + i]; }
  bgrad[i] = s;`,
});
