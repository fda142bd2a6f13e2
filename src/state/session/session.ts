/**
 * The session: the page's commands (start, train, pause, step, reset, change settings, stage 2, continue after a
 * crash, resume a saved run, load / export a model, uploads) over the training worker. It is a small facade over
 * separate services, wired one way (the session calls them; they never call back):
 *  - WorkerLink (./worker-link.ts): the worker client — private to the session — and the upload recipes;
 *  - MetricsPump (./metrics-pump.ts): worker events → one store update per frame, ETA, announcements;
 *  - SnapshotFeed (./snapshots.ts): checkpoint + metrics → autosave snapshots;
 *  - recovery (./recovery.ts): a new worker after a backend change or a crash, uploads made again;
 *  - the change policy (./change-policy.ts, pure): which changes apply live and which need new weights;
 *  - "Auto"'s background measurement (worker/probe-client.ts): the first run starts on a backend that needs none,
 *    the candidates are timed once the training has been idle a moment (a software GPU timed beside it would take
 *    its CPU: a measurement going on when Train is pressed stops and starts again when idle), and a faster one
 *    takes the run over at an epoch boundary.
 */
import type { DeviceBenchResult } from '../../core/device-bench';
import type { ClientEvent, CrashInfo } from '../../worker/client';
import { TrainClient } from '../../worker/client';
import type {
  BatchInfo,
  EpochMetrics,
  ExportedFile,
  LoadedRun,
  RunCheckpoint,
  RunSummary,
  TestExamplesParams,
  TestExamplesResult,
  ClassifyImageResult,
  TrainExamplesParams,
  TrainExamplesResult,
  UploadSource,
  UploadedDataInfo,
} from '../../worker/protocol';
import { dataKey, planChange } from '../settings/change-policy';
import { autoAfterChange, initBackendFor, measurementNeeded, saveMeasurement, withMeasurement, type KeyValueStore } from './backend-choice';
import { backendOrder } from '../settings/change-policy';
import type { ProbeSpec } from '../../core/backend-probe';
import { workerMeasurer, type Measurement, type Measurer } from '../../worker/probe-client';
import { MetricsPump, type MetricsPumpOptions } from './metrics-pump';
import { continueAfterCrash, remakeUpload, respawn, type RecoveryContext } from './recovery';
import { runLabel } from '../runs/run-label';
import { applyLive } from '../../core/train/config-fields';
import { makeSettings, patchSettings, toRunSpec, trainConfigOf, type Settings } from '../settings/settings';
import { getLoss } from '../../core/losses/registry';
import { SnapshotFeed, type RunSnapshot } from '../persistence/snapshots';
import { progressFromSummary } from './slices/run';
import type { PlaygroundStore } from './store';
import { loadRecipe } from '../uploads/upload';
import type { UploadRecipe } from '../uploads/upload-recipe';
import { serialiseSettings } from '../settings/url-schema';
import { unpackFeatureSpace } from '../../worker/feature-space-wire';
import { isRunKept } from '../../worker/protocol';
import { WorkerLink, type ExportFormat } from './worker-link';

export type { RunSnapshot } from '../persistence/snapshots';

export interface SessionOptions extends MetricsPumpOptions {
  createClient?: () => TrainClient;
  wasmPaths?: string;
  /** Where "Auto" caches its measurements (default localStorage; tests pass their own). */
  backendStore?: KeyValueStore | null;
  /** How "Auto" measures in the background (default: a worker of its own in the browser; null: never). */
  measure?: Measurer | null;
  /** The background measurement's own budget in ms (default 3 s; the measurer's deadline bounds it as well). */
  measureBudgetMs?: number;
  /** How long the training must have been idle before the measurement starts (default 2 s; 0: at once). */
  measureAfterIdleMs?: number;
  /** Writes the query string to the address bar (history.replaceState in the browser). */
  writeUrl?: (query: string) => void;
  /** Called once per finished epoch with the checkpoint and the metrics history up to it (autosave). */
  onCheckpoint?: (snapshot: RunSnapshot) => void;
}

