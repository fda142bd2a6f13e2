/** Run slice: backend, training status, counters and ETA, crash information. */
import type { BenchProgress } from '../../../core/device-bench';
import type { SelfCheckReport } from '../../../core/train/self-check';
import type { StateCreator } from 'zustand';
import type { BackendName } from '../../../core/backend';
import type { CrashInfo } from '../../../worker/client';
import type { BatchInfo, DatasetProgress, InitResult, RunSummary } from '../../../worker/protocol';

export type Phase =
  | 'starting' // choosing the backend
  | 'loading' // fetching / decoding the data, building the model
  | 'ready' // configured, nothing trained yet
  | 'running'
  | 'paused'
  | 'stageDone' // the current stage has run all its epochs
  | 'crashed'
  | 'error';

export interface Progress {
  stage: 1 | 2;
  /** 0-based epoch of the last batch. */
  epoch: number;
  /** 0-based batch within the epoch of the last batch. */
  batch: number;
  batchesPerEpoch: number;
  epochsInStage: number;
  step: number;
  loss: number | null;
  lr: number | null;
  /** Epochs finished in this stage. */
  epochsDone: number;
}

/**
 * "Auto"'s background measurement while it goes on: timing a candidate, waiting for the training to pause (it never
 * runs beside it), or moving the run to the faster backend at the next epoch boundary.
 */
export type BackgroundMeasure =
  { state: 'measuring'; backend: BackendName | null } | { state: 'waiting' } | { state: 'switching'; to: BackendName };

export interface RunSlice {
  phase: Phase;
  backend: InitResult | null;
  /** null: nothing is being measured. */
  measuring: BackgroundMeasure | null;
  summary: RunSummary | null;
  progress: Progress | null;
  stage1Done: boolean;
  etaSeconds: number | null;
  dataset: DatasetProgress | null;
  crash: CrashInfo | null;
  error: string | null;
  /** Text of the aria-live progress region (epoch ends, state changes). */
  announcement: string;
  /** A request that blocks the controls is in flight. */
  busy: boolean;
  /** The fused engine's self-check on this adapter (null until a fused run's first step). */
  selfCheck: SelfCheckReport | null;
  /** The device benchmark's progress while it runs (null otherwise). */
  benchProgress: BenchProgress | null;
  patchRun(p: Partial<Omit<RunSlice, 'patchRun' | 'applyBatch'>>): void;
  applyBatch(b: BatchInfo): void;
}

export const createRunSlice: StateCreator<RunSlice> = (set) => ({
  phase: 'starting',
  backend: null,
  measuring: null,
  summary: null,
  progress: null,
  stage1Done: false,
  etaSeconds: null,
  dataset: null,
  crash: null,
  error: null,
  announcement: '',
  busy: false,
  selfCheck: null,
  benchProgress: null,
  patchRun: (p) => set(p),
  applyBatch: (b) =>
    set((s) => ({
      progress: {
        stage: b.stage,
        epoch: b.epoch,
        batch: b.batch,
        batchesPerEpoch: b.batchesPerEpoch,
        epochsInStage: s.progress?.stage === b.stage ? s.progress.epochsInStage : (s.summary?.epochsInStage ?? 0),
        step: b.step,
        loss: b.loss,
        lr: b.lr,
        epochsDone: b.batch === b.batchesPerEpoch - 1 ? b.epoch + 1 : b.epoch,
      },
    })),
});

/** Counters before any batch of a configured run. */
export function progressFromSummary(s: RunSummary): Progress {
  return {
    stage: s.stage,
    epoch: s.epoch,
    batch: -1,
    batchesPerEpoch: s.batchesPerEpoch,
    epochsInStage: s.epochsInStage,
    step: s.step,
    loss: null,
    lr: null,
    epochsDone: s.epoch,
  };
}
