import { describe, expect, it } from 'vitest';
import { unzlibSync, zlibSync } from 'fflate';
import { DataError } from '../../../src/core/data/errors';
import { crc32 } from '../../../src/core/data/gzip';
import {
  browserDecoder,
  decodePng,
  defaultDecoder,
  encodePng,
  pngChunk,
  pngDecoder,
  type PngEncodeInput,
} from '../../../src/core/data/png';
import { Rng } from '../../../src/core/rng';
import { thrown } from './helpers';

function randomSamples(n: number, max: number, seed: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => rng.int(max + 1));
}

/** Byte offset of the first chunk of `type`. */
function chunkAt(png: Uint8Array, type: string): number {
  let p = 8;
  while (p < png.length) {
    const len = new DataView(png.buffer, png.byteOffset).getUint32(p);
    if (String.fromCharCode(...png.subarray(p + 4, p + 8)) === type) return p;
    p += 12 + len;
  }
  throw new Error(`no ${type}`);
}

/** Sets byte `off` of the IHDR data and fixes the CRC. */
function patchIhdr(png: Uint8Array, off: number, value: number): Uint8Array {
  const out = png.slice();
  const p = chunkAt(out, 'IHDR');
  out[p + 8 + off] = value;
  new DataView(out.buffer).setUint32(p + 8 + 13, crc32(out.subarray(p + 4, p + 8 + 13)));
  return out;
}

/** Filter bytes of every row (to check the encoder wrote what the test asked for). */
function rowFilters(png: Uint8Array, height: number): number[] {
  const p = chunkAt(png, 'IDAT');
  const len = new DataView(png.buffer, png.byteOffset).getUint32(p);
  const raw = unzlibSync(png.subarray(p + 8, p + 8 + len));
  const stride = raw.length / height;
  return Array.from({ length: height }, (_, y) => raw[y * stride]);
}

const W = 13; // odd width: partial bytes at low bit depths, bpp edge handling
const H = 10; // two rows of each filter type
const filters = (row: number) => row % 5;
const to8 = (v: number) => Math.round((v * 255) / 65535);

