/**
 * The session: connects the store to the training worker client. It owns the decisions the page makes —
 * which setting changes apply live (lr, loss hyperparameters, sampler, augmentation, weight decay: an `update`
 * at the next step) and which rebuild the run (data, model, loss type, …: asks first once something has been
 * trained) — and batches worker events into one store update per animation frame so the main thread only renders.
 */
import { gaStartEpoch } from '../core/train/schedules';
import type { BackendName } from '../core/backend';
import { BACKEND_ORDER, TrainClient, type ClientEvent, type CrashInfo } from '../worker/client';
import type { BatchInfo, EpochMetrics, LiveSettings, RunCheckpoint, RunSummary } from '../worker/protocol';
import { cloneSettings, toRunSpec, type BackendChoice, type Settings } from './settings';
import { progressFromSummary } from './slices/run';
import type { PlaygroundStore } from './store';
import { serialiseSettings } from './url-schema';
import { forgetUploads, loadRecipe } from './upload';
import type { UploadRecipe } from './upload-recipe';
import { isUploadId } from '../worker/datasets';
import { runLabel } from './run-label';
import type { RunRecord } from './slices/metrics';

export type ChangeKind = 'none' | 'live' | 'stage2' | 'reset' | 'backend';

export interface ChangePlan {
  kind: ChangeKind;
  /** Live settings to send (kind 'live'). */
  live: LiveSettings;
  /** Names of the settings that force a reset (for the confirm message). */
  resetBecause: string[];
}

