/**
 * The page's watchdog over a training worker that may stop without an error event (closed from inside, killed,
 * hung): while the worker trains, every message it sends counts as a sign of life; when it has been quiet for a
 * tick the page pings it (the worker answers between batches, outside its request queue). No message at all for
 * the bound → `onDead`, and the page takes its crash path.
 *
 * A worker busy in a long synchronous kernel cannot answer, so the bound is scaled to what it measured: the longest
 * gap between two messages (pings answered included, so it is the longest time the worker could not answer) times
 * `factor`, at least `minMs`. The gap after an epoch's last batch (evaluation, checkpoint) is measured apart: until
 * one was seen, it may take `epochEndFactor` times the longest batch gap. Until a gap after a batch was measured
 * (kernels compiling, a first slow step) the bound is `firstBatchMs`. A page that was itself suspended (a frozen tab, a
 * laptop asleep: its ticks stop) starts counting again instead of blaming the worker.
 */

export interface WatchdogOptions {
  /** Silence allowed before the first batch (default 120 s). */
  firstBatchMs?: number;
  /** The least bound once batches are measured (default 20 s). */
  minMs?: number;
  /** The bound is this many times the longest gap measured (default 10). */
  factor?: number;
  /** Before an epoch end was measured, its silence may be this many times the longest batch gap (default 100). */
  epochEndFactor?: number;
  /** How often it looks, and how long a quiet worker goes unpinged (default 1 s). */
  tickMs?: number;
  now?: () => number;
}

/** What a message tells the watchdog: a batch (and whether it was its epoch's last), or anything else. */
export type Heard = { batch: true; lastOfEpoch: boolean } | { batch: false };

export const WATCHDOG_DEFAULTS = { firstBatchMs: 120_000, minMs: 20_000, factor: 10, epochEndFactor: 100, tickMs: 1000 } as const;

export class Watchdog {
  private readonly o: Required<Omit<WatchdogOptions, 'now'>>;
  private readonly now: () => number;
  private timer: ReturnType<typeof setInterval> | null = null;
  private last = 0;
  private lastTick = 0;
  private sawBatch = false;
  /** The silence now follows an epoch's last batch. */
  private atEpochEnd = false;
  private maxBatchGap = 0;
  private maxEpochEndGap = 0;
  private pinged = false;

  constructor(
    private readonly ping: () => void,
    private readonly onDead: (silentMs: number) => void,
    opts: WatchdogOptions = {},
  ) {
    const { now, ...rest } = opts;
    this.o = { ...WATCHDOG_DEFAULTS, ...rest };
    this.now = now ?? Date.now;
  }

  get armed(): boolean {
    return this.timer !== null;
  }

  /** The worker started training: watch it (a fresh measurement). */
  arm(): void {
    if (this.timer) return;
    this.last = this.lastTick = this.now();
    this.sawBatch = this.atEpochEnd = this.pinged = false;
    this.maxBatchGap = this.maxEpochEndGap = 0;
    this.timer = setInterval(() => this.tick(), this.o.tickMs);
  }

  disarm(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** A message arrived from the worker. */
  heard(h: Heard): void {
    const t = this.now();
    if (this.timer && this.sawBatch) {
      const gap = t - this.last;
      if (this.atEpochEnd) this.maxEpochEndGap = Math.max(this.maxEpochEndGap, gap);
      else this.maxBatchGap = Math.max(this.maxBatchGap, gap);
    }
    if (h.batch) {
      this.sawBatch = true;
      this.atEpochEnd = h.lastOfEpoch;
    } else if (this.atEpochEnd && this.sawBatch) {
      // the epoch's results: the next batch gap is an ordinary one
      this.atEpochEnd = false;
    }
    this.last = t;
    this.pinged = false;
  }

  /** How long the worker may be silent now. */
  bound(): number {
    // nothing measured yet: the first batch, or the gap after it (a first step may compile what the second uses)
    if (!this.sawBatch || (this.maxBatchGap === 0 && this.maxEpochEndGap === 0)) return this.o.firstBatchMs;
    if (this.atEpochEnd && this.maxEpochEndGap === 0)
      return Math.max(this.o.firstBatchMs, this.o.epochEndFactor * this.maxBatchGap, this.o.factor * this.maxBatchGap);
    return Math.max(this.o.minMs, this.o.factor * Math.max(this.maxBatchGap, this.atEpochEnd ? this.maxEpochEndGap : 0));
  }

  private tick(): void {
    const t = this.now();
    if (t - this.lastTick > 5 * this.o.tickMs + 1000) {
      // the page itself did not run for a while: what it missed is not the worker's silence
      this.last = t;
      this.pinged = false;
    }
    this.lastTick = t;
    const silent = t - this.last;
    if (silent >= this.bound()) {
      this.disarm();
      this.onDead(silent);
    } else if (silent >= this.o.tickMs && !this.pinged) {
      this.pinged = true;
      this.ping();
    }
  }
}
