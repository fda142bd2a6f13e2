/**
 * The run bundle for PyTorch (`--save-bundle DIR`): what tools/pytorch/train.py needs to replay or continue a run
 * from the official data files — run.json (config, loss hyperparameters, schedule, seed, class names and counts,
 * data set id and subset hash), indices.json (training- and test-subset indices into the official files' order),
 * steps.json (each step's subset positions, augmentation draws, GCL noise, lr and loss), init.safetensors and
 * model.safetensors.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset, ImageSet } from '../core/data/types';
import { imageSetFromIdx } from '../core/data/idx';
import { readBytes } from '../core/data/node-load';
import type { StepRecord, Trainer } from '../core/train/trainer';
import { getLoss } from '../core/losses/registry';
import { encodeSafetensors, toTorchLayout, torchShape, type SafeTensor } from '../core/export/safetensors';
import { saveOutput, type Saved } from './outputs';

export const BUNDLE_FILES = [
  'run.json',
  'indices.json',
  'steps.json',
  'init.safetensors',
  'model.safetensors',
  'momentum.safetensors',
] as const;

/** Debian's dataset-fashion-mnist folder: the official IDX files the embedded pack was cut from. */
export const FMNIST_ROOT = '/usr/share/datasets/fashion-mnist';

/** sha256 of the subset's pixel bytes (NHWC, subset order) followed by its labels as little-endian uint16. */
export function subsetHash(set: ImageSet, indices: ArrayLike<number>): string {
  const px = set.height * set.width * set.channels;
  const h = createHash('sha256');
  for (let i = 0; i < indices.length; i++) h.update(set.images.subarray(indices[i] * px, (indices[i] + 1) * px));
  const labels = new Uint8Array(2 * indices.length);
  const view = new DataView(labels.buffer);
  for (let i = 0; i < indices.length; i++) view.setUint16(2 * i, set.labels[indices[i]], true);
  h.update(labels);
  return h.digest('hex');
}

/**
 * Index in `official` of every image of `sub`, a subsequence of it in the same order (the pack keeps its pool in
 * the official order): the earliest equal image (pixels and label) after the previous match.
 */
export function subsequenceIndices(sub: ImageSet, official: ImageSet): Int32Array {
  const px = sub.height * sub.width * sub.channels;
  if (px !== official.height * official.width * official.channels) throw new Error('bundle: image sizes differ from the official files');
  const out = new Int32Array(sub.labels.length);
  const a = Buffer.from(sub.images.buffer, sub.images.byteOffset, sub.images.byteLength);
  const b = Buffer.from(official.images.buffer, official.images.byteOffset, official.images.byteLength);
  let j = 0;
  for (let i = 0; i < sub.labels.length; i++) {
    for (;;) {
      if (j >= official.labels.length) throw new Error(`bundle: training image ${i} of the pool is not in the official files (in order)`);
      if (official.labels[j] === sub.labels[i] && a.compare(b, j * px, (j + 1) * px, i * px, (i + 1) * px) === 0) break;
      j++;
    }
    out[i] = j++;
  }
  return out;
}

async function officialFmnist(root: string, classNames: string[]): Promise<{ train: ImageSet; test: ImageSet }> {
  const read = (f: string) => readBytes(join(root, f));
  const set = async (img: string, lab: string) =>
    imageSetFromIdx(await read(img), await read(lab), { imagesFile: img, labelsFile: lab, classNames });
  return {
    train: await set('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz'),
    test: await set('t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'),
  };
}

/** Pool and test indices into the official files' order (Fashion-MNIST: matched against the IDX files). */
async function officialIndices(ds: Dataset, root: string): Promise<{ pool: Int32Array; test: Int32Array }> {
  const identity = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
  if (ds.meta.id !== 'fmnist-lt') return { pool: identity(ds.pool.labels.length), test: identity(ds.test.labels.length) };
  const off = await officialFmnist(root, ds.pool.classNames);
  return { pool: subsequenceIndices(ds.pool, off.train), test: subsequenceIndices(ds.test, off.test) };
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

export interface BundleInput {
  trainer: Trainer;
  init: Uint8Array;
  model: Uint8Array;
  steps: StepRecord[];
  epochsDone: number;
  dataRoot?: string;
}

/** Writes the bundle's files (each atomically); the first failure's message, or ok. */
/** The SGD momentum buffers in the state dict's names and PyTorch layouts (train.py --continue loads them). */
function momentumFile(t: Trainer, momentum: Record<string, Float32Array>): Uint8Array {
  const out: [string, SafeTensor][] = [];
  for (const p of t.spec.params) {
    const m = momentum[p.name];
    if (m) out.push([p.name, { dtype: 'F32', shape: torchShape(p), data: toTorchLayout(p, m) }]);
  }
  return encodeSafetensors(out);
}

export async function writeBundle(dir: string, b: BundleInput): Promise<Saved> {
  const t = b.trainer;
  // the random streams and momentum at the end of the run: a continuation draws what the app would have drawn
  const ck = t.stageDone ? await t.checkpoint() : null;
  const ds = t.dataset;
  const off = await officialIndices(ds, b.dataRoot ?? FMNIST_ROOT);
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
    steps: b.steps.length,
    /** sha256 of init.safetensors (train.py checks it before it trains). */
    initHash: createHash('sha256').update(b.init).digest('hex'),
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
      subsetHash: subsetHash(ds.pool, t.subset.indices),
    },
  };
  const indices = {
    train: list(t.subset.indices).map((i) => off.pool[i]),
    trainLabels: list(t.subset.labels),
    test: list(t.testIndices).map((i) => off.test[i]),
  };
  mkdirSync(dir, { recursive: true });
  const files: [string, string | Uint8Array][] = [
    ['run.json', JSON.stringify(run, null, 1)],
    ['indices.json', JSON.stringify(indices)],
    ['steps.json', JSON.stringify({ steps: b.steps.map(stepJson) })],
    ['init.safetensors', b.init],
    ['model.safetensors', b.model],
    ...(ck ? [['momentum.safetensors', momentumFile(t, ck.momentum)] as [string, Uint8Array]] : []),
  ];
  for (const [name, data] of files) {
    const r = saveOutput('--save-bundle', join(dir, name), data);
    if (!r.ok) return r;
  }
  return { ok: true };
}
