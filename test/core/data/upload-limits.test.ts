/**
 * Limits on crafted uploads, in process: tar long-name / pax records, member names in messages, pack meta ranges,
 * zip members that share their data, the folder decode budget read from image headers, and a data file's type
 * checked from its first bytes. The memory-bound cases (a real 64-Mpx PNG, the overlap zip, a 1 GiB file) run in
 * child processes in test/fuzz/upload-bombs.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { gzipSync, zipSync } from 'fflate';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkCifarStart, readCifarArchive } from '../../../src/core/data/cifar';
import { DataError } from '../../../src/core/data/errors';
import { buildFolderDataset, readFolderZip } from '../../../src/core/data/folder';
import { FOLDER_TARGETS } from '../../../src/core/data/folder-limits';
import { messageName } from '../../../src/core/data/names';
import { HEAD_BYTES, readBytes } from '../../../src/core/data/node-load';
import { checkPackStart, decodeDataset, encodeDataset } from '../../../src/core/data/pack';
import { encodePng, imageDimensions, pngDecoder } from '../../../src/core/data/png';
import { TAR_MAX_META_BYTES, readTar, writeTar } from '../../../src/core/data/tar';
import { listZip } from '../../../src/core/data/zip';
import { tinyDataset } from '../../helpers/tiny-dataset';
import { imageZip } from '../../fuzz/upload-bombs';
import { thrown } from './helpers';

/** One tar header block (ustar, checksum filled in) for `size` bytes of data of `type`. */
function tarHeader(name: string, size: number, type: string): Uint8Array {
  const b = new Uint8Array(512);
  const put = (off: number, s: string) => b.set(new TextEncoder().encode(s), off);
  put(0, name.slice(0, 99));
  put(100, '0000644\0');
  put(108, '0000000\0');
  put(116, '0000000\0');
  put(124, size.toString(8).padStart(11, '0') + '\0');
  put(136, '00000000000\0');
  b[156] = type.charCodeAt(0);
  put(257, 'ustar\0');
  put(263, '00');
  b.fill(0x20, 148, 156);
  const sum = b.reduce((a, v) => a + v, 0);
  put(148, sum.toString(8).padStart(6, '0') + '\0 ');
  return b;
}

/** A tar: a long-name record holding `longName`, then a member of `data` under it, then the end marker. */
function longNameTar(longName: Uint8Array, data: Uint8Array): Uint8Array {
  const pad = (n: number) => Math.ceil(n / 512) * 512;
  const out = new Uint8Array(512 + pad(longName.length) + 512 + pad(data.length) + 1024);
  out.set(tarHeader('././@LongLink', longName.length, 'L'), 0);
  out.set(longName, 512);
  const at = 512 + pad(longName.length);
  out.set(tarHeader('x', data.length, '0'), at);
  out.set(data, at + 512);
  return out;
}

describe('tar: GNU long-name and pax records', () => {
  it('a 40 MB long-name record is a corrupt archive, with a short message', () => {
    const name = new Uint8Array(40_000_000).fill(0x61);
    const tar = gzipSync(longNameTar(name, new Uint8Array(10)));
    const e = thrown(() => readCifarArchive(tar, 'cifar-10-binary.tar.gz', { strictCounts: false }));
    expect(e).toBeInstanceOf(DataError);
    expect(e.message).toBe(
      'cifar-10-binary.tar.gz: corrupt tar archive: the GNU long-name record at byte 0 is 40000000 bytes, more than the 8192 bytes accepted',
    );
    expect(e.message.length).toBeLessThan(300);
  });

  it('pax headers over the cap are refused; one at the cap is read', () => {
    const rec = (len: number) => {
      const body = `path=${'p'.repeat(len)}\n`;
      let n = body.length + 3;
      while (`${n} ${body}`.length !== n) n = `${n} ${body}`.length;
      return new TextEncoder().encode(`${n} ${body}`);
    };
    const tarOf = (pax: Uint8Array) => {
      const pad = Math.ceil(pax.length / 512) * 512;
      const out = new Uint8Array(512 + pad + 512 + 512 + 1024);
      out.set(tarHeader('PaxHeader', pax.length, 'x'), 0);
      out.set(pax, 512);
      out.set(tarHeader('short', 3, '0'), 512 + pad);
      out.set([1, 2, 3], 1024 + pad);
      return out;
    };
    const ok = rec(4000);
    expect(ok.length).toBeLessThanOrEqual(TAR_MAX_META_BYTES);
    expect(readTar(tarOf(ok), 'a.tar')[0].name).toBe('p'.repeat(4000));
    expect(thrown(() => readTar(tarOf(rec(9000)), 'a.tar')).message).toMatch(
      /^a\.tar: corrupt tar archive: the pax extended header at byte 0 is 90\d\d bytes, more than the 8192 bytes accepted$/,
    );
  });

  it('a long member name in a message is cut in the middle (start and file name kept)', () => {
    const long = `${'d'.repeat(4000)}/data_batch_1.bin`;
    const tar = longNameTar(new TextEncoder().encode(long), new Uint8Array(100));
    const e = thrown(() => readTar(tar.subarray(0, tar.length - 1024 - 512 + 50), 'c.tar'));
    expect(e.message).toMatch(/^c\.tar: truncated tar archive: member "d{100}…d{82}\/data_batch_1\.bin" needs 100 bytes/);
    expect(e.message.length).toBeLessThan(300);
  });
});

