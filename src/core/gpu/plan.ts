/**
 * The fused executor's plan for one (model spec, maximum batch): where every tensor lives (sub-ranges of a few
 * large buffers, 256-byte aligned) and the three recorded dispatch lists — a training step, a frozen-backbone
 * step (GCL stage 2) and an eval-mode forward. Pure TypeScript: no GPU calls, so it can be inspected in tests.
 *
 * Buffer 0 ("state") holds, in this order: the trainable parameters P (conv weights, then BN γ|β per layer, then the
 * classifier W|b last, each slot 64-float aligned), their gradients G and momentum V with the same layout, and the
 * BN running statistics R (one [mean | var] slot per BN layer). SGD runs over one contiguous range of P/G/V: all of
 * it, or only the classifier slot at the end (frozen steps). Buffers 1… hold the input, the activations saved for
 * the backward pass, three gradient scratch tensors, the weight-gradient chunk partials, BN batch statistics, the
 * head/loss scratch, the per-step block the CPU writes and the result block it reads back.
 */
import { convOutSize } from '../models/spec';
import type { LayerSpec, ModelSpec, ParamSpec } from '../models/types';
import * as kernels from './kernels';
import type { KernelDef, PlanDims, ResidualFwdKind, ResidualGradKind } from './kernels';
import { resultLayout, STEP_WORD, stepLayout, tailLayout } from './step-block';

/** A byte range of one of the plan's buffers. */
export interface Region {
  buffer: number;
  offset: number;
  size: number;
}

export interface Dispatch {
  label: string;
  src: KernelDef;
  /** Binding 0: the dispatch's meta slot (its integers, in `src.meta` order; word 0, n, is written before each step) or the step block. */
  meta: number[] | 'step';
  /** Regions in binding order, from the named ones (`src.bindings`); after planning, `binds[0]` is binding 0 itself. */
  binds: Region[];
  groups: [number, number, number];
}

export interface DeviceLimitsLike {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  minStorageBufferOffsetAlignment: number;
  maxComputeWorkgroupsPerDimension: number;
  maxStorageBuffersPerShaderStage: number;
}

export interface ParamSlot {
  spec: ParamSpec;
  /** Float offset of the value: in P for trainable params, in R for running statistics. */
  offset: number;
  size: number;
}

export interface Plan {
  maxBatch: number;
  inputShape: [number, number, number];
  numClasses: number;
  featureDim: number;
  /** Bytes of each buffer (0: state). */
  bufferSizes: number[];
  /** Floats: trainable length T (P, G and V each), start of the classifier slot, BN running-stat base (3T). */
  trainableLength: number;
  classifierStart: number;
  params: Map<string, ParamSlot>;
  /** Parameter names in spec order. */
  order: string[];
  x: Region;
  /** The control region written before each step: the step block at its start, then the meta slots. */
  control: Region;
  /** Initial contents of the control region (the meta slots' integers as i32 bits). */
  controlInit: Float32Array;
  /** Word offsets in the control region that hold n (the step block's word 0 and every meta slot's). */
  nWords: number[];
  step: Region;
  result: Region;
  tail: Region;
  features: Region;
  /** Every region the arenas handed out (buffers 1…), with what it is for. */
  allocations: { what: string; region: Region }[];
  train: Dispatch[];
  frozen: Dispatch[];
  eval: Dispatch[];
}

const F = 4; // bytes per float
const SLOT = 64; // floats per alignment unit (256 bytes)
const roundUp = (v: number, m: number) => Math.ceil(v / m) * m;

/** Upper bound on the size of one activation buffer (besides the device's own limits). */
const ARENA_CAP = 256 * 2 ** 20;

class Arenas {
  readonly sizes: number[] = [0];
  readonly allocations: { what: string; region: Region }[] = [];
  private readonly cap: number;
  constructor(private readonly limits: DeviceLimitsLike) {
    this.cap = Math.min(limits.maxBufferSize, ARENA_CAP);
    if (limits.minStorageBufferOffsetAlignment > 256) {
      throw new Error(`FusedExecutor: minStorageBufferOffsetAlignment ${limits.minStorageBufferOffsetAlignment} > 256 is not supported`);
    }
  }

