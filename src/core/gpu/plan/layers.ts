/**
 * Phase 2, the model as layer records: conv + BN (+ ReLU), max-pool, residual block, global average pool, each with
 * its activations allocated in forward order. Throws a clear error for layer sequences the executor does not
 * support.
 */
import { convOutSize, expandBlock } from '../../models/spec';
import type { ModelSpec } from '../../models/types';
import type { StateLayout } from './state';
import type { Act, BnRec, ConvRec, Rec } from './types';

/** Allocates an activation [maxBatch, h, w, c]. */
export type ActAlloc = (h: number, w: number, c: number, what: string) => Act;

export function layerRecords(spec: ModelSpec, st: StateLayout, input: Act, act: ActAlloc, maxBatch: number): Rec[] {
  const D = spec.featureDim;
  const recs: Rec[] = [];
  let cur = input;
  const conv = (name: string, inp: Act, outC: number, k: number, stride: number, pad: number): ConvRec => {
    const p = st.need(`${name}.weight`);
    if (p.shape.join() !== [k, k, inp.c, outC].join()) throw new Error(`FusedExecutor: ${name}.weight has shape [${p.shape}]`);
    if (outC % 4 !== 0) throw new Error(`FusedExecutor: ${name} has ${outC} output channels; the executor needs a multiple of 4`);
    const ho = convOutSize(inp.h, k, stride, pad);
    const wo = convOutSize(inp.w, k, stride, pad);
    if (ho < 1 || wo < 1) throw new Error(`FusedExecutor: ${name} has an empty output`);
    const out = act(ho, wo, outC, `${name} output`);
    const geom = {
      n: maxBatch,
      h: inp.h,
      w: inp.w,
      ci: inp.c,
      ho,
      wo,
      co: outC,
      kh: k,
      kw: k,
      sh: stride,
      sw: stride,
      padTop: pad,
      padLeft: pad,
    };
    return { name, geom, input: inp, out, first: inp === input };
  };
  const bn = (name: string, x: Act, relu: boolean, res: BnRec['res']): BnRec => {
    const index = st.bnIndex.get(name);
    if (index === undefined) throw new Error(`FusedExecutor: no BN layer '${name}'`);
    if (st.bnChannels[index] !== x.c) throw new Error(`FusedExecutor: ${name} has ${st.bnChannels[index]} channels, its input ${x.c}`);
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
        const { conv1, bn1, conv2, bn2 } = expandBlock(l);
        const c1 = conv(conv1.name, inp, conv1.outC, conv1.k, conv1.stride, conv1.pad);
        const b1 = bn(bn1, c1.out, true, { kind: 'none' });
        const c2 = conv(conv2.name, b1.y, conv2.outC, conv2.k, conv2.stride, conv2.pad);
        const b2 = bn(bn2, c2.out, true, { kind: l.shortcut, src: inp });
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
  return recs;
}
