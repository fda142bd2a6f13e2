/**
 * Tiled convolutions for hardware adapters: forward, input gradient and weight gradient as implicit GEMMs. A
 * workgroup of 64 threads stages a 16-deep slice of the gathered input tile and of the weight (or output-gradient)
 * tile in workgroup memory, then each thread accumulates a 4 × 4 register block from it. The layer geometry is
 * baked into the pipeline as WGSL `override` constants (one pipeline per layer geometry), so the index arithmetic
 * of the inner loops is multiplications by constants; every division or modulo happens once per thread, before
 * the loops or in the epilogue. Stride-2 input gradients run as ST² phase sub-convolutions, each with only the
 * taps that reach its positions. The weight gradient is split over a few chunks of the reduction and finished by
 * a tree reduction (`chunkSumTree`).
 *
 * Only layers with CI and CO multiples of 16 use them (16-channel slices of the reduction; a network's first layer
 * stays direct). Barriers inside loops make these kernels slow to compile on a software adapter, where the direct
 * kernels are also faster: see `convVariantFor`.
 */
import { indexed, type KernelCost, type KernelDef, type PlanDims, x4 } from './wgsl';
import { CONV_META } from './conv';

/** Threads per workgroup of the tiled convolutions; each owns 4 × 4 outputs, so a tile has 1024 outputs. */
const TILE_WG = 64;
/** Depth of one staged slice of the reduction (channels of one tap, or rows of the weight gradient). */
const BK = 16;

/** The executor's setting: the direct kernels, the tiled ones where a layer allows them, or the rule's choice. */
export type ConvVariantChoice = 'direct' | 'tiled' | 'auto';
/** What a plan runs: `tiled` = the tiled kernels on every layer that allows them. */
export type ConvVariant = 'direct' | 'tiled';

/** Geometry the choice looks at (square kernel). */
export interface TiledGeom {
  ci: number;
  co: number;
  ho: number;
  wo: number;
}

/** A layer the tiled kernels can run: CI and CO multiples of 16. */
export const tiledFits = (g: TiledGeom) => g.ci % 16 === 0 && g.co % 16 === 0;

/** Below this many outputs (n·HO·WO·CO at the plan's maximum batch) a layer keeps the direct kernels under 'auto'. */
export const TILED_MIN_OUTPUTS = 1 << 16;

/**
 * The variant a layer runs: direct where the tiled kernels do not fit; under 'auto' also where the layer is small
 * (a tile launch and its barriers cost more than they save).
 */
export function layerConvVariant(choice: ConvVariant | 'auto', g: TiledGeom, maxBatch: number): ConvVariant {
  if (choice === 'direct' || !tiledFits(g)) return 'direct';
  if (choice === 'tiled') return 'tiled';
  return maxBatch * g.ho * g.wo * g.co >= TILED_MIN_OUTPUTS ? 'tiled' : 'direct';
}

