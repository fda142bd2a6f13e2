/**
 * The page's connection to the training worker: owns the TrainClient (nothing else on the page touches it), the
 * recipes of the uploaded data sets this worker holds (so another worker can make them again), and replaces the
 * worker when the backend changes or after a crash. Events of whichever worker is current go to `onEvent`.
 */
import type { DeviceBenchResult } from '../../core/device-bench';
import type { BackendName } from '../../core/backend';
import { TrainClient, type ClientEvent, type CrashInfo } from '../../worker/client';
import type {
  ExportedFile,
  InitResult,
  LiveSettings,
  LoadedRun,
  RunCheckpoint,
  RunSpec,
  RunSummary,
  ResultOf,
  Stage2Config,
  StepResult,
  SwitchResult,
  TestExamplesParams,
  TestExamplesResult,
  ClassifyImageResult,
  TrainExamplesParams,
  TrainExamplesResult,
  UploadSource,
  UploadedDataInfo,
} from '../../worker/protocol';
import type { UploadRecipe } from '../uploads/upload-recipe';

/** What Export can write from the worker's run: the TF.js zip, the safetensors file, the PyTorch run bundle. */
export type ExportFormat = 'tfjs' | 'safetensors' | 'bundle';
const EXPORT_REQUEST = { tfjs: 'exportTfjs', safetensors: 'exportSafetensors', bundle: 'exportBundle' } as const;

export class WorkerLink {
  private client: TrainClient;
  private unsubscribe: () => void;
  /** Uploaded data sets of the current worker by id: how to make each again in another worker. */
  private readonly recipes = new Map<string, UploadRecipe>();

  constructor(
    private readonly create: () => TrainClient,
    private readonly onEvent: (e: ClientEvent) => void,
  ) {
    this.client = create();
    this.unsubscribe = this.client.on(onEvent);
  }

  /** A fresh worker (the old one is terminated with its uploads). */
  replace(): void {
    this.unsubscribe();
    this.client.dispose();
    this.recipes.clear();
    this.client = this.create();
    this.unsubscribe = this.client.on(this.onEvent);
  }

  get crashInfo(): CrashInfo | null {
    return this.client.crashInfo;
  }

  /** Forgets the crash checkpoint (its data cannot be made again): recovery then configures a fresh run. */
  dropCrashCheckpoint(): void {
    if (this.client.crashInfo) this.client.crashInfo.checkpoint = null;
  }

  recipeOf(datasetId: string): UploadRecipe | undefined {
    return this.recipes.get(datasetId);
  }

  forgetRecipes(): void {
    this.recipes.clear();
  }

  init(order: BackendName[], wasmPaths?: string): Promise<InitResult> {
    return this.client.init(order, wasmPaths);
  }

  /** Moves the run to the first of `order` that starts, at its next epoch boundary (answered once it has). */
  switchBackend(order: BackendName[], wasmPaths?: string): Promise<SwitchResult> {
    return this.client.switchBackend(order, wasmPaths);
  }

  configure(spec: RunSpec): Promise<RunSummary> {
    return this.client.configure(spec);
  }

  reset(): Promise<RunSummary> {
    return this.client.reset();
  }

  run(): Promise<{ started: boolean }> {
    return this.client.request('run', {});
  }

  pause(): Promise<unknown> {
    return this.client.request('pause', {});
  }

  step(): Promise<StepResult> {
    return this.client.request('step', {});
  }

  update(settings: LiveSettings): Promise<ResultOf<'update'>> {
    return this.client.request('update', { settings });
  }

  startStage2(stage2: Partial<Stage2Config>): Promise<RunSummary> {
    return this.client.request('startStage2', { stage2 });
  }

  /** Restores a checkpoint (an autosaved run) and keeps it for crash recovery. */
  async restore(checkpoint: RunCheckpoint): Promise<RunSummary> {
    const s = await this.client.request('restore', { checkpoint });
    this.client.lastCheckpoint = checkpoint;
    this.client.lastSpec = structuredClone(checkpoint.spec);
    return s;
  }

  /** Rebuilds the run from an exported TensorFlow.js zip (its bytes are transferred). */
  async loadModel(bytes: ArrayBuffer, fileName: string): Promise<LoadedRun> {
    const r = await this.client.request('loadTfjs', { bytes, fileName }, [bytes]);
    this.client.lastCheckpoint = null;
    this.client.lastSpec = structuredClone(r.spec);
    return r;
  }

  exportModel(format: ExportFormat): Promise<ExportedFile> {
    return this.client.request(EXPORT_REQUEST[format], {});
  }

  testExamples(p: TestExamplesParams): Promise<TestExamplesResult> {
    return this.client.testExamples(p);
  }

  classifyImage(pixels: Uint8Array): Promise<ClassifyImageResult> {
    return this.client.classifyImage(pixels);
  }

  benchmarkDevice(test: boolean): Promise<DeviceBenchResult> {
    return this.client.benchmarkDevice(test);
  }

  cancelBenchmark(): Promise<{ cancelled: boolean }> {
    return this.client.cancelBenchmark();
  }

  trainExamples(p: TrainExamplesParams): Promise<TrainExamplesResult> {
    return this.client.request('trainExamples', p);
  }

  /** Has this worker parse an upload; remembers how it was made. */
  async loadData(source: UploadSource, transfer: Transferable[], recipe: UploadRecipe): Promise<UploadedDataInfo> {
    const info = await this.client.request('loadData', { source }, transfer);
    this.recipes.set(info.id, recipe);
    return info;
  }

  continueOnNextBackend(
    wasmPaths: string | undefined,
    fallback: () => RunSpec | undefined,
    remapData?: () => Promise<string | null>,
  ): ReturnType<TrainClient['continueOnNextBackend']> {
    return this.client.continueOnNextBackend(wasmPaths, fallback, remapData);
  }

  dispose(): void {
    this.unsubscribe();
    this.client.dispose();
  }
}
