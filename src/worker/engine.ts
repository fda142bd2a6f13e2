/**
 * The worker's logic as a plain class (no `self`, no DOM): requests in, one result per request out, events pushed
 * through `emit`. train.worker.ts wires it to postMessage; tests drive it directly in Node on the cpu backend.
 *
 * Requests that change what is trained (init, configure, reset, restore, startStage2, step, run, dispose) are
 * serialised on one queue; `pause` and `update` act immediately so they reach a running loop between two batches,
 * and `testExamples` (a read of the last evaluation) is answered at once, also while a run is going.
 * `switchBackend` is answered once the run has moved (at its next epoch boundary), so it never holds the queue.
 *
 * A configure starts loading its data as it arrives (before an init queued ahead of it has finished): the page sends
 * both at once, so the data part downloads while the backend (the wasm binary) starts.
 */
import type { Dataset } from '../core/data/types';
import { drawSettingsOf, type DrawSettings } from '../core/data/pack-parts';
import type { TrainConfig } from '../core/train/config';
import type { ConvKernelsInfo } from '../core/gpu/conv-info';
import { Trainer, type StepOutcome, type StepRecord, type TrainerOptions } from '../core/train/trainer';
import type { OfficialOrder } from '../core/export/bundle';
import type { SelfCheckGate, SelfCheckReport } from '../core/train/self-check';
import type { BenchProgress, DeviceBenchResult } from '../core/device-bench';
import { TrainController, type ControllerEvent } from '../core/train/controller';
import type {
  RequestHandlers,
  RequestOf,
  DatasetProgress,
  InitParams,
  InitResult,
  RequestType,
  ResultOf,
  RunCheckpoint,
  RunSpec,
  RunSummary,
  StepResult,
  SwitchResult,
  WorkerEvent,
} from './protocol';
import { checkpointTransfers, RunKeptError, type LoadedRun } from './protocol';
import {
  bundleExport,
  checkpointFromTfjsZip,
  initWeights,
  safetensorsExport,
  specFromTfjsZip,
  tfjsExport,
  type RunRecording,
} from './exports';
import { UploadedDatasets } from './datasets';
import { isUploadId, type UploadSource, type UploadedDataInfo } from './upload-info';
import { defaultDecoder, type ImageDecoder } from '../core/data/png';
import { cellExamples, classTrainExamples } from './examples';
import { packFeatureSpace } from './feature-space-wire';
import type { ClassifyImageResult, TestExamplesParams, TestExamplesResult, TrainExamplesParams, TrainExamplesResult } from './protocol';

export interface EngineDeps {
  /** Pushes an event to the page; `transfer` lists buffers that may be moved instead of copied. */
  emit(event: WorkerEvent, transfer?: ArrayBuffer[]): void;
  initBackend(p: InitParams): Promise<InitResult>;
  /**
   * Loads a data set by id (the embedded one: fetch + decode), reporting progress. `need` says which images the run
   * uses (its long-tail draw and test images per class): a loader may fetch only those (the embedded pack's parts,
   * core/data/pack-parts.ts); without it, everything.
   */
  loadDataset(id: string, onProgress: (p: DatasetProgress) => void, need?: DataNeed): Promise<Dataset>;
  /** Called once the backend is up so the host can watch for GPU device loss. */
  watchBackend?(r: InitResult, onLost: (message: string) => void): void;
  /** Image decoder for folder uploads (default: the browser's codecs where available, else PNG only). */
  decoder?: () => ImageDecoder;
  /** The fused engine's WebGPU device (default: tfjs' own when its backend is webgpu). Node tests pass Dawn's. */
  gpuDevice?: () => GPUDevice | null;
  /** The order of a data set's images in its official files (run bundles); default: the files' own order. */
  officialOrder?: (ds: Dataset) => Promise<OfficialOrder | null>;
  /** Runs the device benchmark (core/device-bench.ts) with the worker's backends. */
  benchmark?: (test: boolean, onProgress: (p: BenchProgress) => void, signal: AbortSignal) => Promise<DeviceBenchResult>;
  /** The fused engine's self-check before its first step on a device (absent: none). */
  selfCheck?: () => SelfCheckGate | null;
}

/** Numbers of step records kept for a run bundle (positions, draws, noise); past it the steps are dropped. */
export const STEP_RECORD_CAP = 16_000_000;

