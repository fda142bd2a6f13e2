/**
 * `--save-bundle DIR`: the run bundle for PyTorch (src/core/export/bundle.ts) written to a folder, with the official
 * Fashion-MNIST order matched against Debian's IDX files, and a copy of tools/pytorch/train.py.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dataset, ImageSet } from '../core/data/types';
import { imageSetFromIdx } from '../core/data/idx';
import { readBytes } from '../core/data/node-load';
import { BUNDLE_FILES, bundleFiles, identityOrder, type BundleInput, type OfficialOrder } from '../core/export/bundle';
import { saveOutput, type Saved } from './outputs';

/** The files --save-bundle may write (the overwrite check lists them). */
export const BUNDLE_OUTPUTS = [...BUNDLE_FILES, 'train.py'] as const;

/** tools/pytorch/train.py, copied into every bundle so the folder is self-contained. */
export const TRAIN_PY = fileURLToPath(new URL('../../tools/pytorch/train.py', import.meta.url));

/** Debian's dataset-fashion-mnist folder: the official IDX files the embedded pack was cut from. */
export const FMNIST_ROOT = '/usr/share/datasets/fashion-mnist';

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
export async function officialOrder(ds: Dataset, root: string = FMNIST_ROOT): Promise<OfficialOrder> {
  if (ds.meta.id !== 'fmnist-lt') return { pool: identityOrder(ds.pool.labels.length), test: identityOrder(ds.test.labels.length) };
  const off = await officialFmnist(root, ds.pool.classNames);
  return { pool: subsequenceIndices(ds.pool, off.train), test: subsequenceIndices(ds.test, off.test) };
}

/** Writes the bundle's files (each atomically) and train.py; the first failure's message, or ok. */
export async function writeBundle(dir: string, b: Omit<BundleInput, 'official'> & { dataRoot?: string }): Promise<Saved> {
  const files = await bundleFiles({ ...b, official: await officialOrder(b.trainer.dataset, b.dataRoot) });
  mkdirSync(dir, { recursive: true });
  for (const [name, data] of [...files, ['train.py', readFileSync(TRAIN_PY)] as const]) {
    const r = saveOutput('--save-bundle', join(dir, name), data);
    if (!r.ok) return r;
  }
  return { ok: true };
}
