/**
 * The metrics pump: buffers the worker's batch and epoch events and moves them into the store in one update per
 * animation frame (at most every `flushIntervalMs`), so the main thread only renders; keeps the ETA estimate and the
 * screen-reader announcement of each finished epoch. After every flush it calls `afterFlush` (the autosave feed
 * snapshots a checkpoint once its epoch's metrics are in the store).
 */
import type { BatchInfo, EpochMetrics } from '../../worker/protocol';
import type { PlaygroundStore } from './store';
import { percent } from '../../core/format';

export interface MetricsPumpOptions {
  /** Runs `cb` before the next paint (requestAnimationFrame in the browser). */
  schedule?: (cb: () => void) => void;
  now?: () => number;
  /** Minimum time between two store updates from batch events (default 250 ms). */
  flushIntervalMs?: number;
}

function defaultSchedule(cb: () => void): void {
  let done = false;
  const run = () => {
    if (done) return;
    done = true;
    cb();
  };
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(run);
  // hidden tabs get no animation frames: flush anyway
  setTimeout(run, 250);
}

const pct = (v: number | null | undefined) => percent(v);

export class MetricsPump {
  private pendingBatches: BatchInfo[] = [];
  private pendingEpochs: EpochMetrics[] = [];
  private flushScheduled = false;
  private lastFlushAt = -Infinity;
  private lastBatchAt: number | null = null;
  private lastBatchStep = 0;
  private secPerStep: number | null = null;
  private readonly schedule: (cb: () => void) => void;
  private readonly now: () => number;
  private readonly flushInterval: number;

  constructor(
    private readonly store: PlaygroundStore,
    private readonly afterFlush: () => void,
    opts: MetricsPumpOptions = {},
  ) {
    this.schedule = opts.schedule ?? defaultSchedule;
    this.now = opts.now ?? (() => (typeof performance !== 'undefined' ? performance.now() : Date.now()));
    this.flushInterval = opts.flushIntervalMs ?? 250;
  }

  batch(b: BatchInfo): void {
    this.pendingBatches.push(b);
    this.trackEta(b);
    this.requestFlush();
  }

  epoch(m: EpochMetrics): void {
    this.pendingEpochs.push(m);
    this.requestFlush();
  }

  /** Drops what is buffered and the speed estimate (a new or restored run). */
  reset(): void {
    this.pendingBatches = [];
    this.pendingEpochs = [];
    this.lastBatchAt = null;
    this.secPerStep = null;
  }

  /** Training stopped: the next batch starts a new timing interval. */
  paused(): void {
    this.lastBatchAt = null;
  }

  private trackEta(b: BatchInfo): void {
    const t = this.now();
    if (this.lastBatchAt !== null && b.step > this.lastBatchStep) {
      const per = (t - this.lastBatchAt) / 1000 / (b.step - this.lastBatchStep);
      this.secPerStep = this.secPerStep === null ? per : 0.8 * this.secPerStep + 0.2 * per;
    }
    this.lastBatchAt = t;
    this.lastBatchStep = b.step;
  }

  private requestFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // at most one store update per animation frame, and no more often than flushIntervalMs: a chart re-render
    // costs tens of ms, so batch events are coalesced rather than drawn one by one
    const wait = Math.max(0, this.lastFlushAt + this.flushInterval - this.now());
    const go = () => this.schedule(() => this.flushNow());
    if (wait > 0) setTimeout(go, wait);
    else go();
  }

  /** Applies the buffered batch and epoch events in one store update. */
  flushNow(): void {
    this.flushScheduled = false;
    this.lastFlushAt = this.now();
    const batches = this.pendingBatches;
    const epochs = this.pendingEpochs;
    if (!batches.length && !epochs.length) return;
    this.pendingBatches = [];
    this.pendingEpochs = [];
    const s = this.store.getState();
    s.appendMetrics(batches, epochs);
    const last = batches[batches.length - 1];
    if (last) {
      s.applyBatch(last);
      const p = this.store.getState().progress!;
      const left = (p.epochsInStage - p.epoch - 1) * p.batchesPerEpoch + (p.batchesPerEpoch - p.batch - 1);
      if (this.store.getState().phase === 'running' && this.secPerStep !== null) s.patchRun({ etaSeconds: left * this.secPerStep });
    }
    this.afterFlush();
    const m = epochs[epochs.length - 1];
    if (m) {
      const g = m.groupAccuracy;
      s.patchRun({
        announcement: `Stage ${m.stage}, epoch ${m.epoch + 1} of ${m.epochsInStage} finished: test accuracy ${pct(m.testAccuracy)} (many ${pct(g.many)}, medium ${pct(g.medium)}, few ${pct(g.few)}).`,
      });
    }
  }
}
