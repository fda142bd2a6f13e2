/** The logit scale of losses defined on either head: `scale` (default 30) on a cosine head, 1 on a linear one. */
import type { HeadKind } from '../models/types';
import type { LossParams } from './types';

export function headScale(params: LossParams, head: HeadKind | undefined): number {
  return head === 'cosine' ? (params.scale ?? 30) : 1;
}

/** True for that scale (`key` 'scale' of a loss defined on either head) on a linear head, where it has no effect. */
export function ignoredOnHead(lossHead: HeadKind | 'any', key: string, head: HeadKind): boolean {
  return lossHead === 'any' && key === 'scale' && head !== 'cosine';
}
