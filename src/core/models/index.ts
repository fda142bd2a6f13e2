export * from './types';
export { MODEL_KINDS, HEAD_KINDS, BN_EPS, BN_MOMENTUM, buildSpec, paramCount, bnLayerNames, convOutSize } from './spec';
export type { ModelKindInfo } from './spec';
export { createModel, applyHead, initParam } from './executor';
export { cloneWeights, setWeights } from './weights';
export type { SetWeightsOptions } from './weights';
export { bnTrain, bnEval, optionAKernel, optionAShortcut, cosineHead, linearHead, l2normalize } from './ops';
export type { BnBatchStats } from './ops';
