import { describe, expect, it } from 'vitest';
import { loadDatasetFile } from '../../../src/core/data/node-load';
import { capPerClass, makeLongTail } from '../../../src/core/data/longtail';
import { decodePart, encodeParts, joinParts, parseManifest, partsNeeded } from '../../../src/core/data/pack-parts';
import type { Dataset, ImageSet } from '../../../src/core/data/types';

/** Images of class c in set order, as one string per image (to compare orders). */
function perClass(s: ImageSet, c: number, first: number): string[] {
  const px = s.height * s.width * s.channels;
  const out: string[] = [];
  for (let i = 0; i < s.labels.length && out.length < first; i++)
    if (s.labels[i] === c) out.push(Buffer.from(s.images.subarray(i * px, (i + 1) * px)).toString('base64'));
  return out;
}

describe('the embedded pack in parts (a prefix per setting)', () => {
  let whole: Dataset;
  let parts: Dataset[];
  let sizes: number[];
  it('splits the real pack; the default run needs a prefix of a quarter of it', async () => {
    whole = await loadDatasetFile();
    const { manifest, files } = encodeParts(whole, 'fmnist-lt', 'fmnist-lt.ltpg');
    const m = parseManifest(JSON.stringify(manifest), 'm.json');
    sizes = m.parts.map((p) => p.bytes);
    parts = m.parts.map((p) => decodePart(files.get(p.file)!, p.file));
    console.log(`[pack-parts] part sizes: ${sizes.join(', ')} bytes`);
    const k = partsNeeded(m, 1000, 50); // the first-visit defaults
    expect(k).toBe(2);
    // 1000 images per class (all of them can be drawn) and 100 test images per class: 4.46 MB of 18.1 MB here
    const prefix = sizes.slice(0, k).reduce((a, b) => a + b, 0);
    const total = sizes.reduce((a, b) => a + b, 0);
    console.log(`[pack-parts] the default run fetches ${prefix} of ${total} bytes`);
    expect(prefix / total).toBeLessThan(0.26);
    expect(sizes[0]).toBeLessThan(1_000_000); // head-class sizes up to 100
    expect(partsNeeded(m, 100, 20)).toBe(1);
    expect(partsNeeded(m, 1001, 50)).toBe(3);
    expect(partsNeeded(m, 1000, null)).toBe(4);
    expect(partsNeeded(m, null, 50)).toBe(4);
    expect(() => parseManifest('{"format":"x"}', 'm.json')).toThrow(/not a pack-parts manifest/);
    expect(() => parseManifest(JSON.stringify({ ...manifest, parts: [{ file: '../x', bytes: 1 }] }), 'm.json')).toThrow(/bad part/);
  }, 120_000);

  it('all parts joined hold every image; a prefix keeps each class in its own order, so the same subset is drawn', () => {
    const all = joinParts(parts);
    expect(all.pool.labels.length).toBe(whole.pool.labels.length);
    expect(all.test.labels.length).toBe(whole.test.labels.length);
    const prefix = joinParts(parts.slice(0, 2));
    for (const c of [0, 5, 9]) {
      expect(perClass(prefix.pool, c, 1000)).toEqual(perClass(whole.pool, c, 1000));
      expect(perClass(prefix.test, c, 50)).toEqual(perClass(whole.test, c, 50));
      expect(perClass(all.pool, c, 1e9)).toEqual(perClass(whole.pool, c, 1e9));
    }
    // the default long-tail subset drawn from the prefix is the same images as from the whole pack
    const opts = { imbalance: 100, profile: 'exp' as const, seed: 0 };
    const a = capPerClass(prefix, 1000);
    const b = capPerClass(whole, 1000);
    const sa = makeLongTail(a.pool, opts);
    const sb = makeLongTail(b.pool, opts);
    expect(sa.counts).toEqual(sb.counts);
    const px = 28 * 28;
    const img = (s: ImageSet, i: number) => Buffer.from(s.images.subarray(i * px, (i + 1) * px)).toString('base64');
    for (let i = 0; i < sa.indices.length; i += 97) expect(img(a.pool, sa.indices[i])).toBe(img(b.pool, sb.indices[i]));
  });
});
