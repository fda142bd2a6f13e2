/**
 * The head, the loss and the head's backward pass (the "tail"): binding 0 is the step block (meta 'step'); they
 * share one scratch region (see step-block.ts `tailLayout`).
 */
import type { HeadKind } from '../../models/types';
import { RESULT_HEADER, RESULT_WORD, STEP_HEADER, STEP_WORD as W } from '../step-block';
import { entryModule, type KernelDef, type Launch, type PlanDims, REDUCE2, WG } from './wgsl';

/** WGSL: the step/tail offsets from the step block's header (bm is the step block here). */
const TAIL_LETS = `  let n = bitcast<i32>(bm[${W.n}]);
  let MAXB = bitcast<i32>(bm[${W.maxBatch}]);
  let C = bitcast<i32>(bm[${W.classes}]);
  let D = bitcast<i32>(bm[${W.featureDim}]);
  let T_O = 0;
  let T_DO = MAXB * C;
  let T_NF = 2 * MAXB * C;
  let T_NW = T_NF + MAXB;
  let T_GN = T_NW + C;
  let T_NR = T_GN + MAXB;
  let T_LSE = T_NR + MAXB;
  let T_COEF = T_LSE + 2 * MAXB;`;

/** A kernel over the step block: 1-D index `i` and local index `lid`, the tail offsets in scope. */
function stepKernel<B extends string>(o: {
  name: string;
  bindings: readonly B[];
  body: string;
  launch: (dims: PlanDims) => Launch;
  extra?: string;
}): KernelDef<B, never> {
  const code = entryModule(o.bindings, [], o.extra ?? '', WG, 'lidu', `  let lid = i32(lidu);\n${TAIL_LETS}`, o.body);
  const launch = o.launch;
  return { name: o.name, code, bindings: o.bindings, meta: 'step', workgroupSize: WG, launch: (_m, d) => launch(d) };
}

/**
 * Classifier output o [n, C] (cosine: normalize_rows(f)·normalize_cols(W), norms clamped at 1e-12; linear:
 * f·W + b) and the norms ‖f_b‖, ‖W_c‖ for the backward pass. p: the classifier slot (W | b), t: the tail.
 */
export function headForward(kind: HeadKind): KernelDef<'f' | 'p' | 't', never> {
  const dot =
    kind === 'cosine'
      ? `  let nfc = max(nf, 1e-12); let nwc = max(nw, 1e-12);
  var s = 0.0;
  for (var d = 0; d < D; d = d + 1) { s = s + (bf[b * D + d] / nfc) * (bp[d * C + c] / nwc); }`
      : `  var s = 0.0;
  for (var d = 0; d < D; d = d + 1) { s = s + bf[b * D + d] * bp[d * C + c]; }
  s = s + bp[D * C + c];`;
  return stepKernel({
    name: `head-forward-${kind}`,
    bindings: ['f', 'p', 't'],
    launch: (d) => ({ threads: d.maxBatch * d.C }),
    body: `  if (i >= n * C) { return; }
  let b = i / C; let c = i % C;
  var sf = 0.0; var sw = 0.0;
  for (var d = 0; d < D; d = d + 1) { let a = bf[b * D + d]; sf = sf + a * a; let w = bp[d * C + c]; sw = sw + w * w; }
  let nf = sqrt(sf); let nw = sqrt(sw);
${dot}
  bt[T_O + i] = s;
  if (c == 0) { bt[T_NF + b] = nf; }
  if (b == 0) { bt[T_NW + c] = nw; }`,
  });
}

/**
 * The loss in the common logit form (src/core/losses/logit-form.ts; evalLogitForm is its float64 specification),
 * one workgroup: up to two terms (mixup: λ·L(y_a, ε_a) + (1−λ)·L(y_b, ε_b), each with its own weighted mean),
 * d loss / d output into the tail's dO, d loss / d‖f‖ into its gn, and into the result block the loss, the
 * feature norms ‖f_b‖ and the arg-max predictions.
 */
/** The step-block offsets (and sizes) the loss kernel's logit() reads, set once by its entry point. */
const PRIVATE_INTS = ['S_LAB', 'S_NOI', 'S_OS', 'S_SS', 'S_NA', 'S_TM', 'S_LB', 'S_FS', 'S_CW', 'PMAXB', 'PC', 'PT_O'];

function lossKernel(): KernelDef<'f' | 't' | 'res', never> {
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
${PRIVATE_INTS.map((v) => `var<private> ${v} : i32;`).join('\n')}
fn logit(t : i32, b : i32, c : i32, y : i32, nrm : f32) -> f32 {
  let S = bm[S_SS + y];
  let eps = abs(bm[S_NOI + (t * PMAXB + b) * PC + c]);
  var inner = bm[S_OS + c] * bt[PT_O + b * PC + c] - bm[S_NA + c] * eps;
  if (c == y) { inner = inner - bm[S_TM + c]; }
  return S * inner + bm[S_LB + c] - bm[S_FS + c] / (nrm + 1e-12);
}`;
  return stepKernel({
    name: 'loss',
    bindings: ['f', 't', 'res'],
    launch: () => ({ workgroups: [1, 1, 1] }),
    extra,
    body: `  let R_NORM = ${RESULT_HEADER};
  let R_PRED = ${RESULT_HEADER} + MAXB;
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
  let terms = bitcast<i32>(bm[${W.terms}]);
  let lam = bm[${W.lambda}];
  let gamma = bm[${W.focalGamma}];
  let useCw = bitcast<i32>(bm[${W.classWeights}]) != 0;
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
  if (lid == 0) { bres[${RESULT_WORD.loss}] = total; }`,
  });
}

/**
 * Gradients of the head: dW (and db) into the classifier's gradient slot g and, unless frozen, df [n, D] including
 * the FBL path through ‖f‖ (gn·f/‖f‖). Threads: maxB·D (df) + D·C (dW) + C (db, linear).
 */
export function headBackward(kind: HeadKind): KernelDef<'f' | 'p' | 't' | 'g' | 'df', never> {
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
  return stepKernel({
    name: `head-backward-${kind}`,
    bindings: ['f', 'p', 't', 'g', 'df'],
    launch: (d) => ({ threads: d.maxBatch * d.D + d.D * d.C + (kind === 'linear' ? d.C : 0) }),
    body: `  let frozen = bitcast<i32>(bm[${W.frozen}]) != 0;
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
  });
}

export const loss = lossKernel();
