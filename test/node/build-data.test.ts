import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { buildPool, FMNIST_CLASSES, poolCounts, POOL_SEED } from '../../src/node/build-data';
import { imageSetFromIdx } from '../../src/core/data/idx';
import { classCounts } from '../../src/core/data/longtail';
import { decodePack } from '../../src/core/data/pack';
import { EMBEDDED_FILE_PATH } from '../../src/core/data/node-load';
import { syntheticSet } from '../core/data/helpers';

describe('build-data', () => {
  it('pool counts are max(exp IF10, step μ0.5 IF10) at n_max 5000', () => {
    expect(poolCounts()).toEqual([5000, 5000, 5000, 5000, 5000, 1391, 1077, 834, 645, 500]);
  });

  it('buildPool keeps the seeded per-class selection in original order', () => {
    const train = syntheticSet([30, 20, 10], { height: 2, width: 2, channels: 1 }, 5);
    const pool = buildPool(train, [10, 5, 10], 7);
    expect(classCounts(pool.labels, 3)).toEqual([10, 5, 10]);
    expect(Array.from(buildPool(train, [10, 5, 10], 7).images)).toEqual(Array.from(pool.images));
    expect(Array.from(buildPool(train, [10, 5, 10], 8).images)).not.toEqual(Array.from(pool.images));
    expect(() => buildPool(train, [10, 21, 1], 7)).toThrow(/class 1 has 20 training images, the pool needs 21/);
  });

  it('the CLI prints usage and exits 2 on a wrong flag', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/build-data.ts', '--nope'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown argument "--nope"/);
    expect(r.stderr).toMatch(/usage: npm run build:data -- \[--src DIR\] \[--out FILE\]/);
    const r2 = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/build-data.ts', '--src'], { encoding: 'utf8' });
    expect(r2.status).toBe(2);
    expect(r2.stderr).toMatch(/--src needs a value/);
  });

  const src = '/usr/share/datasets/fashion-mnist';
  it.runIf(existsSync(`${src}/train-images-idx3-ubyte.gz`))(
    'the shipped pool is exactly the documented selection of the official training set',
    () => {
      const read = (f: string) => new Uint8Array(readFileSync(`${src}/${f}`));
      const train = imageSetFromIdx(read('train-images-idx3-ubyte.gz'), read('train-labels-idx1-ubyte.gz'), {
        imagesFile: 'train-images',
        labelsFile: 'train-labels',
        classNames: FMNIST_CLASSES,
      });
      const expected = buildPool(train, poolCounts(), POOL_SEED);
      const { dataset, header } = decodePack(new Uint8Array(readFileSync(EMBEDDED_FILE_PATH)), 'fmnist-lt.ltpg');
      expect(header.extra?.poolSeed).toBe(POOL_SEED);
      expect(Buffer.compare(Buffer.from(dataset.pool.images), Buffer.from(expected.images))).toBe(0);
      expect(Buffer.compare(Buffer.from(dataset.pool.labels.buffer), Buffer.from(expected.labels.buffer))).toBe(0);
    },
  );
});
