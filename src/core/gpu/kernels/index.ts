/**
 * The catalogue of the fused executor's kernels: each a definition (see wgsl.ts `KernelDef`) that owns its WGSL,
 * its named bindings and meta words, its workgroup size and its launch. A new variant is one more definition here;
 * the planner binds it by name.
 */
export { groups1d, type KernelCost, type KernelDef, type PlanDims } from './wgsl';
export {
  CONV_META,
  chunkSum,
  convForward,
  convForwardV4,
  convInputGrad,
  convInputGradV4,
  convWeightGrad,
  convWeightGradV4,
  type ResidualGradKind,
  wgradChunking,
} from './conv';
export {
  chunkSumTree,
  convForwardTiled,
  convInputGradTiled,
  convVariantFor,
  type ConvVariant,
  type ConvVariantChoice,
  convWeightGradTiled,
  layerConvVariant,
  softwareAdapter,
  tiledWgradChunking,
} from './conv-tiled';
export {
  bnApply,
  bnBackwardApply,
  bnBackwardFinal,
  bnBackwardFinalSerial,
  bnBackwardPartial,
  bnCommit,
  bnPartitions,
  bnStatsFinal,
  bnStatsFinalSerial,
  bnStatsPartial,
  type ResidualFwdKind,
  SERIAL_FINAL_MAX_P,
} from './batch-norm';
export { gap, gapBackward, maxPool, maxPoolBackward } from './pool';
export { headBackward, headForward, loss } from './head-loss';
export { GRADSUM_PER_THREAD, gradSum, health, sgd } from './optimiser';
