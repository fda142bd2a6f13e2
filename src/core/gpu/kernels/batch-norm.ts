/**
 * Batch norm (training: batch statistics; eval: running statistics), fused with the residual add and the ReLU:
 * two-pass partial/final reductions for the statistics and the backward sums, the apply passes and the running
 * statistics' update.
 */
import { BN_EPS, BN_MOMENTUM } from '../../models/spec';
import { RESULT_WORD } from '../step-block';
import { decls, indexed, type KernelDef, metaLets } from './wgsl';

/** ε as WGSL spells it. */
const EPS = BN_EPS.toExponential();

/** Meta of the per-channel BN kernels. */
export const BN_META = ['C', 'HW', 'CS'] as const;

/** Threads per workgroup of the per-channel final reductions. */
export const FINAL_WG = 64;

/** Partition counts up to which the per-channel final passes run one thread per channel (no barrier). */
export const SERIAL_FINAL_MAX_P = 256;

/** Partitions of the rows of a BN layer for its partial reductions: ~64k threads, ≥ 4 rows each. */
export function bnPartitions(M: number, C: number): { parts: number; rows: number } {
  const want = Math.max(1, Math.min(Math.ceil(65536 / C), Math.ceil(M / 4)));
  const rows = Math.ceil(M / want);
  return { parts: Math.ceil(M / rows), rows };
}

/** Meta of the partial BN reductions. */
export const BN_PART_META = ['C', 'HW', 'P', 'R', 'CS'] as const;

/** The partial reductions' first lines: thread i → channel c, partition p, its rows [m0, m1). */
const PARTIAL_ROWS = `  if (i >= C * P) { return; }
  let c = i % C; let p = i / C;
  let m0 = p * R;
  let m1 = min(m0 + R, n * HW);`;

/**
 * BN batch statistics, pass 1 of 2: thread (p, c) takes rows [p·R, (p+1)·R) of channel c and writes their count,
 * mean and sum of squared deviations (two passes over its own rows) to part[(p·C + c)·3 …].
 */
export const bnStatsPartial = indexed({
  name: 'bn-stats-partial',
  bindings: ['x', 'part'],
  meta: BN_PART_META,
  threads: (m) => m.C * m.P,
  body: `${PARTIAL_ROWS}
  var s = 0.0;
  for (var m = m0; m < m1; m = m + 1) { s = s + bx[m * C + c]; }
  let cnt = max(m1 - m0, 0);
  var mean = 0.0;
  if (cnt > 0) { mean = s / f32(cnt); }
  var q = 0.0;
  for (var m = m0; m < m1; m = m + 1) { let d = bx[m * C + c] - mean; q = q + d * d; }
  let o = (p * C + c) * 3;
  bpart[o] = f32(cnt); bpart[o + 1] = mean; bpart[o + 2] = q;`,
});

/** Chan et al.'s combination of two (count, mean, M2) triples. */
const CHAN_COMBINE = `fn combine(na : f32, ma : f32, qa : f32, nb : f32, mb : f32, qb : f32) -> vec3<f32> {
  let nn = na + nb;
  if (nb == 0.0) { return vec3<f32>(na, ma, qa); }
  if (na == 0.0) { return vec3<f32>(nb, mb, qb); }
  let d = mb - ma;
  return vec3<f32>(nn, ma + d * (nb / nn), qa + qb + d * d * (na * nb / nn));
}`;

const STATS_FINAL_META = ['C', 'P', 'CS'] as const;

/**
 * BN batch statistics, pass 2: one workgroup per channel combines the P partial (count, mean, M2) triples into the
 * batch mean and biased variance, written to the layer's stats slot [mean(CS) | var(CS) | count(CS)].
 */
export const bnStatsFinal: KernelDef<'part' | 'st', (typeof STATS_FINAL_META)[number]> = {
  name: 'bn-stats-final',
  bindings: ['part', 'st'],
  meta: STATS_FINAL_META,
  workgroupSize: FINAL_WG,
  launch: (m) => ({ workgroups: [m.C, 1, 1] }),
  code: `${decls(['part', 'st'])}
var<workgroup> sn : array<f32, ${FINAL_WG}>;
var<workgroup> sm : array<f32, ${FINAL_WG}>;
var<workgroup> sq : array<f32, ${FINAL_WG}>;
${CHAN_COMBINE}
@compute @workgroup_size(${FINAL_WG})
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(local_invocation_index) lidu : u32) {
  let lid = i32(lidu);
  let c = i32(wid.x);
${metaLets(STATS_FINAL_META)}
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
}`,
};

