/**
 * Phase 1, the state buffer: P | G | V | R. The trainable parameters P (conv weights, then BN γ|β per layer, then
 * the classifier W|b last, each slot 64-float aligned), their gradients G and momentum V with the same layout, and
 * the BN running statistics R (one [mean | var] slot per BN layer, CS wide). SGD runs over one contiguous range of
 * P/G/V: all of it, or only the classifier slot at the end (frozen steps).
 */
import type { HeadKind, LayerSpec, ModelSpec, ParamSpec } from '../../models/types';
import { type Arenas, F, roundUp, SLOT } from './arenas';
import type { ParamSlot, Region } from './types';

export interface StateLayout {
  params: Map<string, ParamSlot>;
  /** Floats of P (and of G and V each). */
  T: number;
  classifierStart: number;
  /** Floats of the classifier slot (W, and b on the linear head). */
  clsLen: number;
  head: HeadKind;
  /** BN layer names in spec order, their index and channel count. */
  bnNames: string[];
  bnIndex: Map<string, number>;
  bnChannels: number[];
  /** Channels of the widest BN layer: the stride unit of the statistics slots. */
  CS: number;
  /** Stride of the running-statistics slots, and where they start (3T). */
  RS: number;
  R0: number;
  need: (name: string) => ParamSpec;
  /** The value / gradient of a parameter (n floats). */
  pSlot: (name: string, n: number) => Region;
  gSlot: (name: string, n: number) => Region;
  /** A BN layer's γ|β and dγ|dβ. */
  gbP: (bn: string, c: number) => Region;
  gbG: (bn: string, c: number) => Region;
  /** BN layer i's running [mean | var]. */
  runSlot: (i: number) => Region;
}

export function layoutState(spec: ModelSpec, ar: Arenas): StateLayout {
  const C = spec.config.numClasses;
  const D = spec.featureDim;
  const byName = new Map(spec.params.map((p) => [p.name, p]));
  const need = (name: string): ParamSpec => {
    const p = byName.get(name);
    if (!p) throw new Error(`FusedExecutor: spec has no parameter '${name}'`);
    return p;
  };
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
  return {
    params,
    T,
    classifierStart,
    clsLen,
    head: headLayer.kind,
    bnNames,
    bnIndex,
    bnChannels,
    CS,
    RS,
    R0,
    need,
    pSlot: (name, n) => ar.state(params.get(name)!.offset, n, name),
    gSlot: (name, n) => ar.state(T + params.get(name)!.offset, n, `${name} (gradient)`),
    gbP: (bn, c) => ar.state(gbOffset.get(bn)!, 2 * c, `${bn} γ|β`),
    gbG: (bn, c) => ar.state(T + gbOffset.get(bn)!, 2 * c, `${bn} dγ|dβ`),
    runSlot: (i) => ar.state(R0 + i * RS, 2 * CS, 'running statistics'),
  };
}

function size(p: ParamSpec): number {
  return p.shape.reduce((a, d) => a * d, 1);
}