/** What decides the images a run uses: its long-tail draw and the test images evaluated per class (null: all). */
export type DataNeed = DrawSettings;

/** Data sets kept per need (a sweep over seeds would otherwise hold one pool per seed). */
const DATASETS_KEPT = 3;

function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

export class TrainEngine {
  private backend: InitResult | null = null;
  private readonly datasets = new Map<string, Promise<Dataset>>();
  private spec: RunSpec | null = null;
  private dataset: Dataset | null = null;
  private trainer: Trainer | null = null;
  private ctl: TrainController | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private dead: string | null = null;
  /** A backend switch waiting for the run's next epoch boundary. */
  private pendingSwitch: { params: InitParams; resolve(r: SwitchResult): void; reject(e: unknown): void } | null = null;

  private readonly uploads: UploadedDatasets;
  /** The current run's initial weights and steps since (a run bundle replays them); null after a restore. */
  private recording: RunRecording | null = null;
  /** The convolution kernels last sent to the page (the executor's own object), so a change is sent once. */
  private convKernelsSent: ConvKernelsInfo | null = null;
  private benchAbort: AbortController | null = null;

  constructor(private readonly deps: EngineDeps) {
    this.uploads = new UploadedDatasets({ decoder: deps.decoder ?? defaultDecoder });
  }

  /** Requests answered at once (they must reach a running loop between two batches); the rest are queued. */
  private static readonly IMMEDIATE: ReadonlySet<RequestType> = new Set<RequestType>([
    'pause',
    'update',
    'testExamples',
    'trainExamples',
    'switchBackend',
    'classifyImage',
    'cancelBenchmark',
  ]);

  /** One handler per request type (the compiler checks every type has one, with its result type). */
  private readonly handlers: RequestHandlers = {
    init: (r) => this.init(r),
    switchBackend: (r) => this.switchBackend({ order: r.order, wasmPaths: r.wasmPaths, wasmThreads: r.wasmThreads }),
    configure: (r) => this.configure(r.spec),
    run: () => this.run(),
    pause: () => this.pause(),
    step: () => this.step(),
    reset: () => this.reset(),
    update: async (r) => this.update(r.settings),
    startStage2: (r) => this.startStage2(r.stage2),
    restore: (r) => this.restore(r.checkpoint),
    exportTfjs: () => tfjsExport(this.requireTrainer('exportTfjs').trainer, this.spec),
    exportSafetensors: () => safetensorsExport(this.requireTrainer('exportSafetensors').trainer, this.spec),
    exportBundle: async () => {
      const { trainer } = this.requireTrainer('exportBundle');
      const order = (await this.deps.officialOrder?.(trainer.dataset)) ?? null;
      return bundleExport(trainer, this.recording, order);
    },
    loadTfjs: (r) => this.loadTfjs(new Uint8Array(r.bytes), r.fileName),
    dispose: async () => {
      await this.teardown();
      return { disposed: true };
    },
    loadData: (r) => this.loadUpload(r.source),
    testExamples: (r) => this.testExamples(r),
    trainExamples: (r) => this.trainExamples(r),
    classifyImage: (r) => this.classifyImage(r.pixels),
    benchmarkDevice: (r) => this.benchmarkDevice(r.test),
    cancelBenchmark: async () => {
      const a = this.benchAbort;
      a?.abort();
      return { cancelled: !!a };
    },
  };

  /** Handles one request; resolves with its result or rejects with an Error. */
  handle<K extends RequestType>(req: RequestOf<K>): Promise<ResultOf<K>> {
    if (this.dead && req.type !== 'dispose') return Promise.reject(new Error(`the backend failed: ${this.dead}`));
    const handler = this.handlers[req.type] as ((r: RequestOf<K>) => Promise<ResultOf<K>>) | undefined;
    if (!handler) return Promise.reject(new Error(`unknown request type '${String(req.type)}'`));
    if (TrainEngine.IMMEDIATE.has(req.type)) return handler(req);
    if (req.type === 'configure') this.prefetch((req as RequestOf<'configure'>).spec.config);
    const p = this.enqueue(() => handler(req));
    if (req.type === 'configure' || req.type === 'restore') this.replacing = p.catch(() => undefined);
    return p;
  }

  /** Waits for the last queued request that replaces the run (configure, restore) — also one queued meanwhile. */
  private async runReplaced(): Promise<void> {
    let r: Promise<unknown>;
    do {
      r = this.replacing;
      await r;
    } while (r !== this.replacing);
  }

