import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { loadDatasetFile } from '../../../src/core/data/node-load';
import { assertLoaded, capPerClass, makeLongTail } from '../../../src/core/data/longtail';
import {
  assembleParts,
  decodePart,
  drawSettingsOf,
  encodeParts,
  fromRanges,
  neededRanks,
  parseManifest,
  partNameMatches,
  partsFor,
  toRanges,
  type DrawSettings,
  type PartsManifest,
} from '../../../src/core/data/pack-parts';
import type { Dataset, ImageSet } from '../../../src/core/data/types';
import { Trainer } from '../../../src/core/train/trainer';
import { Rng } from '../../../src/core/rng';
import { FIRST_DRAWS } from '../../../tools/vite/pack-parts';
import { PLAYGROUND_DEFAULTS } from '../../../src/state/settings/settings';
import { FIRST_VISIT_DATA } from '../../../src/core/data/first-visit-data';
import { tinyTrainConfig } from '../../helpers/tiny-trainer';

const img = (s: ImageSet, i: number) => {
  const px = s.height * s.width * s.channels;
  return Buffer.from(s.images.subarray(i * px, (i + 1) * px)).toString('base64');
};

/** The first `n` images of class c in set order. */
function perClass(s: ImageSet, c: number, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.labels.length && out.length < n; i++) if (s.labels[i] === c) out.push(img(s, i));
  return out;
}

/** A shuffled set of random 8×8 images with the given class sizes (every image distinct). */
function randomSet(name: string, counts: number[], rng: Rng): ImageSet {
  const px = 64;
  const labels = rng.shuffle(counts.flatMap((n, c) => new Array<number>(n).fill(c)));
  const images = new Uint8Array(labels.length * px);
  for (let i = 0; i < images.length; i++) images[i] = Math.floor(rng.next() * 256);
  return {
    name,
    height: 8,
    width: 8,
    channels: 1,
    numClasses: counts.length,
    classNames: counts.map((_, c) => `class ${c}`),
    images,
    labels: Uint16Array.from(labels),
  };
}

function smallDataset(): Dataset {
  const rng = new Rng(11);
  return {
    meta: { id: 'tiny', title: 'Tiny random', mean: [0.5], std: [0.25], hflip: false, cropPad: 2, licence: 'test' },
    pool: randomSet('tiny pool', [300, 260, 120, 70, 40], rng),
    test: randomSet('tiny test', [30, 30, 30, 30, 30], rng),
  };
}

/** The data set a loader hands the trainer for `s`: the parts partsFor names, assembled. */
function load(m: PartsManifest, parts: Dataset[], s: DrawSettings, only?: number[]): { ds: Dataset; used: number[] } {
  const used = only ?? partsFor(m, neededRanks(m, s));
  return { ds: assembleParts(m, new Map(used.map((k) => [k, parts[k]] as const)), s), used };
}

/** The draw and test images of `s` on the whole set and on `ds` are the same images in the same order. */
function expectSameRun(whole: Dataset, ds: Dataset, s: DrawSettings): void {
  const opts = { seed: s.seed, imbalance: s.imbalance, profile: s.profile, stepMu: s.stepMu };
  const a = capPerClass(whole, s.headImages);
  const b = capPerClass(ds, s.headImages);
  const sa = makeLongTail(a.pool, opts);
  const sb = makeLongTail(b.pool, opts);
  expect(sb.counts).toEqual(sa.counts);
  expect(Array.from(sb.labels)).toEqual(Array.from(sa.labels));
  assertLoaded(b.pool, sb.indices, 'drawn images');
  for (let i = 0; i < sa.indices.length; i++) expect(img(b.pool, sb.indices[i])).toBe(img(a.pool, sa.indices[i]));
  for (let c = 0; c < whole.test.numClasses; c++)
    expect(perClass(ds.test, c, s.evalPerClass ?? 1e9)).toEqual(perClass(whole.test, c, s.evalPerClass ?? 1e9));
}