describe('messageName', () => {
  it('keeps short names, cuts long ones in the middle at 200 characters, cleans control characters', () => {
    expect(messageName('pets/cat/001.png')).toBe('pets/cat/001.png');
    expect(messageName('a\u0000b\u202ec')).toBe('abc');
    const huge = `${'x'.repeat(10_000_000)}END`;
    const m = messageName(huge);
    expect(m.length).toBe(200);
    expect(m.startsWith('x'.repeat(100))).toBe(true);
    expect(m.endsWith('…' + 'x'.repeat(96) + 'END')).toBe(true);
    expect(messageName('y'.repeat(201))).toBe('y'.repeat(100) + '…' + 'y'.repeat(99));
    expect(messageName('y'.repeat(200))).toBe('y'.repeat(200));
  });

  it('folder and zip messages use it', async () => {
    const deep = `pets/${'n'.repeat(3000)}/cat.png`;
    const e = thrown(() => readFolderZip(zipSync({ [deep]: new Uint8Array(3) }).subarray(0, 40), 'up.zip'));
    expect(e.message.length).toBeLessThan(300);
    const files = [
      { path: deep, bytes: new Uint8Array([1, 2, 3, 4]) },
      { path: `pets/${'n'.repeat(3000)}/dog.png`, bytes: encodePng({ width: 1, height: 1, colorType: 0, data: [1] }) },
      { path: 'pets/b/1.png', bytes: encodePng({ width: 1, height: 1, colorType: 0, data: [1] }) },
    ];
    const r = await buildFolderDataset(files, { decoder: pngDecoder, target: FOLDER_TARGETS.grey28, testFraction: 0.2, seed: 1 });
    expect(r.report.skipped).toHaveLength(1);
    expect(r.report.skipped[0].file).toMatch(/^pets\/n+…n+\/cat\.png$/);
    expect(r.report.skipped[0].file.length).toBe(200);
  });
});