  /** The last queued configure / restore (settled; reads of the run's data wait for it). */
  private replacing: Promise<unknown> = Promise.resolve();

  private enqueue<T>(f: () => Promise<T>): Promise<T> {
    const p = this.queue.then(f, f);
    this.queue = p.catch(() => undefined);
    return p;
  }

  private emit(e: WorkerEvent, transfer?: ArrayBuffer[]): void {
    this.deps.emit(e, transfer);
  }

  private requireTrainer(what: RequestType): { trainer: Trainer; ctl: TrainController } {
    if (!this.trainer || !this.ctl) throw new Error(`${what}: no run is configured yet`);
    return { trainer: this.trainer, ctl: this.ctl };
  }

  private async init(p: InitParams): Promise<InitResult> {
    if (this.backend) return this.backend;
    const r = await this.deps.initBackend({ order: p.order, wasmPaths: p.wasmPaths, wasmThreads: p.wasmThreads });
    this.backend = r;
    this.deps.watchBackend?.(r, (message) => this.fail(message));
    return r;
  }

  /** The embedded data of a configure that arrived: its download need not wait for the requests queued before it. */
  private prefetch(config: TrainConfig): void {
    if (isUploadId(config.dataset) || this.uploads.get(config.dataset)) return;
    this.loadData(config).catch(() => undefined); // the configure itself reports a failure
  }

  private switchBackend(params: InitParams): Promise<SwitchResult> {
    if (!this.backend) return Promise.reject(new Error('switchBackend: call init first'));
    const running = this.backend;
    // a later switch replaces an earlier one still waiting: that one is answered with the backend running now
    this.pendingSwitch?.resolve({ backend: running, summary: null });
    const p = new Promise<SwitchResult>((resolve, reject) => (this.pendingSwitch = { params, resolve, reject }));
    void this.enqueue(() => this.switchIfIdle());
    return p;
  }

  /** Queued (never beside a step): switches now when no loop is running and the run is at an epoch boundary. */
  private async switchIfIdle(): Promise<void> {
    const ctl = this.ctl;
    if (ctl?.state === 'running') return; // the loop's epoch hook switches
    await ctl?.settled(); // a loop that was just paused finishes its last step
    if (this.trainer && this.trainer.batchInEpoch !== 0) return; // paused within an epoch: the next boundary does
    await this.applySwitch();
  }

  /**
   * The pending switch, at an epoch boundary (or with no run): starts the new backend and rebuilds the run there from
   * a checkpoint of this moment. When the new backend does not start or the run cannot be rebuilt on it, the worker
   * stays on the old one and the request fails with the reason.
   */
  private async applySwitch(): Promise<void> {
    const p = this.pendingSwitch;
    const before = this.backend;
    if (!p || !before) return;
    this.pendingSwitch = null;
    const old = this.trainer;
    try {
      const ck = old ? await old.checkpoint() : null;
      const r = await this.deps.initBackend({
        order: [...p.params.order.filter((b) => b !== before.backend), before.backend],
        wasmPaths: p.params.wasmPaths,
        wasmThreads: p.params.wasmThreads,
      });
      if (r.backend === before.backend) {
        p.resolve({ backend: before, summary: null });
        return;
      }
      try {
        if (old && ck && this.dataset) {
          const next = Trainer.fromCheckpoint(this.dataset, ck, this.trainerOptions());
          this.trainer = next;
          this.ctl?.replaceTrainer(next);
          old.dispose();
        }
      } catch (e) {
        await this.deps.initBackend({ order: [before.backend], wasmPaths: p.params.wasmPaths });
        throw e;
      }
      this.backend = r;
      this.deps.watchBackend?.(r, (message) => this.fail(message));
      p.resolve({ backend: r, summary: this.trainer ? this.summary() : null });
    } catch (e) {
      p.reject(e);
    }
  }

  /** The backend is gone: stop everything and tell the page (it offers to continue elsewhere). */
  fail(message: string): void {
    if (this.dead) return;
    this.dead = message;
    if (this.ctl) this.ctl.state = 'stopped';
    this.emit({ type: 'fatal', message, backend: this.backend?.backend ?? null });
  }

  /** Parses an upload; the current run, its data and the other data sets are left as they are (also on error). */
  private loadUpload(source: UploadSource): Promise<UploadedDataInfo> {
    return this.uploads.load(source, (progress) => this.emit({ type: 'upload', progress }));
  }

