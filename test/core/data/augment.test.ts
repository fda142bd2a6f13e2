import { describe, expect, it } from 'vitest';
import { makeBatch, batchLabels } from '../../../src/core/data/augment';
import { Rng } from '../../../src/core/rng';
import type { DatasetMeta, ImageSet } from '../../../src/core/data/types';
import { syntheticSet } from './helpers';

const meta3: DatasetMeta = {
  id: 't',
  title: 't',
  mean: [0.4914, 0.4822, 0.4465],
  std: [0.2023, 0.1994, 0.201],
  hflip: true,
  cropPad: 4,
  licence: '',
};
const meta1: DatasetMeta = { id: 'f', title: 'f', mean: [0.286], std: [0.353], hflip: true, cropPad: 2, licence: '' };
const rgb = syntheticSet([10, 10], { height: 8, width: 6, channels: 3 }, 11, 'rgb');
const grey = syntheticSet([10, 10], { height: 28, width: 28, channels: 1 }, 12, 'grey');

/** Reference: output(y,x,c) = norm(padded(y+dy, x'+dx)) where x' = flip ? W-1-x : x; zero pad before normalising. */
function reference(set: ImageSet, idx: number, meta: DatasetMeta, dy: number, dx: number, flip: boolean): Float64Array {
  const { height: H, width: W, channels: C } = set;
  const out = new Float64Array(H * W * C);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      for (let c = 0; c < C; c++) {
        const sy = y + dy;
        const sx = (flip ? W - 1 - x : x) + dx;
        const v = sy >= 0 && sy < H && sx >= 0 && sx < W ? set.images[((idx * H + sy) * W + sx) * C + c] : 0;
        out[(y * W + x) * C + c] = (v / 255 - meta.mean[c]) / meta.std[c];
      }
  return out;
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) > tol) return false;
  return true;
}

/** Finds the (dy, dx, flip) that explains one augmented image. */
function explain(set: ImageSet, idx: number, meta: DatasetMeta, got: ArrayLike<number>, pad: number) {
  const found: { dy: number; dx: number; flip: boolean }[] = [];
  for (let dy = -pad - 2; dy <= pad + 2; dy++)
    for (let dx = -pad - 2; dx <= pad + 2; dx++)
      for (const flip of [false, true]) if (close(got, reference(set, idx, meta, dy, dx, flip))) found.push({ dy, dx, flip });
  return found;
}

