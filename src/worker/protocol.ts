/**
 * The typed message protocol between the page and the training worker.
 *
 * Page → worker: a `Request` carries an `id`; the worker answers each with exactly one `Response` of the same id
 * (ok + a typed result, or an error message). Independently the worker pushes `WorkerEvent`s (batch losses, epoch
 * metrics, state changes, checkpoints, fatal errors) that carry no id. A ping is answered by a pong at once, outside
 * the queue of requests (the page's watchdog).
 *
 * Everything here is plain, structured-clone-able data; checkpoints move their Float32Array buffers as transfers.
 */
import type { SettingChange } from '../core/train/change-log';
import type { BackendName } from '../core/backend';
import type { BackendTiming } from '../core/backend-probe';
import type { Group } from '../core/data/types';
import type { TrainConfig, Stage2Config } from '../core/train/config';
import type { ControllerState } from '../core/train/controller';
import type { BatchInfo, EpochMetrics, Halt, Stage, TrainerCheckpoint } from '../core/train/trainer';
import type { EngineKind } from '../core/train/step-engine';
import type { SelfCheckReport } from '../core/train/self-check';
import type { ConvKernelsInfo } from '../core/gpu/conv-info';
import type { BenchProgress, DeviceBenchResult } from '../core/device-bench';
import type { LiveSettings } from '../core/train/config-fields';

export type { BackendName, BatchInfo, EpochMetrics, Halt, LiveSettings, Stage, TrainerCheckpoint, TrainConfig, Stage2Config };

/** What the playground sends to configure a run. */
export interface RunSpec {
  /** The run's configuration; `headImages` caps the pool per class before the long tail is drawn. */
  config: TrainConfig;
}

/** A checkpoint plus what the worker needs to rebuild the same data (sent after every finished epoch). */
export interface RunCheckpoint {
  spec: RunSpec;
  trainer: TrainerCheckpoint;
}

export interface InitParams {
  order: BackendName[];
  /** URL prefix (ending in '/') the tfjs wasm binaries are served from. */
  wasmPaths?: string;
  /** wasm threads asked for (undefined: automatic); only the worker's first wasm start uses it. */
  wasmThreads?: number;
}

/** What a backend switch left running: the backend, and the run's summary on it (null: no run configured). */
export interface SwitchResult {
  backend: InitResult;
  summary: RunSummary | null;
}

/** What the "Auto" measurement found (see core/backend-probe.ts). */
export interface BackendMeasurement {
  timings: BackendTiming[];
  /** The badge's sentence ("wasm (40 ms/step, fastest measured) — WebGPU here is a software renderer …"). */
  why: string;
  /** True when it comes from this browser's cache rather than a measurement now. */
  cached?: boolean;
}

export interface InitResult {
  backend: BackendName;
  /** Why this backend: "webgpu (first choice)" or the reasons the ones before it were skipped. */
  reason: string;
  tried: { name: BackendName; error: string }[];
  measured?: BackendMeasurement;
  /** On wasm: the threads it runs with and why that many ("not cross-origin isolated: 1 thread (…)"). */
  wasm?: { threads: number; why: string };
}

/** Summary of a configured (or restored) run, for the histogram and counters. */
export interface RunSummary {
  /** The model's input: the data set's image size and channels. */
  imageShape?: { height: number; width: number; channels: number };
  /** Live changes of the run so far (a resumed run brings its own). */
  changes?: SettingChange[];
  datasetTitle: string;
  classNames: string[];
  counts: number[];
  groups: Group[];
  trainImages: number;
  testImages: number;
  batchesPerEpoch: number;
  /** The head actually used (the loss may force one). */
  head: TrainConfig['head'];
  headNote: string | null;
  stage: Stage;
  epoch: number;
  step: number;
  epochsInStage: number;
  stageDone: boolean;
  lossParams: Record<string, number>;
  /** The engine the run trains with on this backend ('fused' WebGPU executor or 'tfjs'), and why when not the one asked for. */
  engine?: EngineKind;
  engineNote?: string | null;
  /** The fused engine's convolution kernels and why (null: tfjs, or no fused step yet); see the convKernels event. */
  convKernels?: ConvKernelsInfo | null;
}

