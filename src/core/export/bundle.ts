/**
 * The run bundle for PyTorch (tools/pytorch/train.py replays, continues or scales a run from it): run.json (config,
 * change log, loss hyperparameters, schedule, seed, class names and counts, data set id and subset hash),
 * indices.json (training-subset, pool and test-subset indices into the official data files' order), steps.json (each step's
 * subset positions, augmentation draws, GCL noise, lr and loss), init.safetensors, model.safetensors and, at an
 * epoch boundary, momentum.safetensors. For an uploaded image folder there are no official files: indices.json
 * then also names each pool and test image's file, and data.safetensors carries the decoded pixels (a decoder
 * outside the app may round a resized pixel differently, which would change the run).
 * Pure: the CLI writes these files to a folder, the app zips them.
 */
import type { Dataset, ImageSet } from '../data/types';
import { getLoss } from '../losses/registry';
import type { StepRecord, Trainer } from '../train/trainer';
import { encodeSafetensors, toTorchLayout, torchShape, type SafeTensor } from './safetensors';
import { exportInfoFromTrainer, type ExportInfo } from './info';

export const BUNDLE_FILES = [
  'run.json',
  'indices.json',
  'data.safetensors',
  'steps.json',
  'init.safetensors',
  'model.safetensors',
  'momentum.safetensors',
] as const;

export type BundleFile = [name: (typeof BUNDLE_FILES)[number], data: string | Uint8Array];

/** Positions of the subset's images in the official data files' order (pool index → official index). */
export interface OfficialOrder {
  pool: ArrayLike<number>;
  test: ArrayLike<number>;
}

/** The identity order: data sets kept in their files' order (CIFAR binaries, the test set of the embedded pack). */
export function identityOrder(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

/** Beside the embedded pack: its pool's indices into the official training files. */
export const POOL_ORDER_FILE = 'fmnist-lt.pool-order.json';

const toBase64 = (bytes: Uint8Array) => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(''));
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));

/** Labels < 16 as 4-bit nibbles, low nibble first. */
function nibbles(labels: ArrayLike<number>): string {
  const out = new Uint8Array(Math.ceil(labels.length / 2));
  for (let i = 0; i < labels.length; i++) out[i >> 1] |= (labels[i] & 15) << ((i & 1) * 4);
  return toBase64(out);
}
function fromNibbles(text: string, n: number): Uint8Array {
  const bytes = fromBase64(text);
  if (bytes.length * 2 < n) throw new Error('the pool order file is cut short');
  return Uint8Array.from({ length: n }, (_, i) => (bytes[i >> 1] >> ((i & 1) * 4)) & 15);
}

/**
 * The pool order file: which official training images the pool holds (a bitmap) and the official labels of the
 * training and test files, so any pool or test set cut from the pack in per-class order (the whole pack, or the
 * parts a run fetched) can name the official index of each of its images.
 */
export function poolOrderJson(poolIndices: readonly number[], trainLabels: ArrayLike<number>, testLabels: ArrayLike<number>): string {
  const bits = new Uint8Array(Math.ceil(trainLabels.length / 8));
  for (const i of poolIndices) bits[i >> 3] |= 1 << (i & 7);
  return JSON.stringify({
    dataset: 'fmnist-lt',
    officialTrainImages: trainLabels.length,
    officialTestImages: testLabels.length,
    pool: toBase64(bits),
    trainLabels: nibbles(trainLabels),
    testLabels: nibbles(testLabels),
  });
}

/** Per class, the official indices in ascending order (of the members when `member` is given). */
function byClass(labels: Uint8Array, member?: (i: number) => boolean): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < labels.length; i++) if (!member || member(i)) (out[labels[i]] ??= []).push(i);
  return out;
}

/** The k-th image of class c in `labels` (in order) → the k-th official index of class c. */
function mapByClassRank(labels: ArrayLike<number>, official: number[][], what: string): Int32Array {
  const seen: number[] = [];
  const out = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    const k = (seen[c] = (seen[c] ?? -1) + 1);
    const o = official[c]?.[k];
    if (o === undefined) throw new Error(`the pool order file has fewer ${what} images of class ${c} than the data set`);
    out[i] = o;
  }
  return out;
}

/**
 * The official index of every pool and test image of a data set cut from the embedded pack. Its pool and test set
 * hold each class's images in the pack's order (the whole pack: official order; the parts a run fetched: the
 * first ranks of each class, rank-major), so the k-th image of class c is the k-th official image of class c.
 */
