/**
 * npm run build:data [-- --src DIR --out FILE]
 *
 * Builds public/data/fmnist-lt.ltpg from the Fashion-MNIST IDX files (Debian package dataset-fashion-mnist):
 * the long-tail POOL (per class a seeded shuffle of the class' training indices, keeping the first p_c, where
 * p_c = max(exponential profile at IF 10, step profile μ = 0.5 at IF 10) with n_max 5000, so every IF ≥ 10 is
 * servable for exp and for step μ ≥ 0.5; pool images kept in their original order) plus the full balanced
 * 10 000-image test set in official order. Also writes LICENSE-fashion-mnist.txt next to the output.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { imageSetFromIdx } from '../core/data/idx';
import { countsFor } from '../core/data/longtail';
import { decodePack, encodeDataset } from '../core/data/pack';
import type { Dataset, DatasetMeta, ImageSet } from '../core/data/types';
import { Rng } from '../core/rng';
import { POOL_ORDER_FILE, poolOrderJson } from '../core/export/bundle';

export const POOL_SEED = 20261126;
export const POOL_N_MAX = 5000;
export const POOL_IF = 10;
export const FMNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

const FILES = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
};

const SOURCE = 'https://github.com/zalandoresearch/fashion-mnist (Debian package dataset-fashion-mnist)';

const LICENCE_TEXT = `Fashion-MNIST
Source: https://github.com/zalandoresearch/fashion-mnist
Files used: train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz,
t10k-labels-idx1-ubyte.gz (as shipped by the Debian package dataset-fashion-mnist).
public/data/fmnist-lt.ltpg holds a subset of the training images (a long-tail pool) and the full test set,
re-encoded without modification of the pixels or labels.

Han Xiao, Kashif Rasul, Roland Vollgraf. Fashion-MNIST: a Novel Image Dataset for Benchmarking Machine
Learning Algorithms. arXiv:1708.07747, 2017.

The MIT License (MIT)

Copyright (c) 2017 Zalando SE

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
`;

export const FMNIST_META: DatasetMeta = {
  id: 'fmnist-lt',
  title: 'Fashion-MNIST-LT',
  mean: [0.286],
  std: [0.353],
  hflip: true,
  cropPad: 2,
  licence:
    'Fashion-MNIST, MIT licence, Copyright (c) 2017 Zalando SE — https://github.com/zalandoresearch/fashion-mnist (see data/LICENSE-fashion-mnist.txt)',
};

/** Pool size per class: max of the exp (IF 10) and step (μ 0.5, IF 10) profiles at n_max 5000. */
export function poolCounts(C = 10): number[] {
  const exp = countsFor(C, POOL_N_MAX, { imbalance: POOL_IF, profile: 'exp' });
  const step = countsFor(C, POOL_N_MAX, { imbalance: POOL_IF, profile: 'step', stepMu: 0.5 });
  return exp.map((e, i) => Math.max(e, step[i]));
}

/**
 * The pool's indices into the official training files, ascending: per class a seeded shuffle of the class'
 * indices, the first counts[c] kept. The app's PyTorch bundle maps its subset to the official order with them.
 */
export function poolIndices(labels: ArrayLike<number>, numClasses: number, counts: number[], seed: number): number[] {
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < labels.length; i++) byClass[labels[i]].push(i);
  const rng = new Rng(seed);
  const keep: number[] = [];
  for (let c = 0; c < numClasses; c++) {
    if (byClass[c].length < counts[c]) throw new Error(`class ${c} has ${byClass[c].length} training images, the pool needs ${counts[c]}`);
    const shuffled = rng.fork(`pool-class-${c}`).shuffle(byClass[c].slice());
    keep.push(...shuffled.slice(0, counts[c]));
  }
  return keep.sort((a, b) => a - b);
}

/** Selects the pool from the full training set (pure; exported for tests). */
export function buildPool(train: ImageSet, counts: number[], seed: number): ImageSet {
  const keep = poolIndices(train.labels, train.numClasses, counts, seed);
  const px = train.height * train.width * train.channels;
  const images = new Uint8Array(keep.length * px);
  const labels = new Uint16Array(keep.length);
  keep.forEach((src, i) => {
    images.set(train.images.subarray(src * px, (src + 1) * px), i * px);
    labels[i] = train.labels[src];
  });
  return { ...train, name: 'Fashion-MNIST-LT pool', classNames: train.classNames.slice(), images, labels };
}