describe('PNG decoder', () => {
  it('decodes an externally produced PNG (the classic 1×1 RGBA pixel, Sub filter)', () => {
    const b = Uint8Array.from(
      atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=='),
      (c) => c.charCodeAt(0),
    );
    expect(decodePng(b, 'dot.png')).toEqual({ width: 1, height: 1, channels: 4, data: Uint8Array.from([0, 0, 255, 127]) });
  });

  it('decodes hand-filtered rows (Sub, Up, Average, Paeth) to the values worked out by hand', () => {
    // 3×2 RGB; row 0 Sub, row 1 Paeth, then the same pixels with Up / Average on row 1
    const px = [10, 20, 30, 40, 50, 60, 70, 80, 90, /* row 1 */ 15, 25, 35, 45, 55, 65, 75, 85, 95];
    const row0Sub = [1, 10, 20, 30, 30, 30, 30, 30, 30, 30];
    const variants: [number, number[]][] = [
      [2, [5, 5, 5, 5, 5, 5, 5, 5, 5]], // Up: x - b
      // Average: x - floor((a + b) / 2), a = same channel of the left pixel in row 1, b = the byte above:
      // 15 - (0 + 10) / 2, …, 45 - floor((15 + 40) / 2) = 18, …
      [3, [10, 15, 20, 18, 18, 18, 18, 18, 18]],
      // Paeth: first pixel predicts b (a = c = 0); then e.g. a = 15, b = 40, c = 10: p = 45 is nearest b → 45 - 40
      [4, [5, 5, 5, 5, 5, 5, 5, 5, 5]],
    ];
    for (const [f, row1] of variants) {
      const raw = Uint8Array.from([...row0Sub, f, ...row1.map((v) => v & 0xff)]);
      const ihdr = Uint8Array.from([0, 0, 0, 3, 0, 0, 0, 2, 8, 2, 0, 0, 0]);
      const png = Uint8Array.from([
        0x89,
        0x50,
        0x4e,
        0x47,
        0x0d,
        0x0a,
        0x1a,
        0x0a,
        ...pngChunk('IHDR', ihdr),
        ...pngChunk('IDAT', zlibSync(raw)),
        ...pngChunk('IEND', new Uint8Array(0)),
      ]);
      expect(Array.from(decodePng(png, 'hand.png').data), `filter ${f}`).toEqual(px);
    }
  });

  const cases: { label: string; input: PngEncodeInput; expected: (d: ArrayLike<number>) => { channels: number; data: number[] } }[] = [];
  for (const depth of [1, 2, 4, 8, 16] as const) {
    const max = (1 << depth) - 1;
    const data = randomSamples(W * H, max, depth);
    cases.push({
      label: `grey ${depth}-bit`,
      input: { width: W, height: H, colorType: 0, bitDepth: depth, data },
      expected: (d) => ({ channels: 1, data: Array.from(d, (v) => (depth === 16 ? to8(v) : Math.round((v * 255) / max))) }),
    });
  }
  for (const depth of [8, 16] as const) {
    const max = (1 << depth) - 1;
    const conv = (v: number) => (depth === 16 ? to8(v) : v);
    cases.push({
      label: `RGB ${depth}-bit`,
      input: { width: W, height: H, colorType: 2, bitDepth: depth, data: randomSamples(W * H * 3, max, 20 + depth) },
      expected: (d) => ({ channels: 3, data: Array.from(d, conv) }),
    });
    cases.push({
      label: `RGBA ${depth}-bit`,
      input: { width: W, height: H, colorType: 6, bitDepth: depth, data: randomSamples(W * H * 4, max, 30 + depth) },
      expected: (d) => ({ channels: 4, data: Array.from(d, conv) }),
    });
    cases.push({
      label: `grey+alpha ${depth}-bit`,
      input: { width: W, height: H, colorType: 4, bitDepth: depth, data: randomSamples(W * H * 2, max, 40 + depth) },
      expected: (d) => {
        const out: number[] = [];
        for (let i = 0; i < d.length; i += 2) out.push(conv(d[i]), conv(d[i]), conv(d[i]), conv(d[i + 1]));
        return { channels: 4, data: out };
      },
    });
  }
  for (const depth of [1, 2, 4, 8] as const) {
    const entries = Math.min(1 << depth, 7);
    const palette = randomSamples(entries * 3, 255, 50 + depth);
    const data = randomSamples(W * H, entries - 1, 60 + depth);
    cases.push({
      label: `palette ${depth}-bit`,
      input: { width: W, height: H, colorType: 3, bitDepth: depth, data, palette },
      expected: (d) => ({ channels: 3, data: Array.from(d).flatMap((i) => palette.slice(i * 3, i * 3 + 3)) }),
    });
    // tRNS shorter than the palette: the remaining entries are opaque
    const trns = [0, 128].slice(0, Math.min(2, entries - 1));
    cases.push({
      label: `palette ${depth}-bit + tRNS`,
      input: { width: W, height: H, colorType: 3, bitDepth: depth, data, palette, trns },
      expected: (d) => ({
        channels: 4,
        data: Array.from(d).flatMap((i) => [...palette.slice(i * 3, i * 3 + 3), i < trns.length ? trns[i] : 255]),
      }),
    });
  }
  {
    const data = randomSamples(W * H, 3, 70).map((v) => v * 20000); // 16-bit grey with a colour key of 20000
    cases.push({
      label: 'grey 16-bit + tRNS colour key',
      input: { width: W, height: H, colorType: 0, bitDepth: 16, data, trns: [20000 >> 8, 20000 & 0xff] },
      expected: (d) => ({ channels: 4, data: Array.from(d).flatMap((v) => [to8(v), to8(v), to8(v), v === 20000 ? 0 : 255]) }),
    });
    const rgb = randomSamples(W * H, 1, 71).flatMap((v) => (v ? [1, 2, 3] : [9, 9, 9]));
    cases.push({
      label: 'RGB 8-bit + tRNS colour key',
      input: { width: W, height: H, colorType: 2, data: rgb, trns: [0, 1, 0, 2, 0, 3] },
      expected: (d) => {
        const out: number[] = [];
        for (let i = 0; i < d.length; i += 3) out.push(d[i], d[i + 1], d[i + 2], d[i] === 1 ? 0 : 255);
        return { channels: 4, data: out };
      },
    });
  }

  it.each(cases)('round-trips $label with all five filter types and split IDAT', ({ input, expected }) => {
    const png = encodePng(input, { filter: filters, idatChunks: 3 });
    expect(rowFilters(encodePng(input, { filter: filters }), H)).toEqual([0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
    const img = decodePng(png, 'x.png');
    const want = expected(input.data);
    expect(img.width).toBe(W);
    expect(img.height).toBe(H);
    expect(img.channels).toBe(want.channels);
    expect(Array.from(img.data)).toEqual(want.data);
  });

  it('pngDecoder is an async ImageDecoder; browserDecoder is unavailable in Node', async () => {
    const png = encodePng({ width: 2, height: 1, colorType: 2, data: [1, 2, 3, 4, 5, 6] });
    const img = await pngDecoder(png, 'a.png');
    expect(Array.from(img.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(browserDecoder()).toBeNull();
    expect(defaultDecoder()).toBe(pngDecoder);
    await expect(pngDecoder(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]), 'cat/1.jpg')).rejects.toThrow(
      'cat/1.jpg: JPEG image, not a PNG (only PNG can be decoded here)',
    );
  });

  describe('corrupt and unsupported files give a DataError naming the file', () => {
    const good = encodePng({ width: 8, height: 8, colorType: 2, data: randomSamples(192, 255, 9) }, { filter: 4 });
    const msg = (b: Uint8Array) => {
      const e = thrown(() => decodePng(b, 'pets/cat/bad.png'));
      expect(e).toBeInstanceOf(DataError);
      expect((e as DataError).file).toBe('pets/cat/bad.png');
      return e.message;
    };

    it('bad CRC', () => {
      const b = good.slice();
      b[chunkAt(b, 'IDAT') + 10] ^= 0x40;
      expect(msg(b)).toMatch(/^pets\/cat\/bad\.png: corrupt PNG \(CRC mismatch in chunk IDAT at byte \d+\)$/);
      const h = good.slice();
      h[16] ^= 1; // width byte of IHDR
      expect(msg(h)).toMatch(/CRC mismatch in chunk IHDR/);
    });

    it('truncated at any point', () => {
      expect(msg(good.subarray(0, 5))).toBe('pets/cat/bad.png: not a PNG image (missing the PNG signature)');
      for (let cut = 8; cut < good.length; cut += 7) expect(msg(good.subarray(0, cut))).toMatch(/truncated PNG/);
      expect(msg(good.subarray(0, good.length - 12))).toBe('pets/cat/bad.png: truncated PNG (the file ends before the IEND chunk)');
    });

    it('image data that inflates short, or cut inside the zlib stream', () => {
      const raw = new Uint8Array(7 * 25); // 7 of the 8 rows (1 filter byte + 24 bytes each)
      const short = [
        ...good.subarray(0, chunkAt(good, 'IDAT')),
        ...pngChunk('IDAT', zlibSync(raw)),
        ...pngChunk('IEND', new Uint8Array(0)),
      ];
      expect(msg(Uint8Array.from(short))).toMatch(/truncated PNG \(image data holds 175 of 200 bytes\)/);
      const z = zlibSync(Uint8Array.from(randomSamples(200, 255, 3), (v, i) => (i % 25 === 0 ? 0 : v)));
      const cut = [
        ...good.subarray(0, chunkAt(good, 'IDAT')),
        ...pngChunk('IDAT', z.subarray(0, z.length - 8)),
        ...pngChunk('IEND', new Uint8Array(0)),
      ];
      expect(msg(Uint8Array.from(cut))).toBe('pets/cat/bad.png: truncated PNG (the compressed image data ends early)');
    });

    it('Adam7 interlacing is rejected with a clear message', () => {
      expect(msg(patchIhdr(good, 12, 1))).toBe(
        'pets/cat/bad.png: interlaced (Adam7) PNG, which is not supported — re-save it without interlacing',
      );
    });

    it('invalid headers, filters, palette indices, sizes', () => {
      expect(msg(patchIhdr(good, 8, 3))).toMatch(/bit depth 3 is not allowed for RGB/);
      expect(msg(patchIhdr(good, 9, 5))).toMatch(/unknown colour type 5/);
      expect(msg(patchIhdr(good, 0, 0x40))).toMatch(/larger than the \d+ pixels this reader accepts/);
      const raw = new Uint8Array(8 * 25);
      raw[25] = 7;
      const badFilter = [
        ...good.subarray(0, chunkAt(good, 'IDAT')),
        ...pngChunk('IDAT', zlibSync(raw)),
        ...pngChunk('IEND', new Uint8Array(0)),
      ];
      expect(msg(Uint8Array.from(badFilter))).toMatch(/unknown filter type 7 on row 1/);
      const pal = encodePng({ width: 2, height: 1, colorType: 3, data: [0, 2], palette: [1, 2, 3, 4, 5, 6] });
      expect(msg(pal)).toMatch(/palette index 2 at \(1, 0\) beyond the 2-entry palette/);
      const noPlte = encodePng({ width: 2, height: 1, colorType: 3, data: [0, 0] });
      expect(msg(noPlte)).toMatch(/palette image without a PLTE chunk/);
      const unknownCritical = Uint8Array.from([
        ...good.subarray(0, chunkAt(good, 'IDAT')),
        ...pngChunk('ABCD', new Uint8Array(2)),
        ...good.subarray(chunkAt(good, 'IDAT')),
      ]);
      expect(msg(unknownCritical)).toMatch(/unknown critical chunk ABCD/);
      const ancillary = Uint8Array.from([
        ...good.subarray(0, chunkAt(good, 'IDAT')),
        ...pngChunk('tEXt', new TextEncoder().encode('Comment\0hi')),
        ...good.subarray(chunkAt(good, 'IDAT')),
      ]);
      expect(decodePng(ancillary, 'ok.png').data).toEqual(decodePng(good, 'ok.png').data);
    });

    it('other formats are named', () => {
      expect(msg(Uint8Array.from([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0, 0]))).toBe(
        'pets/cat/bad.png: GIF image, not a PNG (only PNG can be decoded here)',
      );
      expect(msg(new TextEncoder().encode('hello world'))).toBe('pets/cat/bad.png: not a PNG image (missing the PNG signature)');
    });
  });
});
