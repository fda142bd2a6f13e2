/** All loss descriptions by id, plus lookup and default hyperparameters (pure: no tfjs). */
import type { LossContext, LossDescription, LossId, LossParams } from './types';
import type { LogitForm } from './logit-form';
import type { HeadKind } from '../models/types';
import { ceLoss } from './ce';
import { ldamLoss } from './ldam';
import { balancedSoftmaxLoss } from './balanced-softmax';
import { logitAdjustLoss } from './logit-adjust';
import { cbceLoss } from './cbce';
import { kpsLoss } from './kps';
import { fblLoss } from './fbl';
import { gclLoss } from './gcl';
import { schemaDefaults } from './schema';

export const LOSSES: Record<LossId, LossDescription> = {
  ce: ceLoss,
  ldam: ldamLoss,
  balancedSoftmax: balancedSoftmaxLoss,
  logitAdjust: logitAdjustLoss,
  cbce: cbceLoss,
  kps: kpsLoss,
  fbl: fblLoss,
  gcl: gclLoss,
};

export const LOSS_IDS = Object.keys(LOSSES) as LossId[];

export function isLossId(id: string): id is LossId {
  return Object.prototype.hasOwnProperty.call(LOSSES, id);
}

/** The loss with this id; throws with the list of known ids otherwise. */
export function getLoss(id: string): LossDescription {
  if (!isLossId(id)) throw new Error(`Unknown loss '${id}'; known: ${LOSS_IDS.join(', ')}`);
  return LOSSES[id];
}

/** Schema defaults of a loss (a fresh object). */
export function defaultParams(id: LossId | string): LossParams {
  return schemaDefaults(getLoss(id).schema);
}

/** The logit form of loss `id` (schema defaults filled in for missing params). */
export function logitForm(id: LossId, params: LossParams, ctx: LossContext): LogitForm {
  const def = getLoss(id);
  return def.logitForm({ ...defaultParams(id), ...params }, ctx);
}

/** The head a loss forces (null when it works with both), with the reason shown next to the disabled control. */
export function forcedHead(loss: LossId): { head: HeadKind; reason: string } | null {
  const def = getLoss(loss);
  if (def.head === 'any') return null;
  return { head: def.head, reason: `${def.label} is defined on the ${def.head} classifier` };
}