describe('pack meta: every field range-checked', () => {
  const ds = tinyDataset({ classes: 3, poolPerClass: 4, testPerClass: 2, side: 8, channels: 1 });
  const withMeta = (patch: Record<string, unknown>) => encodeDataset({ ...ds, meta: { ...ds.meta, ...patch } as typeof ds.meta });
  const msg = (patch: Record<string, unknown>) => {
    const e = thrown(() => decodeDataset(withMeta(patch), 'bad.ltpg'));
    expect(e).toBeInstanceOf(DataError);
    return e.message;
  };

  it('cropPad = 1e15 (and anything over the image side) is refused', () => {
    expect(msg({ cropPad: 1e15 })).toBe(
      'bad.ltpg: corrupt header (meta.cropPad is 1000000000000000, more than the image side (8): the random crops would hold nothing but padding)',
    );
    expect(msg({ cropPad: 9 })).toMatch(/meta\.cropPad is 9, more than the image side \(8\)/);
    expect(decodeDataset(withMeta({ cropPad: 8 }), 'ok.ltpg').meta.cropPad).toBe(8);
    expect(msg({ cropPad: -1 })).toMatch(/meta\.cropPad is -1, not a non-negative integer/);
    expect(msg({ cropPad: 1.5 })).toMatch(/meta\.cropPad is 1\.5, not a non-negative integer/);
    expect(msg({ cropPad: '4' })).toMatch(/meta\.cropPad is "4", not a non-negative integer/);
  });

  it('mean / std: finite, one per channel, in range, std > 0', () => {
    expect(msg({ std: [0] })).toMatch(/meta\.std\[0\] is 0: a std of pixels scaled to \[0, 1\] lies in \[0\.000001, 1\]/);
    expect(msg({ std: [-0.2] })).toMatch(/meta\.std\[0\] is -0\.2/);
    expect(msg({ std: [1e-300] })).toMatch(/meta\.std\[0\] is 1e-300/);
    expect(msg({ mean: [2] })).toMatch(/meta\.mean\[0\] is 2: a mean of pixels scaled to \[0, 1\] lies in \[0, 1\]/);
    expect(msg({ mean: [0.5, 0.5] })).toMatch(/meta\.mean lists 2 values for 1-channel images/);
    expect(msg({ std: 'x' })).toMatch(/meta\.std is "x", not a list of numbers/);
    expect(msg({ mean: [null] })).toMatch(/meta\.mean\[0\] is null, not a finite number/);
    // JSON has no Infinity, but 1e999 parses to it
    const raw = encodeDataset(ds, { gzip: false });
    const text = new TextDecoder().decode(raw);
    const patched = text.replace(/"std":\[[^\]]*\]/, '"std":[1e999]');
    const bytes = new TextEncoder().encode(patched);
    new DataView(bytes.buffer).setUint32(6, new DataView(raw.buffer).getUint32(6, true) + (patched.length - text.length), true);
    expect(thrown(() => decodeDataset(bytes, 'inf.ltpg')).message).toMatch(/meta\.std\[0\] is Infinity, not a finite number/);
  });

  it('id, title, hflip, licence, extra', () => {
    expect(msg({ id: '' })).toMatch(/meta\.id is "", not a non-empty string/);
    expect(msg({ id: 'x'.repeat(65) })).toMatch(/meta\.id is "x+…x+": at most 64 printable characters/);
    expect(msg({ id: 'a\u0007b' })).toMatch(/meta\.id .*at most 64 printable characters/);
    expect(msg({ title: 7 })).toMatch(/meta\.title is 7, not a string/);
    expect(msg({ hflip: 'yes' })).toMatch(/meta\.hflip is "yes", not true or false/);
    expect(msg({ licence: 'l'.repeat(10_001) })).toMatch(/meta\.licence is 10001 characters, more than the 10000 accepted/);
    expect(thrown(() => decodeDataset(encodeDataset(ds, { extra: [1] as unknown as Record<string, unknown> }), 'x.ltpg')).message).toMatch(
      /extra is a list of 1, not an object/,
    );
  });
});

describe('zip: members that share their data', () => {
  const png = encodePng({ width: 4, height: 4, colorType: 0, data: new Array(16).fill(9) });

  it('two directory entries pointing at one member are refused, naming both', () => {
    const e = thrown(() => listZip(imageZip(png, 3, true), 'bomb.zip'));
    expect(e.message).toMatch(
      /^bomb\.zip: corrupt \.zip archive: member "pets\/b\/001\.png" shares its data with member "pets\/a\/000\.png" \(the directory places them at bytes 0–\d+ and 0–\d+\)/,
    );
    expect(listZip(imageZip(png, 3, false), 'ok.zip')).toHaveLength(3);
  });

  it('an entry starting inside another member is refused too', () => {
    const zip = imageZip(png, 2, false);
    const cd = zip.length - 22 - 2 * (46 + 14);
    const second = cd + 46 + 14;
    const v = new DataView(zip.buffer, zip.byteOffset);
    v.setUint32(second + 42, 10, true); // local header offset 10: inside the first member's header
    expect(thrown(() => listZip(zip, 'b.zip')).message).toMatch(
      /member "pets\/b\/001\.png" shares its data with member "pets\/a\/000\.png"/,
    );
  });
});

