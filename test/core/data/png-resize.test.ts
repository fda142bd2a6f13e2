import { describe, expect, it } from 'vitest';
import type { DecodedImage } from '../../../src/core/data/png';
import { resizeImage, sourceWindow } from '../../../src/core/data/resize';
import { Rng } from '../../../src/core/rng';

function image(width: number, height: number, channels: 1 | 3 | 4, f: (x: number, y: number, c: number) => number): DecodedImage {
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) for (let c = 0; c < channels; c++) data[(y * width + x) * channels + c] = f(x, y, c);
  return { width, height, channels, data };
}

describe('resizeImage', () => {
  it('a constant image stays constant at every size, up or down, any aspect', () => {
    for (const [w, h] of [
      [1, 1],
      [7, 3],
      [32, 32],
      [100, 37],
      [20, 250],
      [33, 31],
    ]) {
      const img = image(w, h, 3, (_x, _y, c) => [12, 200, 77][c]);
      for (const t of [
        { height: 32, width: 32, channels: 3 as const },
        { height: 28, width: 28, channels: 3 as const },
        { height: 5, width: 9, channels: 3 as const },
      ]) {
        const out = resizeImage(img, t);
        expect(out.length).toBe(t.height * t.width * 3);
        expect(out.every((v, i) => v === [12, 200, 77][i % 3])).toBe(true);
      }
    }
  });

  it('identity at the target size', () => {
    const rng = new Rng(3);
    const img = image(32, 32, 3, () => rng.int(256));
    expect(resizeImage(img, { height: 32, width: 32, channels: 3 })).toEqual(img.data);
  });

  it('a 2× reduction averages 2×2 blocks (area filter)', () => {
    const rng = new Rng(4);
    const img = image(64, 64, 1, () => rng.int(256));
    const out = resizeImage(img, { height: 32, width: 32, channels: 1 });
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        const d = img.data;
        const s = d[2 * y * 64 + 2 * x] + d[2 * y * 64 + 2 * x + 1] + d[(2 * y + 1) * 64 + 2 * x] + d[(2 * y + 1) * 64 + 2 * x + 1];
        expect(out[y * 32 + x]).toBe(Math.round(s / 4));
      }
    }
  });

  it('a non-integer reduction covers pixels in proportion (3 → 2: the middle pixel is shared)', () => {
    const img = image(3, 1, 1, (x) => [0, 90, 180][x]);
    // shorter side 1 → 1 row; width 3 → 2 would need the image to cover 2:1, so use stretch to test the filter
    expect(Array.from(resizeImage(img, { height: 1, width: 2, channels: 1 }, { fit: 'stretch' }))).toEqual([30, 150]);
  });

  it('the shorter side is scaled to the target, then the centre is cropped (like Resize + CenterCrop)', () => {
    // 128 wide × 64 high: left quarter red, middle half green, right quarter blue → 32×32 keeps only the green half
    const img = image(128, 64, 3, (x, _y, c) => (x < 32 ? [255, 0, 0] : x < 96 ? [0, 255, 0] : [0, 0, 255])[c]);
    const out = resizeImage(img, { height: 32, width: 32, channels: 3 });
    for (let i = 0; i < out.length; i += 3) expect([out[i], out[i + 1], out[i + 2]]).toEqual([0, 255, 0]);
    expect(sourceWindow(128, 64, { height: 32, width: 32 })).toEqual({ x0: 32, y0: 0, width: 64, height: 64 });
    expect(sourceWindow(30, 90, { height: 32, width: 32 })).toEqual({ x0: 0, y0: 30, width: 30, height: 30 });
    // stretch keeps everything: the left and right columns carry red / blue
    const st = resizeImage(img, { height: 32, width: 32, channels: 3 }, { fit: 'stretch' });
    expect([st[0], st[1], st[2]]).toEqual([255, 0, 0]);
    expect([st[31 * 3], st[31 * 3 + 1], st[31 * 3 + 2]]).toEqual([0, 0, 255]);
  });

  it('enlarging is bilinear with half-pixel centres and clamped edges', () => {
    const img = image(2, 2, 1, (x) => [0, 255][x]);
    const out = resizeImage(img, { height: 4, width: 4, channels: 1 });
    for (let y = 0; y < 4; y++) expect(Array.from(out.subarray(y * 4, y * 4 + 4))).toEqual([0, 64, 191, 255]);
  });

  it('channel conversion: BT.601 luma, grey replicated, alpha over black', () => {
    const t1 = { height: 1, width: 1, channels: 1 as const };
    const t3 = { height: 1, width: 1, channels: 3 as const };
    const px = (c: number[], ch: 1 | 3 | 4) => ({ width: 1, height: 1, channels: ch, data: Uint8Array.from(c) });
    expect(resizeImage(px([255, 0, 0], 3), t1)[0]).toBe(76); // 0.299·255
    expect(resizeImage(px([0, 255, 0], 3), t1)[0]).toBe(150); // 0.587·255
    expect(resizeImage(px([0, 0, 255], 3), t1)[0]).toBe(29); // 0.114·255
    expect(resizeImage(px([255, 255, 255], 3), t1)[0]).toBe(255);
    expect(Array.from(resizeImage(px([99], 1), t3))).toEqual([99, 99, 99]);
    expect(Array.from(resizeImage(px([200, 100, 50, 0], 4), t3))).toEqual([0, 0, 0]); // transparent → black
    expect(Array.from(resizeImage(px([200, 100, 50, 255], 4), t3))).toEqual([200, 100, 50]);
    expect(Array.from(resizeImage(px([200, 100, 50, 51], 4), t3))).toEqual([40, 20, 10]); // a = 0.2
    expect(resizeImage(px([200, 100, 50, 51], 4), t1)[0]).toBe(Math.round(0.2 * (0.299 * 200 + 0.587 * 100 + 0.114 * 50)));
  });

  it('writes into a shared buffer at an offset; rejects inconsistent input', () => {
    const out = new Uint8Array(10).fill(7);
    resizeImage(
      { width: 2, height: 2, channels: 1, data: Uint8Array.from([10, 20, 30, 40]) },
      { height: 1, width: 1, channels: 3 },
      { out, offset: 4 },
    );
    expect(Array.from(out)).toEqual([7, 7, 7, 7, 25, 25, 25, 7, 7, 7]);
    expect(() => resizeImage({ width: 4, height: 4, channels: 3, data: new Uint8Array(10) }, { height: 2, width: 2, channels: 3 })).toThrow(
      /10 bytes for 4×4×3/,
    );
  });
});
