import { describe, expect, it } from 'vitest';
import { DataError } from '../../../src/core/data/errors';
import { encodeIdx, imageSetFromIdx, parseIdx, readIdxImages, readIdxLabels } from '../../../src/core/data/idx';
import { gzipBytes } from '../../../src/core/data/gzip';
import { thrown } from './helpers';

const N = 7;
const pixels = Uint8Array.from({ length: N * 28 * 28 }, (_, i) => (i * 31) % 256);
const labelBytes = Uint8Array.from([0, 1, 2, 9, 4, 5, 3]);

describe('IDX reader', () => {
  it('reads raw and gzip images and labels identically', () => {
    for (const gzip of [false, true]) {
      const img = readIdxImages(encodeIdx([N, 28, 28], pixels, { gzip }), 'x-images');
      expect([img.n, img.height, img.width, img.channels]).toEqual([N, 28, 28, 1]);
      expect(Array.from(img.images)).toEqual(Array.from(pixels));
      const lab = readIdxLabels(encodeIdx([N], labelBytes, { gzip }), 'x-labels', 10);
      expect(Array.from(lab)).toEqual(Array.from(labelBytes));
    }
  });

  it('builds an ImageSet and checks the counts agree', () => {
    const names = Array.from({ length: 10 }, (_, i) => `c${i}`);
    const set = imageSetFromIdx(encodeIdx([N, 28, 28], pixels, { gzip: true }), encodeIdx([N], labelBytes), {
      imagesFile: 'i.gz',
      labelsFile: 'l.gz',
      classNames: names,
    });
    expect(set.labels.length).toBe(N);
    expect(set.images.length).toBe(N * 784);
    const e = thrown(() =>
      imageSetFromIdx(encodeIdx([N, 28, 28], pixels), encodeIdx([N - 1], labelBytes.subarray(1)), {
        imagesFile: 'i.gz',
        labelsFile: 'l.gz',
        classNames: names,
      }),
    );
    expect(e).toBeInstanceOf(DataError);
    expect(e.message).toBe('l.gz: holds 6 labels but i.gz holds 7 images');
  });

  it('reports truncation with the header dims and the bytes held', () => {
    const raw = encodeIdx([60000, 28, 28], new Uint8Array(60000 * 784));
    const cut = raw.subarray(0, 16 + 1234);
    const e = thrown(() => readIdxImages(gzipBytes(cut), 'train-images-idx3-ubyte.gz'));
    expect(e).toBeInstanceOf(DataError);
    expect((e as DataError).file).toBe('train-images-idx3-ubyte.gz');
    expect(e.message).toBe('train-images-idx3-ubyte.gz: truncated — header says 60000×28×28 images (47040000 bytes), file holds 1234');
  });

  it('rejects a truncated or corrupted gzip stream', () => {
    const gz = encodeIdx([N, 28, 28], pixels, { gzip: true });
    expect(thrown(() => readIdxImages(gz.subarray(0, gz.length - 3), 'a.gz')).message).toMatch(/^a\.gz: .*(truncated|corrupt)/);
    expect(thrown(() => readIdxImages(gz.subarray(0, gz.length >> 1), 'a.gz')).message).toMatch(/^a\.gz: truncated/);
    const bad = gz.slice();
    bad[bad.length - 6] ^= 0x55; // CRC in the trailer
    expect(thrown(() => readIdxImages(bad, 'a.gz')).message).toMatch(/CRC/);
  });

  it('rejects foreign files, wrong dtypes, wrong dims, trailing bytes and bad labels', () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(thrown(() => parseIdx(png, 'p.png')).message).toBe('p.png: not an IDX file: magic starts 89 50, expected 00 00');
    const f32 = encodeIdx([2], Uint8Array.from([1, 2]));
    f32[2] = 0x0d;
    expect(thrown(() => parseIdx(f32, 'f')).message).toMatch(/unsupported IDX data type 0x0d \(float32\)/);
    expect(thrown(() => readIdxLabels(encodeIdx([N, 28, 28], pixels), 'l', 10)).message).toMatch(
      /expected 1-dimensional IDX labels, header declares 3 dimensions/,
    );
    const extra = new Uint8Array(encodeIdx([N], labelBytes).length + 2);
    extra.set(encodeIdx([N], labelBytes));
    expect(thrown(() => readIdxLabels(extra, 'l', 10)).message).toMatch(/2 unexpected trailing bytes/);
    expect(thrown(() => readIdxLabels(encodeIdx([N], labelBytes), 'l', 5)).message).toBe(
      'l: label 9 at index 3 is out of range (expected 0..4)',
    );
    expect(thrown(() => parseIdx(new Uint8Array(0), 'e')).message).toMatch(/shorter than the 4-byte magic/);
    const shortHeader = encodeIdx([N, 28, 28], pixels).subarray(0, 9);
    expect(thrown(() => parseIdx(shortHeader, 'h')).message).toMatch(/truncated — the IDX header needs 16 bytes/);
    expect(thrown(() => parseIdx(Uint8Array.from([0x1f, 0x8b, 8, 0]), 'g')).message).toMatch(/^g: truncated gzip/);
  });

  it('never returns for random garbage without an error (fuzz)', () => {
    let seed = 12345;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16) & 0xff;
    const base = encodeIdx([N, 28, 28], pixels, { gzip: true });
    for (let t = 0; t < 200; t++) {
      const b = base.slice(0, 20 + ((t * 37) % (base.length - 20)));
      for (let k = 0; k < 3; k++) b[10 + ((rand() * 97 + t) % (b.length - 10))] = rand();
      expect(() => readIdxImages(b, 'fuzz.gz')).toThrow(DataError);
    }
  });
});
