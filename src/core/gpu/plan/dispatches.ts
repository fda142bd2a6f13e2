/**
 * Phase 4, the dispatch lists: a training step (forward with batch statistics, the head and loss, the backward pass
 * in reverse layer order, gradient sum → health check → SGD, BN running statistics), a frozen-backbone step
 * (eval-mode forward, head and loss, SGD of the classifier only) and an eval-mode forward. Every dispatch binds
 * its kernel's bindings and meta words by name.
 */
import type { ConvGeom } from '../../tfjs-kernels/conv-util';
import * as kernels from '../kernels';
import type { ConvVariant, KernelDef, PlanDims, ResidualFwdKind, ResidualGradKind } from '../kernels';
import { type Arenas, sub } from './arenas';
import type { BnStats, WorkBuffers } from './buffers';
import type { StateLayout } from './state';
import type { BnRec, ConvRec, Dispatch, Rec, Region } from './types';

/** Stands for the step block among a dispatch's bindings until the control region exists. */
export const STEP_PLACEHOLDER: Region = { buffer: -1, offset: 0, size: 0 };

// One definition per variant: built once per module.
const K = {
  convIn: { none: kernels.convInputGrad('none'), identity: kernels.convInputGrad('identity'), optionA: kernels.convInputGrad('optionA') },
  convInV4: {
    none: kernels.convInputGradV4('none'),
    identity: kernels.convInputGradV4('identity'),
    optionA: kernels.convInputGradV4('optionA'),
  },
  convInTiled: {
    none: kernels.convInputGradTiled('none'),
    identity: kernels.convInputGradTiled('identity'),
    optionA: kernels.convInputGradTiled('optionA'),
  },
  bnBwdPart: { true: kernels.bnBackwardPartial(true), false: kernels.bnBackwardPartial(false) },
  bnBwdApply: { true: kernels.bnBackwardApply(true), false: kernels.bnBackwardApply(false) },
  headFwd: { cosine: kernels.headForward('cosine'), linear: kernels.headForward('linear') },
  headBwd: { cosine: kernels.headBackward('cosine'), linear: kernels.headBackward('linear') },
};
const bnApplyCache = new Map<string, ReturnType<typeof kernels.bnApply>>();
const bnApplyOf = (res: ResidualFwdKind, relu: boolean) => {
  const key = `${res}/${relu}`;
  let k = bnApplyCache.get(key);
  if (!k) bnApplyCache.set(key, (k = kernels.bnApply(res, relu)));
  return k;
};

/**
 * A dispatch of `def` with its bindings and meta words by name, checked against the definition (a missing or an
 * unknown name throws, naming the kernel); its workgroups from the definition's launch.
 */
export function dispatchOf<B extends string, M extends string>(
  label: string,
  def: KernelDef<B, M>,
  binds: { readonly [K in B]?: Region },
  meta: Readonly<Record<M, number>>,
  dims: PlanDims,
  maxGroups: number,
): Dispatch {
  const where = `FusedExecutor: ${label} (kernel '${def.name}')`;
  const given = binds as Readonly<Record<string, Region | undefined>>;
  // an undefined value is no binding (a variant without that job)
  for (const [k, r] of Object.entries(given)) if (r && !def.bindings.includes(k as B)) throw new Error(`${where}: unknown binding '${k}'`);
  const regions = def.bindings.map((k) => {
    const r = given[k];
    if (!r) throw new Error(`${where}: binding '${k}' is not bound`);
    return r;
  });
  const names: readonly string[] = def.meta === 'step' ? [] : def.meta;
  const m = meta as Readonly<Record<string, number>>;
  for (const k of Object.keys(m)) if (!names.includes(k)) throw new Error(`${where}: unknown meta word '${k}'`);
  const words = names.map((k) => {
    const x = m[k];
    if (!Number.isInteger(x)) throw new Error(`${where}: meta ${k} = ${x} (internal)`);
    return x;
  });
  const l = def.launch(meta, dims);
  const groups = 'threads' in l ? kernels.groups1d(l.threads, def.workgroupSize) : l.workgroups;
  if (groups.some((g) => g > maxGroups)) throw new Error('FusedExecutor: too many workgroups for this device; lower maxBatch');
  const constants = def.constants?.(meta);
  return { label, src: def, meta: def.meta === 'step' ? 'step' : words, binds: regions, groups, ...(constants ? { constants } : {}) };
}