describe('the embedded pack in parts (the images a run draws)', () => {
  const whole = smallDataset();
  const first: DrawSettings = { seed: 3, imbalance: 10, profile: 'exp', stepMu: 0.5, headImages: 200, evalPerClass: 10 };
  const bounds = { poolRanks: [0, 20, 200, 280], testRanks: [0, 10, 20, 25] };
  const { manifest, files } = encodeParts(whole, 'tiny', 'tiny.ltpg', [first, { ...first, headImages: 100 }], bounds);
  const m = parseManifest(JSON.stringify(manifest), 'm.json');
  const parts = m.parts.map((p, k) => decodePart(m, k, files.get(p.file)!));

  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('records per part and class which ranks it holds; all parts together hold every image once', () => {
    expect(toRanges([0, 1, 2, 5, 7, 8])).toEqual([0, 3, 5, 6, 7, 9]);
    expect(fromRanges([0, 3, 5, 6, 7, 9])).toEqual([0, 1, 2, 5, 7, 8]);
    expect(m.poolCounts).toEqual([300, 260, 120, 70, 40]);
    for (let c = 0; c < 5; c++) {
      const pool = m.parts.flatMap((p) => fromRanges(p.pool[c])).sort((a, b) => a - b);
      expect(pool).toEqual(Array.from({ length: m.poolCounts[c] }, (_, r) => r));
      const test = m.parts.flatMap((p) => fromRanges(p.test[c])).sort((a, b) => a - b);
      expect(test).toEqual(Array.from({ length: 30 }, (_, r) => r));
    }
    for (const p of m.parts) expect(p.file).toMatch(/^tiny\.p\d\.[0-9a-f]{8}\.ltpg$/);
    const all = load(m, parts, { ...first, headImages: null, evalPerClass: null }, [0, 1, 2, 3]).ds;
    expect(all.pool.loaded).toBeUndefined();
    for (let c = 0; c < 5; c++) {
      expect(perClass(all.pool, c, 1e9)).toEqual(perClass(whole.pool, c, 1e9));
      expect(perClass(all.test, c, 1e9)).toEqual(perClass(whole.test, c, 1e9));
    }
  });

  it('the first-visit draw (and the same draw at a smaller head-class size) needs only part 0; other settings fetch more', () => {
    const cases: [DrawSettings, number[]][] = [
      [first, [0]],
      [{ ...first, headImages: 100 }, [0]],
      [{ ...first, headImages: 20 }, [0]], // dense ranks < 20
      [{ ...first, imbalance: 50 }, [0]], // a larger IF keeps a per-class prefix of the same shuffle
      [{ ...first, evalPerClass: 5 }, [0]],
      [{ ...first, seed: 4 }, [0, 1]],
      [{ ...first, headImages: 150 }, [0, 1]],
      [{ ...first, imbalance: 5 }, [0, 1]],
      [{ ...first, evalPerClass: 15 }, [0, 1]],
      [{ ...first, evalPerClass: null }, [0, 1, 2, 3]],
      [{ ...first, headImages: null }, [0, 1, 2, 3]],
      [{ ...first, profile: 'step', stepMu: 0.8, headImages: 250 }, [0, 1, 2]],
      [{ ...first, profile: 'asis', headImages: 100 }, [0, 1]],
    ];
    for (const [s, want] of cases) {
      const { ds, used } = load(m, parts, s);
      expect(`${JSON.stringify(s)} → ${used.join(',')}`).toBe(`${JSON.stringify(s)} → ${want.join(',')}`);
      expectSameRun(whole, ds, s);
    }
    // a draw the pool cannot serve (IF 2 wants 141 images of a class of 120) fetches no pool part: the draw's error,
    // word for word as on the whole set
    const { ds, used } = load(m, parts, { ...first, imbalance: 2 });
    expect(used).toEqual([0]);
    const draw = (d: Dataset) => () => makeLongTail(capPerClass(d, 200).pool, { seed: 3, imbalance: 2, profile: 'exp' });
    const message =
      'tiny pool (≤ 200 per class): exponential profile at IF 2 with n_max 200 needs 141 images of class 2 ("class 2"), the pool holds 120';
    expect(draw(ds)).toThrow(message);
    expect(draw(whole)).toThrow(message);
  });

  it('a pool without the parts a draw needs has blank, marked images: the draw and the trainer refuse them', () => {
    const s = { ...first, seed: 4 };
    const { ds } = load(m, parts, s, [0]);
    expect(ds.pool.loaded).toBeDefined();
    const sub = makeLongTail(ds.pool, { seed: 4, imbalance: first.imbalance, profile: 'exp' });
    expect(() => assertLoaded(ds.pool, sub.indices, 'drawn images')).toThrow(/not loaded .*part of the data pack was not fetched/);
    // capPerClass keeps the marks with the images it keeps
    const capped = capPerClass(ds, 50);
    expect(Array.from(capped.pool.loaded!).some((v) => v === 0)).toBe(true);
    const cfg = (over: Partial<DrawSettings>) => tinyTrainConfig({ ...first, dataset: 'tiny', ...over });
    expect(() => new Trainer(ds, cfg({ seed: 4 }))).toThrow(/not loaded/);
    // the draw it was assembled for trains, on the same images as the whole set
    const ok = load(m, parts, first).ds;
    const t = new Trainer(ok, cfg({}));
    const u = new Trainer(whole, cfg({}));
    expect(t.subset.counts).toEqual(u.subset.counts);
    for (let i = 0; i < t.subset.indices.length; i++)
      expect(img(t.dataset.pool, t.subset.indices[i])).toBe(img(u.dataset.pool, u.subset.indices[i]));
    t.dispose();
    u.dispose();
    // test images of a part not given are an error, not blank images
    expect(() => assembleParts(m, new Map([[0, parts[0]]]), { headImages: 100, evalPerClass: 15 })).toThrow(/test images .* not loaded/);
  });

  it('refuses a bad manifest and a part that does not match it', () => {
    expect(() => parseManifest('{"format":"x"}', 'm.json')).toThrow(/not a pack-parts manifest/);
    expect(() => parseManifest(JSON.stringify({ ...manifest, version: 1 }), 'm.json')).toThrow(/version 2/);
    const bad = { ...manifest, parts: [{ ...manifest.parts[0], file: '../x' }] };
    expect(() => parseManifest(JSON.stringify(bad), 'm.json')).toThrow(/bad part/);
    const unsorted = { ...manifest, parts: [{ ...manifest.parts[0], pool: manifest.parts[0].pool.map(() => [5, 3]) }] };
    expect(() => parseManifest(JSON.stringify(unsorted), 'm.json')).toThrow(/bad part/);
    expect(() => decodePart(m, 1, files.get(m.parts[0].file)!)).toThrow(/do not match the manifest/);
    // a part's name carries the hash of its bytes
    expect(partNameMatches(m.parts[0].file, files.get(m.parts[0].file)!)).toBe(true);
    expect(partNameMatches(m.parts[0].file, files.get(m.parts[1].file)!)).toBe(false);
    expect(partNameMatches('../x', files.get(m.parts[0].file)!)).toBe(false);
  });
});