function usage(msg?: string): never {
  if (msg) console.error(`build-data: ${msg}`);
  console.error(
    'usage: npm run build:data -- [--src DIR] [--out FILE]\n' +
      '  --src DIR   folder with the four Fashion-MNIST *-ubyte.gz files (default /usr/share/datasets/fashion-mnist)\n' +
      '  --out FILE  output .ltpg file (default public/data/fmnist-lt.ltpg)',
  );
  process.exit(2);
}

function parseArgs(argv: string[]): { src: string; out: string } {
  let src = '/usr/share/datasets/fashion-mnist';
  let out = 'public/data/fmnist-lt.ltpg';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) usage(`${a} needs a value`);
      return v;
    };
    if (a === '--src') src = val();
    else if (a === '--out') out = val();
    else if (a === '--help' || a === '-h') usage();
    else usage(`unknown argument "${a}"`);
  }
  return { src, out };
}

async function waitForFiles(src: string): Promise<void> {
  const missing = () => Object.values(FILES).filter((f) => !existsSync(join(src, f)));
  for (let attempt = 0; missing().length > 0; attempt++) {
    if (attempt >= 12) {
      throw new Error(
        `missing ${missing().join(', ')} in ${src} (install the Debian package dataset-fashion-mnist, ` +
          'or pass --src; `dpkg -L dataset-fashion-mnist` lists where it put them)',
      );
    }
    console.error(`build-data: waiting for ${missing().join(', ')} in ${src} …`);
    await new Promise((r) => setTimeout(r, 10_000));
  }
}

/** Reads the IDX files and writes the pack, its licence and the pool order (the entry: src/cli/build-data.ts). */
export async function main(): Promise<void> {
  const { src, out } = parseArgs(process.argv.slice(2));
  await waitForFiles(src);
  const read = async (f: string) => new Uint8Array(await readFile(join(src, f)));
  const train = imageSetFromIdx(await read(FILES.trainImages), await read(FILES.trainLabels), {
    imagesFile: FILES.trainImages,
    labelsFile: FILES.trainLabels,
    classNames: FMNIST_CLASSES,
    name: 'Fashion-MNIST train',
  });
  const test = imageSetFromIdx(await read(FILES.testImages), await read(FILES.testLabels), {
    imagesFile: FILES.testImages,
    labelsFile: FILES.testLabels,
    classNames: FMNIST_CLASSES,
    name: 'Fashion-MNIST test',
  });
  const counts = poolCounts(FMNIST_CLASSES.length);
  const pool = buildPool(train, counts, POOL_SEED);
  const ds: Dataset = { meta: FMNIST_META, pool, test: { ...test, name: 'Fashion-MNIST test' } };
  const bytes = encodeDataset(ds, {
    extra: {
      source: SOURCE,
      poolSeed: POOL_SEED,
      poolRule: `per class: seeded shuffle (Rng(${POOL_SEED}).fork("pool-class-<c>")) of the class' training indices, keep the first p_c = max(exp IF ${POOL_IF}, step μ=0.5 IF ${POOL_IF}) at n_max ${POOL_N_MAX}; kept images in original order`,
      poolCounts: counts,
      testSet: 'full official t10k set, official order',
    },
  });
  const check = decodePack(bytes, out); // round-trip before writing
  if (check.dataset.pool.labels.length !== pool.labels.length) throw new Error('round trip failed');
  const outPath = resolve(out);
  await mkdir(dirname(outPath), { recursive: true });
  await writeFile(outPath, bytes);
  await writeFile(join(dirname(outPath), 'LICENSE-fashion-mnist.txt'), LICENCE_TEXT);
  const order = poolOrderJson(poolIndices(train.labels, train.numClasses, counts, POOL_SEED), train.labels, test.labels);
  await writeFile(join(dirname(outPath), POOL_ORDER_FILE), order);
  console.log(
    `wrote ${outPath}: ${bytes.length} bytes (pool ${pool.labels.length} images, counts ${counts.join(' ')}; test ${test.labels.length})`,
  );
}