describe('folder decode budget (from the image headers)', () => {
  const img = (w: number, h: number) => encodePng({ width: w, height: h, colorType: 0, data: new Array(w * h).fill(100) });
  const opts = { decoder: pngDecoder, target: FOLDER_TARGETS.grey28, testFraction: 0.2, seed: 1 };

  it('an image over the per-image cap is skipped with its size, before it is decoded', async () => {
    let decoded = 0;
    const counting = async (b: Uint8Array, f: string) => {
      decoded++;
      return pngDecoder(b, f);
    };
    const files = [
      { path: 'p/a/big.png', bytes: img(40, 30) },
      { path: 'p/a/1.png', bytes: img(4, 4) },
      { path: 'p/b/1.png', bytes: img(4, 4) },
    ];
    const r = await buildFolderDataset(files, { ...opts, decoder: counting, maxImagePixels: 1000 });
    expect(decoded).toBe(2);
    expect(r.report.skipped).toEqual([
      {
        file: 'p/a/big.png',
        reason: 'image is 40×30 (0.0 megapixels), more than the 0.0 megapixels accepted — it is resized to 28×28: downscale it first',
      },
    ]);
    await expect(buildFolderDataset(files, { ...opts, maxImagePixels: 1000, strict: true })).rejects.toThrow(
      /^p\/a\/big\.png: image is 40×30/,
    );
  });

  it('a total over the budget is refused before anything is decoded, naming the largest image', async () => {
    let decoded = 0;
    const counting = async (b: Uint8Array, f: string) => {
      decoded++;
      return pngDecoder(b, f);
    };
    const files = [
      { path: 'p/a/1.png', bytes: img(30, 20) },
      { path: 'p/a/2.png', bytes: img(50, 40) },
      { path: 'p/b/1.png', bytes: img(30, 20) },
    ];
    await expect(buildFolderDataset(files, { ...opts, decoder: counting, maxDecodePixels: 3000 })).rejects.toThrow(
      'p: its images add up to 0.0 megapixels to decode, more than the 0.0 accepted (they are resized to 28×28) — downscale the images or use fewer; the largest is p/a/2.png (50×40)',
    );
    expect(decoded).toBe(0);
    expect((await buildFolderDataset(files, { ...opts, maxDecodePixels: 3200 })).report.skipped).toEqual([]);
  });

  it('images whose size the header check cannot read are counted once decoded', async () => {
    const tiff = Uint8Array.from([0x49, 0x49, 0x2a, 0, 1, 2, 3, 4]);
    const fake = async () => ({ width: 100, height: 100, channels: 1 as const, data: new Uint8Array(10_000) });
    const files = [
      { path: 'p/a/1.tif', bytes: tiff },
      { path: 'p/b/1.tif', bytes: tiff },
    ];
    await expect(buildFolderDataset(files, { ...opts, decoder: fake, maxDecodePixels: 15_000 })).rejects.toThrow(
      /^p: its images add up to 0\.0 megapixels to decode, more than the 0\.0 accepted/,
    );
    await expect(buildFolderDataset(files, { ...opts, decoder: fake, maxImagePixels: 5000 })).rejects.toThrow(
      /^p\/a: class "a" has no readable image .*p\/a\/1\.tif: image is 100×100/,
    );
    expect((await buildFolderDataset(files, { ...opts, decoder: fake, maxDecodePixels: 20_000 })).report.skipped).toEqual([]);
  });

  it('imageDimensions reads PNG, JPEG, GIF, BMP and WebP headers', () => {
    expect(imageDimensions(img(7, 5))).toEqual({ width: 7, height: 5 });
    // JPEG: SOI, APP0 (16 bytes), SOF0 with height 480 and width 640
    const jpeg = Uint8Array.from([
      0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xff, 0xc0, 0, 17, 8, 0x01, 0xe0, 0x02, 0x80, 3,
    ]);
    expect(imageDimensions(jpeg)).toEqual({ width: 640, height: 480 });
    expect(imageDimensions(Uint8Array.from([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x10, 0x27, 0x20, 0x4e]))).toEqual({
      width: 10000,
      height: 20000,
    });
    const bmp = new Uint8Array(30);
    bmp.set([0x42, 0x4d]);
    const bv = new DataView(bmp.buffer);
    bv.setUint32(14, 40, true);
    bv.setInt32(18, 300, true);
    bv.setInt32(22, -200, true);
    expect(imageDimensions(bmp)).toEqual({ width: 300, height: 200 });
    const webp = (chunk: string, body: number[]) => {
      const b = new Uint8Array(40);
      b.set(new TextEncoder().encode('RIFF'), 0);
      b.set(new TextEncoder().encode('WEBP'), 8);
      b.set(new TextEncoder().encode(chunk), 12);
      b.set(body, 20);
      return b;
    };
    expect(imageDimensions(webp('VP8 ', [0, 0, 0, 0x9d, 0x01, 0x2a, 0x20, 0x03, 0x58, 0x02]))).toEqual({ width: 800, height: 600 });
    // VP8L: width−1 = 99, height−1 = 49 in 14 bits each
    const bits = 99 | (49 << 14);
    expect(imageDimensions(webp('VP8L', [0x2f, bits & 0xff, (bits >> 8) & 0xff, (bits >> 16) & 0xff, 0]))).toEqual({
      width: 100,
      height: 50,
    });
    expect(imageDimensions(webp('VP8X', [0, 0, 0, 0, 0xff, 0x0f, 0, 0x7f, 0x0c, 0]))).toEqual({ width: 4096, height: 3200 });
    expect(imageDimensions(new Uint8Array([1, 2, 3]))).toBeNull();
  });
});

