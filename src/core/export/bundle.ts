/**
 * The run bundle for PyTorch (tools/pytorch/train.py replays, continues or scales a run from it): run.json (config,
 * change log, loss hyperparameters, schedule, seed, class names and counts, data set id and subset hash),
 * indices.json (training- and test-subset indices into the official data files' order), steps.json (each step's
 * subset positions, augmentation draws, GCL noise, lr and loss), init.safetensors, model.safetensors and, at an
 * epoch boundary, momentum.safetensors. Pure: the CLI writes these files to a folder, the app zips them.
 */
import type { ImageSet } from '../data/types';
import { getLoss } from '../losses/registry';
import type { StepRecord, Trainer } from '../train/trainer';
import { encodeSafetensors, toTorchLayout, torchShape, type SafeTensor } from './safetensors';

export const BUNDLE_FILES = [
  'run.json',
  'indices.json',
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

/** The pool order as JSON: a bitmap over the official training images (bit i set: image i is in the pool). */
export function poolOrderJson(indices: readonly number[], officialCount: number): string {
  const bits = new Uint8Array(Math.ceil(officialCount / 8));
  for (const i of indices) bits[i >> 3] |= 1 << (i & 7);
  const pool = btoa(Array.from(bits, (b) => String.fromCharCode(b)).join(''));
  return JSON.stringify({ dataset: 'fmnist-lt', officialTrainImages: officialCount, pool, test: 'official' });
}

/**
 * The embedded pack's pool order (public/data/fmnist-lt.pool-order.json, written by `npm run build:data`): the pool
 * holds the official training images whose bits are set, in ascending order; the test set is the official one.
 */
export function decodePoolOrder(json: unknown, poolSize: number, testSize: number): OfficialOrder {
  const o = json as { officialTrainImages?: unknown; pool?: unknown; test?: unknown } | null;
  if (!o || typeof o.pool !== 'string' || typeof o.officialTrainImages !== 'number' || o.test !== 'official') {
    throw new Error('the pool order file is not what `npm run build:data` writes');
  }
  const bits = Uint8Array.from(atob(o.pool), (ch) => ch.charCodeAt(0));
  const pool = new Int32Array(poolSize);
  let n = 0;
  for (let i = 0; i < o.officialTrainImages && i < bits.length * 8; i++) {
    if (bits[i >> 3] & (1 << (i & 7))) {
      if (n === poolSize) throw new Error(`the pool order file lists more than the pack's ${poolSize} pool images`);
      pool[n++] = i;
    }
  }
  if (n !== poolSize) throw new Error(`the pool order file lists ${n} images, the pack's pool has ${poolSize}`);
  return { pool, test: identityOrder(testSize) };
}

function hex(buf: ArrayBuffer): string {
  return [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** sha256 (Web Crypto: the same in Node and in a worker). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
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
    config: t.initialConfig,
    changes: t.changes,
    lossParams: t.lossParams,
    schedule: cfg.schedule === 'auto' ? getLoss(cfg.loss).schedule : cfg.schedule,
    seed: cfg.seed,
    epochsDone: b.epochsDone,
    steps: b.steps ? b.steps.length : null,
    /** sha256 of init.safetensors (train.py checks it before it trains). */
    initHash: await sha256Hex(b.init),
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
    },
  };
  const indices = {
    train: list(t.subset.indices).map((i) => b.official.pool[i]),
    trainLabels: list(t.subset.labels),
    test: list(t.testIndices).map((i) => b.official.test[i]),
  };
  const files: BundleFile[] = [
    ['run.json', JSON.stringify(run, null, 1)],
    ['indices.json', JSON.stringify(indices)],
  ];
  if (b.steps) files.push(['steps.json', JSON.stringify({ steps: b.steps.map(stepJson) })]);
  files.push(['init.safetensors', b.init], ['model.safetensors', b.model]);
  if (ck) files.push(['momentum.safetensors', momentumFile(t, ck.momentum)]);
  return files;
}
