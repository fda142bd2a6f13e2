import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'fflate';
import { existsSync, readFileSync } from 'node:fs';
import { gzipSync as nodeGzip } from 'node:zlib';
import { gzipSync } from 'fflate';
import {
  PACK_LIMITS,
  PACK_MAX_BYTES,
  PACK_MAX_HEADER_BYTES,
  decodeDataset,
  decodePack,
  encodeDataset,
  type PackHeader,
} from '../../../src/core/data/pack';
import { crc32 } from '../../../src/core/data/gzip';
import { SizeLimitError } from '../../../src/core/data/inflate';
import { DataError } from '../../../src/core/data/errors';
import { EMBEDDED_FILE, loadEmbeddedDataset } from '../../../src/core/data/embedded';
import { EMBEDDED_FILE_PATH, loadDatasetFile } from '../../../src/core/data/node-load';
import { readIdxImages, readIdxLabels } from '../../../src/core/data/idx';
import { makeLongTail, classCounts } from '../../../src/core/data/longtail';
import type { Dataset } from '../../../src/core/data/types';
import { syntheticSet, thrown } from './helpers';

const shape = { height: 5, width: 4, channels: 3 };
const ds: Dataset = {
  meta: { id: 'toy', title: 'Toy', mean: [0.1, 0.2, 0.3], std: [0.5, 0.5, 0.25], hflip: false, cropPad: 1, licence: 'none' },
  pool: syntheticSet([4, 3, 1], shape, 7, 'toy pool'),
  test: syntheticSet([2, 2, 2], shape, 8, 'toy test'),
};

const same = (a: Uint8Array | Uint16Array, b: Uint8Array | Uint16Array) => a.length === b.length && a.every((v, i) => v === b[i]);

describe('LTPG pack format', () => {
  it('round-trips gzip and raw, with the build info', () => {
    const gz = encodeDataset(ds, { extra: { seed: 42 } });
    expect([gz[0], gz[1]]).toEqual([0x1f, 0x8b]);
    const raw = encodeDataset(ds, { gzip: false });
    expect(new TextDecoder().decode(raw.subarray(0, 4))).toBe('LTPG');
    expect(
      same(
        gunzipSync(gz).subarray(10 + new DataView(gunzipSync(gz).buffer).getUint32(6, true)),
        raw.subarray(10 + new DataView(raw.buffer).getUint32(6, true)),
      ),
    ).toBe(true);
    for (const bytes of [gz, raw, gunzipSync(gz)]) {
      const out = decodeDataset(bytes, 'toy.ltpg');
      expect(out.meta).toEqual(ds.meta);
      for (const role of ['pool', 'test'] as const) {
        expect(same(out[role].images, ds[role].images)).toBe(true);
        expect(same(out[role].labels, ds[role].labels)).toBe(true);
        expect(out[role].labels).toBeInstanceOf(Uint16Array);
        expect([out[role].height, out[role].width, out[role].channels, out[role].numClasses]).toEqual([5, 4, 3, 3]);
        expect(out[role].classNames).toEqual(ds[role].classNames);
        expect(out[role].name).toBe(ds[role].name);
      }
    }
    expect(decodePack(gz, 'toy.ltpg').header.extra).toEqual({ seed: 42 });
  });

  it('rejects foreign, truncated, corrupt and inconsistent files with a DataError', () => {
    const raw = encodeDataset(ds, { gzip: false });
    const gz = encodeDataset(ds);
    const err = (b: Uint8Array) => {
      const e = thrown(() => decodeDataset(b, 'f.ltpg'));
      expect(e).toBeInstanceOf(DataError);
      expect((e as DataError).file).toBe('f.ltpg');
      return e.message;
    };
    expect(err(new TextEncoder().encode('<!doctype html><html>404</html>'))).toBe(
      'f.ltpg: not an LTPG data file (magic "<!do", expected "LTPG")',
    );
    expect(err(raw.subarray(0, 6))).toMatch(/too short/);
    const v2 = raw.slice();
    v2[4] = 2;
    expect(err(v2)).toBe('f.ltpg: unsupported LTPG version 2 (this build reads version 1)');
    expect(err(raw.subarray(0, raw.length - 1))).toMatch(/truncated — header says \d+ payload bytes, file holds \d+/);
    expect(err(gz.subarray(0, gz.length - 20))).toMatch(/truncated|corrupt/);
    const flip = raw.slice();
    flip[flip.length - 3] ^= 0xff;
    expect(err(flip)).toBe('f.ltpg: corrupt payload (CRC-32 mismatch)');
    const hdr = raw.slice();
    hdr[12] = 0x7b; // break the JSON
    expect(err(hdr)).toMatch(/corrupt header/);
    // a header that lies about the shape (re-encoded with a consistent CRC)
    const bad = { ...ds, pool: { ...ds.pool, height: 6 } };
    expect(() => encodeDataset(bad)).toThrow(DataError);
    const lying = rewriteHeader(raw, (h) => {
      h.sets[0].n = 9;
    });
    expect(err(lying)).toMatch(/9 images/);
    const badMeta = rewriteHeader(raw, (h) => {
      h.meta.std = [0.5, 0, 1];
    });
    expect(err(badMeta)).toMatch(/meta\.std/);
    const badLabel = raw.slice();
    const hlen = new DataView(raw.buffer).getUint32(6, true);
    badLabel[10 + hlen] = 3; // first pool label → out of range (3 classes)
    expect(err(rewriteHeader(badLabel, () => {}))).toMatch(/set "pool": label 3 at index 0 is out of range/);
  });
});