const RESET_LABELS: Partial<Record<keyof Settings['config'], string>> = {
  dataset: 'data set',
  imbalance: 'imbalance factor',
  profile: 'profile',
  stepMu: 'step μ',
  seed: 'seed',
  model: 'model',
  head: 'head',
  batchSize: 'batch size',
  epochs: 'epochs',
  momentum: 'momentum',
  schedule: 'lr schedule',
  warmup: 'warm-up',
  loss: 'loss type',
  evalPerClass: 'test images per class',
  logEvery: 'log interval',
};

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** How going from `from` (the run's settings) to `to` can be applied. */
export function planChange(from: Settings, to: Settings): ChangePlan {
  const a = toRunSpec(from).config;
  const b = toRunSpec(to).config;
  const resetBecause: string[] = [];
  for (const [k, label] of Object.entries(RESET_LABELS) as [keyof typeof a, string][]) {
    if (!same(a[k], b[k])) resetBecause.push(label);
  }
  if (from.nMax !== to.nMax) resetBecause.push('head-class images');
  if (from.backend !== to.backend) return { kind: 'backend', live: {}, resetBecause: ['backend', ...resetBecause] };
  if (resetBecause.length) return { kind: 'reset', live: {}, resetBecause };
  const live: LiveSettings = {};
  if (a.lr !== b.lr) live.lr = b.lr;
  if (!same(a.lossParams, b.lossParams)) live.lossParams = { ...b.lossParams };
  if (a.sampler !== b.sampler) live.sampler = b.sampler;
  if (a.augment !== b.augment) live.augment = b.augment;
  if (a.hflip !== b.hflip) live.hflip = b.hflip;
  if (a.weightDecay !== b.weightDecay) live.weightDecay = b.weightDecay;
  if (Object.keys(live).length) return { kind: 'live', live, resetBecause };
  if (!same(a.stage2, b.stage2)) return { kind: 'stage2', live, resetBecause };
  return { kind: 'none', live, resetBecause };
}

export function backendOrder(choice: BackendChoice): BackendName[] {
  if (choice === 'auto') return BACKEND_ORDER.slice();
  // a forced backend still falls back to cpu so the page always works
  return choice === 'cpu' ? ['cpu'] : [choice, 'cpu'];
}

/** Identifies the training subset (runs on the same subset can be compared). */
export function dataKey(s: Settings): string {
  const c = s.config;
  return [c.dataset, c.imbalance, c.profile, c.profile === 'step' ? c.stepMu : '', s.nMax ?? 'all', c.seed].join('|');
}

export function gaStartFor(s: Settings): number | undefined {
  return s.config.loss === 'kps' && (s.config.lossParams.ga ?? 1) ? gaStartEpoch(s.config.epochs) : undefined;
}

export interface SessionOptions {
  createClient?: () => TrainClient;
  wasmPaths?: string;
  /** Runs `cb` before the next paint (requestAnimationFrame in the browser). */
  schedule?: (cb: () => void) => void;
  now?: () => number;
  /** Minimum time between two store updates from batch events (default 250 ms). */
  flushIntervalMs?: number;
  /** Writes the query string to the address bar (history.replaceState in the browser). */
  writeUrl?: (query: string) => void;
  /** Called once per finished epoch with the checkpoint and the metrics history up to it (autosave). */
  onCheckpoint?: (snapshot: RunSnapshot) => void;
}

/** A finished epoch: the worker's checkpoint plus the page's settings and metrics history up to that epoch. */
export interface RunSnapshot {
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

const pct = (v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? '–' : `${(100 * v).toFixed(1)}%`);

export class PlaygroundSession {
  client: TrainClient;
  /** Uploaded data sets of the current worker by id: how to make each again in another worker. */
  readonly uploadRecipes = new Map<string, UploadRecipe>();
  private readonly createClient: () => TrainClient;
  private readonly schedule: (cb: () => void) => void;
  private readonly now: () => number;
  private unsubscribe: (() => void) | null = null;
  private pendingBatches: BatchInfo[] = [];
  private pendingEpochs: EpochMetrics[] = [];
  private flushScheduled = false;
  private lastBatchAt: number | null = null;
  private lastBatchStep = 0;
  private secPerStep: number | null = null;
  private changeChain: Promise<unknown> = Promise.resolve();
  private started = false;
  private lastFlushAt = -Infinity;
  private readonly flushInterval: number;
  /** The last epoch's checkpoint, until that epoch's metrics reach the store (then it is autosaved). */
  private pendingCheckpoint: RunCheckpoint | null = null;
  /** The current run's last autosave snapshot: saved again when runs are pinned / unpinned (compare runs). */
  private lastSnapshot: { runId: string; snap: RunSnapshot } | null = null;
  private readonly unsubscribePins: () => void;

  constructor(
    readonly store: PlaygroundStore,
    private readonly opts: SessionOptions = {},
  ) {
    this.createClient = opts.createClient ?? (() => new TrainClient());
    this.schedule = opts.schedule ?? defaultSchedule;
    this.now = opts.now ?? (() => (typeof performance !== 'undefined' ? performance.now() : Date.now()));
    this.flushInterval = opts.flushIntervalMs ?? 250;
    this.client = this.createClient();
    this.listen();
    this.unsubscribePins = store.subscribe((st, prev) => {
      if (st.archived !== prev.archived || st.current?.pinned !== prev.current?.pinned) this.resaveCompare();
    });
  }

  private compareOf(): { runs: RunRecord[]; currentPinned: boolean } {
    return { runs: this.s.archived.filter((r) => r.pinned), currentPinned: !!this.s.current?.pinned };
  }

  /** The pinned runs changed after the current run's last autosave: save it again with them. */
  private resaveCompare(): void {
    const last = this.lastSnapshot;
    if (!last || !this.opts.onCheckpoint || this.s.current?.id !== last.runId) return;
    const compare = this.compareOf();
    const key = (c: RunSnapshot['compare']) => (c ? `${c.currentPinned}|${c.runs.map((r) => r.id).join()}` : '');
    if (key(compare) === key(last.snap.compare)) return;
    last.snap = { ...last.snap, compare };
    this.opts.onCheckpoint(last.snap);
  }

  private get s() {
    return this.store.getState();
  }

  private listen(): void {
    this.unsubscribe?.();
    this.unsubscribe = this.client.on((e) => this.onEvent(e));
  }

  private writeUrl(): void {
    this.opts.writeUrl?.(serialiseSettings(this.s.settings));
  }

  /** Chooses the backend, loads the data and configures the first run. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const settings = this.s.settings;
    this.s.patchRun({ phase: 'starting', error: null });
    try {
      const init = await this.client.init(backendOrder(settings.backend), this.opts.wasmPaths);
      this.s.patchRun({ backend: init });
      await this.configure(settings);
    } catch (e) {
      this.fail(e);
    }
    this.writeUrl();
  }

  private fail(e: unknown): void {
    const msg = e instanceof Error ? e.message : String(e);
    if (this.s.phase === 'crashed') return;
    this.s.patchRun({ phase: 'error', error: msg, busy: false, announcement: `Error: ${msg}` });
    this.s.pushNotice({ id: 'error', level: 'error', title: 'Something went wrong', items: [msg] });
  }

  private async configure(settings: Settings): Promise<void> {
    this.flushNow();
    this.s.patchRun({ phase: 'loading', busy: true, etaSeconds: null });
    const summary = await this.client.configure(toRunSpec(settings));
    this.s.setRunSettings(cloneSettings(settings));
    this.s.beginRun(runLabel(settings), dataKey(settings), cloneSettings(settings));
    this.afterSummary(summary, 'ready');
    this.s.patchRun({
      stage1Done: false,
      announcement: `Ready: ${summary.trainImages} training images, ${summary.batchesPerEpoch} batches per epoch on ${this.s.backend?.backend ?? '?'}.`,
    });
  }

  private afterSummary(summary: RunSummary, phase: 'ready' | 'paused' | 'stageDone'): void {
    this.pendingBatches = [];
    this.pendingEpochs = [];
    this.pendingCheckpoint = null;
    this.lastBatchAt = null;
    this.secPerStep = null;
    this.s.patchRun({
      summary,
      progress: progressFromSummary(summary),
      phase: summary.stageDone ? 'stageDone' : phase,
      busy: false,
      error: null,
      etaSeconds: null,
    });
    if (summary.headNote) this.s.pushNotice({ id: 'head', level: 'info', title: 'Head', items: [summary.headNote] });
    else this.s.dismissNotice('head');
  }

  // ---- events --------------------------------------------------------------------------------------------

  private onEvent(e: ClientEvent): void {
    switch (e.type) {
      case 'batch':
        this.pendingBatches.push(e.batch);
        this.trackEta(e.batch);
        this.requestFlush();
        break;
      case 'epoch':
        this.pendingEpochs.push(e.metrics);
        this.requestFlush();
        break;
      case 'state':
        this.flushNow();
        if (e.state === 'running') this.s.patchRun({ phase: 'running', announcement: 'Training.' });
        else if (e.state === 'paused' && this.s.phase === 'running') {
          this.lastBatchAt = null;
          this.s.patchRun({ phase: 'paused', etaSeconds: null, announcement: `Paused at step ${this.s.progress?.step ?? 0}.` });
        } else if (e.state === 'paused' && this.s.phase === 'ready') this.s.patchRun({ phase: 'paused' });
        break;
      case 'stageDone':
        this.flushNow();
        this.s.patchRun({
          phase: 'stageDone',
          etaSeconds: null,
          stage1Done: this.s.stage1Done || e.stage === 1,
          announcement:
            e.stage === 1
              ? 'Stage 1 finished.' + (this.s.runSettings?.config.loss === 'gcl' ? ' GCL stage 2 can start now.' : '')
              : 'Stage 2 finished.',
        });
        break;
      case 'halt':
        this.flushNow();
        this.s.pushNotice({ id: 'halt', level: 'warning', title: 'Training paused', items: [e.halt.message] });
        this.s.patchRun({ announcement: e.halt.message });
        break;
      case 'dataset': {
        const p = e.progress;
        this.s.patchRun({ dataset: p });
        break;
      }
      case 'upload':
        if (this.s.uploadStatus) this.s.setUploadStatus({ file: e.progress.file, phase: 'parse', fraction: e.progress.fraction });
        break;
      case 'checkpoint':
        this.pendingCheckpoint = e.checkpoint;
        break;
      case 'crash':
        this.onCrash(e.crash);
        break;
      case 'fatal':
        break;
    }
  }

  private onCrash(c: CrashInfo): void {
    this.flushNow();
    this.s.patchRun({ phase: 'crashed', crash: c, busy: false, etaSeconds: null, announcement: `Training stopped: ${c.message}` });
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
    const s = this.s;
    s.appendMetrics(batches, epochs);
    const last = batches[batches.length - 1];
    if (last) {
      s.applyBatch(last);
      const p = this.s.progress!;
      const left = (p.epochsInStage - p.epoch - 1) * p.batchesPerEpoch + (p.batchesPerEpoch - p.batch - 1);
      if (this.s.phase === 'running' && this.secPerStep !== null) s.patchRun({ etaSeconds: left * this.secPerStep });
    }
    this.snapshotCheckpoint();
    const m = epochs[epochs.length - 1];
    if (m) {
      const g = m.groupAccuracy;
      s.patchRun({
        announcement: `Stage ${m.stage}, epoch ${m.epoch + 1} of ${m.epochsInStage} finished: test accuracy ${pct(m.testAccuracy)} (many ${pct(g.many)}, medium ${pct(g.medium)}, few ${pct(g.few)}).`,
      });
    }
  }

  /** Hands the pending checkpoint to `onCheckpoint` once its epoch's metrics are in the store. */
  private snapshotCheckpoint(): void {
    const ck = this.pendingCheckpoint;
    const cur = this.s.current;
    const rs = this.s.runSettings;
    if (!ck || !cur || !rs || !this.opts.onCheckpoint) return;
    const { globalStep: step, stage } = ck.trainer;
    if (!cur.epochs.some((m) => m.step === step && m.stage === stage)) return;
    this.pendingCheckpoint = null;
    const snap: RunSnapshot = {
      checkpoint: ck,
      settings: cloneSettings(rs),
      label: cur.label,
      dataKey: cur.dataKey,
      batches: cur.batches.filter((b) => b.step <= step),
      epochs: cur.epochs.filter((m) => m.step <= step),
      stage1Done: stage === 2 || this.s.stage1Done || (stage === 1 && ck.trainer.epoch >= ck.trainer.config.epochs),
      upload: this.uploadRecipes.get(rs.config.dataset),
      compare: this.compareOf(),
    };
    this.lastSnapshot = { runId: cur.id, snap };
    this.opts.onCheckpoint(snap);
  }

  /** Resolves once the first backend and run are set up (or failed). */
  whenStarted(): Promise<void> {
    const settled = (p: string) => p !== 'starting' && p !== 'loading';
    if (this.started && settled(this.s.phase)) return Promise.resolve();
    return new Promise((resolve) => {
      const off = this.store.subscribe((st) => {
        if (this.started && settled(st.phase)) {
          off();
          resolve();
        }
      });
    });
  }

  /**
   * Replaces the run by one the worker rebuilds (`load`: an autosaved checkpoint, a loaded model): the controls get
   * `settings` (a function is called after `load`; the backend choice is kept) and the URL, the charts `history`.
   * The run is left paused.
   */
  async adoptRun(
    settings: Settings | (() => Settings),
    load: (client: TrainClient) => Promise<RunSummary>,
    history?: { label?: string; batches: BatchInfo[]; epochs: EpochMetrics[] },
  ): Promise<RunSummary> {
    await this.whenStarted();
    await this.client.request('pause', {}).catch(() => undefined);
    this.flushNow();
    this.s.patchRun({ busy: true });
    try {
      const summary = await load(this.client);
      const next = cloneSettings(typeof settings === 'function' ? settings() : settings);
      next.backend = this.s.settings.backend;
      this.s.setSettings(next);
      this.s.setRunSettings(cloneSettings(next));
      this.writeUrl();
      this.s.beginRun(history?.label ?? runLabel(next, summary.stage), dataKey(next), cloneSettings(next));
      const cur = this.s.current;
      if (cur && history) this.store.setState({ current: { ...cur, batches: history.batches.slice(), epochs: history.epochs.slice() } });
      this.afterSummary(summary, 'paused');
      const last = history?.batches[history.batches.length - 1];
      if (last && last.stage === summary.stage) this.s.applyBatch(last);
      this.s.patchRun({ stage1Done: summary.stage === 2 || summary.stageDone });
      this.s.dismissNotice('halt');
      this.s.dismissNotice('error');
      return summary;
    } catch (e) {
      this.s.patchRun({ busy: false });
      // the worker may have dropped its run before failing: set up the controls' settings again
      if (this.s.backend) await this.configure(this.s.settings).catch((e2: unknown) => this.fail(e2));
      throw e;
    }
  }

  // ---- commands ------------------------------------------------------------------------------------------

  private canTrain(): boolean {
    const p = this.s.phase;
    return (p === 'ready' || p === 'paused') && !this.s.busy;
  }

  async train(): Promise<void> {
    if (!this.canTrain()) return;
    try {
      await this.client.request('run', {});
    } catch (e) {
      this.fail(e);
    }
  }

  async pause(): Promise<void> {
    if (this.s.phase !== 'running') return;
    try {
      await this.client.request('pause', {});
    } catch (e) {
      this.fail(e);
    }
  }

  /** Space: train ⇄ pause. */
  async toggle(): Promise<void> {
    if (this.s.phase === 'running') return this.pause();
    return this.train();
  }

  async step(): Promise<void> {
    if (!this.canTrain()) return;
    this.s.patchRun({ busy: true });
    try {
      const r = await this.client.request('step', {});
      this.flushNow();
      this.s.patchRun({ busy: false });
      if (r.batch) this.s.patchRun({ announcement: `Step ${r.batch.step}: loss ${r.batch.loss.toFixed(4)}.` });
    } catch (e) {
      this.s.patchRun({ busy: false });
      this.fail(e);
    }
  }

  /** Fresh weights with the current settings (the earlier run stays on the charts for comparison). */
  async reset(): Promise<void> {
    const p = this.s.phase;
    if (p === 'starting' || p === 'loading' || p === 'crashed' || this.s.busy) return;
    const settings = this.s.settings;
    try {
      await this.client.request('pause', {});
      if (this.s.runSettings && planChange(this.s.runSettings, settings).kind !== 'none') {
        await this.configure(settings);
      } else {
        this.flushNow();
        this.s.patchRun({ busy: true });
        const summary = await this.client.reset();
        this.s.beginRun(runLabel(settings), dataKey(settings), cloneSettings(settings));
        this.afterSummary(summary, 'ready');
        this.s.patchRun({ stage1Done: false });
      }
      this.s.dismissNotice('halt');
      this.s.patchRun({ announcement: 'Reset: new weights, epoch 0.' });
    } catch (e) {
      this.fail(e);
    }
  }

  /**
   * Requests a settings change from the controls. Live settings apply at the next step; data/model/loss changes
   * ask before resetting once something has been trained (cancel keeps the old settings). Resolves when applied.
   */
  changeSettings(next: Settings): Promise<boolean> {
    const p = this.changeChain.then(() => this.applyChange(next));
    this.changeChain = p.catch(() => undefined);
    return p;
  }

  /**
   * A fresh run with `next` (new weights from the seed), without asking: the caller asked already (the comparison
   * preset, src/state/compare.ts). The controls and the URL get `next`. Rejects when the run cannot be set up.
   */
  startRun(next: Settings): Promise<void> {
    const p = this.changeChain.then(async () => {
      await this.whenStarted();
      const run = this.s.runSettings;
      this.s.setSettings(cloneSettings(next));
      this.writeUrl();
      try {
        if (run && planChange(run, next).kind === 'backend') await this.respawn(next);
        else {
          await this.client.request('pause', {}).catch(() => undefined);
          await this.configure(next);
        }
        this.s.dismissNotice('halt');
      } catch (e) {
        this.fail(e);
        throw e;
      }
    });
    this.changeChain = p.catch(() => undefined);
    return p;
  }

  private async applyChange(next: Settings): Promise<boolean> {
    const run = this.s.runSettings;
    if (!run || this.s.phase === 'starting' || this.s.phase === 'loading' || this.s.phase === 'crashed') {
      // nothing is configured yet (or it failed): just remember the settings
      this.s.setSettings(cloneSettings(next));
      this.writeUrl();
      if (this.s.phase === 'error' && this.s.backend) {
        try {
          await this.configure(next);
          this.s.dismissNotice('error');
        } catch (e) {
          this.fail(e);
        }
      }
      return true;
    }
    const plan = planChange(run, next);
    if (plan.kind === 'none' || plan.kind === 'stage2') {
      this.s.setSettings(cloneSettings(next));
      this.writeUrl();
      return true;
    }
    if (plan.kind === 'live') {
      this.s.setSettings(cloneSettings(next));
      this.writeUrl();
      try {
        await this.client.request('update', { settings: plan.live });
        const rs = cloneSettings(run);
        const c = rs.config;
        if (plan.live.lr !== undefined) c.lr = plan.live.lr;
        if (plan.live.lossParams) c.lossParams = { ...plan.live.lossParams };
        if (plan.live.sampler) c.sampler = plan.live.sampler;
        if (plan.live.augment !== undefined) c.augment = plan.live.augment;
        if (plan.live.hflip !== undefined) c.hflip = plan.live.hflip;
        if (plan.live.weightDecay !== undefined) c.weightDecay = plan.live.weightDecay;
        this.s.setRunSettings(rs);
        this.s.relabelCurrent(runLabel(rs, this.s.summary?.stage ?? 1), cloneSettings(rs));
        this.s.dismissNotice('update');
      } catch (e) {
        this.s.pushNotice({
          id: 'update',
          level: 'warning',
          title: 'Setting not applied',
          items: [e instanceof Error ? e.message : String(e)],
        });
      }
      return true;
    }
    const trained = (this.s.progress?.step ?? 0) > 0 || (this.s.summary?.stage ?? 1) === 2;
    if (trained) {
      const ok = await this.s.askConfirm(
        'Reset the run?',
        `Changing the ${plan.resetBecause.join(', ')} needs new weights: the run restarts from epoch 0 (its charts stay for comparison${this.s.current?.pinned ? '' : ' until the next run starts; “Pin run” keeps them'}).`,
      );
      if (!ok) return false;
    }
    this.s.setSettings(cloneSettings(next));
    this.writeUrl();
    try {
      if (plan.kind === 'backend') {
        await this.respawn(next);
      } else {
        await this.client.request('pause', {});
        await this.configure(next);
      }
      this.s.dismissNotice('halt');
    } catch (e) {
      this.fail(e);
    }
    return true;
  }

  private async respawn(settings: Settings): Promise<void> {
    this.client.dispose();
    this.client = this.createClient();
    this.listen();
    // uploaded data lived in the old worker: make the run's data set again from its recipe, forget the others
    const recipe = isUploadId(settings.config.dataset) ? this.uploadRecipes.get(settings.config.dataset) : undefined;
    this.uploadRecipes.clear();
    if (!recipe) settings = forgetUploads(this.store, settings);
    this.s.patchRun({ phase: 'starting', backend: null, crash: null });
    const init = await this.client.init(backendOrder(settings.backend), this.opts.wasmPaths);
    this.s.patchRun({ backend: init });
    if (recipe) settings = await this.remakeUpload(settings, recipe);
    await this.configure(settings);
  }

  /**
   * Makes an uploaded data set again in the current worker from its recipe and returns `settings` pointing at the
   * new data-set id (they become the controls' settings). If that fails, falls back to the embedded set (notice).
   */
  async remakeUpload(settings: Settings, recipe: UploadRecipe): Promise<Settings> {
    this.s.clearUploads();
    try {
      const info = await loadRecipe({ store: this.store, session: this }, recipe);
      const next = cloneSettings(settings);
      next.config.dataset = info.id;
      this.s.setSettings(next);
      return next;
    } catch (e) {
      this.s.pushNotice({
        id: 'upload-error',
        level: 'error',
        title: 'Could not load the uploaded data again',
        items: [e instanceof Error ? e.message : String(e)],
      });
      return forgetUploads(this.store, settings);
    }
  }

  /** GCL stage 2 on the frozen backbone, with the stage-2 settings of the panel. */
  async startStage2(): Promise<void> {
    if (!this.s.stage1Done || this.s.busy || this.s.summary?.stage === 2) return;
    this.flushNow();
    this.s.patchRun({ busy: true });
    try {
      const summary = await this.client.request('startStage2', { stage2: { ...this.s.settings.config.stage2 } });
      const rs = this.s.runSettings ? cloneSettings(this.s.runSettings) : null;
      if (rs) {
        rs.config.stage2 = { ...this.s.settings.config.stage2 };
        this.s.setRunSettings(rs);
        this.s.relabelCurrent(runLabel(rs, 2), cloneSettings(rs));
      }
      this.afterSummary(summary, 'paused');
      this.s.patchRun({ announcement: `Stage 2 ready: ${summary.epochsInStage} epochs re-training the classifier.` });
      await this.client.request('run', {});
    } catch (e) {
      this.s.patchRun({ busy: false });
      this.fail(e);
    }
  }

  /** After a crash: a fresh worker on the next backend, from the last finished epoch. */
  async continueAfterCrash(): Promise<void> {
    const crash = this.s.crash;
    if (!crash) return;
    this.s.patchRun({ phase: 'starting', busy: true });
    try {
      let runSettings = this.s.runSettings;
      const upId = runSettings && isUploadId(runSettings.config.dataset) ? runSettings.config.dataset : null;
      const recipe = upId ? this.uploadRecipes.get(upId) : undefined;
      if (runSettings && upId && !recipe) {
        // uploaded data died with the worker and can't be made again: restart on the embedded set
        if (this.client.crashInfo) this.client.crashInfo.checkpoint = null;
        runSettings = forgetUploads(this.store, runSettings);
        this.s.setRunSettings(cloneSettings(runSettings));
      } else if (!upId && this.s.uploads.length) {
        this.s.clearUploads();
        this.uploadRecipes.clear();
      }
      // uploaded data: made again in the new worker from the kept files, then the checkpoint is restored on it
      const remap =
        recipe && runSettings
          ? async () => {
              this.uploadRecipes.clear();
              const next = await this.remakeUpload(runSettings!, recipe);
              runSettings = next;
              this.s.setRunSettings(cloneSettings(next));
              return isUploadId(next.config.dataset) ? next.config.dataset : null;
            }
          : undefined;
      const r = await this.client.continueOnNextBackend(
        this.opts.wasmPaths,
        () => (runSettings ? toRunSpec(runSettings) : undefined),
        remap,
      );
      this.s.patchRun({ backend: r.init, crash: null });
      if (!r.summary) throw new Error('nothing to continue');
      // drop the metrics of the lost, unfinished epoch
      const cur = this.s.current;
      if (cur && r.restored) {
        const step = r.summary.step;
        this.store.setState({
          current: { ...cur, batches: cur.batches.filter((b) => b.step <= step), epochs: cur.epochs.filter((m) => m.step <= step) },
        });
      }
      if (!r.restored) {
        this.s.beginRun(runLabel(this.s.settings), dataKey(this.s.settings), cloneSettings(this.s.settings));
        this.s.patchRun({ stage1Done: false });
      }
      this.afterSummary(r.summary, r.restored ? 'paused' : 'ready');
      if (r.summary.stage === 2) this.s.patchRun({ stage1Done: true });
      this.s.patchRun({
        announcement: r.restored
          ? `Continuing on ${r.init.backend} from stage ${r.summary.stage}, epoch ${r.summary.epoch}.`
          : `Restarted on ${r.init.backend}.`,
      });
      this.s.pushNotice({
        id: 'crash',
        level: 'info',
        title: 'Backend changed',
        items: [`Now training on ${r.init.backend} (${r.init.reason}).`],
      });
    } catch (e) {
      this.s.patchRun({ phase: 'crashed', busy: false });
      this.s.pushNotice({ id: 'crash', level: 'error', title: 'Could not continue', items: [e instanceof Error ? e.message : String(e)] });
    }
  }

  dispose(): void {
    this.unsubscribe?.();
    this.unsubscribePins();
    this.client.dispose();
  }
}
