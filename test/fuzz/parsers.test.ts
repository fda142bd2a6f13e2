/**
 * A seeded fuzz pass over every parser of untrusted files: gzip, tar, CIFAR archive, image-folder zip, PNG, .ltpg
 * pack and model zip. Each starts from a valid file and applies mutations — bit flips, truncations, overwritten and
 * inserted bytes, length-field edits (with checksums recomputed where the format has them, so the edit reaches the
 * code behind the checksum) and duplicated members/chunks/sets. Whatever comes out must be a result or a DataError
 * whose message starts with the file's name: no hang (the test timeout), no crash (TypeError, RangeError, a wasm
 * abort), no message that does not say which file. Limits are set low so a mutation that inflates to a lot is
 * refused cheaply. The seed is fixed: a failure reproduces; FUZZ_SEED=n tries other inputs.
 */
import { seeded } from '../helpers/random';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCifarArchive, writeCifarArchive } from '../../src/core/data/cifar';
import { DataError } from '../../src/core/data/errors';
import { buildFolderDataset } from '../../src/core/data/folder';
import { FOLDER_TARGETS } from '../../src/core/data/folder-limits';
import { crc32, gunzipChecked, gzipBytes } from '../../src/core/data/gzip';
import { decodePack, encodeDataset } from '../../src/core/data/pack';
import { decodePng, encodePng, pngDecoder } from '../../src/core/data/png';
import { readTar, writeTar } from '../../src/core/data/tar';
import { exportInfoFromTrainer, exportTfjsZip, loadPlaygroundModel } from '../../src/core/export';
import { syntheticSet } from '../core/data/helpers';
import { tinyData, trainTiny, useCpu } from '../core/export/helpers';

const SEED = Number(process.env.FUZZ_SEED ?? 20240611);
const LIMIT = 4 * 1024 * 1024;

/** A small seeded generator (the project's Rng) with the helpers the mutations use. */
function rng(seed: number) {
  const next = seeded(seed);
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)] };
}
type R = ReturnType<typeof rng>;