export interface StepResult {
  batch: BatchInfo | null;
  epochDone: boolean;
  stageDone: boolean;
  halted: boolean;
}

/** Uploaded data ("bring your own data"): the source as sent to the worker, and what the page gets back. */
export type { UploadSource, UploadedDataInfo, UploadProgress } from './upload-info';
import type { UploadSource, UploadedDataInfo, UploadProgress } from './upload-info';
import type { PackedFeatureSpace } from './feature-space-wire';

/** A file made in the worker; `bytes` travels as a transfer. */
export interface ExportedFile {
  bytes: ArrayBuffer;
  fileName: string;
  mime: string;
}

/** A run rebuilt from an exported zip, with its test-set evaluation. */
export interface LoadedRun {
  summary: RunSummary;
  spec: RunSpec;
  /** null accuracies / loss: no test images (or none of that class). */
  evaluation: { testAccuracy: number | null; testLoss: number | null; perClassAccuracy: (number | null)[]; testImages: number };
}

/** Which confusion-matrix cell to show the test images of (original class indices). */
export interface TestExamplesParams {
  trueClass: number;
  predClass: number;
  /** Most images to return (default 60, at most 1000); `total` still counts them all. */
  limit?: number;
}

/** One test image of a confusion-matrix cell: the raw pixels (uint8 HWC, before normalisation; transferred). */
export interface TestExample {
  /** Index into the data set's test set. */
  index: number;
  pixels: Uint8Array;
  pred: number;
  /** Softmax probability of the predicted class. */
  confidence: number;
}

/** One image for the current model ("Try an image"): uint8 HWC pixels at the data set's size (transferred). */
export interface ClassifyImageParams {
  pixels: Uint8Array;
}

/** The current model's class probabilities for it (they sum to 1), its prediction and when the weights are from. */
export interface ClassifyImageResult {
  probs: number[];
  pred: number;
  stage: number;
  /** Epochs finished in `stage` and global steps trained when the image was scored. */
  epoch: number;
  step: number;
}

/** Which class' training images to show in the dataset gallery (original class index). */
export interface TrainExamplesParams {
  cls: number;
  /** Size of the sample drawn from a class with more than `allUpTo` images (default 60, at most 1000). */
  limit?: number;
}

/** One class' training images in the current long-tail subset (all of a medium / few class, a sample of a head class). */
export interface TrainExamplesResult {
  cls: number;
  /** Training images of the class in the current subset. */
  classTotal: number;
  /** True when `examples` is an evenly spaced sample (the class has more than `allUpTo` images). */
  sampled: boolean;
  /** Classes with at most this many images are shown in full (the many / medium threshold). */
  allUpTo: number;
  /** Pool index and raw pixels (uint8 HWC; each in its own transferable buffer), in subset order. */
  examples: Array<{ index: number; pixels: Uint8Array }>;
  height: number;
  width: number;
  channels: number;
}

/** The test images behind one confusion-matrix cell, from the trainer's last evaluation. */
export interface TestExamplesResult {
  /** The evaluation they come from (same stage / 0-based epoch / step as that epoch's EpochMetrics). */
  stage: Stage;
  epoch: number;
  step: number;
  trueClass: number;
  predClass: number;
  /** Test images of the true class predicted as `predClass` (the confusion-matrix count). */
  total: number;
  /** Test images of the true class in the evaluation (the row total). */
  classTotal: number;
  /** The first `limit` of them, in test-set order. */
  examples: TestExample[];
  height: number;
  width: number;
  channels: number;
}

/** Requests without parameters. */
export type NoParams = Record<never, never>;