describe('LTPG limits (bombs, image sizes, header size, names)', () => {
  /** A raw pack of `n` zero images H×W×C with a consistent header (the CRC of the zero payload included). */
  function rawPack(H: number, W: number, C: number, n = 1, extraPayload = 0): Uint8Array {
    const setOf = (role: 'pool' | 'test', off: number) => ({
      role,
      name: role,
      n,
      height: H,
      width: W,
      channels: C,
      numClasses: 2,
      classNames: ['a', 'b'],
      labelsOffset: off,
      labelsLength: n,
      pixelsOffset: off + n,
      pixelsLength: n * H * W * C,
    });
    const per = n + n * H * W * C;
    const payload = new Uint8Array(2 * per);
    const header = {
      meta: { id: 'big', title: 'Big', mean: new Array(C).fill(0.5), std: new Array(C).fill(0.25), hflip: false, cropPad: 0, licence: '' },
      sets: [setOf('pool', 0), setOf('test', per)],
      payloadLength: payload.length,
      payloadCrc32: crc32(payload),
    };
    const json = new TextEncoder().encode(JSON.stringify(header));
    const out = new Uint8Array(10 + json.length + payload.length + extraPayload);
    out.set(new TextEncoder().encode('LTPG'));
    new DataView(out.buffer).setUint16(4, 1, true);
    new DataView(out.buffer).setUint32(6, json.length, true);
    out.set(json, 10);
    return out;
  }

  it('images over 32×32 or with 2 / 4 channels are refused from the header, before the payload is inflated', () => {
    expect(PACK_LIMITS).toEqual({ minSide: 4, maxSide: 32, channels: [1, 3], maxClasses: 256 });
    const big = nodeGzip(rawPack(1024, 1024, 3, 2), { level: 9 }); // 12 MiB of zero pixels in ~12 KB
    const seen: number[] = [];
    const e = thrown(() => decodeDataset(big, 'big.ltpg', { onProgress: (f) => seen.push(f) }));
    expect(e).toBeInstanceOf(DataError);
    expect(e.message).toBe(
      'big.ltpg: set "pool" holds 1024×1024×3 images; this app trains on 4–32 pixels a side with 1 or 3 channels (its models are ' +
        'built for 28×28 and 32×32 inputs; larger images exhaust the memory of the wasm backend) — resize the images before packing them',
    );
    expect(seen.length === 0 || seen[seen.length - 1] < 0.5).toBe(true);
    for (const [H, W, C] of [
      [33, 32, 1],
      [32, 2, 1],
      [8, 8, 4],
      [8, 8, 2],
    ]) {
      expect(thrown(() => decodeDataset(rawPack(H, W, C), 'p.ltpg')).message).toMatch(new RegExp(`holds ${H}×${W}×${C} images`));
    }
    expect(decodeDataset(rawPack(32, 32, 3), 'ok.ltpg').pool.height).toBe(32);
    expect(decodeDataset(gzipSync(rawPack(4, 4, 1)), 'ok.ltpg').pool.channels).toBe(1);
    // and the writer refuses what the reader would
    const wide = { ...ds, pool: syntheticSet([1, 1], { height: 64, width: 64, channels: 3 }, 1, 'wide'), test: ds.test };
    expect(() => encodeDataset(wide)).toThrow(/64×64×3 images; LTPG holds 4–32 pixels a side/);
  });

  it('a payload that inflates past what the header declares is refused while it streams (bomb)', () => {
    const bomb = nodeGzip(rawPack(8, 8, 1, 2, 16 * 1024 * 1024), { level: 9 }); // the declared pack + 16 MiB of zeros
    const e = thrown(() => decodeDataset(bomb, 'bomb.ltpg'));
    expect(e).toBeInstanceOf(SizeLimitError);
    const declared = rawPack(8, 8, 1, 2).length;
    expect(e.message).toBe(
      `bomb.ltpg: decompresses to more than the ${declared} bytes its header declares — refused (a damaged file or a decompression bomb)`,
    );
    // the file-level limit (1 GiB; lowered here) applies before the header is known
    expect(PACK_MAX_BYTES).toBe(1024 ** 3);
    expect(thrown(() => decodeDataset(bomb, 'b.ltpg', { maxBytes: 100 })).message).toMatch(
      /^b\.ltpg: decompresses to more than the 100 bytes an LTPG file may hold/,
    );
    // a raw file longer than the limit is refused too
    expect(thrown(() => decodeDataset(rawPack(8, 8, 1), 'r.ltpg', { maxBytes: 100 })).message).toMatch(
      /more than the 100 bytes an LTPG file may hold/,
    );
  });

  it('a header length over 4 MiB or a payload over 1 GiB declared in the header is refused at once', () => {
    const raw = rawPack(8, 8, 1);
    const long = raw.slice();
    new DataView(long.buffer).setUint32(6, PACK_MAX_HEADER_BYTES + 1, true);
    expect(thrown(() => decodeDataset(gzipSync(long), 'h.ltpg')).message).toBe(
      `h.ltpg: corrupt header (it declares ${PACK_MAX_HEADER_BYTES + 1} bytes of header, more than the ${PACK_MAX_HEADER_BYTES} bytes accepted)`,
    );
    const huge = rewriteHeader(raw, (h) => {
      h.payloadLength = 2 ** 31;
    });
    expect(thrown(() => decodeDataset(gzipSync(huge), 'p.ltpg')).message).toMatch(
      /^p\.ltpg: corrupt header \(it declares 2147483648 bytes of data/,
    );
  });

  it('class names, set names and the title are cleaned like every other source', () => {
    const evil = rewriteHeader(encodeDataset(ds, { gzip: false }), (h) => {
      for (const s of h.sets) s.classNames = ['a\u202eb', 'x'.repeat(100_000), 'a\u202eb'];
      h.sets[0].name = 'pool\u0000name';
      h.meta.title = 'T\u2066itle';
    });
    const out = decodeDataset(evil, 'e.ltpg');
    expect(out.pool.classNames).toEqual(['ab', 'x'.repeat(63) + '…', 'ab (2)']);
    expect(out.test.classNames).toEqual(out.pool.classNames);
    expect(out.pool.name).toBe('poolname');
    expect(out.meta.title).toBe('Title');
  });
});

/** Edits the JSON header of a raw LTPG file and fixes the CRC so only the edit is wrong. */
function rewriteHeader(raw: Uint8Array, edit: (h: PackHeader) => void): Uint8Array {
  const hlen = new DataView(raw.buffer, raw.byteOffset).getUint32(6, true);
  const h = JSON.parse(new TextDecoder().decode(raw.subarray(10, 10 + hlen)));
  const payload = raw.subarray(10 + hlen);
  edit(h);
  // recompute the CRC with the module's own encoder conventions
  h.payloadCrc32 = crcOf(payload);
  const json = new TextEncoder().encode(JSON.stringify(h));
  const out = new Uint8Array(10 + json.length + payload.length);
  out.set(raw.subarray(0, 6));
  new DataView(out.buffer).setUint32(6, json.length, true);
  out.set(json, 10);
  out.set(payload, 10 + json.length);
  return out;
}

function crcOf(b: Uint8Array): number {
  let c = ~0;
  for (let i = 0; i < b.length; i++) {
    c ^= b[i];
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return ~c >>> 0;
}

describe('embedded Fashion-MNIST-LT file', () => {
  let d: Dataset;
  beforeAll(async () => {
    d = await loadEmbeddedDataset();
  });

  it('injected fetchers get the BASE_URL-relative URL; loadDatasetFile reads any path', async () => {
    let asked = '';
    const toy = encodeDataset(ds);
    const d2 = await loadEmbeddedDataset(async (url) => {
      asked = url;
      return toy;
    });
    expect(asked).toBe(`/data/${EMBEDDED_FILE}`);
    expect(d2.pool.labels.length).toBe(8);
    await expect(loadEmbeddedDataset({ url: '/x/y.ltpg', fetchBytes: async () => new Uint8Array(3) })).rejects.toThrow(
      /^fmnist-lt\.ltpg: not an LTPG data file/,
    );
    const file = join(mkdtempSync(join(tmpdir(), 'ltpg-')), 'toy.ltpg');
    writeFileSync(file, toy);
    expect((await loadDatasetFile(file)).test.labels.length).toBe(6);
    await expect(loadEmbeddedDataset({ url: `${file}.missing` })).rejects.toThrow(/not found .*run `npm run build:data`/);
  });

  it('exists, decodes through loadEmbeddedDataset (Node path) and has the documented content', () => {
    expect(existsSync(EMBEDDED_FILE_PATH)).toBe(true);
    expect(d.meta).toMatchObject({ id: 'fmnist-lt', mean: [0.286], std: [0.353], hflip: true, cropPad: 2 });
    expect(d.pool.classNames).toEqual([
      'T-shirt/top',
      'Trouser',
      'Pullover',
      'Dress',
      'Coat',
      'Sandal',
      'Shirt',
      'Sneaker',
      'Bag',
      'Ankle boot',
    ]);
    expect([d.pool.height, d.pool.width, d.pool.channels]).toEqual([28, 28, 1]);
    expect(classCounts(d.pool.labels, 10)).toEqual([5000, 5000, 5000, 5000, 5000, 1391, 1077, 834, 645, 500]);
    expect(classCounts(d.test.labels, 10)).toEqual(new Array(10).fill(1000));
    // the pool serves every exp IF ≥ 10 and step μ ≥ 0.5 at IF ≥ 10
    for (const imbalance of [10, 50, 100, 200]) {
      expect(makeLongTail(d.pool, { imbalance, profile: 'exp', seed: 1 }).counts[0]).toBe(5000);
      expect(makeLongTail(d.pool, { imbalance, profile: 'step', stepMu: 0.5, seed: 1 }).counts[9]).toBe(Math.floor(5000 / imbalance));
      expect(makeLongTail(d.pool, { imbalance, profile: 'step', stepMu: 0.9, seed: 1 }).counts[9]).toBe(Math.floor(5000 / imbalance));
    }
    expect(() => makeLongTail(d.pool, { imbalance: 5, profile: 'exp', seed: 1 })).toThrow(
      /needs 2044 images of class 5 \("Sandal"\), the pool holds 1391/,
    );
  });

  const src = '/usr/share/datasets/fashion-mnist';
  it.runIf(existsSync(`${src}/t10k-images-idx3-ubyte.gz`))('holds the official test set, byte for byte, in official order', () => {
    const img = readIdxImages(new Uint8Array(readFileSync(`${src}/t10k-images-idx3-ubyte.gz`)), 't10k-images');
    const lab = readIdxLabels(new Uint8Array(readFileSync(`${src}/t10k-labels-idx1-ubyte.gz`)), 't10k-labels', 10);
    expect(Buffer.compare(Buffer.from(d.test.images), Buffer.from(img.images))).toBe(0);
    expect(same(d.test.labels, lab)).toBe(true);
  });
});
