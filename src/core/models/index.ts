export * from './types';
export { MODEL_KINDS, buildSpec, paramCount, bnLayerNames } from './spec';
export { createModel, applyHead } from './executor';
export { cloneWeights, setWeights } from './weights';
export { bnTrain, optionAKernel, optionAShortcut } from './ops';