/** bnStatsFinal for few partitions: one thread per channel. */
export const bnStatsFinalSerial = indexed({
  name: 'bn-stats-final-serial',
  bindings: ['part', 'st'],
  meta: STATS_FINAL_META,
  threads: (m) => m.C,
  workgroupSize: FINAL_WG,
  extra: CHAN_COMBINE,
  body: `  if (i >= C) { return; }
  var t = vec3<f32>(0.0);
  for (var p = 0; p < P; p = p + 1) {
    let o = (p * C + i) * 3;
    t = combine(t.x, t.y, t.z, bpart[o], bpart[o + 1], bpart[o + 2]);
  }
  bst[i] = t.y;
  bst[CS + i] = t.z / t.x;
  bst[2 * CS + i] = t.x;`,
});

export type ResidualFwdKind = 'none' | 'identity' | 'optionA';

/** Meta of the BN apply kernel. */
export const BN_APPLY_META = ['H', 'W', 'C', 'CS', 'HIN', 'WIN', 'CIN', 'PADC'] as const;

/**
 * y = relu((x − μ)·rsqrt(σ² + eps)·γ + β [+ shortcut]); the option-A shortcut reads the block input
 * [n, HIN, WIN, CIN] at (2ho, 2wo, c − PADC). 'train': batch statistics from the stats slot `st`; 'eval': running
 * statistics ([mean(CS) | var(CS)]). gb: γ(C) | β(C); res: the shortcut's source.
 */
export function bnApply(res: ResidualFwdKind, relu: boolean): KernelDef<'x' | 'st' | 'gb' | 'y' | 'res', (typeof BN_APPLY_META)[number]> {
  let r = '';
  if (res === 'identity') r = '  v = v + bres[i];';
  else if (res === 'optionA') {
    r = `  let m = i / C; let wo = m % W; let q = m / W; let ho = q % H; let nb = q / H;
  if (c >= PADC && c < PADC + CIN) { v = v + bres[((nb * HIN + 2 * ho) * WIN + 2 * wo) * CIN + c - PADC]; }`;
  }
  return indexed({
    name: `bn-apply${relu ? '-relu' : ''}${res === 'none' ? '' : `-${res}`}`,
    bindings: res === 'none' ? ['x', 'st', 'gb', 'y'] : ['x', 'st', 'gb', 'y', 'res'],
    meta: BN_APPLY_META,
    threads: (m, d) => d.maxBatch * m.H * m.W * m.C,
    body: `  if (i >= n * H * W * C) { return; }
  let c = i % C;
  let istd = inverseSqrt(bst[CS + c] + ${EPS});
  var v = (bx[i] - bst[c]) * istd * bgb[c] + bgb[C + c];
${r}
${relu ? '  v = select(v, 0.0, v < 0.0);' : ''}
  by[i] = v;`,
  });
}

/**
 * BN backward, pass 1 of 2: thread (p, c) sums g·x̂ and g over rows [p·R, (p+1)·R) of channel c, with
 * g = gy·[y > 0] when the layer is followed by a ReLU.
 */