const INTERESTING = [0, 1, 2, 7, 8, 255, 256, 0x7fff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function putU32(b: Uint8Array, off: number, v: number, le: boolean): void {
  if (off < 0 || off + 4 > b.length) return;
  new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(off, v >>> 0, le);
}

/** Byte-level mutations every format gets. */
function generic(r: R, b: Uint8Array): Uint8Array {
  const x = b.slice();
  switch (r.int(6)) {
    case 0: // bit flips
      for (let k = 1 + r.int(4); k > 0; k--) x[r.int(x.length)] ^= 1 << r.int(8);
      return x;
    case 1: // truncation
      return x.subarray(0, r.int(x.length));
    case 2: // overwritten bytes
      for (let k = 1 + r.int(8); k > 0; k--) x[r.int(x.length)] = r.int(256);
      return x;
    case 3: {
      // a 32-bit field set to an interesting value, at a random place
      putU32(x, r.int(Math.max(1, x.length - 4)), r.pick(INTERESTING), r.next() < 0.5);
      return x;
    }
    case 4: {
      // bytes removed
      const at = r.int(x.length);
      return concat(x.subarray(0, at), x.subarray(Math.min(x.length, at + 1 + r.int(64))));
    }
    default: {
      // bytes inserted
      const at = r.int(x.length + 1);
      const ins = new Uint8Array(1 + r.int(64)).map(() => r.int(256));
      return concat(x.subarray(0, at), ins, x.subarray(at));
    }
  }
}

interface Outcome {
  ok: number;
  refused: number;
}

/** Runs the parser on a mutated input; a failure must be a DataError naming `file`. */
async function check(file: string, input: Uint8Array, parse: (b: Uint8Array) => unknown, out: Outcome, what: string): Promise<void> {
  try {
    await parse(input);
    out.ok++;
  } catch (e) {
    out.refused++;
    if (!(e instanceof DataError) || !e.message.startsWith(file)) {
      throw new Error(`${what}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} (input ${input.length} bytes)`, { cause: e });
    }
  }
}

async function fuzz(
  name: string,
  base: Uint8Array,
  parse: (b: Uint8Array) => unknown,
  mutate: (r: R, b: Uint8Array) => Uint8Array,
  n: number,
  seed: number,
): Promise<Outcome> {
  await parse(base); // the unmutated file is valid
  const out: Outcome = { ok: 0, refused: 0 };
  const r = rng(seed);
  for (let i = 0; i < n; i++) await check(name, mutate(r, base), parse, out, `${name} #${i} (seed ${seed})`);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// format-aware mutations

/** tar: a header field rewritten (size, type, name) with the checksum recomputed, or a member duplicated. */
function tarMutation(r: R, tar: Uint8Array): Uint8Array {
  const headers: number[] = [];
  for (let off = 0; off + 512 <= tar.length;) {
    if (tar.subarray(off, off + 512).every((v) => v === 0)) break;
    headers.push(off);
    const size = parseInt(
      new TextDecoder()
        .decode(tar.subarray(off + 124, off + 135))
        .replace(/\0.*$/, '')
        .trim() || '0',
      8,
    );
    off += 512 + Math.ceil(size / 512) * 512;
  }
  const h = r.pick(headers);
  const x = tar.slice();
  const kind = r.int(4);
  if (kind === 3) {
    // duplicate a member (header + data) in place
    const next = headers[headers.indexOf(h) + 1] ?? h + 512;
    return concat(x.subarray(0, next), x.subarray(h, next), x.subarray(next));
  }
  if (kind === 0) {
    const v = r.pick([0, 1, 511, 512, 513, 3073, 0o77777777777, r.int(1 << 30)]);
    x.set(new TextEncoder().encode(v.toString(8).padStart(11, '0').slice(-11) + '\0'), h + 124);
  } else if (kind === 1) {
    x[h + 156] = r.pick([0x30, 0x35, 0x4c, 0x78, 0x67, 0x32, 0]); // 0 5 L x g 2 NUL
  } else {
    x.fill(r.int(256), h + r.int(100), h + 100);
  }
  // recompute the checksum so the edit gets past it
  for (let i = h + 148; i < h + 156; i++) x[i] = 0x20;
  let sum = 0;
  for (let i = h; i < h + 512; i++) sum += x[i];
  x.set(new TextEncoder().encode(sum.toString(8).padStart(6, '0') + '\0 '), h + 148);
  return x;
}

/** zip: a directory field (sizes, method, flags, offsets, count) set to an interesting value, or a member duplicated. */
function zipMutation(r: R, zip: Uint8Array): Uint8Array {
  const x = zip.slice();
  const dv = new DataView(x.buffer);
  let eocd = x.length - 22;
  while (eocd > 0 && dv.getUint32(eocd, true) !== 0x06054b50) eocd--;
  const entries: number[] = [];
  let off = dv.getUint32(eocd + 16, true);
  for (let i = 0; i < dv.getUint16(eocd + 10, true); i++) {
    entries.push(off);
    off += 46 + dv.getUint16(off + 28, true) + dv.getUint16(off + 30, true) + dv.getUint16(off + 32, true);
  }
  const e = r.pick(entries);
  const kind = r.int(5);
  if (kind === 4) {
    // a duplicate name: copy the previous entry's name over this one's (same length or not, the bytes are just copied)
    const other = r.pick(entries);
    const len = Math.min(dv.getUint16(e + 28, true), dv.getUint16(other + 28, true));
    x.copyWithin(e + 46, other + 46, other + 46 + len);
    return x;
  }
  if (kind === 3) {
    dv.setUint16(eocd + r.pick([8, 10]), r.pick([0, 1, 2, 0xffff]), true);
    return x;
  }
  const field = r.pick([
    [8, 2],
    [10, 2],
    [16, 4],
    [20, 4],
    [24, 4],
    [28, 2],
    [42, 4],
  ] as const);
  const v = r.pick(INTERESTING);
  if (field[1] === 2) dv.setUint16(e + field[0], v & 0xffff, true);
  else dv.setUint32(e + field[0], v >>> 0, true);
  return x;
}

/** PNG: a chunk length or IHDR field edited with the CRC recomputed, or a chunk duplicated. */
function pngMutation(r: R, png: Uint8Array): Uint8Array {
  const chunks: number[] = [];
  for (let pos = 8; pos + 12 <= png.length;) {
    chunks.push(pos);
    pos += 12 + new DataView(png.buffer, png.byteOffset).getUint32(pos, false);
  }
  const c = r.pick(chunks);
  const len = new DataView(png.buffer, png.byteOffset).getUint32(c, false);
  const kind = r.int(3);
  if (kind === 0) return concat(png.subarray(0, c + 12 + len), png.subarray(c, c + 12 + len), png.subarray(c + 12 + len));
  const x = png.slice();
  if (kind === 1) {
    putU32(x, c, r.pick(INTERESTING), false);
    return x;
  }
  // IHDR (always the first chunk): width, height, depth, colour type, interlace
  const f = r.pick([0, 4, 8, 9, 10, 11, 12]);
  if (f < 8) putU32(x, 16 + f, r.pick([0, 1, 3, 64, 5000, 100000, 0x7fffffff]), false);
  else x[16 + f] = r.pick([0, 1, 2, 3, 4, 6, 8, 16, 255]);
  putU32(x, 8 + 8 + 13, crc32(x.subarray(12, 12 + 4 + 13)), false);
  return x;
}

/** .ltpg (raw): a header number edited (CRC kept consistent), a set duplicated, or the header length changed. */
function packMutation(r: R, raw: Uint8Array): Uint8Array {
  const dv = new DataView(raw.buffer, raw.byteOffset);
  const hlen = dv.getUint32(6, true);
  const header = JSON.parse(new TextDecoder().decode(raw.subarray(10, 10 + hlen)));
  let payload = raw.subarray(10 + hlen);
  const kind = r.int(5);
  if (kind === 0) {
    const set = r.pick(header.sets as Record<string, unknown>[]);
    const k = r.pick(['n', 'height', 'width', 'channels', 'numClasses', 'labelsOffset', 'labelsLength', 'pixelsOffset', 'pixelsLength']);
    set[k] = r.pick([0, 1, -1, 2.5, 33, 64, 1024, 1e9, 2 ** 53, null, '8', (set[k] as number) + 1]);
  } else if (kind === 1) {
    header.sets.push(structuredClone(r.pick(header.sets)));
  } else if (kind === 2) {
    header.sets[0].classNames = r.pick([[], ['\u202e'.repeat(10), 'x'.repeat(5000), 'a'], null, [1, 2, 3]]);
  } else if (kind === 3) {
    header.meta = r.pick([
      null,
      { ...header.meta, std: [0] },
      { ...header.meta, mean: [] },
      { ...header.meta, title: 7 },
      { ...header.meta, cropPad: 1e15 },
      { ...header.meta, cropPad: 33 },
      { ...header.meta, std: [1e-300] },
      { ...header.meta, mean: [2] },
      { ...header.meta, id: 'x'.repeat(100) },
      { ...header.meta, hflip: 'yes' },
      { ...header.meta, licence: 5 },
    ]);
  } else {
    payload = concat(payload, new Uint8Array(1 + r.int(100)));
  }
  header.payloadCrc32 = crc32(payload);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = concat(raw.subarray(0, 10), json, payload);
  new DataView(out.buffer).setUint32(6, r.next() < 0.9 ? json.length : r.pick(INTERESTING), true);
  return out;
}

/** model.json: a metadata / manifest value replaced by an odd one, or a member duplicated / weights resized. */
function modelZipMutation(r: R, zip: Uint8Array): Uint8Array {
  const files = unzipSync(zip);
  const json = JSON.parse(strFromU8(files['model.json']));
  const m = json.userDefinedMetadata.longTailPlayground;
  const odd = () => r.pick([-1, 0, 0.5, 3, 1e9, 1e300, -1e300, null, 'x', [], {}, true, 2 ** 40]);
  let weights: Uint8Array = files['weights.bin'];
  const extra: Record<string, Uint8Array> = {};
  switch (r.int(7)) {
    case 0:
      m.info[r.pick(['epoch', 'stage', 'globalStep', 'seed', 'classNames', 'classCounts', 'lossParams', 'stage2Config', 'mean', 'std'])] =
        odd();
      break;
    case 1:
      m.info.trainConfig[r.pick(['epochs', 'lr', 'momentum', 'weightDecay', 'batchSize', 'imbalance', 'loss', 'model', 'stage2', 'seed'])] =
        odd();
      break;
    case 2:
      m.config[r.pick(['kind', 'head', 'inputShape', 'numClasses'])] = odd();
      break;
    case 3: {
      const w = r.pick(json.weightsManifest[0].weights as Record<string, unknown>[]);
      w[r.pick(['shape', 'dtype', 'name'])] = r.pick([[-1], [1e6, 1e6], 'float64', 'int32', 'other', null, [3]]);
      break;
    }
    case 4:
      m[r.pick(['bnBatchesTracked', 'weightNames', 'inputShape', 'output', 'format', 'formatVersion'])] = odd();
      break;
    case 5:
      weights = weights.subarray(0, r.int(weights.length + 1));
      if (r.next() < 0.5) weights = concat(weights, new Uint8Array(1 + r.int(64)));
      break;
    default:
      extra[r.pick(['copy/model.json', 'weights.bin/', 'x/weights.bin'])] = files['model.json'];
  }
  return zipSync({ 'model.json': strToU8(JSON.stringify(json)), 'weights.bin': weights.slice(), ...extra });
}

// ---------------------------------------------------------------------------------------------------------------

const shape = { height: 32, width: 32, channels: 3 };
const either = (a: (r: R, b: Uint8Array) => Uint8Array) => (r: R, b: Uint8Array) => (r.next() < 0.5 ? generic(r, b) : a(r, b));

describe('fuzz: mutated valid files give a result or a DataError naming the file', () => {
  let modelZip: Uint8Array;
  beforeAll(async () => {
    await useCpu();
    const t = await trainTiny(tinyData(1), { model: 'convnet', head: 'cosine', loss: 'gcl', epochs: 1 });
    modelZip = await exportTfjsZip(t.model, exportInfoFromTrainer(t, 'cpu'));
    t.dispose();
  });

  it('gzip (multi-member, trailers)', async () => {
    const data = new Uint8Array(20_000).map((_, i) => (i * 13) ^ (i >> 3));
    const gz = concat(gzipBytes(data.subarray(0, 7000)), gzipBytes(data.subarray(7000)));
    const dup = (r: R, b: Uint8Array) => (r.next() < 0.3 ? concat(b, b.subarray(0, r.int(b.length))) : generic(r, b));
    const o = await fuzz('fuzz.gz', gz, (b) => gunzipChecked(b, 'fuzz.gz', { maxBytes: LIMIT }), dup, 300, SEED);
    expect(o.refused).toBeGreaterThan(150);
  });

  it('tar', async () => {
    const tar = writeTar([
      { name: 'd/' },
      { name: 'd/a.bin', data: new Uint8Array(700).fill(3) },
      { name: `d/${'l'.repeat(120)}/x.txt`, data: strToU8('long name') },
      { name: 'd/b.bin', data: new Uint8Array(10) },
    ]);
    const o = await fuzz('fuzz.tar', tar, (b) => readTar(b, 'fuzz.tar'), either(tarMutation), 400, SEED + 1);
    expect(o.refused).toBeGreaterThan(100);
  });

  it('CIFAR archive (mutated tar re-gzipped, and mutated .tar.gz)', async () => {
    const train = syntheticSet([2, 1, 1, 1, 1, 1, 1, 1, 1, 1], shape, 1);
    const test = syntheticSet([1, 1, 1, 1, 1, 1, 1, 1, 1, 1], shape, 2);
    const gz = writeCifarArchive('cifar10', train, test, { level: 1 });
    const tar = gunzipChecked(gz, 'x');
    const parse = (b: Uint8Array) => readCifarArchive(b, 'fuzz.tar.gz', { strictCounts: false, maxBytes: LIMIT });
    const inner = (r: R) => gzipBytes(r.next() < 0.5 ? tarMutation(r, tar) : generic(r, tar), 1);
    const a = await fuzz('fuzz.tar.gz', gz, parse, inner, 80, SEED + 2);
    const b = await fuzz('fuzz.tar.gz', gz, parse, generic, 60, SEED + 3);
    expect(a.refused + b.refused).toBeGreaterThan(60);
  });

  it('image-folder zip', async () => {
    const png = (c: number, k: number) => encodePng({ width: 5, height: 4, colorType: 2, data: new Uint8Array(60).fill(c * 40 + k) });
    const zip = zipSync({
      'pets/cat/1.png': png(1, 1),
      'pets/cat/2.png': png(1, 2),
      'pets/dog/1.png': png(2, 1),
      'pets/dog/2.png': [png(2, 2), { level: 0 }],
      'pets/readme.txt': strToU8('hello'),
    });
    const parse = (b: Uint8Array) =>
      buildFolderDataset(b, {
        decoder: pngDecoder,
        target: FOLDER_TARGETS.grey28,
        testFraction: 0.2,
        seed: 1,
        archiveName: 'fuzz.zip',
        maxBytes: LIMIT,
        strict: true,
      });
    const o = await fuzz('fuzz.zip', zip, parse, either(zipMutation), 300, SEED + 4);
    expect(o.refused).toBeGreaterThan(100);
  });

  it('PNG', async () => {
    const data = new Uint8Array(9 * 7 * 4).map((_, i) => (i * 37) & 255);
    const png = encodePng({ width: 9, height: 7, colorType: 6, data }, { filter: 4 });
    const o = await fuzz('fuzz.png', png, (b) => decodePng(b, 'fuzz.png', 1 << 20), either(pngMutation), 400, SEED + 5);
    expect(o.refused).toBeGreaterThan(150);
  });

  it('.ltpg pack (raw and gzip)', async () => {
    const ds = {
      meta: { id: 'toy', title: 'Toy', mean: [0.5], std: [0.25], hflip: false, cropPad: 1, licence: '' },
      pool: syntheticSet([3, 2], { height: 6, width: 5, channels: 1 }, 1, 'pool'),
      test: syntheticSet([1, 1], { height: 6, width: 5, channels: 1 }, 2, 'test'),
    };
    const raw = encodeDataset(ds, { gzip: false });
    const parse = (b: Uint8Array) => decodePack(b, 'fuzz.ltpg', { maxBytes: LIMIT });
    const a = await fuzz('fuzz.ltpg', raw, parse, either(packMutation), 250, SEED + 6);
    const b = await fuzz('fuzz.ltpg', raw, parse, (r, x) => gzipBytes(packMutation(r, x), 1), 100, SEED + 7);
    const c = await fuzz('fuzz.ltpg', gzipBytes(raw), parse, generic, 100, SEED + 8);
    expect(a.refused + b.refused + c.refused).toBeGreaterThan(200);
  });

  it('model zip', async () => {
    const parse = (b: Uint8Array) => loadPlaygroundModel(b, 'fuzz.tfjs.zip').model.dispose();
    const a = await fuzz('fuzz.tfjs.zip', modelZip, parse, modelZipMutation, 80, SEED + 9);
    const b = await fuzz('fuzz.tfjs.zip', modelZip, parse, either(zipMutation), 40, SEED + 10);
    expect(a.refused + b.refused).toBeGreaterThan(60);
  });
});