/** Request payloads by type, and the result each one answers with. */
export interface RequestMap {
  init: { params: InitParams; result: InitResult };
  /**
   * Moves the worker to the first backend of `order` that starts (the current one last, as the fallback) at the
   * run's next epoch boundary — at once when it is idle at one: the run goes on there with its weights, BN statistics,
   * momentum, RNG streams and step count. Answered once switched (or superseded by a later switch: `backend` then is
   * the one running).
   */
  switchBackend: { params: InitParams; result: SwitchResult };
  configure: { params: { spec: RunSpec }; result: RunSummary };
  run: { params: NoParams; result: { started: boolean } };
  pause: { params: NoParams; result: { state: ControllerState } };
  step: { params: NoParams; result: StepResult };
  reset: { params: NoParams; result: RunSummary };
  update: {
    params: { settings: LiveSettings };
    result: {
      lossParams: Record<string, number>;
      lr: number;
      engine?: EngineKind;
      engineNote?: string | null;
      /** The run's change log after this change (the worker stamps each change with its stage, epoch and step). */
      changes?: SettingChange[];
    };
  };
  startStage2: { params: { stage2: Partial<Stage2Config> }; result: RunSummary };
  restore: { params: { checkpoint: RunCheckpoint }; result: RunSummary };
  exportTfjs: { params: NoParams; result: ExportedFile };
  exportSafetensors: { params: NoParams; result: ExportedFile };
  /** The run bundle for PyTorch (a zip: run.json, indices.json, steps.json, weights, train.py); at an epoch boundary. */
  exportBundle: { params: NoParams; result: ExportedFile };
  /** Rebuilds the run from an exported TensorFlow.js zip (transfer `bytes`) and evaluates it on the test set. */
  loadTfjs: { params: { bytes: ArrayBuffer; fileName?: string }; result: LoadedRun };
  dispose: { params: NoParams; result: { disposed: true } };
  /** Parses uploaded files (bytes transferred) and keeps the data set in the worker; the current run is untouched. */
  loadData: { params: { source: UploadSource }; result: UploadedDataInfo };
  /** The test images of one confusion-matrix cell from the last evaluation (answered at once, also while running). */
  testExamples: { params: TestExamplesParams; result: TestExamplesResult };
  classifyImage: { params: ClassifyImageParams; result: ClassifyImageResult };
  /** "Benchmark this device" (core/device-bench.ts; `test`: tiny shapes); refused while a run trains. Progress: benchProgress events. */
  benchmarkDevice: { params: { test: boolean }; result: DeviceBenchResult };
  /** Stops the benchmark after its step in flight (answered at once). */
  cancelBenchmark: { params: NoParams; result: { cancelled: boolean } };
  /** One class' training images in the current subset, for the dataset gallery (answered at once). */
  trainExamples: { params: TrainExamplesParams; result: TrainExamplesResult };
}

export type RequestType = keyof RequestMap;

export type Request = {
  [K in RequestType]: { kind: 'request'; id: number; type: K } & RequestMap[K]['params'];
}[RequestType];

export type RequestOf<K extends RequestType> = Extract<Request, { type: K }>;
export type ResultOf<K extends RequestType> = RequestMap[K]['result'];

/**
 * The answer to request `id` of type `type`: its typed result, or an error message. `runKept`: the request failed
 * before it touched the current run (e.g. a configure whose data did not load), which stays as it was.
 */
export type Response =
  | { [K in RequestType]: { kind: 'response'; id: number; type: K; ok: true; result: ResultOf<K> } }[RequestType]
  | { kind: 'response'; id: number; type: RequestType; ok: false; error: string; runKept?: true };

/** An error thrown before the current run was touched: the run, its weights and its data stay as they were. */
export class RunKeptError extends Error {
  readonly runKept = true as const;
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'RunKeptError';
  }
}

/** True for an error (thrown in the worker or rejected by the client) after which the worker's run is unchanged. */
export function isRunKept(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { runKept?: unknown }).runKept === true;
}

/** The worker's side of the protocol: one handler per request type, typed by the request map. */
export type RequestHandlers = { [K in RequestType]: (req: RequestOf<K>) => Promise<ResultOf<K>> };

export type DatasetProgress = { phase: 'fetch' | 'decode' | 'ready'; loaded: number; total: number | null };