export function bnBackwardPartial(relu: boolean): KernelDef<'gy' | 'y' | 'x' | 'st' | 'part', (typeof BN_PART_META)[number]> {
  const g = relu ? 'bgy[i2] * select(0.0, 1.0, by[i2] > 0.0)' : 'bgy[i2]';
  return indexed({
    name: `bn-backward-partial${relu ? '-relu' : ''}`,
    bindings: ['gy', 'y', 'x', 'st', 'part'],
    meta: BN_PART_META,
    threads: (m) => m.C * m.P,
    body: `${PARTIAL_ROWS}
  let mean = bst[c];
  let istd = inverseSqrt(bst[CS + c] + ${EPS});
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
  });
}

const BWD_FINAL_META = ['C', 'P', 'SIZE', 'CHUNKS'] as const;
const BWD_FINAL_BINDINGS = ['part', 'grad', 'cpart', 'cgrad'] as const;

/**
 * BN backward, pass 2: workgroups 0…C−1 add the partial sums of one channel each into the layer's gradient slot
 * grad = [dγ(C) | dβ(C)]; the workgroups after them, when SIZE > 0, finish the previous convolution's chunked
 * weight gradient (cgrad[i] = Σ_k cpart[k·SIZE + i]) — one dispatch for both.
 */
export const bnBackwardFinal: KernelDef<(typeof BWD_FINAL_BINDINGS)[number], (typeof BWD_FINAL_META)[number]> = {
  name: 'bn-backward-final',
  bindings: BWD_FINAL_BINDINGS,
  meta: BWD_FINAL_META,
  workgroupSize: FINAL_WG,
  launch: (m) => ({ workgroups: [m.C + Math.ceil(m.SIZE / FINAL_WG), 1, 1] }),
  code: `${decls(BWD_FINAL_BINDINGS)}
var<workgroup> s1 : array<f32, ${FINAL_WG}>;
var<workgroup> s2 : array<f32, ${FINAL_WG}>;
var<workgroup> wc : i32;
@compute @workgroup_size(${FINAL_WG})
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(local_invocation_index) lidu : u32) {
  let lid = i32(lidu);
  let w = i32(wid.x);
${metaLets(BWD_FINAL_META)}
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
}`,
};

/** bnBackwardFinal for few partitions: threads 0…C−1 one channel each, threads C… the pending chunk sum. */
export const bnBackwardFinalSerial = indexed({
  name: 'bn-backward-final-serial',
  bindings: BWD_FINAL_BINDINGS,
  meta: BWD_FINAL_META,
  threads: (m) => m.C + m.SIZE,
  workgroupSize: FINAL_WG,
  body: `  if (i < C) {
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
});

/** BN backward, apply: dx = γ·istd·(g − x̂·dγ/N − dβ/N); gb: γ | β, grad: dγ | dβ. */
export function bnBackwardApply(relu: boolean): KernelDef<'gy' | 'y' | 'x' | 'st' | 'gb' | 'grad' | 'dx', (typeof BN_META)[number]> {
  const g = relu ? 'bgy[i] * select(0.0, 1.0, by[i] > 0.0)' : 'bgy[i]';
  return indexed({
    name: `bn-backward-apply${relu ? '-relu' : ''}`,
    bindings: ['gy', 'y', 'x', 'st', 'gb', 'grad', 'dx'],
    meta: BN_META,
    threads: (m, d) => d.maxBatch * m.HW * m.C,
    body: `  if (i >= n * HW * C) { return; }
  let c = i % C;
  let istd = inverseSqrt(bst[CS + c] + ${EPS});
  let invN = 1.0 / f32(n * HW);
  let xh = (bx[i] - bst[c]) * istd;
  let proj = xh * (bgrad[c] * invN) + bgrad[C + c] * invN;
  bdx[i] = (${g} - proj) * (bgb[c] * istd);`,
  });
}

/**
 * Running statistics after a finite training step: running = (1 − m)·running + m·batch (m = BN_MOMENTUM), the variance with the
 * unbiased factor n/(n−1). Slots: st [mean | var | count] (stride SS), run [mean | var] (stride RS), each CS wide;
 * channels with count 0 are padding. res: the result block (its finite flag).
 */
export const bnCommit = indexed({
  name: 'bn-commit',
  bindings: ['res', 'st', 'run'],
  meta: ['L', 'CS', 'SS', 'RS'],
  threads: (m) => m.L * m.CS,
  body: `  if (i >= L * CS || bres[${RESULT_WORD.finite}] < 0.5) { return; }
  let l = i / CS;
  let c = i % CS;
  let cnt = bst[l * SS + 2 * CS + c];
  if (cnt < 1.5) { return; }
  let r = l * RS + c;
  brun[r] = brun[r] * ${1 - BN_MOMENTUM} + bst[l * SS + c] * ${BN_MOMENTUM};
  brun[r + CS] = brun[r + CS] * ${1 - BN_MOMENTUM} + bst[l * SS + CS + c] * ((${BN_MOMENTUM} * cnt) / (cnt - 1.0));`,
});
