/** The health check (gradient sum, finite flag) and SGD, which skips itself after a non-finite step. */
import { RESULT_WORD as R, STEP_WORD } from '../step-block';
import { COMMON, CONV_WG, decls, indexed, type KernelDef, metaLets, REDUCE2, WG } from './wgsl';

/** Gradient elements per thread of the gradient-sum kernel. */
export const GRADSUM_PER_THREAD = 64;

/** Parameters per thread of the SGD kernel (a multiple of 4: read as vec4; fewer threads cost a software adapter less). */
export const SGD_PER_THREAD = 16;

/**
 * Partial sums of the gradients g in [0, LEN) of the bound range, GRADSUM_PER_THREAD per thread, and whether any is
 * non-finite (by its bits, so no compiler assumption about NaN can hide it): part = [sum(P) | bad(P)].
 */
export const gradSum = indexed({
  name: 'grad-sum',
  bindings: ['g', 'part'],
  vec4: ['g'],
  meta: ['LEN', 'P'],
  threads: (m) => m.P,
  workgroupSize: CONV_WG,
  body: `  if (i >= P) { return; }
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
});

/** Result block: the gradient sum and the finite flag (loss and every gradient finite), from grad-sum's partials. */
export const health: KernelDef<'part' | 'res', 'P'> = {
  name: 'health',
  bindings: ['part', 'res'],
  meta: ['P'],
  workgroupSize: WG,
  launch: () => ({ workgroups: [1, 1, 1] }),
  code: `${decls(['part', 'res'])}
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
    let ok = t2 < 0.5 && isFiniteF(t1) && isFiniteF(bres[${R.loss}]);
    bres[${R.gradientSum}] = t1;
    bres[${R.finite}] = select(0.0, 1.0, ok);
  }
}`,
};

/**
 * SGD with momentum and coupled weight decay (PyTorch): d = g + wd·w; v ← μ·v + d; w ← w − lr·v, over [0, LEN)
 * of the bound ranges p, g, v (LEN a multiple of 4, read as vec4; SGD_PER_THREAD per thread), only when the
 * result block res says the step is finite; lr, wd and μ from the step block.
 */
export const sgd = indexed({
  name: 'sgd',
  bindings: ['step', 'res', 'p', 'g', 'v'],
  vec4: ['p', 'g', 'v'],
  meta: ['LEN'],
  threads: (m) => Math.ceil(m.LEN / SGD_PER_THREAD),
  workgroupSize: CONV_WG,
  body: `  let e0 = i * ${SGD_PER_THREAD / 4};
  let e1 = min(e0 + ${SGD_PER_THREAD / 4}, LEN / 4);
  if (e0 >= e1 || bres[${R.finite}] < 0.5) { return; }
  let lr = bstep[${STEP_WORD.lr}]; let wd = bstep[${STEP_WORD.weightDecay}]; let mu = bstep[${STEP_WORD.momentum}];
  for (var e = e0; e < e1; e = e + 1) {
    let w = bp[e];
    let v = mu * bv[e] + (bg[e] + wd * w);
    bv[e] = v;
    bp[e] = w - lr * v;
  }`,
});