export type WorkerEvent =
  | { type: 'batch'; batch: BatchInfo }
  /** `packedFeatureSpace`: the epoch's feature space as float32 (metrics.featureSpace is then absent; the page unpacks). */
  | { type: 'epoch'; metrics: EpochMetrics; packedFeatureSpace?: PackedFeatureSpace }
  | { type: 'halt'; halt: Halt }
  | { type: 'state'; state: ControllerState }
  | { type: 'stageDone'; stage: Stage }
  | { type: 'dataset'; progress: DatasetProgress }
  | { type: 'upload'; progress: UploadProgress }
  | { type: 'checkpoint'; checkpoint: RunCheckpoint }
  /** The backend died (GPU device lost, out of memory …): the worker can't train any more. */
  | { type: 'fatal'; message: string; backend: BackendName | null }
  /** The fused engine's self-check on this adapter (core/train/self-check.ts), and the engine the run trains with after it. */
  | { type: 'benchProgress'; progress: BenchProgress }
  | { type: 'selfCheck'; report: SelfCheckReport; engine: EngineKind; engineNote: string | null }
  /** The fused engine's convolution kernels, sent when they change (its first step, an engine or batch change). */
  | { type: 'convKernels'; info: ConvKernelsInfo | null };

export interface EventMessage {
  kind: 'event';
  event: WorkerEvent;
}

/**
 * The page's "are you there?" while the worker trains (worker/watchdog.ts): answered at once with a pong of the same
 * id, outside the request queue, whenever the worker's event loop is free (between batches).
 */
export interface PingMessage {
  kind: 'ping';
  id: number;
}

export interface PongMessage {
  kind: 'pong';
  id: number;
}

export type WorkerMessage = Response | EventMessage | PongMessage;

/** Type guard for messages arriving on the page. */
export function isWorkerMessage(m: unknown): m is WorkerMessage {
  if (!m || typeof m !== 'object') return false;
  const k = (m as { kind?: unknown }).kind;
  return k === 'response' || k === 'event' || k === 'pong';
}

/** The worker's answer to a ping (null: `m` is no ping). */
export function pongFor(m: unknown): PongMessage | null {
  if (!m || typeof m !== 'object') return null;
  const p = m as { kind?: unknown; id?: unknown };
  return p.kind === 'ping' && typeof p.id === 'number' ? { kind: 'pong', id: p.id } : null;
}

/** Type guard for messages arriving in the worker. */
export function isRequest(m: unknown): m is Request {
  if (!m || typeof m !== 'object') return false;
  const r = m as { kind?: unknown; id?: unknown; type?: unknown };
  return r.kind === 'request' && typeof r.id === 'number' && typeof r.type === 'string';
}

/** The Float32Array buffers of a checkpoint, to pass as transferables. */
export function checkpointTransfers(ck: RunCheckpoint): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  const seen = new Set<ArrayBufferLike>();
  for (const rec of [ck.trainer.weights, ck.trainer.momentum]) {
    for (const a of Object.values(rec)) {
      if (a.buffer instanceof ArrayBuffer && !seen.has(a.buffer)) {
        seen.add(a.buffer);
        out.push(a.buffer);
      }
    }
  }
  return out;
}

/** ArrayBuffers of a response's result to transfer (the `bytes` of an exported file, the pixels of test examples). */
export function resultTransfers(result: unknown): ArrayBuffer[] {
  if (!result || typeof result !== 'object') return [];
  const b = (result as { bytes?: unknown }).bytes;
  if (b instanceof ArrayBuffer) return [b];
  const ex = (result as { examples?: unknown }).examples;
  if (!Array.isArray(ex)) return [];
  const out = new Set<ArrayBuffer>();
  for (const e of ex) {
    const px = (e as { pixels?: unknown } | null)?.pixels;
    // only buffers the typed array owns whole (never a view into a data set)
    if (px instanceof Uint8Array && px.buffer instanceof ArrayBuffer && px.byteOffset === 0 && px.byteLength === px.buffer.byteLength)
      out.add(px.buffer);
  }
  return [...out];
}

/** The worker's answer to `req`: its result, or the error it threw. */
export function answer<K extends RequestType>(req: RequestOf<K>, outcome: { result: ResultOf<K> } | { error: unknown }): Response {
  if ('result' in outcome) return { kind: 'response', id: req.id, type: req.type, ok: true, result: outcome.result } as Response;
  const e = outcome.error;
  const error = e instanceof Error ? e.message : String(e);
  return isRunKept(e)
    ? { kind: 'response', id: req.id, type: req.type, ok: false, error, runKept: true }
    : { kind: 'response', id: req.id, type: req.type, ok: false, error };
}