export interface DispatchLists {
  train: Dispatch[];
  frozen: Dispatch[];
  eval: Dispatch[];
}

export function dispatchLists(
  recs: Rec[],
  st: StateLayout,
  stats: BnStats,
  wb: WorkBuffers,
  ar: Arenas,
  dims: { B: number; C: number; D: number },
  maxGroups: number,
  variantOf: (c: ConvRec) => ConvVariant,
): DispatchLists {
  const { B, C, D } = dims;
  const { pSlot, gSlot, gbP, gbG, runSlot, CS, RS, R0, T, classifierStart, clsLen, bnNames } = st;
  const { features, df, tail, result, scratch, chunking, partial, bnParts, bnPart, dummy, gsRegion } = wb;
  const statSlot = stats.slot;
  const SS = stats.SS;
  const planDims: PlanDims = { maxBatch: B, C, D };
  const dispatch = <Bn extends string, M extends string>(
    label: string,
    def: KernelDef<Bn, M>,
    binds: { readonly [k in Bn]?: Region },
    meta: Readonly<Record<M, number>>,
  ) => dispatchOf(label, def, binds, meta, planDims, maxGroups);
  const noMeta = {} as Readonly<Record<never, number>>;
  const geomMeta = (g: ConvGeom): Record<(typeof kernels.CONV_META)[number], number> => ({
    H: g.h,
    W: g.w,
    CI: g.ci,
    HO: g.ho,
    WO: g.wo,
    CO: g.co,
    KS: g.kh,
    ST: g.sh,
    PD: g.padTop,
  });
  const weightOf = (c: ConvRec) => pSlot(`${c.name}.weight`, c.geom.kh * c.geom.kw * c.geom.ci * c.geom.co);

  // layers whose input and output channels are multiples of 4 (all but a network's first) use the vec4 kernels
  // (same thread counts: 4 positions × 4 channels per thread)
  // (the tiled kernels where the plan's variant says so: see layerConvVariant)
  const v4 = (g: ConvGeom) => g.ci % 4 === 0 && g.co % 4 === 0;
  const tiled = (c: ConvRec) => variantOf(c) === 'tiled';
  const convFwd = (c: ConvRec): Dispatch =>
    dispatch(
      `${c.name} forward`,
      tiled(c) ? kernels.convForwardTiled : v4(c.geom) ? kernels.convForwardV4 : kernels.convForward,
      { x: c.input.region, w: weightOf(c), y: c.out.region },
      geomMeta(c.geom),
    );
  const bnFwd = (b: BnRec, mode: 'train' | 'eval'): Dispatch[] => {
    const c = b.x.c;
    const s = b.res.kind === 'none' ? null : b.res.src;
    const apply = dispatch(
      `${b.name} apply (${mode})`,
      bnApplyOf(b.res.kind, b.relu),
      { x: b.x.region, st: mode === 'train' ? statSlot(b.index) : runSlot(b.index), gb: gbP(b.name, c), y: b.y.region, res: s?.region },
      { H: b.x.h, W: b.x.w, C: c, CS, HIN: s?.h ?? 0, WIN: s?.w ?? 0, CIN: s?.c ?? 0, PADC: s ? (c - s.c) / 2 : 0 },
    );
    if (mode === 'eval') return [apply];
    const { parts, rows } = bnParts.get(b.name)!;
    return [
      dispatch(
        `${b.name} batch statistics (partial)`,
        kernels.bnStatsPartial,
        { x: b.x.region, part: bnPart },
        { C: c, HW: b.x.h * b.x.w, P: parts, R: rows, CS },
      ),
      dispatch(
        `${b.name} batch statistics`,
        parts <= kernels.SERIAL_FINAL_MAX_P ? kernels.bnStatsFinalSerial : kernels.bnStatsFinal,
        { part: bnPart, st: statSlot(b.index) },
        { C: c, P: parts, CS },
      ),
      apply,
    ];
  };
  const forward = (mode: 'train' | 'eval'): Dispatch[] => {
    const out: Dispatch[] = [];
    for (const r of recs) {
      if (r.kind === 'convbn') out.push(convFwd(r.conv), ...bnFwd(r.bn, mode));
      else if (r.kind === 'block') out.push(convFwd(r.conv1), ...bnFwd(r.bn1, mode), convFwd(r.conv2), ...bnFwd(r.bn2, mode));
      else if (r.kind === 'pool') {
        out.push(
          dispatch(
            'max-pool',
            kernels.maxPool,
            { x: r.input.region, y: r.out.region },
            { H: r.input.h, W: r.input.w, C: r.input.c, S: r.size },
          ),
        );
      } else {
        out.push(dispatch('global average pool', kernels.gap, { x: r.input.region, f: features }, { HW: r.input.h * r.input.w, C: D }));
      }
    }
    out.push(dispatch('head forward', K.headFwd[st.head], { f: features, p: pSlot('linear.weight', clsLen), t: tail }, noMeta));
    return out;
  };

  // A chunked weight gradient whose chunk sum is still to do (folded into the next BN backward's final pass).
  let pendingSum: { size: number; chunks: number; grad: Region } | null = null;
  const flushPending = (): Dispatch[] => {
    if (!pendingSum) return [];
    const p = pendingSum;
    pendingSum = null;
    return [
      dispatch(
        'weight gradient (chunk sum)',
        kernels.chunkSum,
        { part: sub(partial!, 0, p.chunks * p.size), grad: p.grad },
        { SIZE: p.size, CHUNKS: p.chunks },
      ),
    ];
  };
  const bnBwd = (b: BnRec, gy: Region, gx: Region): Dispatch[] => {
    const c = b.x.c;
    const { parts, rows } = bnParts.get(b.name)!;
    const key = String(b.relu) as 'true' | 'false';
    const ps = pendingSum;
    pendingSum = null;
    const saved = { gy, y: b.y.region, x: b.x.region, st: statSlot(b.index) };
    return [
      dispatch(
        `${b.name} backward (partial)`,
        K.bnBwdPart[key],
        { ...saved, part: bnPart },
        { C: c, HW: b.x.h * b.x.w, P: parts, R: rows, CS },
      ),
      dispatch(
        `${b.name} backward (final)${ps ? ' + weight-gradient chunk sum' : ''}`,
        parts <= kernels.SERIAL_FINAL_MAX_P ? kernels.bnBackwardFinalSerial : kernels.bnBackwardFinal,
        {
          part: bnPart,
          grad: gbG(b.name, c),
          cpart: ps ? sub(partial!, 0, ps.chunks * ps.size) : dummy[0],
          cgrad: ps ? ps.grad : dummy[1],
        },
        { C: c, P: parts, SIZE: ps ? ps.size : 0, CHUNKS: ps ? ps.chunks : 0 },
      ),
      dispatch(
        `${b.name} backward (apply)`,
        K.bnBwdApply[key],
        { ...saved, gb: gbP(b.name, c), grad: gbG(b.name, c), dx: gx },
        { C: c, HW: b.x.h * b.x.w, CS },
      ),
    ];
  };
  const wgrad = (c: ConvRec, dy: Region): Dispatch[] => {
    if (pendingSum) throw new Error('FusedExecutor: two pending chunk sums (internal)');
    const { len, chunks } = chunking.get(c.name)!;
    const n = c.geom.kh * c.geom.kw * c.geom.ci * c.geom.co;
    const g = gSlot(`${c.name}.weight`, n);
    if (tiled(c)) {
      // split over a few chunks, summed at once by the tree reduction
      const part = chunks > 1 ? sub(partial!, 0, chunks * n) : g;
      const list = [
        dispatch(
          `${c.name} weight gradient (tiled)`,
          kernels.convWeightGradTiled,
          { x: c.input.region, dy, out: part },
          { ...geomMeta(c.geom), LEN: len, CHUNKS: chunks },
        ),
      ];
      if (chunks > 1) {
        list.push(dispatch('weight gradient (tree sum)', kernels.chunkSumTree, { part, grad: g }, { SIZE: n, CHUNKS: chunks }));
      }
      return list;
    }
    const out = [
      dispatch(
        `${c.name} weight gradient`,
        v4(c.geom) ? kernels.convWeightGradV4 : kernels.convWeightGrad,
        { x: c.input.region, dy, out: chunks > 1 ? sub(partial!, 0, chunks * n) : g },
        { ...geomMeta(c.geom), LEN: len, CHUNKS: chunks },
      ),
    ];
    if (chunks > 1) pendingSum = { size: n, chunks, grad: g };
    return out;
  };
  /** The input gradient dx of a convolution; with `res`, plus the shortcut's gradient (gout, the block output out). */
  const inputGrad = (c: ConvRec, dy: Region, dx: Region, res?: { kind: ResidualGradKind; padC: number; gout: Region; out: Region }) =>
    dispatch(
      `${c.name} input gradient`,
      (tiled(c) ? K.convInTiled : v4(c.geom) ? K.convInV4 : K.convIn)[res?.kind ?? 'none'],
      { dy, w: weightOf(c), dx, gout: res?.gout, out: res?.out },
      { ...geomMeta(c.geom), PADC: res?.padC ?? 0 },
    );
  const pick = (...busy: Region[]): Region => {
    const s = scratch.find((r) => !busy.includes(r));
    if (!s) throw new Error('FusedExecutor: out of gradient scratch (internal)');
    return s;
  };

  const tailDispatches = (): Dispatch[] => [
    dispatch('loss', kernels.loss, { f: features, t: tail, res: result }, noMeta),
    dispatch(
      'head backward',
      K.headBwd[st.head],
      { f: features, p: pSlot('linear.weight', clsLen), t: tail, g: gSlot('linear.weight', clsLen), df },
      noMeta,
    ),
  ];
  const finish = (start: number): Dispatch[] => {
    const len = T - start;
    const parts = Math.ceil(len / kernels.GRADSUM_PER_THREAD);
    const grads = ar.state(T + start, len, 'gradients');
    const sums = sub(gsRegion, 0, 2 * parts);
    return [
      dispatch('gradient sum', kernels.gradSum, { g: grads, part: sums }, { LEN: len, P: parts }),
      dispatch('health check', kernels.health, { part: sums, res: result }, { P: parts }),
      dispatch(
        'sgd',
        kernels.sgd,
        {
          step: STEP_PLACEHOLDER,
          res: result,
          p: ar.state(start, len, 'parameters'),
          g: grads,
          v: ar.state(2 * T + start, len, 'momentum'),
        },
        { LEN: len },
      ),
    ];
  };

  // ---- training step
  const train: Dispatch[] = [...forward('train'), ...tailDispatches()];
  const last = recs[recs.length - 1];
  if (last.kind !== 'gap') throw new Error('FusedExecutor: gap must be the last layer before the head');
  let g = scratch[0];
  train.push(dispatch('global average pool backward', kernels.gapBackward, { df, dx: g }, { HW: last.input.h * last.input.w, C: D }));
  for (let i = recs.length - 2; i >= 0; i--) {
    const r = recs[i];
    if (r.kind === 'convbn') {
      const gx = pick(g);
      train.push(...bnBwd(r.bn, g, gx), ...wgrad(r.conv, gx));
      if (!r.conv.first) {
        const gin = pick(gx);
        train.push(inputGrad(r.conv, gx, gin));
        g = gin;
      }
    } else if (r.kind === 'pool') {
      const gin = pick(g);
      train.push(
        dispatch(
          'max-pool backward',
          kernels.maxPoolBackward,
          { x: r.input.region, gy: g, dx: gin },
          { H: r.input.h, W: r.input.w, C: r.input.c, S: r.size },
        ),
      );
      g = gin;
    } else if (r.kind === 'block') {
      // X: gradient of the block output; Y, Z: the other two scratch tensors.
      const X = g;
      const Y = pick(X);
      const Z = pick(X, Y);
      train.push(...bnBwd(r.bn2, X, Y));
      train.push(inputGrad(r.conv2, Y, Z), ...wgrad(r.conv2, Y));
      train.push(...bnBwd(r.bn1, Z, Y), ...wgrad(r.conv1, Y));
      if (r.conv1.first) throw new Error('FusedExecutor: a residual block cannot take the network input directly');
      const kind = r.bn2.res.kind === 'optionA' ? 'optionA' : 'identity';
      train.push(inputGrad(r.conv1, Y, Z, { kind, padC: (r.bn2.x.c - r.input.c) / 2, gout: X, out: r.bn2.y.region }));
      g = Z;
    } else {
      throw new Error('FusedExecutor: unexpected layer order (internal)');
    }
  }
  train.push(...flushPending(), ...finish(0));
  if (bnNames.length) {
    train.push(
      dispatch(
        'BN running statistics',
        kernels.bnCommit,
        { res: result, st: stats.region, run: ar.state(R0, bnNames.length * RS, 'running statistics') },
        { L: bnNames.length, CS, SS, RS },
      ),
    );
  }
  const frozen: Dispatch[] = [...forward('eval'), ...tailDispatches(), ...finish(classifierStart)];
  const evalList = forward('eval');

  return { train, frozen, eval: evalList };
}
