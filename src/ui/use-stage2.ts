/** Whether GCL stage 2 can start now, and why not: shared by the header's button and the stage-2 section's. */
import { getLoss } from '../core/losses/registry';
import { usePg } from './context';

export interface Stage2State {
  /** The run's loss (else the chosen one) has a stage 2 at all. */
  twoStage: boolean;
  /** Why it cannot start now ('' when it can). */
  reason: string;
  canStart: boolean;
}

export function useStage2(): Stage2State {
  const loss = usePg((s) => s.runSettings?.config.loss ?? s.settings.config.loss);
  const stage1Done = usePg((s) => s.stage1Done);
  const stage = usePg((s) => s.summary?.stage ?? 1);
  const busy = usePg((s) => s.busy);
  const phase = usePg((s) => s.phase);
  const head = usePg((s) => s.summary?.head);
  let reason = '';
  if (head === 'linear') reason = 'Stage 2 re-trains a cosine classifier: train stage 1 with a cosine head.';
  else if (stage === 2) reason = phase === 'stageDone' ? 'Stage 2 finished.' : 'Stage 2 is running.';
  else if (!stage1Done) reason = 'Available once stage 1 has run all its epochs.';
  return { twoStage: getLoss(loss).twoStage, reason, canStart: !reason && !busy };
}
