/**
 * The autosave feed: after every finished epoch the worker sends a checkpoint; once that epoch's metrics are in the
 * store, this hands a RunSnapshot (checkpoint + settings + metrics history up to it + the upload recipe + the pinned
 * runs) to `onCheckpoint` (the Autosaver). When runs are pinned or unpinned later, the current run's last snapshot
 * is handed over again with the new comparison.
 */
import type { BatchInfo, EpochMetrics, RunCheckpoint } from '../../worker/protocol';
import type { Settings } from '../settings/settings';
import type { PlaygroundStore } from '../session/store';
import type { RunRecord } from '../session/slices/metrics';
import type { UploadRecipe } from '../uploads/upload-recipe';

/** A finished epoch: the worker's checkpoint plus the page's settings and metrics history up to that epoch. */
export interface RunSnapshot {
  /** The page's id of the run (store `current.id`): autosave keeps one record per run. */
  runId?: string;
  checkpoint: RunCheckpoint;
  settings: Settings;
  label: string;
  dataKey: string;
  batches: BatchInfo[];
  epochs: EpochMetrics[];
  stage1Done: boolean;
  /** How the run's uploaded data set was made (runs on uploaded data only), so it can be made again on resume. */
  upload?: UploadRecipe;
  /** The pinned earlier runs and whether this run is pinned (compare runs), so a resume keeps the comparison. */
  compare?: { runs: RunRecord[]; currentPinned: boolean };
}

export class SnapshotFeed {
  /** The last epoch's checkpoint, until that epoch's metrics reach the store. */
  private pending: RunCheckpoint | null = null;
  /** The current run's last snapshot: handed over again when runs are pinned / unpinned. */
  private last: { runId: string; snap: RunSnapshot } | null = null;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: PlaygroundStore,
    private readonly onCheckpoint: ((s: RunSnapshot) => void) | undefined,
    private readonly recipeOf: (datasetId: string) => UploadRecipe | undefined,
  ) {
    this.unsubscribe = store.subscribe((st, prev) => {
      if (st.archived !== prev.archived || st.current?.pinned !== prev.current?.pinned) this.resaveCompare();
    });
  }

  checkpoint(ck: RunCheckpoint): void {
    this.pending = ck;
  }

  /** Forgets a checkpoint still waiting (the run was replaced). */
  reset(): void {
    this.pending = null;
  }

  private compareOf(): { runs: RunRecord[]; currentPinned: boolean } {
    const s = this.store.getState();
    return { runs: s.archived.filter((r) => r.pinned), currentPinned: !!s.current?.pinned };
  }

  /** Hands the pending checkpoint over once its epoch's metrics are in the store (called after each flush). */
  afterFlush(): void {
    const ck = this.pending;
    const s = this.store.getState();
    const cur = s.current;
    const rs = s.runSettings;
    if (!ck || !cur || !rs || !this.onCheckpoint) return;
    const { globalStep: step, stage } = ck.trainer;
    if (!cur.epochs.some((m) => m.step === step && m.stage === stage)) return;
    this.pending = null;
    const snap: RunSnapshot = {
      runId: cur.id,
      checkpoint: ck,
      settings: rs,
      label: cur.label,
      dataKey: cur.dataKey,
      batches: cur.batches.filter((b) => b.step <= step),
      epochs: cur.epochs.filter((m) => m.step <= step),
      stage1Done: stage === 2 || s.stage1Done || (stage === 1 && ck.trainer.epoch >= ck.trainer.config.epochs),
      upload: this.recipeOf(rs.config.dataset),
      compare: this.compareOf(),
    };
    this.last = { runId: cur.id, snap };
    this.onCheckpoint(snap);
  }

  /** The pinned runs changed after the current run's last autosave: save it again with them. */
  private resaveCompare(): void {
    const last = this.last;
    if (!last || !this.onCheckpoint || this.store.getState().current?.id !== last.runId) return;
    const compare = this.compareOf();
    const key = (c: RunSnapshot['compare']) => (c ? `${c.currentPinned}|${c.runs.map((r) => r.id).join()}` : '');
    if (key(compare) === key(last.snap.compare)) return;
    last.snap = { ...last.snap, compare };
    this.onCheckpoint(last.snap);
  }

  dispose(): void {
    this.unsubscribe();
  }
}
