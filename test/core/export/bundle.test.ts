/**
 * The run bundle's pure parts: the pool order file beside the embedded pack (bitmap round trip, refusals, and the
 * committed file against Debian's official Fashion-MNIST files), and the subset hash (Web Crypto) against node's.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bundleDatasetId,
  decodePoolOrder,
  identityOrder,
  poolOrderJson,
  POOL_ORDER_FILE,
  safetensorsData,
  subsetHash,
} from '../../../src/core/export/bundle';
import { encodeSafetensors } from '../../../src/core/export/safetensors';
import { FMNIST_ROOT, officialOrder } from '../../../src/node/bundle';
import { loadDatasetForCli } from '../../../src/node/datasets';
import { tinyData } from './helpers';

const hasData = existsSync(join(FMNIST_ROOT, 'train-labels-idx1-ubyte.gz'));
if (!hasData && process.env.CI === 'true') throw new Error(`no Fashion-MNIST IDX files in ${FMNIST_ROOT}; required under CI=true`);

describe('bundle data-set id', () => {
  it('drops an upload’s per-session number, so the app and the CLI name the same data alike', () => {
    expect(bundleDatasetId('folder@12')).toBe('folder');
    expect(bundleDatasetId('cifar10-lt@3')).toBe('cifar10-lt');
    expect(bundleDatasetId('fmnist-lt')).toBe('fmnist-lt');
  });
});

describe('pool order file', () => {
  it('maps the k-th image of each class to the k-th official pool or test image of that class', () => {
    const trainLabels = [0, 1, 0, 1, 2, 0, 2, 1, 0, 2];
    const testLabels = [2, 1, 0, 0, 1, 2];
    const pool = [0, 1, 3, 4, 5, 8, 9]; // class 0: 0 5 8 · class 1: 1 3 · class 2: 4 9
    const json = JSON.parse(poolOrderJson(pool, trainLabels, testLabels));
    // the whole pool in official order
    expect(Array.from(decodePoolOrder(json, [0, 1, 1, 2, 0, 0, 2], testLabels).pool)).toEqual(pool);
    // a cut of it, rank-major (the first image of every class, then the second …), and a cut of the test set
    const cut = decodePoolOrder(json, [0, 1, 2, 0, 1], [2, 1, 0, 0]);
    expect(Array.from(cut.pool)).toEqual([0, 1, 4, 5, 3]);
    expect(Array.from(cut.test)).toEqual([0, 1, 2, 3]);
    expect(() => decodePoolOrder(json, [1, 1, 1], [])).toThrow(/fewer pool images of class 1/);
    expect(() => decodePoolOrder({ pool: 5 }, [], [])).toThrow(/not what `npm run build:data` writes/);
  });

  it.runIf(hasData)(
    'names, for every pool image of the embedded pack, its index in the official training files',
    async () => {
      const ds = await loadDatasetForCli('fmnist-lt');
      const committed = decodePoolOrder(
        JSON.parse(readFileSync(join(__dirname, '../../../public/data', POOL_ORDER_FILE), 'utf8')),
        ds.pool.labels,
        ds.test.labels,
      );
      const matched = await officialOrder(ds);
      expect(Array.from(committed.pool)).toEqual(Array.from(matched.pool));
      expect(Array.from(committed.test)).toEqual(Array.from(matched.test));
    },
    120_000,
  );
});

describe('subset hash', () => {
  it('is sha256 of the subset pixels then its labels as uint16 LE', async () => {
    const set = tinyData(1).pool;
    const idx = [5, 0, 2];
    const px = set.height * set.width * set.channels;
    const h = createHash('sha256');
    for (const i of idx) h.update(set.images.subarray(i * px, (i + 1) * px));
    h.update(Buffer.from(new Uint16Array(idx.map((i) => set.labels[i])).buffer));
    expect(await subsetHash(set, idx)).toBe(h.digest('hex'));
    expect(Array.from(identityOrder(3))).toEqual([0, 1, 2]);
  });
});

describe('init hash', () => {
  it('covers the tensor bytes of a safetensors file, not its metadata (the time stamp)', () => {
    const t = { dtype: 'F32' as const, shape: [2], data: new Float32Array([1.5, -2]) };
    const a = encodeSafetensors([['w', t]], { created: '2020-01-01T00:00:00.000Z' });
    const b = encodeSafetensors([['w', t]], { created: '2026-12-07T23:59:59.999Z', other: 'x' });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    expect(Array.from(safetensorsData(a))).toEqual(Array.from(new Uint8Array(t.data.buffer)));
    expect(Array.from(safetensorsData(b))).toEqual(Array.from(safetensorsData(a)));
    expect(() => safetensorsData(a.subarray(0, 5))).toThrow(/shorter/);
    expect(() => safetensorsData(a.subarray(0, 12))).toThrow(/past the end/);
  });
});