  /** The data set `id`: an uploaded one this worker holds, or a loaded (cached) one. */
  private async loadData(
    config: Pick<TrainConfig, 'dataset' | 'headImages' | 'evalPerClass' | 'seed' | 'imbalance' | 'profile' | 'stepMu'>,
  ): Promise<Dataset> {
    const id = config.dataset;
    const uploaded = this.uploads.get(id);
    if (uploaded) return uploaded;
    if (isUploadId(id)) throw new Error(`the uploaded data set '${id}' is not loaded in this worker any more — upload the file again`);
    const need: DataNeed = drawSettingsOf(config);
    const key = `${id}|${JSON.stringify(need)}`;
    let p = this.datasets.get(key);
    if (p)
      this.datasets.delete(key); // re-inserted: the map's order is the order of use
    else {
      p = this.deps.loadDataset(id, (progress) => this.emit({ type: 'dataset', progress }), need);
      p.catch(() => this.datasets.delete(key));
    }
    this.datasets.set(key, p);
    while (this.datasets.size > DATASETS_KEPT) this.datasets.delete(this.datasets.keys().next().value!);
    return p;
  }

  private async teardown(): Promise<void> {
    if (this.ctl) {
      await this.ctl.stop();
      this.ctl = null;
    }
    if (this.trainer) {
      this.trainer.dispose();
      this.trainer = null;
    }
  }

  private summary(): RunSummary {
    const t = this.trainer!;
    return {
      datasetTitle: t.dataset.meta.title,
      classNames: t.dataset.pool.classNames.slice(),
      counts: t.counts.slice(),
      groups: t.groups.slice(),
      trainImages: t.subset.indices.length,
      testImages: t.testCount,
      batchesPerEpoch: t.batchesPerEpoch(),
      head: t.config.head,
      headNote: t.headNote,
      stage: t.stage,
      epoch: t.epoch,
      step: t.globalStep,
      epochsInStage: t.epochsInStage,
      stageDone: t.stageDone,
      lossParams: { ...t.lossParams },
      engine: t.engineResolution().kind,
      engineNote: t.engineResolution().note,
      convKernels: t.convKernels,
      changes: structuredClone([...t.changes]),
      imageShape: { height: t.dataset.test.height, width: t.dataset.test.width, channels: t.dataset.test.channels },
    };
  }

  /** Sends the convolution kernels when they differ from the last ones the page got. */
  private noteConvKernels(t: Trainer): void {
    const info = t.convKernels;
    if (info === this.convKernelsSent) return;
    this.convKernelsSent = info;
    this.emit({ type: 'convKernels', info });
  }

  private attach(trainer: Trainer): void {
    this.trainer = trainer;
    this.convKernelsSent = trainer.convKernels;
    // after every finished epoch: a checkpoint for crash recovery and autosave
    this.ctl = new TrainController(
      trainer,
      (e: ControllerEvent) => this.emitEvent(e),
      async (t) => {
        if (this.pendingSwitch && t === this.trainer) await this.applySwitch();
        await this.emitCheckpoint(this.trainer ?? t);
      },
    );
    this.emit({ type: 'state', state: 'idle' });
  }

  /** Controller events to the page; an epoch's feature space travels packed as float32 (transferred). */
  private emitEvent(e: ControllerEvent): void {
    if (e.type === 'batch' && this.trainer) this.noteConvKernels(this.trainer);
    if (e.type === 'epoch' && e.metrics.featureSpace) {
      const { featureSpace, ...metrics } = e.metrics;
      const { packed, transfer } = packFeatureSpace(featureSpace);
      this.emit({ type: 'epoch', metrics, packedFeatureSpace: packed }, transfer);
    } else this.emit(e);
  }

  private async emitCheckpoint(trainer: Trainer): Promise<void> {
    if (!this.spec || trainer.batchInEpoch !== 0) return;
    try {
      const ck = await trainer.checkpoint();
      const checkpoint: RunCheckpoint = { spec: structuredClone(this.spec), trainer: ck };
      this.emit({ type: 'checkpoint', checkpoint }, checkpointTransfers(checkpoint));
    } catch {
      /* a missing checkpoint only limits crash recovery */
    }
  }

  /** The data of `config`, loaded before the current run is stopped: if it fails, the run stays as it was. */
  private async loadDataKeepingRun(config: TrainConfig): Promise<Dataset> {
    try {
      return await this.loadData(config);
    } catch (e) {
      throw this.trainer ? new RunKeptError(e) : e;
    }
  }

