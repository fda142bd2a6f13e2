/**
 * Model exports of the worker (it owns the model): the TensorFlow.js zip and the safetensors file of the current
 * trainer, and a TensorFlow.js zip turned back into a checkpoint the engine can restore (evaluate, continue training).
 * All bytes leave as plain ArrayBuffers (transferred, not copied).
 */
import { legacyHeadCap } from '../core/train/legacy';
import { exportInfoFromTrainer, exportSafetensors, exportTfjsZip, loadPlaygroundModel, type ExportInfo } from '../core/export';
import { onCpuBackend, readSnapshot, type ModelSnapshot } from '../core/export/snapshot';
import { DataError } from '../core/data/errors';
import type { Dataset } from '../core/data/types';
import { Trainer } from '../core/train/trainer';
import { configAt } from '../core/train/change-log';
import type { ExportedFile, RunCheckpoint, RunSpec } from './protocol';
import { bundleExportInfo, bundleFiles, identityOrder, type OfficialOrder } from '../core/export/bundle';
import type { StepRecord } from '../core/train/trainer';
import { zipSync, strToU8 } from 'fflate';

/** ExportInfo plus the playground's data options (so a loaded zip rebuilds the same training subset). */
export type PlaygroundExportInfo = ExportInfo & { runSpec?: RunSpec };

/** A file name stem like 'ltpg-gcl-convnet-s1-e3'. */
export function exportStem(trainer: Trainer): string {
  const c = trainer.config;
  return `ltpg-${trainer.stage === 2 ? 'gcl' : c.loss}-${c.model}-s${trainer.stage}-e${trainer.epoch}`;
}

function info(trainer: Trainer, spec: RunSpec | null): PlaygroundExportInfo {
  const i: PlaygroundExportInfo = exportInfoFromTrainer(trainer);
  if (spec) i.runSpec = structuredClone(spec);
  return i;
}

/** Copies `u8` into an ArrayBuffer of its own (exact length), ready to transfer. */
function ownBuffer(u8: Uint8Array): ArrayBuffer {
  if (u8.byteOffset === 0 && u8.byteLength === u8.buffer.byteLength && u8.buffer instanceof ArrayBuffer) return u8.buffer;
  return u8.slice().buffer as ArrayBuffer;
}

/**
 * The trainer's weights as plain arrays: the fused engine's buffers synced into the model first, then only the
 * model's own variables read (asynchronously). Exports are made from this, never from live tensors.
 */
async function trainerSnapshot(trainer: Trainer): Promise<ModelSnapshot> {
  await trainer.syncModel();
  return readSnapshot(trainer.model);
}

export async function tfjsExport(trainer: Trainer, spec: RunSpec | null): Promise<ExportedFile> {
  const i = info(trainer, spec); // records the training backend before the export switches to cpu
  const bytes = await exportTfjsZip(await trainerSnapshot(trainer), i);
  return { bytes: ownBuffer(bytes), fileName: `${exportStem(trainer)}.tfjs.zip`, mime: 'application/zip' };
}

export async function safetensorsExport(trainer: Trainer, spec: RunSpec | null): Promise<ExportedFile> {
  const i = info(trainer, spec);
  const bytes = exportSafetensors(await trainerSnapshot(trainer), i);
  return { bytes: ownBuffer(bytes), fileName: `${exportStem(trainer)}.safetensors`, mime: 'application/octet-stream' };
}

/** What a run bundle needs from a run's start: init.safetensors and every step since (null: over the cap). */
export interface RunRecording {
  init: Uint8Array;
  steps: StepRecord[] | null;
  numbers: number;
}

/** init.safetensors of a fresh trainer (the CLI's --save-bundle writes the same bytes). */
export async function initWeights(trainer: Trainer): Promise<Uint8Array> {
  return exportSafetensors(await trainerSnapshot(trainer), bundleExportInfo(trainer));
}

/** Fixed in the zip so the same run gives the same bytes (zip times have 2 s resolution from 1980). */
const ZIP_TIME = new Date(Date.UTC(2020, 0, 1));

/**
 * The run bundle for PyTorch as one zip: the files of core/export/bundle.ts and train.py (loaded on demand, so the
 * worker's first load does not carry it). Needs the run's recording from its first step.
 */