/** The metrics history a replaced run brings along (a resumed run). */
export interface RunHistory {
  label?: string;
  batches: BatchInfo[];
  epochs: EpochMetrics[];
}

export class PlaygroundSession {
  private readonly link: WorkerLink;
  private readonly pump: MetricsPump;
  private readonly snapshots: SnapshotFeed;
  private readonly recovery: RecoveryContext;
  private changeChain: Promise<unknown> = Promise.resolve();
  private started = false;
  /** The background measurement going on (null: none). */
  private measurement: Measurement | null = null;
  /** What "Auto" still has to measure (kept while the training runs: measured at the next pause). */
  private toMeasure: ProbeSpec | null = null;
  /** A measured winner is taking the run over (the worker moves it at the next epoch boundary). */
  private switching = false;
  /** Starts the measurement once the training has stayed idle a moment (a Train pressed at once never meets it). */
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly unsubscribePhase: () => void;

  constructor(
    readonly store: PlaygroundStore,
    private readonly opts: SessionOptions = {},
  ) {
    this.link = new WorkerLink(opts.createClient ?? (() => new TrainClient()), (e) => this.onEvent(e));
    this.snapshots = new SnapshotFeed(store, opts.onCheckpoint, (id) => this.link.recipeOf(id));
    this.pump = new MetricsPump(store, () => this.snapshots.afterFlush(), opts);
    this.recovery = {
      store,
      link: this.link,
      wasmPaths: opts.wasmPaths,
      backendStore: opts.backendStore,
      loadRecipe: (recipe) => loadRecipe({ store, session: this }, recipe),
    };
    this.unsubscribePhase = store.subscribe((st, prev) => {
      if (st.phase !== prev.phase) this.onPhase();
    });
  }

  private get s() {
    return this.store.getState();
  }

  private writeUrl(): void {
    this.opts.writeUrl?.(serialiseSettings(this.s.settings));
  }

  /** The controls show `next` (and the address bar). */
  private show(next: Settings): void {
    this.s.setSettings(next);
    this.writeUrl();
  }

  /** Chooses the backend, loads the data and configures the first run. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const settings = this.s.settings;
    this.s.patchRun({ phase: 'starting', error: null });
    try {
      // the worker gets both at once: the data part downloads while the backend starts
      const init = initBackendFor(this.link, settings, {
        wasmPaths: this.opts.wasmPaths,
        uploads: this.s.uploads,
        store: this.opts.backendStore,
      }).then((r) => this.s.patchRun({ backend: r }));
      await Promise.all([init, this.configure(settings)]);
      this.measureIfNeeded(settings);
    } catch (e) {
      this.fail(e);
    }
    this.writeUrl();
  }

  private choiceOpts() {
    return { uploads: this.s.uploads, store: this.opts.backendStore };
  }

  /** "Auto" for a model this browser has not measured: the candidates are timed now, in the background. */
  private measureIfNeeded(settings: Settings): void {
    const probe = measurementNeeded(settings, this.choiceOpts());
    if (!probe || (this.toMeasure && JSON.stringify(probe) === JSON.stringify(this.toMeasure))) return;
    this.stopMeasuring();
    this.toMeasure = probe;
    this.resumeMeasuring();
  }

  private idle(): boolean {
    const p = this.s.phase;
    return p === 'ready' || p === 'paused' || p === 'stageDone';
  }