describe('a data file is checked from its first bytes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ltp-head-'));

  it('readBytes gives the check the first 64 KiB and reads nothing more when it throws', async () => {
    const path = join(dir, 'big.bin');
    writeFileSync(path, new Uint8Array(HEAD_BYTES * 3).fill(7));
    let seen = -1;
    await expect(
      readBytes(path, undefined, (head) => {
        seen = head.length;
        throw new DataError('big.bin', 'wrong type');
      }),
    ).rejects.toThrow('big.bin: wrong type');
    expect(seen).toBe(HEAD_BYTES);
    const all = await readBytes(path, undefined, () => {});
    expect(all.length).toBe(HEAD_BYTES * 3);
    expect(all.every((v) => v === 7)).toBe(true);
    const small = join(dir, 'small.bin');
    writeFileSync(small, Uint8Array.from([1, 2, 3]));
    expect(Array.from(await readBytes(small, undefined, (h) => expect(h.length).toBe(3)))).toEqual([1, 2, 3]);
  });

  it('pack and CIFAR checks: raw and gzip, right and wrong inner type', () => {
    const pack = encodeDataset(tinyDataset({ classes: 2, poolPerClass: 2, testPerClass: 1 }));
    expect(() => checkPackStart(pack.subarray(0, 1000), 'a.ltpg')).not.toThrow();
    expect(() => checkPackStart(encodeDataset(tinyDataset({ classes: 2 }), { gzip: false }).subarray(0, 100), 'a.ltpg')).not.toThrow();
    expect(thrown(() => checkPackStart(new Uint8Array(HEAD_BYTES), 'z.ltpg')).message).toBe(
      'z.ltpg: not an LTPG data file (magic "????", expected "LTPG")',
    );
    expect(thrown(() => checkPackStart(gzipSync(new TextEncoder().encode('hello world, not a pack')), 'g.ltpg')).message).toMatch(
      /^g\.ltpg: not an LTPG data file \(magic "hell"/,
    );
    const tar = writeTar([{ name: 'cifar-10-batches-bin/x.bin', data: new Uint8Array(600) }]);
    expect(() => checkCifarStart(tar, 'c.tar')).not.toThrow();
    expect(() => checkCifarStart(gzipSync(tar).subarray(0, 60), 'c.tar.gz')).not.toThrow(); // too little to tell
    expect(() => checkCifarStart(gzipSync(tar), 'c.tar.gz')).not.toThrow();
    expect(thrown(() => checkCifarStart(pack, 'p.tar.gz')).message).toBe(
      'p.tar.gz: not a tar archive (the first header has no valid checksum)',
    );
    expect(thrown(() => checkCifarStart(new Uint8Array(4096), 'z.bin')).message).toBe(
      'z.bin: neither gzip data nor a tar archive — expected cifar-10-binary.tar.gz or cifar-100-binary.tar.gz',
    );
  });
});
