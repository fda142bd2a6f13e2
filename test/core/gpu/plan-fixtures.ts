/** Plans of every model × head, built without a GPU (the planner and the kernel sources are pure). */
import {
  bnApply,
  bnBackwardApply,
  bnBackwardPartial,
  type ConvVariant,
  convInputGrad,
  type KernelDef,
} from '../../../src/core/gpu/kernels';
import { buildPlan, type DeviceLimitsLike, type Plan } from '../../../src/core/gpu/plan';
import { buildSpec, MODEL_KINDS } from '../../../src/core/models';
import type { HeadKind, ModelKind } from '../../../src/core/models/types';

/** The WebGPU default limits the plan depends on (a device with no more than these). */
export const LIMITS: DeviceLimitsLike = {
  maxStorageBufferBindingSize: 128 * 2 ** 20,
  maxBufferSize: 256 * 2 ** 20,
  minStorageBufferOffsetAlignment: 256,
  maxComputeWorkgroupsPerDimension: 65535,
  maxStorageBuffersPerShaderStage: 8,
};

export const HEADS: readonly HeadKind[] = ['cosine', 'linear'];

/**
 * A small batch (every per-channel final pass runs one thread per channel) and a large one on CIFAR-sized input
 * (the workgroup-per-channel passes), so both variants of every kernel family appear.
 */
export const BATCHES = [2, 128] as const;

export interface PlanCase {
  kind: ModelKind;
  head: HeadKind;
  maxBatch: number;
  /** The convolution kernels: direct, or tiled on every layer they fit. */
  conv: ConvVariant;
  plan: Plan;
}

export function planCases(): PlanCase[] {
  const out: PlanCase[] = [];
  for (const conv of ['direct', 'tiled'] as const)
    for (const { kind } of MODEL_KINDS)
      for (const head of HEADS)
        for (const maxBatch of BATCHES) {
          const spec = buildSpec({ kind, head, inputShape: [32, 32, 3], numClasses: 10 });
          out.push({ kind, head, maxBatch, conv, plan: buildPlan(spec, maxBatch, LIMITS, conv) });
        }
  return out;
}

/** Variants no plan of today's models uses (a BN without a ReLU, an input gradient of a layer with CI % 4 ≠ 0). */
export const UNUSED: KernelDef[] = [
  bnApply('none', false),
  bnApply('identity', false),
  bnApply('optionA', false),
  bnBackwardPartial(false),
  bnBackwardApply(false),
  convInputGrad('none'),
  convInputGrad('identity'),
  convInputGrad('optionA'),
];