describe('the real pack', () => {
  it('the first-visit defaults need only part 0 (≤ 3 MB with the manifest) and draw the same images as the whole pack', async () => {
    // the build cuts part 0 for the app's own defaults
    const d = PLAYGROUND_DEFAULTS.config;
    const defaults = drawSettingsOf(d);
    expect(FIRST_DRAWS[0]).toEqual(defaults);
    expect(defaults).toEqual({ ...FIRST_VISIT_DATA });
    const whole = await loadDatasetFile();
    const { manifest, files } = encodeParts(whole, 'fmnist-lt', 'fmnist-lt.ltpg', FIRST_DRAWS);
    const m = parseManifest(JSON.stringify(manifest), 'm.json');
    const sizes = m.parts.map((p) => p.bytes);
    const manifestBytes = JSON.stringify(manifest).length;
    console.log(`[pack-parts] part sizes: ${sizes.join(', ')} bytes; manifest ${manifestBytes} bytes`);
    const need = (over: Partial<DrawSettings>) => partsFor(m, neededRanks(m, { ...defaults, ...over }));
    expect(need({})).toEqual([0]);
    expect(manifestBytes + sizes[0]).toBeLessThan(3_000_000);
    for (const headImages of [500, 200, 100, 50, 20]) expect(need({ headImages })).toEqual([0]);
    expect(need({ imbalance: 200 })).toEqual([0]);
    expect(need({ seed: 2 })).toEqual([0, 1]);
    expect(need({ imbalance: 10 })).toEqual([0, 1]);
    expect(need({ headImages: 2000 })).toEqual([0, 1, 2]);
    expect(need({ headImages: null })).toEqual([0, 1, 2, 3]);
    const parts = m.parts.map((p, k) => decodePart(m, k, files.get(p.file)!));
    for (const s of [defaults, { ...defaults, seed: 2 }]) expectSameRun(whole, load(m, parts, s).ds, s);
  }, 120_000);
});