export async function bundleExport(trainer: Trainer, rec: RunRecording | null, order: OfficialOrder | null): Promise<ExportedFile> {
  if (!rec) {
    throw new Error(
      'this run was restored (a reload, a saved run or a model zip), so its first steps are not on record: ' +
        'a run bundle needs the run from its start — train it again (Reset) to export one; model.safetensors exports work',
    );
  }
  if (trainer.batchInEpoch !== 0)
    throw new Error('a run bundle is written at an epoch boundary: pause after an epoch, or wait for it to end');
  const ds = trainer.dataset;
  const model = exportSafetensors(await trainerSnapshot(trainer), bundleExportInfo(trainer));
  const files = await bundleFiles({
    trainer,
    init: rec.init,
    model,
    steps: rec.steps,
    epochsDone: trainer.stage === 1 ? trainer.epoch : trainer.config.epochs,
    official: order ?? { pool: identityOrder(ds.pool.labels.length), test: identityOrder(ds.test.labels.length) },
  });
  const { default: trainPy } = await import('../../tools/pytorch/train.py?raw');
  const stem = `${exportStem(trainer)}-bundle`;
  const entries: Record<string, [Uint8Array, { mtime: Date }]> = {};
  for (const [name, data] of [...files, ['train.py', trainPy] as const]) {
    entries[`${stem}/${name}`] = [typeof data === 'string' ? strToU8(data) : data, { mtime: ZIP_TIME }];
  }
  const bytes = zipSync(entries, { level: 6 });
  return { bytes: ownBuffer(bytes), fileName: `${stem}.zip`, mime: 'application/zip' };
}

/** A model zip's weights and metadata, decoded on the cpu backend (no GPU context; the tfjs model is dropped). */
async function readModelZip(bytes: Uint8Array, fileName: string) {
  return onCpuBackend(() => {
    const loaded = loadPlaygroundModel(bytes, fileName);
    loaded.model.dispose();
    return loaded;
  });
}

/** How a model zip is named in messages when the page sends no file name. */
export const DEFAULT_MODEL_ZIP = 'the model zip';

/**
 * What a TensorFlow.js zip needs before it can be restored: its run spec (data set + config). The zip is checked by
 * loadPlaygroundModel (sizes, every metadata field, the training configuration through validateConfig); the run
 * spec the worker adds is checked here. Errors are DataErrors naming `fileName`.
 */
export async function specFromTfjsZip(
  bytes: Uint8Array,
  fileName = DEFAULT_MODEL_ZIP,
): Promise<{ spec: RunSpec; info: PlaygroundExportInfo }> {
  const loaded = await readModelZip(bytes, fileName);
  const i = loaded.metadata.info as PlaygroundExportInfo;
  if (!i.trainConfig) throw new DataError(fileName, 'records no training configuration, so the app cannot continue training it');
  // the configuration that trained last: the initial one with the recorded live changes applied
  const spec: RunSpec = { config: configAt(i.trainConfig, i.changes ?? []) };
  // zips written before the head-class cap moved into the config kept it in runSpec.data.nMax
  const legacyCap = nMaxOf(i.runSpec, fileName);
  if (spec.config.headImages == null && legacyCap !== null) spec.config.headImages = legacyCap;
  // live changes (lr, loss hyperparameters) at export time
  spec.config.lossParams = { ...spec.config.lossParams, ...(i.stage === 1 ? i.lossParams : {}) };
  return { spec, info: i };
}

/** The run spec's head-class cap (legacyHeadCap), errors as DataErrors naming the file. */
function nMaxOf(runSpec: unknown, fileName: string): number | null {
  try {
    return legacyHeadCap(runSpec);
  } catch (e) {
    throw new DataError(fileName, `model.json: info.${(e as Error).message}`);
  }
}

/**
 * A checkpoint holding the zip's weights, BN counters, stage and epoch (no optimiser state: momentum restarts at
 * zero; the random streams start from the seed). `dataset` must be the one `spec` names.
 */
export async function checkpointFromTfjsZip(
  bytes: Uint8Array,
  dataset: Dataset,
  spec: RunSpec,
  fileName = DEFAULT_MODEL_ZIP,
): Promise<RunCheckpoint> {
  const loaded = await readModelZip(bytes, fileName);
  const i = loaded.metadata.info as PlaygroundExportInfo;
  const fresh = new Trainer(dataset, spec.config);
  try {
    const want = fresh.spec.config;
    const got = loaded.config;
    if (
      want.kind !== got.kind ||
      want.head !== got.head ||
      want.numClasses !== got.numClasses ||
      want.inputShape.join() !== got.inputShape.join()
    ) {
      throw new DataError(
        fileName,
        `holds a ${got.kind} (${got.head} head, ${got.numClasses} classes, ${got.inputShape.join('×')} input) but its configuration builds ` +
          `a ${want.kind} (${want.head} head, ${want.numClasses} classes, ${want.inputShape.join('×')} input) on its data set`,
      );
    }
    const ck = await fresh.checkpoint();
    ck.weights = Object.fromEntries(loaded.weights);
    ck.bnBatchesTracked = Object.fromEntries(loaded.bnBatchesTracked);
    ck.momentum = {};
    ck.stage = i.stage === 2 ? 2 : 1;
    ck.epoch = i.epoch;
    ck.globalStep = i.globalStep;
    ck.lossParams = ck.stage === 1 ? { ...ck.lossParams, ...i.lossParams } : ck.lossParams;
    if (i.stage2Config) ck.stage2 = { ...i.stage2Config };
    return { spec: structuredClone(spec), trainer: ck };
  } finally {
    fresh.dispose();
  }
}