  private async configure(spec: RunSpec): Promise<RunSummary> {
    if (!this.backend) throw new Error('configure: call init first');
    const ds = await this.loadDataKeepingRun(spec.config);
    await this.teardown();
    await this.applySwitch(); // a new run starts at a boundary: on the new backend
    this.dataset = ds;
    this.spec = structuredClone(spec);
    await this.attachNew(new Trainer(ds, spec.config, this.trainerOptions()));
    return this.summary();
  }

  /** A run from fresh weights: recorded from its first step, so a run bundle can replay it. */
  private async attachNew(trainer: Trainer): Promise<void> {
    this.recording = { init: await initWeights(trainer), steps: [], numbers: 0 };
    this.attach(trainer);
  }

  private recordStep(s: StepRecord): void {
    const r = this.recording;
    if (!r?.steps) return;
    r.numbers += s.positions.length + (s.augment?.length ?? 0) + (s.noise?.length ?? 0);
    if (r.numbers > STEP_RECORD_CAP) r.steps = null;
    else r.steps.push(s);
  }

  private trainerOptions(): TrainerOptions {
    const gate = this.deps.selfCheck?.() ?? null;
    return {
      featureSpace: true,
      onStep: (s) => this.recordStep(s),
      ...(this.deps.gpuDevice ? { gpuDevice: this.deps.gpuDevice() } : {}),
      ...(gate ? { selfCheck: gate, onSelfCheck: (r: SelfCheckReport) => this.emitSelfCheck(r) } : {}),
    };
  }

  /** The check's report and the engine it leaves the run on (a failure: tfjs, with the reason). */
  private emitSelfCheck(report: SelfCheckReport): void {
    this.emit({ type: 'selfCheck', report, engine: report.ok ? 'fused' : 'tfjs', engineNote: report.ok ? null : report.reason });
  }

  private async reset(): Promise<RunSummary> {
    if (!this.spec || !this.dataset) throw new Error('reset: no run is configured yet');
    await this.teardown();
    await this.applySwitch();
    await this.attachNew(new Trainer(this.dataset, this.spec.config, this.trainerOptions()));
    return this.summary();
  }

  private async restore(ck: RunCheckpoint): Promise<RunSummary> {
    if (!this.backend) throw new Error('restore: call init first');
    const ds = await this.loadDataKeepingRun(ck.spec.config);
    await this.teardown();
    await this.applySwitch();
    this.dataset = ds;
    this.spec = structuredClone(ck.spec);
    this.recording = null; // its first steps ran elsewhere: a bundle cannot replay it
    this.attach(Trainer.fromCheckpoint(ds, ck.trainer, this.trainerOptions()));
    return this.summary();
  }

  /** An exported TensorFlow.js zip becomes the run (weights, BN counters, stage, epoch; fresh momentum). */
  private async loadTfjs(bytes: Uint8Array, fileName?: string): Promise<LoadedRun> {
    if (!this.backend) throw new Error('loadTfjs: call init first');
    const { spec } = await specFromTfjsZip(bytes, fileName);
    const ds = await this.loadData(spec.config);
    const ck = await checkpointFromTfjsZip(bytes, ds, spec, fileName);
    const summary = await this.restore(ck);
    const ev = await this.trainer!.evaluate();
    return {
      summary,
      spec: structuredClone(spec),
      evaluation: { testAccuracy: ev.accuracy, testLoss: ev.loss, perClassAccuracy: ev.perClassAccuracy, testImages: ev.preds.length },
    };
  }

  private async run(): Promise<ResultOf<'run'>> {
    const { trainer, ctl } = this.requireTrainer('run');
    if (trainer.stageDone || ctl.state === 'running') return { started: false };
    ctl.run().catch((e: unknown) => this.fail(errorMessage(e)));
    return { started: true };
  }

  private async pause(): Promise<ResultOf<'pause'>> {
    if (!this.ctl) return { state: 'idle' };
    await this.ctl.pause();
    return { state: this.ctl?.state ?? 'idle' };
  }

  private async step(): Promise<StepResult> {
    const { ctl } = this.requireTrainer('step');
    let out: StepOutcome | null;
    try {
      out = await ctl.stepOnce();
    } catch (e) {
      this.fail(errorMessage(e));
      throw e;
    }
    return {
      batch: out?.batch ?? null,
      epochDone: !!out?.epoch,
      stageDone: !!out?.stageDone,
      halted: !!out?.halt,
    };
  }

