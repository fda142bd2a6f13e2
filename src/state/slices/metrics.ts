/**
 * Metrics slice: the batch and epoch history of the current run, plus up to MAX_ARCHIVED earlier runs on the same
 * data (so CE and GCL can be compared on one chart).
 */
import type { StateCreator } from 'zustand';
import type { BatchInfo, EpochMetrics } from '../../worker/protocol';
import type { PlaygroundState } from '../store';

export interface RunRecord {
  id: string;
  label: string;
  color: string;
  /** Identifies the data subset; runs with different keys are not compared. */
  dataKey: string;
  batches: BatchInfo[];
  epochs: EpochMetrics[];
}

export const MAX_ARCHIVED = 3;
export const RUN_COLORS = ['#2563eb', '#d97706', '#059669', '#9333ea', '#dc2626'];

export interface MetricsSlice {
  current: RunRecord | null;
  archived: RunRecord[];
  /** Starts a new current run; the previous one is archived when it trained an epoch on the same data. */
  beginRun(label: string, dataKey: string): void;
  appendMetrics(batches: BatchInfo[], epochs: EpochMetrics[]): void;
  relabelCurrent(label: string): void;
  clearArchive(): void;
}

let runCounter = 0;

export const createMetricsSlice: StateCreator<PlaygroundState, [], [], MetricsSlice> = (set) => ({
  current: null,
  archived: [],
  beginRun: (label, dataKey) =>
    set((s) => {
      let archived = s.archived.filter((r) => r.dataKey === dataKey);
      if (s.current && s.current.epochs.length > 0 && s.current.dataKey === dataKey) {
        archived = [...archived, { ...s.current, label: `${s.current.label} (earlier)` }].slice(-MAX_ARCHIVED);
      }
      const used = new Set(archived.map((r) => r.color));
      const color = RUN_COLORS.find((c) => !used.has(c)) ?? RUN_COLORS[runCounter % RUN_COLORS.length];
      runCounter++;
      return { archived, current: { id: `run-${runCounter}`, label, color, dataKey, batches: [], epochs: [] } };
    }),
  appendMetrics: (batches, epochs) =>
    set((s) => {
      if (!s.current || (batches.length === 0 && epochs.length === 0)) return {};
      return {
        current: {
          ...s.current,
          batches: batches.length ? s.current.batches.concat(batches) : s.current.batches,
          epochs: epochs.length ? s.current.epochs.concat(epochs) : s.current.epochs,
        },
      };
    }),
  relabelCurrent: (label) => set((s) => (s.current ? { current: { ...s.current, label } } : {})),
  clearArchive: () => set({ archived: [] }),
});
