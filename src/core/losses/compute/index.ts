/**
 * The tfjs computation of every loss (the reference executor's losses; used by the trainer, the golden check and
 * the bench). The loss descriptions (../registry.ts) say everything else about a loss without tfjs.
 */
import type * as tf from '@tensorflow/tfjs';
import type { LossId, LossParams } from '../types';
import { getLoss } from '../registry';
import { resolveParams } from '../schema';
import type { ComputeContext, LossCompute, LossInputs } from './common';
import { computeCe } from './ce';
import { computeLdam } from './ldam';
import { computeBalancedSoftmax } from './balanced-softmax';
import { computeLogitAdjust } from './logit-adjust';
import { computeCbce } from './cbce';
import { computeKps } from './kps';
import { computeFbl } from './fbl';
import { computeGcl } from './gcl';

const COMPUTE: Record<LossId, LossCompute> = {
  ce: computeCe,
  ldam: computeLdam,
  balancedSoftmax: computeBalancedSoftmax,
  logitAdjust: computeLogitAdjust,
  cbce: computeCbce,
  kps: computeKps,
  fbl: computeFbl,
  gcl: computeGcl,
};

/** Scalar batch-mean loss `id`; missing params take the schema defaults, non-finite ones throw. */
export function computeLoss(id: LossId, inp: LossInputs, params: LossParams, ctx: ComputeContext): tf.Scalar {
  const def = getLoss(id);
  return COMPUTE[def.id](inp, resolveParams(def.schema, params, def.label), ctx);
}

export type { ComputeContext, LossInputs } from './common';
