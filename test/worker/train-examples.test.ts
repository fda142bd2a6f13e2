import { describe, expect, it } from 'vitest';
import { makeLongTail } from '../../src/core/data/longtail';
import { GALLERY_ALL_UP_TO, classTrainExamples } from '../../src/worker/examples';
import { tinyDataset } from '../helpers/tiny-dataset';

const ds = tinyDataset({ classes: 4, poolPerClass: 300, testPerClass: 5, channels: 3 });
const subset = makeLongTail(ds.pool, { imbalance: 30, profile: 'exp', seed: 3 });
const px = ds.pool.height * ds.pool.width * ds.pool.channels;

describe('classTrainExamples (dataset gallery)', () => {
  it('returns every training image of a tail class, exactly the subset’s images with their pixels', () => {
    const tail = subset.counts.indexOf(Math.min(...subset.counts));
    expect(subset.counts[tail]).toBeLessThanOrEqual(GALLERY_ALL_UP_TO);
    const r = classTrainExamples(subset, ds.pool, { cls: tail });
    expect(r.sampled).toBe(false);
    expect(r.classTotal).toBe(subset.counts[tail]);
    expect(r.examples).toHaveLength(subset.counts[tail]);
    const expected = Array.from(subset.indices).filter((_, i) => subset.labels[i] === tail);
    expect(r.examples.map((e) => e.index)).toEqual(expected);
    for (const e of r.examples) {
      expect(ds.pool.labels[e.index]).toBe(tail);
      expect(Array.from(e.pixels)).toEqual(Array.from(ds.pool.images.subarray(e.index * px, (e.index + 1) * px)));
    }
    expect([r.height, r.width, r.channels]).toEqual([ds.pool.height, ds.pool.width, 3]);
  });

  it('samples a head class evenly (distinct images of that class, deterministic)', () => {
    const head = subset.counts.indexOf(Math.max(...subset.counts));
    expect(subset.counts[head]).toBeGreaterThan(GALLERY_ALL_UP_TO);
    const r = classTrainExamples(subset, ds.pool, { cls: head, limit: 25 });
    expect(r.sampled).toBe(true);
    expect(r.classTotal).toBe(subset.counts[head]);
    expect(r.examples).toHaveLength(25);
    expect(new Set(r.examples.map((e) => e.index)).size).toBe(25);
    for (const e of r.examples) expect(ds.pool.labels[e.index]).toBe(head);
    expect(classTrainExamples(subset, ds.pool, { cls: head, limit: 25 }).examples.map((e) => e.index)).toEqual(
      r.examples.map((e) => e.index),
    );
    expect(classTrainExamples(subset, ds.pool, { cls: head }).examples).toHaveLength(60);
  });

  it('refuses a class index or limit that does not fit, naming it', () => {
    expect(() => classTrainExamples(subset, ds.pool, { cls: 4 })).toThrow(/cls must be a class index from 0 to 3 \(got 4\)/);
    expect(() => classTrainExamples(subset, ds.pool, { cls: -1 })).toThrow(/got -1/);
    expect(() => classTrainExamples(subset, ds.pool, { cls: 0, limit: 0 })).toThrow(/limit must be a number ≥ 1/);
  });
});