export function decodePoolOrder(json: unknown, poolLabels: ArrayLike<number>, testLabels: ArrayLike<number>): OfficialOrder {
  const o = json as Record<string, unknown> | null;
  if (
    !o ||
    typeof o.pool !== 'string' ||
    typeof o.trainLabels !== 'string' ||
    typeof o.testLabels !== 'string' ||
    typeof o.officialTrainImages !== 'number' ||
    typeof o.officialTestImages !== 'number'
  ) {
    throw new Error('the pool order file is not what `npm run build:data` writes');
  }
  const bits = fromBase64(o.pool);
  const train = fromNibbles(o.trainLabels, o.officialTrainImages);
  const test = fromNibbles(o.testLabels, o.officialTestImages);
  const inPool = (i: number) => !!(bits[i >> 3] & (1 << (i & 7)));
  return {
    pool: mapByClassRank(poolLabels, byClass(train, inPool), 'pool'),
    test: mapByClassRank(testLabels, byClass(test), 'test'),
  };
}

function hex(buf: ArrayBuffer): string {
  return [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** sha256 (Web Crypto: the same in Node and in a worker). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

/**
 * The tensor bytes of a safetensors file (everything after its header): the weights without the metadata, whose
 * `created` time stamp differs between two exports of the same weights.
 */
export function safetensorsData(file: Uint8Array): Uint8Array {
  if (file.length < 8) throw new Error('safetensors: the file is shorter than its 8-byte header length');
  const n = new DataView(file.buffer, file.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(file.length - 8)) throw new Error('safetensors: the header runs past the end of the file');
  return file.subarray(8 + Number(n));
}

/** sha256 of the subset's pixel bytes (NHWC, subset order) followed by its labels as little-endian uint16. */
export function subsetHash(set: ImageSet, indices: ArrayLike<number>): Promise<string> {
  const px = set.height * set.width * set.channels;
  const bytes = new Uint8Array(indices.length * (px + 2));
  for (let i = 0; i < indices.length; i++) bytes.set(set.images.subarray(indices[i] * px, (indices[i] + 1) * px), i * px);
  const labels = new DataView(bytes.buffer, indices.length * px);
  for (let i = 0; i < indices.length; i++) labels.setUint16(2 * i, set.labels[indices[i]], true);
  return sha256Hex(bytes);
}

const list = (a: ArrayLike<number>) => Array.from(a);

function stepJson(s: StepRecord) {
  return {
    stage: s.stage,
    epoch: s.epoch,
    step: s.step,
    lr: s.lr,
    loss: s.loss,
    positions: list(s.positions),
    ...(s.augment ? { augment: list(s.augment) } : {}),
    ...(s.noise ? { noise: list(s.noise) } : {}),
    ...(s.mixed ? { mixed: true } : {}),
  };
}

/** The SGD momentum buffers in the state dict's names and PyTorch layouts (train.py --continue loads them). */
function momentumFile(t: Trainer, momentum: Record<string, Float32Array>): Uint8Array {
  const out: [string, SafeTensor][] = [];
  for (const p of t.spec.params) {
    const m = momentum[p.name];
    if (m) out.push([p.name, { dtype: 'F32', shape: torchShape(p), data: toTorchLayout(p, m) }]);
  }
  return encodeSafetensors(out);
}

/** Per class, the file names of `files` (labels in the same order). */
function perClass(files: string[], labels: ArrayLike<number>, classes: number): string[][] {
  const out: string[][] = Array.from({ length: classes }, () => []);
  files.forEach((f, i) => out[labels[i]].push(f));
  return out;
}

/** data.safetensors: an uploaded folder's decoded pool and test set (uint8 NHWC, labels int16), in the app's order. */
function folderData(ds: Dataset): Uint8Array {
  const set = (s: ImageSet, role: string): [string, SafeTensor][] => [
    [`${role}Images`, { dtype: 'U8', shape: [s.labels.length, s.height, s.width, s.channels], data: s.images }],
    [`${role}Labels`, { dtype: 'I16', shape: [s.labels.length], data: Int16Array.from(s.labels) }],
  ];
  return encodeSafetensors([...set(ds.pool, 'pool'), ...set(ds.test, 'test')]);
}

/**
 * A data set's id in a bundle: an upload's session id ("folder@2", "cifar10-lt@1") without its per-session number,
 * which means nothing outside that session — the CLI's id for the same data, so both write the same bundle.
 */
export function bundleDatasetId(id: string): string {
  return id.replace(/@\d+$/, '');
}

/** The metadata of a bundle's init / model safetensors: the export's, with the data set's bundle id. */
export function bundleExportInfo(trainer: Trainer, backend?: string): ExportInfo {
  const info = exportInfoFromTrainer(trainer, backend);
  if (info.trainConfig) info.trainConfig.dataset = bundleDatasetId(info.trainConfig.dataset);
  return info;
}

export interface BundleInput {
  trainer: Trainer;
  /** init.safetensors: the weights before the first step. */
  init: Uint8Array;
  /** model.safetensors: the weights now. */
  model: Uint8Array;
  /** Every step since the init, in order; null when they were not recorded (then the bundle can continue, not replay). */
  steps: StepRecord[] | null;
  epochsDone: number;
  official: OfficialOrder;
}

/** The bundle's files in BUNDLE_FILES order (steps.json and momentum.safetensors only when there is one). */
export async function bundleFiles(b: BundleInput): Promise<BundleFile[]> {
  const t = b.trainer;
  // the random streams and momentum at the end of the run: a continuation draws what the app would have drawn
  const ck = t.stageDone ? await t.checkpoint() : null;
  const ds = t.dataset;
  const cfg = t.config;
  const run = {
    tool: 'long-tail-playground bundle',
    version: 1,
    config: { ...t.initialConfig, dataset: bundleDatasetId(t.initialConfig.dataset) },
    changes: t.changes,
    lossParams: t.lossParams,
    schedule: cfg.schedule === 'auto' ? getLoss(cfg.loss).schedule : cfg.schedule,
    seed: cfg.seed,
    epochsDone: b.epochsDone,
    steps: b.steps ? b.steps.length : null,
    /** sha256 of init.safetensors' tensor data (train.py checks it before it trains; the header holds a time stamp). */
    initHash: await sha256Hex(safetensorsData(b.init)),
    rng: ck ? ck.rng : null,
    dataset: {
      id: ds.meta.id,
      title: ds.meta.title,
      classNames: ds.pool.classNames,
      counts: t.counts,
      mean: ds.meta.mean,
      std: ds.meta.std,
      cropPad: ds.meta.cropPad,
      hflip: ds.meta.hflip,
      subsetHash: await subsetHash(ds.pool, t.subset.indices),
      ...(ds.source
        ? {
            source: {
              kind: ds.source.kind,
              name: ds.source.name,
              folders: ds.source.folders,
              height: ds.source.height,
              width: ds.source.width,
              channels: ds.source.channels,
              fit: ds.source.fit,
              testFraction: ds.source.testFraction,
              splitSeed: ds.source.splitSeed,
            },
          }
        : {}),
    },
  };
  const ascending = (a: number[]) => a.sort((x, y) => x - y);
  const indices = {
    train: list(t.subset.indices).map((i) => b.official.pool[i]),
    // the whole pool the subset was drawn from (train.py --seeds redraws from it); ascending, as the test set
    pool: ascending(list(b.official.pool)),
    trainLabels: list(t.subset.labels),
    // ascending: the evaluation is order-free, and a test set cut from the pack's parts is held rank-major
    test: ascending(list(t.testIndices).map((i) => b.official.test[i])),
    // an uploaded folder: per class, the files of the pool and of the test set, in the order the indices count them
    ...(ds.source
      ? {
          files: {
            train: perClass(ds.source.poolFiles, ds.pool.labels, ds.pool.numClasses),
            test: perClass(ds.source.testFiles, ds.test.labels, ds.test.numClasses),
          },
        }
      : {}),
  };
  const files: BundleFile[] = [
    ['run.json', JSON.stringify(run, null, 1)],
    ['indices.json', JSON.stringify(indices)],
  ];
  if (ds.source) files.push(['data.safetensors', folderData(ds)]);
  if (b.steps) files.push(['steps.json', JSON.stringify({ steps: b.steps.map(stepJson) })]);
  files.push(['init.safetensors', b.init], ['model.safetensors', b.model]);
  if (ck) files.push(['momentum.safetensors', momentumFile(t, ck.momentum)]);
  return files;
}
