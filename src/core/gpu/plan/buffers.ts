/**
 * Phase 3, the working buffers besides the activations: BN batch statistics, features and their gradient, the
 * head/loss scratch, the result block, three rotating gradient scratch tensors (each as large as the largest
 * activation), the weight-gradient chunk partials and chunking, the BN partial sums and partitions, the
 * gradient-sum partials.
 */
import * as kernels from '../kernels';
import { resultLayout, tailLayout } from '../step-block';
import { type Arenas, roundUp, SLOT, sub } from './arenas';
import type { StateLayout } from './state';
import { type Act, type ConvRec, nelem, type Rec, type Region } from './types';

export interface BnStats {
  region: Region;
  /** Stride of the per-layer [mean(CS) | var(CS) | count(CS)] slots. */
  SS: number;
  slot: (i: number) => Region;
}

/** BN batch statistics: one slot per BN layer. */
export function bnStats(ar: Arenas, st: StateLayout): BnStats {
  const SS = roundUp(3 * st.CS, SLOT);
  const region = ar.alloc(Math.max(1, st.bnNames.length) * SS, 'BN statistics');
  return { region, SS, slot: (i) => sub(region, i * SS, 3 * st.CS) };
}

export interface WorkBuffers {
  features: Region;
  df: Region;
  tail: Region;
  result: Region;
  scratch: Region[];
  /** Weight-gradient chunking per convolution, and the partials of the chunked ones (null when none is). */
  chunking: Map<string, { len: number; chunks: number }>;
  partial: Region | null;
  /** BN partial-reduction partitions per BN layer, and their partial sums. */
  bnParts: Map<string, { parts: number; rows: number }>;
  bnPart: Region;
  /** Bound where a kernel's optional job is off (writable bindings must not overlap, even unused ones). */
  dummy: [Region, Region];
  gsRegion: Region;
}

export function workBuffers(
  ar: Arenas,
  st: StateLayout,
  recs: Rec[],
  B: number,
  C: number,
  D: number,
  variantOf: (c: ConvRec) => kernels.ConvVariant,
): WorkBuffers {
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
    const Kk = c.geom.kh * c.geom.kw * c.geom.ci;
    const ch = variantOf(c) === 'tiled' ? kernels.tiledWgradChunking(M, Kk, c.geom.co) : kernels.wgradChunking(M, Kk, c.geom.co);
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
  const dummy: [Region, Region] = [ar.alloc(1, 'unused binding'), ar.alloc(1, 'unused binding')];
  const gsPartials = Math.ceil(st.T / kernels.GRADSUM_PER_THREAD);
  const gsRegion = ar.alloc(2 * gsPartials, 'gradient-sum partials');
  return { features, df, tail, result, scratch, chunking, partial, bnParts, bnPart, dummy, gsRegion };
}
