import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'fflate';
import { existsSync, readFileSync } from 'node:fs';
import { decodeDataset, decodePack, encodeDataset } from '../../../src/core/data/pack';
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

/** Edits the JSON header of a raw LTPG file and fixes the CRC so only the edit is wrong. */
function rewriteHeader(raw: Uint8Array, edit: (h: any) => void): Uint8Array {
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