  /** Starts the measurement still to make once the training has been idle a moment; else it waits for that. */
  private resumeMeasuring(): void {
    if (!this.toMeasure || this.measurement || this.switching || this.idleTimer) return;
    const after = this.opts.measureAfterIdleMs ?? 2000;
    if (this.idle() && after <= 0) return this.measureInBackground(this.toMeasure);
    this.s.patchRun({ measuring: { state: 'waiting' } });
    if (!this.idle()) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.toMeasure && !this.measurement && this.idle()) this.measureInBackground(this.toMeasure);
    }, after);
  }

  private clearIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  /** Training started: a measurement going on (or about to) stops, to start again when idle; idle again: it resumes. */
  private onPhase(): void {
    if (this.s.phase === 'running' && !this.switching && (this.measurement || this.idleTimer)) {
      this.clearIdleTimer();
      const m = this.measurement;
      this.measurement = null;
      m?.cancel();
      this.s.patchRun({ measuring: { state: 'waiting' } });
    } else if (this.s.phase !== 'running') this.resumeMeasuring();
  }

  private stopMeasuring(): void {
    this.clearIdleTimer();
    const m = this.measurement;
    this.measurement = null;
    this.toMeasure = null;
    this.switching = false;
    m?.cancel();
    if (this.s.measuring) this.s.patchRun({ measuring: null });
  }

  /**
   * Times the candidates for `probe` while the training is idle (bounded by its deadline: worker/probe-client.ts),
   * caches the result and, when another backend is faster, moves the run there at its next epoch boundary (at once
   * when idle at one). The badge follows.
   */
  private measureInBackground(probe: ProbeSpec): void {
    const measure = this.opts.measure === undefined ? workerMeasurer() : this.opts.measure;
    if (!measure) {
      this.toMeasure = null;
      return;
    }
    const req = {
      spec: probe,
      candidates: backendOrder('auto'),
      budgetMs: this.opts.measureBudgetMs ?? 3000,
      wasmPaths: this.opts.wasmPaths,
    };
    const job = measure(req, (backend) => {
      if (this.measurement === job) this.s.patchRun({ measuring: { state: 'measuring', backend } });
    });
    this.measurement = job;
    this.s.patchRun({ measuring: { state: 'measuring', backend: null } });
    job.result
      .then(async (r) => {
        if (this.measurement !== job) return; // stopped: training started, another model, another worker
        this.toMeasure = null;
        saveMeasurement(probe, r, this.choiceOpts());
        const current = this.s.backend;
        const winner = r.order[0];
        if (!current || winner === current.backend) {
          this.measurement = null;
          this.s.patchRun({ measuring: null, ...(current ? { backend: withMeasurement(current, r) } : {}) });
          return;
        }
        this.switching = true;
        this.s.patchRun({ measuring: { state: 'switching', to: winner } });
        const sw = await this.link.switchBackend(r.order, this.opts.wasmPaths);
        if (this.measurement !== job) return;
        this.measurement = null;
        this.switching = false;
        const moved = sw.backend.backend === winner;
        const sum = this.s.summary;
        this.s.patchRun({
          measuring: null,
          backend: moved
            ? withMeasurement(sw.backend, r)
            : { ...sw.backend, reason: `${sw.backend.backend} — ${winner} measured faster but did not start` },
          ...(moved && sw.summary && sum ? { summary: { ...sum, engine: sw.summary.engine, engineNote: sw.summary.engineNote } } : {}),
          ...(moved ? { announcement: `Now training on ${winner}: ${r.why}.` } : {}),
        });
        if (moved && sw.summary) this.noteEngine(sw.summary.engineNote ?? null);
      })
      .catch((e: unknown) => {
        if (this.measurement !== job) return;
        this.measurement = null;
        this.toMeasure = null;
        this.switching = false;
        const current = this.s.backend;
        const msg = e instanceof Error ? e.message : String(e);
        this.s.patchRun({
          measuring: null,
          ...(current
            ? {
                backend: {
                  ...current,
                  reason: `${current.backend} — the background measurement ${/^stopped/.test(msg) ? msg : `failed: ${msg}`}`,
                },
              }
            : {}),
        });
      });
  }

  private fail(e: unknown): void {
    const msg = e instanceof Error ? e.message : String(e);
    if (this.s.phase === 'crashed' || isRunKept(e)) return; // a kept run was put back by configure, with a notice
    this.s.patchRun({ phase: 'error', error: msg, busy: false, announcement: `Error: ${msg}` });
    this.s.pushNotice({ id: 'error', level: 'error', title: 'Something went wrong', items: [msg] });
  }

  /** A new run in the worker with `settings` (fresh weights from the seed). */
  private async configure(settings: Settings): Promise<void> {
    this.pump.flushNow();
    const before = this.s.phase;
    this.s.patchRun({ phase: 'loading', busy: true, etaSeconds: null });
    let summary: RunSummary;
    try {
      summary = await this.link.configure(toRunSpec(settings));
    } catch (e) {
      const kept = this.s.runSettings;
      if (isRunKept(e) && kept) {
        // the new run's data did not load and the worker kept the current run: the controls go back to it
        const msg = e instanceof Error ? e.message : String(e);
        this.show(kept);
        this.s.patchRun({ phase: before === 'running' ? 'paused' : before, busy: false, announcement: `Data not loaded: ${msg}` });
        this.s.pushNotice({
          id: 'data',
          level: 'error',
          title: 'The new settings’ data did not load — the current run is unchanged',
          items: [msg],
        });
      }
      throw e;
    }
    this.s.dismissNotice('data');
    this.s.setRunSettings(settings);
    this.s.beginRun(runLabel(settings), dataKey(settings), settings);
    this.afterSummary(summary, 'ready');
    this.s.patchRun({
      stage1Done: false,
      announcement: `Ready: ${summary.trainImages} training images, ${summary.batchesPerEpoch} batches per epoch on ${this.s.backend?.backend ?? '?'}.`,
    });
  }

  private afterSummary(summary: RunSummary, phase: 'ready' | 'paused' | 'stageDone'): void {
    this.pump.reset();
    this.snapshots.reset();
    if (summary.changes) this.s.setCurrentChanges(summary.changes);
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
    this.noteEngine(summary.engineNote ?? null);
  }

  /** Why the run does not train on the engine asked for (e.g. fused without WebGPU), as a notice. */
  private noteEngine(note: string | null): void {
    if (note) this.s.pushNotice({ id: 'engine', level: 'info', title: 'Engine', items: [note] });
    else this.s.dismissNotice('engine');
  }

  // ---- events --------------------------------------------------------------------------------------------

  private onEvent(e: ClientEvent): void {
    switch (e.type) {
      case 'batch':
        this.pump.batch(e.batch);
        break;
      case 'epoch':
        this.pump.epoch(e.packedFeatureSpace ? { ...e.metrics, featureSpace: unpackFeatureSpace(e.packedFeatureSpace) } : e.metrics);
        break;
      case 'state':
        this.pump.flushNow();
        if (e.state === 'running') this.s.patchRun({ phase: 'running', announcement: 'Training.' });
        else if (e.state === 'paused' && this.s.phase === 'running') {
          this.pump.paused();
          this.s.patchRun({ phase: 'paused', etaSeconds: null, announcement: `Paused at step ${this.s.progress?.step ?? 0}.` });
        } else if (e.state === 'paused' && this.s.phase === 'ready') this.s.patchRun({ phase: 'paused' });
        break;
      case 'stageDone': {
        this.pump.flushNow();
        const twoStage = this.s.runSettings ? this.twoStage(this.s.runSettings) : false;
        this.s.patchRun({
          phase: 'stageDone',
          etaSeconds: null,
          stage1Done: this.s.stage1Done || e.stage === 1,
          announcement: e.stage === 1 ? 'Stage 1 finished.' + (twoStage ? ' GCL stage 2 can start now.' : '') : 'Stage 2 finished.',
        });
        break;
      }
      case 'halt':
        this.pump.flushNow();
        this.s.pushNotice({ id: 'halt', level: 'warning', title: 'Training paused', items: [e.halt.message] });
        this.s.patchRun({ announcement: e.halt.message });
        break;
      case 'dataset':
        this.s.patchRun({ dataset: e.progress });
        break;
      case 'upload':
        if (this.s.uploadStatus) this.s.setUploadStatus({ file: e.progress.file, phase: 'parse', fraction: e.progress.fraction });
        break;
      case 'checkpoint':
        this.snapshots.checkpoint(e.checkpoint);
        break;
      case 'crash':
        this.onCrash(e.crash);
        break;
      case 'fatal':
        break;
      case 'benchProgress':
        if (this.s.benchProgress) this.s.patchRun({ benchProgress: e.progress });
        break;
      case 'convKernels': {
        const sum = this.s.summary;
        if (sum) this.s.patchRun({ summary: { ...sum, convKernels: e.info } });
        break;
      }
      case 'selfCheck': {
        const sum = this.s.summary;
        this.s.patchRun({ selfCheck: e.report, ...(sum ? { summary: { ...sum, engine: e.engine, engineNote: e.engineNote } } : {}) });
        this.noteEngine(e.engineNote);
        break;
      }
    }
  }

  private twoStage(s: Settings): boolean {
    return getLoss(s.config.loss).twoStage;
  }

  private onCrash(c: CrashInfo): void {
    this.pump.flushNow();
    this.s.patchRun({ phase: 'crashed', crash: c, busy: false, etaSeconds: null, announcement: `Training stopped: ${c.message}` });
  }

  /** Applies the buffered batch and epoch events now. */
  flushNow(): void {
    this.pump.flushNow();
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
  private async adoptRun(
    settings: Settings | (() => Settings),
    load: () => Promise<RunSummary>,
    history?: RunHistory,
  ): Promise<RunSummary> {
    await this.whenStarted();
    await this.link.pause().catch(() => undefined);
    this.pump.flushNow();
    this.s.patchRun({ busy: true });
    try {
      const summary = await load();
      const next = patchSettings(typeof settings === 'function' ? settings() : settings, {
        backend: this.s.settings.backend,
        threads: this.s.settings.threads ?? 'auto',
      });
      this.show(next);
      this.s.setRunSettings(next);
      this.s.beginRun(history?.label ?? runLabel(next, summary.stage), dataKey(next), next);
      if (history) this.s.setCurrentHistory(history.batches, history.epochs);
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

  /** Continues a saved run (autosave): restores its checkpoint with its settings and metrics history. */
  resumeSaved(settings: Settings, checkpoint: RunCheckpoint, history: RunHistory): Promise<RunSummary> {
    return this.adoptRun(settings, () => this.link.restore(checkpoint), history);
  }

  /** Rebuilds the run from an exported TensorFlow.js zip and evaluates it; the controls get its settings. */
  async loadModel(bytes: ArrayBuffer, fileName: string): Promise<LoadedRun> {
    let loaded: LoadedRun | null = null;
    await this.adoptRun(
      () => makeSettings(loaded!.spec.config, this.s.settings.backend, this.s.settings.threads),
      async () => {
        loaded = await this.link.loadModel(bytes, fileName);
        return loaded.summary;
      },
      { label: `${fileName} (loaded)`, batches: [], epochs: [] },
    );
    return loaded!;
  }

  /** The current run's model as a file (training pauses for the export and continues afterwards). */
  async exportModel(format: ExportFormat): Promise<ExportedFile> {
    const wasRunning = this.s.phase === 'running';
    if (wasRunning) await this.pause();
    try {
      return await this.link.exportModel(format);
    } finally {
      if (wasRunning) void this.train();
    }
  }

  /** The test images behind one confusion-matrix cell of the last evaluation. */
  testExamples(p: TestExamplesParams): Promise<TestExamplesResult> {
    return this.link.testExamples(p);
  }

  /** "Try an image": the current model's class probabilities for one image, computed in the worker. */
  classifyImage(pixels: Uint8Array): Promise<ClassifyImageResult> {
    return this.link.classifyImage(pixels);
  }

  /** "Benchmark this device" in the worker; progress arrives in the store's benchProgress. */
  async benchmarkDevice(test: boolean): Promise<DeviceBenchResult> {
    this.s.patchRun({ benchProgress: { done: 0, total: 1, label: 'starting…' } });
    try {
      return await this.link.benchmarkDevice(test);
    } finally {
      this.s.patchRun({ benchProgress: null });
    }
  }

  cancelBenchmark(): Promise<{ cancelled: boolean }> {
    return this.link.cancelBenchmark();
  }

  /** One class' training images in the current subset (the dataset gallery). */
  trainExamples(p: TrainExamplesParams): Promise<TrainExamplesResult> {
    return this.link.trainExamples(p);
  }

  /** Has the worker parse an upload (bytes transferred); the recipe lets another worker make it again. */
  loadUpload(source: UploadSource, transfer: Transferable[], recipe: UploadRecipe): Promise<UploadedDataInfo> {
    return this.link.loadData(source, transfer, recipe);
  }

  // ---- commands ------------------------------------------------------------------------------------------

  private canTrain(): boolean {
    const p = this.s.phase;
    return (p === 'ready' || p === 'paused') && !this.s.busy;
  }

  async train(): Promise<void> {
    if (!this.canTrain()) return;
    try {
      await this.link.run();
    } catch (e) {
      this.fail(e);
    }
  }

  async pause(): Promise<void> {
    if (this.s.phase !== 'running') return;
    try {
      await this.link.pause();
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
      const r = await this.link.step();
      this.pump.flushNow();
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
    const cur = this.s.current;
    if (p === 'stageDone' && cur && !cur.pinned && cur.epochs.length > 0) {
      // a finished run is a result: Reset / R asks before it goes (it stays only as "earlier" until the next run)
      const ok = await this.s.askConfirm(
        'Reset the finished run?',
        'This run has finished and is not pinned: Reset starts new weights at epoch 0, and its charts stay only until the next run starts. “Pin run” keeps them.',
        'Reset',
      );
      if (!ok) return;
    }
    const settings = this.s.settings;
    try {
      await this.link.pause();
      if (this.s.runSettings && planChange(this.s.runSettings, settings).kind !== 'none') {
        await this.configure(settings);
      } else {
        this.pump.flushNow();
        this.s.patchRun({ busy: true });
        const summary = await this.link.reset();
        this.s.beginRun(runLabel(settings), dataKey(settings), settings);
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
   * preset, a sweep). The controls and the URL get `next` unless `opts.show` is false: a queue's runs carry their
   * own settings and leave the form as the user set it. Rejects when the run cannot be set up.
   */
  startRun(next: Settings, opts: { show?: boolean } = {}): Promise<void> {
    const p = this.changeChain.then(async () => {
      await this.whenStarted();
      const run = this.s.runSettings;
      if (opts.show !== false) this.show(next);
      try {
        if (run && (planChange(run, next).kind === 'backend' || this.remeasure(run, next))) await this.replaceWorker(next);
        else {
          await this.link.pause().catch(() => undefined);
          await this.configure(next);
          this.measureIfNeeded(next);
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

  /**
   * After a queue (sweep, preset) whose runs carried their own settings: the next run is the form's again — a fresh
   * run when the last queued one differs from it (the queued runs are pinned, so nothing finished is lost).
   */
  async followForm(): Promise<void> {
    const run = this.s.runSettings;
    const form = this.s.settings;
    if (!run || planChange(run, form).kind === 'none' || planChange(run, form).kind === 'stage2') return;
    await this.startRun(form);
  }

  private async applyChange(next: Settings): Promise<boolean> {
    const run = this.s.runSettings;
    if (!run || this.s.phase === 'starting' || this.s.phase === 'loading' || this.s.phase === 'crashed') {
      // nothing is configured yet (or it failed): just remember the settings
      this.show(next);
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
      this.show(next);
      return true;
    }
    if (plan.kind === 'live') {
      this.show(next);
      try {
        const u = await this.link.update(plan.live);
        const sum = this.s.summary;
        if (sum && u.engine && (u.engine !== sum.engine || (u.engineNote ?? null) !== (sum.engineNote ?? null))) {
          this.s.patchRun({ summary: { ...sum, engine: u.engine, engineNote: u.engineNote ?? null } });
          this.noteEngine(u.engineNote ?? null);
        }
        const rs = makeSettings(applyLive(trainConfigOf(run), plan.live), run.backend, run.threads);
        this.s.setRunSettings(rs);
        // the record keeps the run's initial settings and label; the change joins its log, stamped by the worker
        if (u.changes) this.s.setCurrentChanges(u.changes);
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
    this.show(next);
    try {
      if (plan.kind === 'backend' || this.remeasure(run, next)) {
        await this.replaceWorker(next);
      } else {
        await this.link.pause();
        await this.configure(next);
        this.measureIfNeeded(next);
      }
      this.s.dismissNotice('halt');
    } catch (e) {
      this.fail(e);
    }
    return true;
  }

  /**
   * "Auto" and another model (or head): true when a new worker must measure it (or start on its cached winner, another
   * backend); when this browser measured it before on the backend running now, the badge gets that measurement.
   */
  private remeasure(run: Settings, next: Settings): boolean {
    const d = autoAfterChange(this.s.backend, run, next, this.choiceOpts());
    if (d?.action === 'keep') this.s.patchRun({ backend: d.result });
    if (d?.action === 'keep' || d?.action === 'measure') this.stopMeasuring(); // the old model's numbers: moot
    return d?.action === 'respawn';
  }

  /** A new worker on the backend of `settings`, then a run on it. */
  private async replaceWorker(settings: Settings): Promise<void> {
    this.stopMeasuring();
    const r = await respawn(this.recovery, settings);
    await this.configure(r.settings);
    this.measureIfNeeded(r.settings);
  }

  /** Makes an uploaded data set again in the current worker (see recovery.ts). */
  remakeUpload(settings: Settings, recipe: UploadRecipe): Promise<Settings> {
    return remakeUpload(this.recovery, settings, recipe);
  }

  /** GCL stage 2 on the frozen backbone, with the stage-2 settings of the panel. */
  async startStage2(): Promise<void> {
    if (!this.s.stage1Done || this.s.busy || this.s.summary?.stage === 2) return;
    const run = this.s.runSettings;
    if (run && !this.twoStage(run)) return; // stage 2 belongs to two-stage losses (GCL)
    this.pump.flushNow();
    this.s.patchRun({ busy: true });
    try {
      const summary = await this.link.startStage2({ ...this.s.settings.config.stage2 });
      if (run) {
        const rs = patchSettings(run, { stage2: this.s.settings.config.stage2 });
        this.s.setRunSettings(rs);
        this.s.relabelCurrent(runLabel(rs, 2), rs);
      }
      this.afterSummary(summary, 'paused');
      this.s.patchRun({ announcement: `Stage 2 ready: ${summary.epochsInStage} epochs re-training the classifier.` });
      await this.link.run();
    } catch (e) {
      this.s.patchRun({ busy: false });
      this.fail(e);
    }
  }

  /** After a crash: a fresh worker on the next backend, from the last finished epoch. */
  async continueAfterCrash(): Promise<void> {
    if (!this.s.crash) return;
    this.stopMeasuring();
    this.s.patchRun({ phase: 'starting', busy: true });
    try {
      const r = await continueAfterCrash(this.recovery, this.s.runSettings);
      if (r.runSettings) this.s.setRunSettings(r.runSettings);
      this.s.patchRun({ backend: r.init, crash: null });
      if (!r.summary) throw new Error('nothing to continue');
      // drop the metrics of the lost, unfinished epoch
      if (r.restored) this.s.truncateCurrent(r.summary.step);
      else {
        const s = this.s.settings;
        this.s.beginRun(runLabel(s), dataKey(s), s);
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
    this.unsubscribePhase();
    this.stopMeasuring();
    this.snapshots.dispose();
    this.link.dispose();
  }
}