describe('makeBatch', () => {
  it('without augmentation equals ((px/255) − mean)/std, NHWC, per channel', () => {
    const idx = [3, 0, 19, 3];
    for (const [set, meta] of [
      [rgb, meta3],
      [grey, meta1],
    ] as const) {
      const out = makeBatch(set, idx, meta, { augment: false, rng: new Rng(1) });
      const img = set.height * set.width * set.channels;
      expect(out.length).toBe(idx.length * img);
      idx.forEach((i, b) => expect(close(out.subarray(b * img, (b + 1) * img), reference(set, i, meta, 0, 0, false))).toBe(true));
      // spot check one value by hand
      const c = set.channels - 1;
      const v = set.images[19 * img + c];
      expect(out[2 * img + c]).toBeCloseTo((v / 255 - meta.mean[c]) / meta.std[c], 5);
    }
  });

  it('crops within the zero padding and flips; every shift in [−pad, pad] occurs', () => {
    const rng = new Rng(5);
    const idx = Array.from({ length: 300 }, (_, k) => k % 20);
    const out = makeBatch(rgb, idx, { ...meta3, cropPad: 2 }, { augment: true, rng });
    const img = rgb.height * rgb.width * 3;
    const dys = new Set<number>();
    const dxs = new Set<number>();
    let flips = 0;
    idx.forEach((i, b) => {
      const found = explain(rgb, i, meta3, out.subarray(b * img, (b + 1) * img), 2);
      expect(found.length).toBe(1);
      const { dy, dx, flip } = found[0];
      expect(Math.abs(dy)).toBeLessThanOrEqual(2);
      expect(Math.abs(dx)).toBeLessThanOrEqual(2);
      dys.add(dy);
      dxs.add(dx);
      if (flip) flips++;
    });
    expect([...dys].sort()).toEqual([-1, -2, 0, 1, 2].sort());
    expect([...dxs].sort()).toEqual([-1, -2, 0, 1, 2].sort());
    expect(Math.abs(flips / 300 - 0.5)).toBeLessThan(5 * Math.sqrt(0.25 / 300));
  });

  it('the padded border normalises pixel value 0 (−mean/std)', () => {
    // find an image shifted by the full pad and check its first row is the pad value
    const out = makeBatch(grey, new Array(50).fill(0), meta1, { augment: true, hflip: false, rng: new Rng(3) });
    const img = 28 * 28;
    let seen = 0;
    for (let b = 0; b < 50; b++) {
      const f = explain(grey, 0, meta1, out.subarray(b * img, (b + 1) * img), 2);
      expect(f.length).toBe(1);
      expect(f[0].flip).toBe(false);
      if (f[0].dy === -2) {
        seen++;
        for (let x = 0; x < 28 * 2; x++) expect(out[b * img + x]).toBeCloseTo(-0.286 / 0.353, 5);
      }
    }
    expect(seen).toBeGreaterThan(0);
  });

  it('flip only mirrors (pad 0), and hflip false never flips', () => {
    const m0 = { ...meta1, cropPad: 0 };
    const out = makeBatch(grey, [4, 4, 4, 4, 4, 4, 4, 4], m0, { augment: true, rng: new Rng(9) });
    const img = 28 * 28;
    let flipped = 0;
    for (let b = 0; b < 8; b++) {
      const got = out.subarray(b * img, (b + 1) * img);
      const plain = close(got, reference(grey, 4, m0, 0, 0, false));
      const mirror = close(got, reference(grey, 4, m0, 0, 0, true));
      expect(plain !== mirror).toBe(true);
      if (mirror) {
        flipped++;
        for (let y = 0; y < 28; y++) expect(got[y * 28]).toBeCloseTo((grey.images[4 * img + y * 28 + 27] / 255 - 0.286) / 0.353, 5);
      }
    }
    expect(flipped).toBeGreaterThan(0);
    expect(flipped).toBeLessThan(8);
    const noFlip = makeBatch(grey, new Array(40).fill(4), { ...m0, hflip: false }, { augment: true, rng: new Rng(9) });
    for (let b = 0; b < 40; b++) expect(close(noFlip.subarray(b * img, (b + 1) * img), reference(grey, 4, m0, 0, 0, false))).toBe(true);
  });

  it('is seeded, reuses the output buffer, and validates indices', () => {
    const idx = [1, 2, 3, 4, 5];
    const a = makeBatch(rgb, idx, meta3, { augment: true, rng: new Rng(42) });
    const b = makeBatch(rgb, idx, meta3, { augment: true, rng: new Rng(42) });
    const c = makeBatch(rgb, idx, meta3, { augment: true, rng: new Rng(43) });
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    const buf = new Float32Array(a.length);
    expect(makeBatch(rgb, idx, meta3, { augment: true, rng: new Rng(42) }, buf)).toBe(buf);
    expect(Array.from(buf)).toEqual(Array.from(a));
    const big = new Float32Array(a.length + 100);
    const view = makeBatch(rgb, idx, meta3, { augment: true, rng: new Rng(42) }, big);
    expect(view.buffer).toBe(big.buffer);
    expect(Array.from(view)).toEqual(Array.from(a));
    expect(() => makeBatch(rgb, idx, meta3, { augment: false, rng: new Rng(1) }, new Float32Array(3))).toThrow(/holds 3 floats/);
    expect(() => makeBatch(rgb, [20], meta3, { augment: false, rng: new Rng(1) })).toThrow(/index 20 is outside 0\.\.19/);
    expect(() => makeBatch(rgb, [0], meta1, { augment: false, rng: new Rng(1) })).not.toThrow(); // 1-entry mean broadcasts
    expect(() => makeBatch(rgb, [0], { ...meta3, mean: [0, 0] }, { augment: false, rng: new Rng(1) })).toThrow(/2 entries for 3 channels/);
    expect(Array.from(batchLabels(rgb, [0, 19]))).toEqual([rgb.labels[0], rgb.labels[19]]);
  });
});