  private check(bytes: number, what: string): void {
    if (bytes > this.limits.maxStorageBufferBindingSize) {
      throw new Error(
        `FusedExecutor: ${what} needs ${(bytes / 2 ** 20).toFixed(1)} MiB, more than this device's maxStorageBufferBindingSize ` +
          `(${(this.limits.maxStorageBufferBindingSize / 2 ** 20).toFixed(1)} MiB); lower maxBatch`,
      );
    }
  }

  /** A new region of `floats` in the activation buffers (a new buffer when the current one would pass the cap). */
  alloc(floats: number, what: string): Region {
    const bytes = roundUp(Math.max(floats, 1) * F, 256);
    this.check(bytes, what);
    let b = this.sizes.length - 1;
    if (b === 0 || (this.sizes[b] + bytes > this.cap && this.sizes[b] > 0)) {
      this.sizes.push(0);
      b++;
    }
    const r = { buffer: b, offset: this.sizes[b], size: bytes };
    this.sizes[b] += bytes;
    this.allocations.push({ what, region: r });
    return r;
  }

  /** A region of buffer 0 (state) at a float offset. */
  state(offsetFloats: number, floats: number, what: string): Region {
    const r = { buffer: 0, offset: offsetFloats * F, size: Math.max(floats, 1) * F };
    if (r.offset % 256 !== 0) throw new Error(`FusedExecutor: ${what} is not 256-byte aligned`);
    this.check(r.size, what);
    return r;
  }
}

/** A sub-range of a region (byte offset and size in floats). */
function sub(r: Region, offsetFloats: number, floats: number): Region {
  const off = r.offset + offsetFloats * F;
  if (off % 256 !== 0) throw new Error('FusedExecutor: sub-range not 256-byte aligned');
  return { buffer: r.buffer, offset: off, size: Math.max(floats, 1) * F };
}

interface Act {
  region: Region;
  h: number;
  w: number;
  c: number;
}

interface ConvGeom {
  h: number;
  w: number;
  ci: number;
  ho: number;
  wo: number;
  co: number;
  k: number;
  stride: number;
  pad: number;
}

interface ConvRec {
  name: string;
  geom: ConvGeom;
  input: Act;
  out: Act;
  /** The network input (no input gradient needed). */
  first: boolean;
}

interface BnRec {
  name: string;
  index: number;
  x: Act;
  y: Act;
  relu: boolean;
  res: { kind: 'none' } | { kind: 'identity' | 'optionA'; src: Act };
}

type Rec =
  | { kind: 'convbn'; conv: ConvRec; bn: BnRec }
  | { kind: 'pool'; input: Act; out: Act; size: number }
  | { kind: 'block'; conv1: ConvRec; bn1: BnRec; conv2: ConvRec; bn2: BnRec; input: Act }
  | { kind: 'gap'; input: Act };

const nelem = (a: Act, b: number) => b * a.h * a.w * a.c;