/** What the variant rule needs of an adapter. */
export interface AdapterFacts {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|warp|microsoft basic render|software/i;

/** A software (CPU-emulated) adapter, judged by its info strings. */
export function softwareAdapter(info: AdapterFacts | undefined): boolean {
  if (!info) return false;
  if (info.isFallbackAdapter) return true;
  return SOFTWARE.test([info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' '));
}

/**
 * The rule behind 'auto': a software adapter runs the direct kernels (SwiftShader compiles barrier loops slowly
 * and runs the direct kernels faster, as measured with the executor bench); a hardware adapter runs the tiled ones
 * on the layers large enough for them (`layerConvVariant`). A forced choice is taken as it is.
 */
export function convVariantFor(choice: ConvVariantChoice, info: AdapterFacts | undefined): ConvVariant | 'auto' {
  if (choice !== 'auto') return choice;
  return softwareAdapter(info) ? 'direct' : 'auto';
}

/** Channel width of a tile (its N dimension): 64, 32 or 16; the M dimension is 1024 / TN. */
export const tileN = (channels: number) => (channels % 64 === 0 ? 64 : channels % 32 === 0 ? 32 : 16);

type ConvMeta = Readonly<Record<(typeof CONV_META)[number], number>>;

const F32 = 4;
/** Bytes of a layer's input, output and weight tensors at the plan's maximum batch. */
function convBytes(m: ConvMeta, d: PlanDims) {
  const B = d.maxBatch;
  return {
    xs: B * m.H * m.W * m.CI * F32,
    ys: B * m.HO * m.WO * m.CO * F32,
    ws: m.KS * m.KS * m.CI * m.CO * F32,
  };
}
/** Multiply-adds ×2 of a GEMM pass over every output position and tap (masked edge taps included). */
const convFlops = (m: ConvMeta, d: PlanDims) => 2 * d.maxBatch * m.HO * m.WO * m.KS * m.KS * m.CI * m.CO;

/** Taps kh ∈ [0, KS) with kh ≡ first (mod ST): the taps of one phase along one axis. */
const phaseTaps = (first: number, ks: number, st: number) => Math.max(0, Math.ceil((ks - first) / st));

/**
 * Multiply-adds ×2 of the phase-split input gradient: each of the ST² phases runs its HP·WP positions over only
 * the taps that reach them.
 */
export function phaseInputGradFlops(m: ConvMeta, d: PlanDims): number {
  const hp = Math.ceil(m.H / m.ST);
  const wp = Math.ceil(m.W / m.ST);
  let taps = 0;
  for (let ph = 0; ph < m.ST; ph++)
    for (let pw = 0; pw < m.ST; pw++) taps += phaseTaps((ph + m.PD) % m.ST, m.KS, m.ST) * phaseTaps((pw + m.PD) % m.ST, m.KS, m.ST);
  return 2 * d.maxBatch * hp * wp * taps * m.CI * m.CO;
}

/** `override NAME : i32;` for each name. */
const overrides = (names: readonly string[]) => names.map((n) => `override ${n} : i32;`).join('\n');

/** Storage declarations of a tiled kernel (bm, then the bindings as `array<vec4<f32>>` unless listed in `scalar`). */
function tiledDecls(names: readonly string[], scalar: readonly string[] = []): string {
  return ['m', ...names]
    .map(
      (b, i) =>
        `@group(0) @binding(${i}) var<storage, read_write> b${b} : array<${b === 'm' || scalar.includes(b) ? 'f32' : 'vec4<f32>'}>;`,
    )
    .join('\n');
}

/** One tiled module: declarations, the override constants, the workgroup tiles and the entry point. */
function tiledModule(o: {
  bindings: readonly string[];
  scalar?: readonly string[];
  meta: readonly string[];
  shared: string;
  body: string;
}) {
  return `${tiledDecls(o.bindings, o.scalar)}
${overrides(o.meta)}
/** Tile width in channels (16, 32 or 64); the tile is 1024 / TN positions (or taps) deep. */
override TN : i32;
override TM : i32 = ${TILE_WG * 16} / TN;
const BK = ${BK};
${o.shared}
@compute @workgroup_size(${TILE_WG})
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(local_invocation_index) lid : u32) {
  let n = bitcast<i32>(bm[0]);
  let t = i32(lid);
  let tq = TN / 4;
  let tc = t % tq;
  let tr = t / tq;
${o.body}
}`;
}

/** A tiled definition: its override constants are its meta words plus TN (from `channels`), per dispatch. */
function tiledDef<B extends string, M extends string>(o: {
  name: string;
  bindings: readonly B[];
  scalar?: readonly B[];
  meta: readonly M[];
  channels: (m: Readonly<Record<M, number>>) => number;
  workgroups: (m: Readonly<Record<M, number>>, d: PlanDims) => [number, number, number];
  shared: string;
  body: string;
  cost: (m: Readonly<Record<M, number>>, d: PlanDims) => KernelCost;
}): KernelDef<B, M> {
  return {
    cost: (m, d) => ({ ...o.cost(m, d), staged: true }),
    name: o.name,
    code: tiledModule({ bindings: o.bindings, scalar: o.scalar, meta: o.meta, shared: o.shared, body: o.body }),
    bindings: o.bindings,
    meta: o.meta,
    workgroupSize: TILE_WG,
    constants: (m) => ({ ...(m as Readonly<Record<string, number>>), TN: tileN(o.channels(m)) }),
    launch: (m, d) => ({ workgroups: o.workgroups(m, d) }),
  };
}

const SHARED_AW = `var<workgroup> As : array<f32, ${BK * 64}>;
var<workgroup> Ws : array<f32, ${BK * 64}>;`;

/** The 4 × 4 register block's update from slice row kl: a (4 positions or taps) from As, w (4 channels) from Ws. */
const blockUpdate = (aRow: string, wv: string) => `        let a = ${aRow};
        let wv = ${wv};
${x4('        acc$ = acc$ + As[a + $] * wv;')}`;

/**
 * y[n·HO·WO, CO] = im2col(x) · W: a workgroup computes TM positions × TN output channels; each slice is one kernel
 * tap × 16 input channels.
 */
export const convForwardTiled: KernelDef<'x' | 'w' | 'y', (typeof CONV_META)[number]> = tiledDef({
  name: 'conv-forward-tiled',
  bindings: ['x', 'w', 'y'],
  meta: CONV_META,
  channels: (m) => m.CO,
  workgroups: (m: ConvMeta, d) => {
    const tn = tileN(m.CO);
    return [Math.ceil((d.maxBatch * m.HO * m.WO) / (1024 / tn)), m.CO / tn, 1];
  },
  shared: SHARED_AW,
  cost: (m, d) => {
    const b = convBytes(m, d);
    return { flops: convFlops(m, d), bytesRead: b.xs + b.ws, bytesWritten: b.ys };
  },
  body: `  let M = n * HO * WO;
  let m0 = i32(wid.x) * TM;
  let cq0 = i32(wid.y) * tq;
  let ci4n = CI / 4;
  let co4n = CO / 4;
  // loader of the input slice: rows ar$ (up to 4; TM / 16 of them), channel quad aq
  let aq = t % 4;
${x4(`  let ar$ = t / 4 + 16 * $;
  let am$ = m0 + ar$;
  let aon$ = ar$ < TM && am$ < M;
  let awo$ = am$ % WO; let aq$ = am$ / WO;
  let ahb$ = (aq$ % HO) * ST - PD; let awb$ = awo$ * ST - PD; let anb$ = (aq$ / HO) * H;`)}
  // loader of the weight slice: vec4 wi$ (row wk$, channel quad wc$), TN / 16 of them
${x4(`  let wi$ = t + ${TILE_WG} * $;
  let won$ = wi$ < 4 * TN;
  let wk$ = wi$ / tq; let wc$ = wi$ % tq;`)}
${x4('  var acc$ = vec4<f32>(0.0);')}
  for (var kh = 0; kh < KS; kh = kh + 1) {
    for (var kw = 0; kw < KS; kw = kw + 1) {
${x4(`      let hi$ = ahb$ + kh; let wi_$ = awb$ + kw;
      let ok$ = aon$ && hi$ >= 0 && hi$ < H && wi_$ >= 0 && wi_$ < W;
      let xb$ = select(0, ((anb$ + hi$) * W + wi_$) * ci4n + aq, ok$);`)}
      let wrow = (kh * KS + kw) * CI;
      for (var cq = 0; cq < ci4n; cq = cq + 4) {
        workgroupBarrier();
${x4(`        if (ar$ < TM) {
          let v = select(vec4<f32>(0.0), bx[xb$ + cq], ok$);
          let r = aq * 4 * TM + ar$;
          As[r] = v.x; As[r + TM] = v.y; As[r + 2 * TM] = v.z; As[r + 3 * TM] = v.w;
        }`)}
${x4(`        if (won$) {
          let v = bw[(wrow + cq * 4 + wk$) * co4n + cq0 + wc$];
          let r = wk$ * TN + wc$ * 4;
          Ws[r] = v.x; Ws[r + 1] = v.y; Ws[r + 2] = v.z; Ws[r + 3] = v.w;
        }`)}
        workgroupBarrier();
        for (var kl = 0; kl < BK; kl = kl + 1) {
${blockUpdate('kl * TM + tr * 4', 'vec4<f32>(Ws[kl * TN + tc * 4], Ws[kl * TN + tc * 4 + 1], Ws[kl * TN + tc * 4 + 2], Ws[kl * TN + tc * 4 + 3])')}
        }
      }
    }
  }
${x4(`  let om$ = m0 + tr * 4 + $;
  if (om$ < M) { by[om$ * co4n + cq0 + tc] = acc$; }`)}`,
});

type TiledResidual = 'none' | 'identity' | 'optionA';
const INPUT_GRAD_META = [...CONV_META, 'PADC'] as const;
type InputGradBinding = 'dy' | 'w' | 'dx' | 'gout' | 'out';

/** What the epilogue adds to position (nb, h, w)'s 4 channels `v` (vec4 index `ro` of dx): the shortcut's gradient. */
function residualEpilogue(res: TiledResidual): string {
  const mask = (o: string) => `select(vec4<f32>(0.0), bgout[${o}], bout[${o}] > vec4<f32>(0.0))`;
  if (res === 'identity') return `      v = v + ${mask('ro')};`;
  if (res === 'optionA') {
    return `      if (h % 2 == 0 && w % 2 == 0) {
        let rq = ((nb * HO + h / 2) * WO + w / 2) * co4n + PADC / 4 + cq0 + tc;
        v = v + ${mask('rq')};
      }`;
  }
  return '';
}

/**
 * dx[n·H·W, CI] = the transposed convolution of dy: phase (ph, pw) = wid.z holds the input positions
 * (ph + ST·h2, pw + ST·w2), and only the taps kh ≡ ph + PD (mod ST) reach them — for stride 2 a quarter of the
 * positions with 1, 2 or 4 of the 9 taps, no wasted ones. A workgroup computes TM positions of one phase × TN
 * input channels; each slice is one tap × 16 output channels. With a shortcut, its gradient is added in the
 * epilogue (identity, or option-A's subsample / channel-shift adjoint).
 */
export function convInputGradTiled(res: TiledResidual): KernelDef<InputGradBinding, (typeof INPUT_GRAD_META)[number]> {
  const bindings: InputGradBinding[] = res === 'none' ? ['dy', 'w', 'dx'] : ['dy', 'w', 'dx', 'gout', 'out'];
  return tiledDef({
    name: `conv-input-grad-tiled${res === 'none' ? '' : `-${res}`}`,
    bindings,
    meta: INPUT_GRAD_META,
    channels: (m) => m.CI,
    workgroups: (m, d) => {
      const tn = tileN(m.CI);
      const hp = Math.ceil(m.H / m.ST);
      const wp = Math.ceil(m.W / m.ST);
      return [Math.ceil((d.maxBatch * hp * wp) / (1024 / tn)), m.CI / tn, m.ST * m.ST];
    },
    shared: `${SHARED_AW}
override HP : i32 = (H + ST - 1) / ST;
override WP : i32 = (W + ST - 1) / ST;`,
    cost: (m, d) => {
      const b = convBytes(m, d);
      const shortcut = res === 'identity' ? 2 * b.xs : res === 'optionA' ? 2 * b.ys * (m.CI / m.CO) : 0;
      return { flops: phaseInputGradFlops(m, d), bytesRead: b.ys + b.ws + shortcut, bytesWritten: b.xs };
    },
    body: `  let MP = n * HP * WP;
  let m0 = i32(wid.x) * TM;
  let cq0 = i32(wid.y) * tq;
  let ph = i32(wid.z) / ST;
  let pw = i32(wid.z) % ST;
  let ci4n = CI / 4;
  let co4n = CO / 4;
  // the phase's first taps and their output offsets: ho = h2 + oh0 − j for the j-th tap kh0 + ST·j
  let kh0 = (ph + PD) % ST; let oh0 = (ph + PD - kh0) / ST;
  let kw0 = (pw + PD) % ST; let ow0 = (pw + PD - kw0) / ST;
  // loader of the dy slice: rows ar$ (phase positions), output-channel quad aq
  let aq = t % 4;
${x4(`  let ar$ = t / 4 + 16 * $;
  let am$ = m0 + ar$;
  let aw2$ = am$ % WP; let aqq$ = am$ / WP; let ah2$ = aqq$ % HP; let anb$ = (aqq$ / HP) * HO;
  let aon$ = ar$ < TM && am$ < MP && ph + ST * ah2$ < H && pw + ST * aw2$ < W;`)}
  // loader of the weight slice: 4 output channels (quad wk$ of the slice) of input channel wc$
${x4(`  let wi$ = t + ${TILE_WG} * $;
  let won$ = wi$ < 4 * TN;
  let wc$ = wi$ / 4; let wk$ = wi$ % 4;`)}
${x4('  var acc$ = vec4<f32>(0.0);')}
  var oh = oh0;
  for (var kh = kh0; kh < KS; kh = kh + ST) {
    var ow = ow0;
    for (var kw = kw0; kw < KS; kw = kw + ST) {
${x4(`      let ho$ = ah2$ + oh; let wo$ = aw2$ + ow;
      let ok$ = aon$ && ho$ >= 0 && ho$ < HO && wo$ >= 0 && wo$ < WO;
      let db$ = select(0, ((anb$ + ho$) * WO + wo$) * co4n + aq, ok$);`)}
      let wrow = (kh * KS + kw) * CI + cq0 * 4;
      for (var cq = 0; cq < co4n; cq = cq + 4) {
        workgroupBarrier();
${x4(`        if (ar$ < TM) {
          let v = select(vec4<f32>(0.0), bdy[db$ + cq], ok$);
          let r = aq * 4 * TM + ar$;
          As[r] = v.x; As[r + TM] = v.y; As[r + 2 * TM] = v.z; As[r + 3 * TM] = v.w;
        }`)}
${x4(`        if (won$) {
          let v = bw[(wrow + wc$) * co4n + cq + wk$];
          let r = wk$ * 4 * TN + wc$;
          Ws[r] = v.x; Ws[r + TN] = v.y; Ws[r + 2 * TN] = v.z; Ws[r + 3 * TN] = v.w;
        }`)}
        workgroupBarrier();
        for (var kl = 0; kl < BK; kl = kl + 1) {
${blockUpdate('kl * TM + tr * 4', 'vec4<f32>(Ws[kl * TN + tc * 4], Ws[kl * TN + tc * 4 + 1], Ws[kl * TN + tc * 4 + 2], Ws[kl * TN + tc * 4 + 3])')}
        }
      }
      ow = ow - 1;
    }
    oh = oh - 1;
  }
${x4(`  {
    let mm = m0 + tr * 4 + $;
    let w = pw + ST * (mm % WP); let q = mm / WP; let h = ph + ST * (q % HP); let nb = q / HP;
    if (mm < MP && h < H && w < W) {
      let ro = ((nb * H + h) * W + w) * ci4n + cq0 + tc;
      var v = acc$;
${residualEpilogue(res)}
      bdx[ro] = v;
    }
  }`)}`,
  });
}

/** Reduction rows a weight-gradient chunk walks per slice. */
const WG_ROWS = BK;

/**
 * Split of the tiled weight gradient's reduction over M = n·HO·WO rows: enough chunks to fill ~256 workgroups with
 * the layer's output tiles, at most 64 (the tree reduction's serial part stays ≤ 8 adds) and ≥ 64 rows each; LEN a
 * multiple of the slice depth.
 */
export function tiledWgradChunking(M: number, K: number, CO: number): { len: number; chunks: number } {
  const tn = tileN(CO);
  const tiles = Math.ceil(K / (1024 / tn)) * (CO / tn);
  const want = Math.max(1, Math.min(64, Math.ceil(256 / tiles), Math.ceil(M / 64)));
  const len = Math.ceil(Math.ceil(M / want) / WG_ROWS) * WG_ROWS;
  return { len, chunks: Math.ceil(M / len) };
}

const WGRAD_META = [...CONV_META, 'LEN', 'CHUNKS'] as const;

/**
 * out[chunk, K, CO] = Σ over the chunk's rows m of im2col(x)[m, K] ⊗ dy[m, CO]: a workgroup computes TM taps
 * (k = tap·CI + ci) × TN output channels over its chunk; each slice is 16 rows m, their im2col row gathered into
 * workgroup memory next to their dy row. The rows' positions advance incrementally (no division in the loop).
 */
export const convWeightGradTiled: KernelDef<'x' | 'dy' | 'out', (typeof WGRAD_META)[number]> = tiledDef({
  name: 'conv-weight-grad-tiled',
  bindings: ['x', 'dy', 'out'],
  meta: WGRAD_META,
  channels: (m) => m.CO,
  workgroups: (m) => {
    const tn = tileN(m.CO);
    return [Math.ceil((m.KS * m.KS * m.CI) / (1024 / tn)), m.CO / tn, m.CHUNKS];
  },
  shared: `var<workgroup> As : array<f32, ${WG_ROWS * 64}>;
var<workgroup> Ys : array<vec4<f32>, ${(WG_ROWS * 64) / 4}>;
var<workgroup> nw : i32;`,
  cost: (m, d) => {
    const b = convBytes(m, d);
    return { flops: convFlops(m, d), bytesRead: b.xs + b.ys, bytesWritten: m.CHUNKS * b.ws };
  },
  body: `  let K = KS * KS * CI;
  let k0 = i32(wid.x) * TM;
  let cq0 = i32(wid.y) * tq;
  let chunk = i32(wid.z);
  let ci4n = CI / 4;
  let co4n = CO / 4;
  let mStart = chunk * LEN;
  // n read through workgroup memory: a uniform value, so the loop around the barriers is uniform
  if (t == 0) { nw = n; }
  let mEnd = min(mStart + LEN, workgroupUniformLoad(&nw) * HO * WO);
  // loader of the im2col slice: tap quad kq (fixed), rows xr$ (TM / 16 of them)
  let tk4 = TM / 4;
  let kq = t % tk4;
  let kk = k0 + kq * 4;
  let kon = kk < K;
  let ciq = (kk % CI) / 4; let tap = kk / CI; let dh = tap / KS - PD; let dw = tap % KS - PD;
${x4(`  let xr$ = t / tk4 + $ * (${TILE_WG} / tk4);
  let xon$ = xr$ < ${WG_ROWS};
  var xwo$ = (mStart + xr$) % WO; let xq$ = (mStart + xr$) / WO; var xho$ = xq$ % HO; var xnb$ = xq$ / HO;`)}
  // loader of the dy slice: channel quad yc (fixed), rows yr$
  let yc = t % tq;
${x4(`  let yr$ = t / tq + $ * (${TILE_WG} / tq);
  let yon$ = yr$ < ${WG_ROWS};`)}
${x4('  var acc$ = vec4<f32>(0.0);')}
  for (var mb = mStart; mb < mEnd; mb = mb + ${WG_ROWS}) {
    workgroupBarrier();
${x4(`    if (xon$) {
      let hi = xho$ * ST + dh; let wi = xwo$ * ST + dw;
      let ok = kon && mb + xr$ < mEnd && hi >= 0 && hi < H && wi >= 0 && wi < W;
      let v = select(vec4<f32>(0.0), bx[select(0, ((xnb$ * H + hi) * W + wi) * ci4n + ciq, ok)], ok);
      let r = xr$ * TM + kq * 4;
      As[r] = v.x; As[r + 1] = v.y; As[r + 2] = v.z; As[r + 3] = v.w;
      xwo$ = xwo$ + ${WG_ROWS};
      loop { if (xwo$ < WO) { break; } xwo$ = xwo$ - WO; xho$ = xho$ + 1; }
      loop { if (xho$ < HO) { break; } xho$ = xho$ - HO; xnb$ = xnb$ + 1; }
    }`)}
${x4(`    if (yon$) {
      let m = mb + yr$;
      Ys[yr$ * tq + yc] = select(vec4<f32>(0.0), bdy[select(0, m * co4n + cq0 + yc, m < mEnd)], m < mEnd);
    }`)}
    workgroupBarrier();
    for (var r = 0; r < ${WG_ROWS}; r = r + 1) {
      let g = Ys[r * tq + tc];
      let a = r * TM + tr * 4;
${x4('      acc$ = acc$ + As[a + $] * g;')}
    }
  }
${x4(`  if (k0 + tr * 4 + $ < K) { bout[(chunk * K + k0 + tr * 4 + $) * co4n + cq0 + tc] = acc$; }`)}`,
});

/** Output lanes of one tree-reduction workgroup, and chunk lanes per output (256 threads). */
const TREE_OUT = 32;
const TREE_LANES = 8;

/**
 * grad[i] = Σ_c part[c·SIZE + i] as a tree: 8 lanes per output each add every 8th chunk (consecutive outputs per
 * lane, so the reads coalesce), then 8 → 4 → 2 → 1 in workgroup memory.
 */
export const chunkSumTree = indexed({
  name: 'chunk-sum-tree',
  bindings: ['part', 'grad'],
  meta: ['SIZE', 'CHUNKS'],
  threads: (m) => Math.ceil(m.SIZE / TREE_OUT) * 256,
  extra: 'var<workgroup> red : array<f32, 256>;',
  body: `  let l = i32(lid);
  let lane = l / ${TREE_OUT};
  let o = (i / 256) * ${TREE_OUT} + l % ${TREE_OUT};
  var s = 0.0;
  if (o < SIZE) {
    for (var c = lane; c < CHUNKS; c = c + ${TREE_LANES}) { s = s + bpart[c * SIZE + o]; }
  }
  red[l] = s;
  workgroupBarrier();
  if (lane < 4) { red[l] = red[l] + red[l + 128]; }
  workgroupBarrier();
  if (lane < 2) { red[l] = red[l] + red[l + 64]; }
  workgroupBarrier();
  if (lane == 0 && o < SIZE) { bgrad[o] = red[l] + red[l + 32]; }`,
});