  private update(settings: Parameters<Trainer['update']>[0]): ResultOf<'update'> {
    const { trainer } = this.requireTrainer('update');
    trainer.update(settings);
    if (this.spec) {
      const c = this.spec.config;
      if (settings.lr !== undefined) c.lr = settings.lr;
      if (settings.lossParams) c.lossParams = { ...c.lossParams, ...settings.lossParams };
      if (settings.sampler) c.sampler = settings.sampler;
      if (settings.augment !== undefined) c.augment = settings.augment;
      if (settings.hflip !== undefined) c.hflip = settings.hflip;
      if (settings.weightDecay !== undefined) c.weightDecay = settings.weightDecay;
      if (settings.engine !== undefined) c.engine = settings.engine;
    }
    const e = trainer.engineResolution();
    return {
      lossParams: { ...trainer.lossParams },
      lr: trainer.currentLr(),
      engine: e.kind,
      engineNote: e.note,
      changes: structuredClone([...trainer.changes]),
    };
  }

  /** One class' training images in the current subset (the dataset gallery; not queued: a read of the data). */
  private async trainExamples(p: TrainExamplesParams): Promise<TrainExamplesResult> {
    // a run on other data may be queued (the page shows the new data set's classes at once): read that one
    await this.runReplaced();
    const { trainer } = this.requireTrainer('trainExamples');
    return classTrainExamples(trainer.subset, trainer.dataset.pool, p);
  }

  /** The test images of one confusion-matrix cell, from the last evaluation (not queued: never waits for a run). */
  private async testExamples(p: TestExamplesParams): Promise<TestExamplesResult> {
    const { trainer, ctl } = this.requireTrainer('testExamples');
    if (!trainer.lastEvaluation && trainer.epoch > 0 && trainer.batchInEpoch === 0 && ctl.state !== 'running') {
      // A run restored from a checkpoint (another backend, a reload) holds the weights of its last finished epoch:
      // evaluating them again reproduces that epoch's confusion matrix. Queued, so it never overlaps a step.
      await this.enqueue(async () => {
        if (this.trainer === trainer && !trainer.lastEvaluation && trainer.batchInEpoch === 0 && ctl.state !== 'running') {
          await trainer.evaluate();
        }
      });
    }
    const ev = trainer.lastEvaluation;
    if (!ev) {
      throw new Error(
        'no epoch has been evaluated yet: the test images behind the confusion matrix are available once the first epoch has finished',
      );
    }
    return cellExamples(ev, trainer.dataset.test, p);
  }

  /** "Try an image": the current model's probabilities for one image, between two steps when training. */
  private async benchmarkDevice(test: boolean): Promise<DeviceBenchResult> {
    if (!this.deps.benchmark) throw new Error('this worker cannot benchmark the device');
    if (this.ctl?.state === 'running') throw new Error('pause training before benchmarking the device');
    const ac = new AbortController();
    this.benchAbort = ac;
    try {
      return await this.deps.benchmark(test, (progress) => this.emit({ type: 'benchProgress', progress }), ac.signal);
    } finally {
      if (this.benchAbort === ac) this.benchAbort = null;
    }
  }

  private async classifyImage(pixels: Uint8Array): Promise<ClassifyImageResult> {
    const { trainer, ctl } = this.requireTrainer('classifyImage');
    return ctl
      .between(async () => {
        const t = ctl.trainer;
        const { probs, pred } = await t.classify(pixels);
        return { probs: Array.from(probs), pred, stage: t.stage, epoch: t.epoch, step: t.globalStep };
      })
      .catch((e: unknown) => {
        if (e instanceof RangeError) throw new Error(`${e.message} (${trainer.dataset.meta.title})`);
        throw e;
      });
  }

  private async startStage2(s2: Parameters<Trainer['startStage2']>[0]): Promise<RunSummary> {
    const { trainer, ctl } = this.requireTrainer('startStage2');
    await ctl.pause();
    if (trainer.stage === 1 && !trainer.stageDone) throw new Error('stage 2 starts after stage 1 has finished');
    trainer.startStage2(s2);
    if (this.spec) this.spec.config.stage2 = { ...trainer.stage2 };
    return this.summary();
  }
}