// One definition per variant: built once per module.
const K = {
  convIn: { none: kernels.convInputGrad('none'), identity: kernels.convInputGrad('identity'), optionA: kernels.convInputGrad('optionA') },
  convInV4: {
    none: kernels.convInputGradV4('none'),
    identity: kernels.convInputGradV4('identity'),
    optionA: kernels.convInputGradV4('optionA'),
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
  return { label, src: def, meta: def.meta === 'step' ? 'step' : words, binds: regions, groups };
}

/** Builds the plan; throws a clear error for layer sequences or sizes the executor does not support. */
export function buildPlan(spec: ModelSpec, maxBatch: number, limits: DeviceLimitsLike): Plan {
  if (!Number.isInteger(maxBatch) || maxBatch < 2) throw new Error(`FusedExecutor: maxBatch must be an integer ≥ 2, got ${maxBatch}`);
  if (limits.maxStorageBuffersPerShaderStage < 8) {
    throw new Error(`FusedExecutor: needs 8 storage buffers per shader stage, the device allows ${limits.maxStorageBuffersPerShaderStage}`);
  }
  const B = maxBatch;
  const [H, W, CIN] = spec.config.inputShape;
  const C = spec.config.numClasses;
  const D = spec.featureDim;
  const ar = new Arenas(limits);
  const byName = new Map(spec.params.map((p) => [p.name, p]));
  const need = (name: string): ParamSpec => {
    const p = byName.get(name);
    if (!p) throw new Error(`FusedExecutor: spec has no parameter '${name}'`);
    return p;
  };

  // ---- state buffer: P | G | V | R
  const params = new Map<string, ParamSlot>();
  let t = 0;
  for (const p of spec.params.filter((q) => q.kind === 'conv')) {
    params.set(p.name, { spec: p, offset: t, size: size(p) });
    t = roundUp(t + size(p), SLOT);
  }
  const bnNames = spec.params.filter((p) => p.kind === 'bnMean').map((p) => p.name.slice(0, -'.running_mean'.length));
  const bnIndex = new Map(bnNames.map((n, i) => [n, i]));
  const bnChannels = bnNames.map((n) => need(`${n}.weight`).shape[0]);
  const CS = Math.max(1, ...bnChannels);
  const gbOffset = new Map<string, number>();
  bnNames.forEach((n, i) => {
    const c = bnChannels[i];
    gbOffset.set(n, t);
    params.set(`${n}.weight`, { spec: need(`${n}.weight`), offset: t, size: c });
    params.set(`${n}.bias`, { spec: need(`${n}.bias`), offset: t + c, size: c });
    t = roundUp(t + 2 * c, SLOT);
  });
  const headLayer = spec.layers.find((l): l is Extract<LayerSpec, { op: 'head' }> => l.op === 'head');
  if (!headLayer) throw new Error('FusedExecutor: spec has no head layer');
  if (headLayer.inDim !== D || headLayer.outDim !== C) throw new Error('FusedExecutor: head dimensions do not match the spec');
  const classifierStart = t;
  params.set('linear.weight', { spec: need('linear.weight'), offset: t, size: D * C });
  const clsLen = headLayer.kind === 'linear' ? D * C + C : D * C;
  if (headLayer.kind === 'linear') params.set('linear.bias', { spec: need('linear.bias'), offset: t + D * C, size: C });
  t = roundUp(t + clsLen, SLOT);
  const T = t;
  const RS = roundUp(2 * CS, SLOT);
  const R0 = 3 * T;
  bnNames.forEach((n, i) => {
    params.set(`${n}.running_mean`, { spec: need(`${n}.running_mean`), offset: R0 + i * RS, size: bnChannels[i] });
    params.set(`${n}.running_var`, { spec: need(`${n}.running_var`), offset: R0 + i * RS + CS, size: bnChannels[i] });
  });
  for (const p of spec.params) if (!params.has(p.name)) throw new Error(`FusedExecutor: unsupported parameter '${p.name}' (${p.kind})`);
  ar.sizes[0] = (R0 + bnNames.length * RS) * F;
  const pSlot = (name: string, n: number) => ar.state(params.get(name)!.offset, n, name);
  const gSlot = (name: string, n: number) => ar.state(T + params.get(name)!.offset, n, `${name} (gradient)`);
  const gbP = (bn: string, c: number) => ar.state(gbOffset.get(bn)!, 2 * c, `${bn} γ|β`);
  const gbG = (bn: string, c: number) => ar.state(T + gbOffset.get(bn)!, 2 * c, `${bn} dγ|dβ`);
  const runSlot = (i: number) => ar.state(R0 + i * RS, 2 * CS, 'running statistics');

  // ---- activations (forward records)
  const act = (h: number, w: number, c: number, what: string): Act => ({ region: ar.alloc(B * h * w * c, what), h, w, c });
  const input: Act = act(H, W, CIN, 'the input batch');
  const SS = roundUp(3 * CS, SLOT);
  const stats = ar.alloc(Math.max(1, bnNames.length) * SS, 'BN statistics');
  const statSlot = (i: number) => sub(stats, i * SS, 3 * CS);

  const recs: Rec[] = [];
  let cur = input;
  const conv = (name: string, inp: Act, outC: number, k: number, stride: number, pad: number): ConvRec => {
    const p = need(`${name}.weight`);
    if (p.shape.join() !== [k, k, inp.c, outC].join()) throw new Error(`FusedExecutor: ${name}.weight has shape [${p.shape}]`);
    if (outC % 4 !== 0) throw new Error(`FusedExecutor: ${name} has ${outC} output channels; the executor needs a multiple of 4`);
    const ho = convOutSize(inp.h, k, stride, pad);
    const wo = convOutSize(inp.w, k, stride, pad);
    if (ho < 1 || wo < 1) throw new Error(`FusedExecutor: ${name} has an empty output`);
    const out = act(ho, wo, outC, `${name} output`);
    return { name, geom: { h: inp.h, w: inp.w, ci: inp.c, ho, wo, co: outC, k, stride, pad }, input: inp, out, first: inp === input };
  };
  const bn = (name: string, x: Act, relu: boolean, res: BnRec['res']): BnRec => {
    const index = bnIndex.get(name);
    if (index === undefined) throw new Error(`FusedExecutor: no BN layer '${name}'`);
    if (bnChannels[index] !== x.c) throw new Error(`FusedExecutor: ${name} has ${bnChannels[index]} channels, its input ${x.c}`);
    return { name, index, x, y: act(x.h, x.w, x.c, `${name} output`), relu, res };
  };
  const layers = spec.layers;
  let sawGap = false;
  for (let i = 0; i < layers.length; i++) {
    const l = layers[i];
    switch (l.op) {
      case 'conv': {
        const next = layers[i + 1];
        if (next?.op !== 'bn') throw new Error(`FusedExecutor: conv '${l.name}' must be followed by a BN layer`);
        const relu = layers[i + 2]?.op === 'relu';
        const c = conv(l.name, cur, l.outC, l.k, l.stride, l.pad);
        const b = bn(next.name, c.out, relu, { kind: 'none' });
        recs.push({ kind: 'convbn', conv: c, bn: b });
        cur = b.y;
        i += relu ? 2 : 1;
        break;
      }
      case 'maxpool': {
        const ho = Math.floor(cur.h / l.size);
        const wo = Math.floor(cur.w / l.size);
        if (ho < 1 || wo < 1) throw new Error('FusedExecutor: max-pool window larger than its input');
        const out = act(ho, wo, cur.c, 'max-pool output');
        recs.push({ kind: 'pool', input: cur, out, size: l.size });
        cur = out;
        break;
      }
      case 'block': {
        const inp = cur;
        if (l.shortcut === 'identity' && (l.stride !== 1 || l.inC !== l.outC))
          throw new Error(`FusedExecutor: ${l.name}: identity shortcut with a shape change`);
        if (l.shortcut === 'optionA' && (l.stride !== 2 || l.inC + 2 * Math.floor(l.outC / 4) !== l.outC)) {
          throw new Error(`FusedExecutor: ${l.name}: unsupported option-A shortcut`);
        }
        if (inp.c % 4 !== 0) throw new Error(`FusedExecutor: ${l.name} has ${inp.c} input channels; the executor needs a multiple of 4`);
        const c1 = conv(`${l.name}.conv1`, inp, l.outC, 3, l.stride, 1);
        const b1 = bn(`${l.name}.bn1`, c1.out, true, { kind: 'none' });
        const c2 = conv(`${l.name}.conv2`, b1.y, l.outC, 3, 1, 1);
        const b2 = bn(`${l.name}.bn2`, c2.out, true, { kind: l.shortcut, src: inp });
        recs.push({ kind: 'block', conv1: c1, bn1: b1, conv2: c2, bn2: b2, input: inp });
        cur = b2.y;
        break;
      }
      case 'gap':
        if (cur.c !== D) throw new Error(`FusedExecutor: pooled feature has ${cur.c} channels, spec says ${D}`);
        recs.push({ kind: 'gap', input: cur });
        sawGap = true;
        break;
      case 'head':
        if (!sawGap) throw new Error('FusedExecutor: head before gap');
        break;
      default:
        throw new Error(`FusedExecutor: unsupported layer '${l.op}' at position ${i}`);
    }
  }
  if (!sawGap) throw new Error('FusedExecutor: spec has no gap layer');

  const features = ar.alloc(B * D, 'features');
  const df = ar.alloc(B * D, 'feature gradient');
  const tail = ar.alloc(tailLayout(B, C).total, 'head/loss scratch');
  const result = ar.alloc(resultLayout(B).total, 'result block');
  let maxAct = 0;
  const visit = (a: Act) => (maxAct = Math.max(maxAct, nelem(a, B)));
  for (const r of recs) {
    if (r.kind === 'convbn') [r.conv.out, r.bn.y].forEach(visit);
    else if (r.kind === 'pool') [r.input, r.out].forEach(visit);
    else if (r.kind === 'block') [r.input, r.conv1.out, r.conv2.out].forEach(visit);
  }
  const scratch = [0, 1, 2].map((k) => ar.alloc(maxAct, `gradient scratch ${k}`));
  const convList: ConvRec[] = [];
  for (const r of recs) {
    if (r.kind === 'convbn') convList.push(r.conv);
    else if (r.kind === 'block') convList.push(r.conv1, r.conv2);
  }
  let maxPartial = 0;
  const chunking = new Map<string, { len: number; chunks: number }>();
  for (const c of convList) {
    const M = B * c.geom.ho * c.geom.wo;
    const Kk = c.geom.k * c.geom.k * c.geom.ci;
    const ch = kernels.wgradChunking(M, Kk, c.geom.co);
    chunking.set(c.name, ch);
    if (ch.chunks > 1) maxPartial = Math.max(maxPartial, ch.chunks * Kk * c.geom.co);
  }
  const partial = maxPartial > 0 ? ar.alloc(maxPartial, 'weight-gradient partials') : null;
  let maxBnPart = 1;
  const bnParts = new Map<string, { parts: number; rows: number }>();
  for (const r of recs) {
    const bns = r.kind === 'convbn' ? [r.bn] : r.kind === 'block' ? [r.bn1, r.bn2] : [];
    for (const b of bns) {
      const pp = kernels.bnPartitions(B * b.x.h * b.x.w, b.x.c);
      bnParts.set(b.name, pp);
      maxBnPart = Math.max(maxBnPart, pp.parts * b.x.c * 3);
    }
  }
  const bnPart = ar.alloc(maxBnPart, 'BN partial sums');
  // Bound where a kernel's optional job is off (writable bindings must not overlap, even unused ones).
  const dummy = [ar.alloc(1, 'unused binding'), ar.alloc(1, 'unused binding')];
  const gsPartials = Math.ceil(T / kernels.GRADSUM_PER_THREAD);
  const gsRegion = ar.alloc(2 * gsPartials, 'gradient-sum partials');

  // ---- dispatch builders
  const dims: PlanDims = { maxBatch: B, C, D };
  const dispatch = <Bn extends string, M extends string>(
    label: string,
    def: KernelDef<Bn, M>,
    binds: { readonly [k in Bn]?: Region },
    meta: Readonly<Record<M, number>>,
  ) => dispatchOf(label, def, binds, meta, dims, limits.maxComputeWorkgroupsPerDimension);
  const noMeta = {} as Readonly<Record<never, number>>;
  const geomMeta = (g: ConvGeom): Record<(typeof kernels.CONV_META)[number], number> => ({
    H: g.h,
    W: g.w,
    CI: g.ci,
    HO: g.ho,
    WO: g.wo,
    CO: g.co,
    KS: g.k,
    ST: g.stride,
    PD: g.pad,
  });
  const weightOf = (c: ConvRec) => pSlot(`${c.name}.weight`, c.geom.k * c.geom.k * c.geom.ci * c.geom.co);

  // layers whose input and output channels are multiples of 4 (all but a network's first) use the vec4 kernels
  // (same thread counts: 4 positions × 4 channels per thread)
  const v4 = (g: ConvGeom) => g.ci % 4 === 0 && g.co % 4 === 0;
  const convFwd = (c: ConvRec): Dispatch =>
    dispatch(
      `${c.name} forward`,
      v4(c.geom) ? kernels.convForwardV4 : kernels.convForward,
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
    out.push(dispatch('head forward', K.headFwd[headLayer.kind], { f: features, p: pSlot('linear.weight', clsLen), t: tail }, noMeta));
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
    const n = c.geom.k * c.geom.k * c.geom.ci * c.geom.co;
    const g = gSlot(`${c.name}.weight`, n);
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
      (v4(c.geom) ? K.convInV4 : K.convIn)[res?.kind ?? 'none'],
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
      K.headBwd[headLayer.kind],
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
        { res: result, st: stats, run: ar.state(R0, bnNames.length * RS, 'running statistics') },
        { L: bnNames.length, CS, SS, RS },
      ),
    );
  }
  const frozen: Dispatch[] = [...forward('eval'), ...tailDispatches(), ...finish(classifierStart)];
  const evalList = forward('eval');

  // ---- control region: the step block, then one meta slot per distinct meta
  const sl = stepLayout(B, C);
  const stepFloats = roundUp(sl.total, SLOT);
  const slots = new Map<string, number>();
  for (const d of [...train, ...frozen, ...evalList]) {
    if (d.meta === 'step') continue;
    if (d.meta.length + 1 > SLOT) throw new Error(`FusedExecutor: ${d.label}: meta too long (internal)`);
    const key = d.meta.join(',');
    if (!slots.has(key)) slots.set(key, stepFloats + slots.size * SLOT);
  }
  const controlFloats = stepFloats + slots.size * SLOT;
  const control = ar.alloc(controlFloats, 'control block');
  const step = sub(control, 0, sl.total);
  const init = new Float32Array(controlFloats);
  const ints = new Int32Array(init.buffer);
  for (const [key, off] of slots) key.split(',').forEach((v, k) => (ints[off + 1 + k] = Number(v)));
  ints[STEP_WORD.maxBatch] = B;
  ints[STEP_WORD.classes] = C;
  ints[STEP_WORD.featureDim] = D;
  for (const d of [...train, ...frozen, ...evalList]) {
    const b0 = d.meta === 'step' ? step : sub(control, slots.get(d.meta.join(','))!, SLOT);
    d.binds = [b0, ...d.binds.map((r) => (r === STEP_PLACEHOLDER ? step : r))];
    if (d.binds.length > limits.maxStorageBuffersPerShaderStage) throw new Error(`FusedExecutor: ${d.label} needs too many bindings`);
  }
  return {
    maxBatch: B,
    inputShape: [H, W, CIN],
    numClasses: C,
    featureDim: D,
    bufferSizes: ar.sizes,
    trainableLength: T,
    classifierStart,
    params,
    order: spec.params.map((p) => p.name),
    x: input.region,
    control,
    controlInit: init,
    nWords: [0, ...slots.values()],
    step,
    result,
    tail,
    features,
    allocations: ar.allocations,
    train,
    frozen,
    eval: evalList,
  };
}

/** Stands for the step block among a dispatch's bindings until the control region exists. */
const STEP_PLACEHOLDER: Region = { buffer: -1, offset: 0, size: 0 };

function size(p: ParamSpec): number {
  return p.shape.reduce((a, d) => a * d, 1);
}
