/**
 * The fused executor's plan for one (model spec, maximum batch): where every tensor lives (sub-ranges of a few
 * large buffers, 256-byte aligned) and the three recorded dispatch lists — a training step, a frozen-backbone
 * step (GCL stage 2) and an eval-mode forward. Pure TypeScript: no GPU calls, so it can be inspected in tests.
 *
 * Built in phases: the state buffer P | G | V | R (state.ts), the input and the BN batch statistics, the model as
 * layer records with their activations (layers.ts), the working buffers (buffers.ts), the dispatch lists
 * (dispatches.ts), and the control region that binding 0 of every dispatch points into (control.ts).
 */
import type { ModelSpec } from '../../models/types';
import { type ConvVariant, layerConvVariant } from '../kernels';
import { Arenas } from './arenas';
import { bnStats, workBuffers } from './buffers';
import { layoutControl } from './control';
import { dispatchLists } from './dispatches';
import { layerRecords } from './layers';
import { layoutState } from './state';
import type { Act, ConvRec, DeviceLimitsLike, Plan } from './types';

export { dispatchOf } from './dispatches';
export type { DeviceLimitsLike, Dispatch, Plan, Region } from './types';

/**
 * Builds the plan; throws a clear error for layer sequences or sizes the executor does not support. `conv`: the
 * convolution kernels — direct, tiled on every layer they fit, or 'auto' (tiled on the layers large enough; the
 * executor turns 'auto' into 'direct' on a software adapter).
 */
export function buildPlan(spec: ModelSpec, maxBatch: number, limits: DeviceLimitsLike, conv: ConvVariant | 'auto' = 'direct'): Plan {
  if (!Number.isInteger(maxBatch) || maxBatch < 2) throw new Error(`FusedExecutor: maxBatch must be an integer ≥ 2, got ${maxBatch}`);
  if (limits.maxStorageBuffersPerShaderStage < 8) {
    throw new Error(`FusedExecutor: needs 8 storage buffers per shader stage, the device allows ${limits.maxStorageBuffersPerShaderStage}`);
  }
  const B = maxBatch;
  const [H, W, CIN] = spec.config.inputShape;
  const C = spec.config.numClasses;
  const D = spec.featureDim;
  const dims = { B, C, D };
  const ar = new Arenas(limits);
  const st = layoutState(spec, ar);
  const act = (h: number, w: number, c: number, what: string): Act => ({ region: ar.alloc(B * h * w * c, what), h, w, c });
  const input = act(H, W, CIN, 'the input batch');
  const stats = bnStats(ar, st);
  const recs = layerRecords(spec, st, input, act, B);
  const variantOf = (c: ConvRec) => layerConvVariant(conv, c.geom, B);
  const wb = workBuffers(ar, st, recs, B, C, D, variantOf);
  const lists = dispatchLists(recs, st, stats, wb, ar, dims, limits.maxComputeWorkgroupsPerDimension, variantOf);
  const convs = recs.flatMap((r) => (r.kind === 'convbn' ? [r.conv] : r.kind === 'block' ? [r.conv1, r.conv2] : []));
  const ctl = layoutControl([lists.train, lists.frozen, lists.eval], ar, dims, limits);
  return {
    maxBatch: B,
    inputShape: [H, W, CIN],
    numClasses: C,
    featureDim: D,
    bufferSizes: ar.sizes,
    trainableLength: st.T,
    classifierStart: st.classifierStart,
    params: st.params,
    order: spec.params.map((p) => p.name),
    x: input.region,
    ...ctl,
    result: wb.result,
    tail: wb.tail,
    features: wb.features,
    allocations: ar.allocations,
    convLayers: { layers: convs.length, tiled: convs.filter((c) => variantOf(c) === 'tiled').length },
    ...lists,
  };
}
