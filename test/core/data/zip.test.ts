/**
 * The one zip reader (zip.ts): central directory, members read on demand into at most their declared size, CRC-32
 * and size checked, duplicates kept; and the folder upload on top of it (bombs refused, limits stated).
 */
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../../src/core/data/errors';
import { buildFolderDataset, readFolderZip } from '../../../src/core/data/folder';
import { FOLDER_TARGETS } from '../../../src/core/data/folder-limits';
import { SizeLimitError } from '../../../src/core/data/inflate';
import { pngDecoder } from '../../../src/core/data/png';
import { isZip, listZip, readZipMember } from '../../../src/core/data/zip';
import { classPng } from '../../helpers/upload-fixtures';
import { rejected, setZipField, thrown, zipEntries } from './helpers';

const text = (s: string) => new TextEncoder().encode(s);
const member = (zip: Uint8Array, name: string) => listZip(zip, 'a.zip').find((m) => m.name === name)!;

describe('listZip / readZipMember', () => {
  it('lists members in order with their sizes and reads them back, stored or deflated', () => {
    const big = new Uint8Array(50_000).map((_, i) => (i * 31) & 255);
    const zip = zipSync({ 'd/': new Uint8Array(0), 'd/a.txt': [text('alpha'), { level: 0 }], 'd/b.bin': [big, { level: 6 }] });
    expect(isZip(zip)).toBe(true);
    const list = listZip(zip, 'a.zip');
    expect(list.map((m) => [m.name, m.size])).toEqual([
      ['d/', 0],
      ['d/a.txt', 5],
      ['d/b.bin', 50_000],
    ]);
    expect([list[1].method, list[2].method]).toEqual([0, 8]);
    expect(new TextDecoder().decode(readZipMember(zip, 'a.zip', list[1]))).toBe('alpha');
    expect(readZipMember(zip, 'a.zip', list[2])).toEqual(big);
  });

  it('keeps duplicate names and a member named __proto__ as ordinary entries', () => {
    const protoZip = renameMember(zipSync({ aaaaaaaaa: new Uint8Array([1, 2, 3]) }), 'aaaaaaaaa', '__proto__');
    expect(listZip(protoZip, 'p.zip').map((m) => m.name)).toEqual(['__proto__']);
    expect(Array.from(readZipMember(protoZip, 'p.zip', listZip(protoZip, 'p.zip')[0]))).toEqual([1, 2, 3]);
    // fflate's zipSync takes an object (one member per name), so duplicates are made by renaming a member
    const twice = renameMember(zipSync({ 'a.txt': text('first'), 'b.txt': text('second') }), 'b.txt', 'a.txt');
    const list = listZip(twice, 't.zip');
    expect(list.map((m) => m.name)).toEqual(['a.txt', 'a.txt']);
    expect(list.map((m) => new TextDecoder().decode(readZipMember(twice, 't.zip', m)))).toEqual(['first', 'second']);
  });

  it('a member that inflates past its declared size is refused while it streams (zip bomb with a lying directory)', () => {
    const bomb = zipSync({ 'img.png': [new Uint8Array(8 * 1024 * 1024), { level: 9 }] });
    const lying = setZipField(bomb, 'img.png', 'size', 1000);
    const e = thrown(() => readZipMember(lying, 'a.zip', member(lying, 'img.png')));
    expect(e).toBeInstanceOf(SizeLimitError);
    expect(e.message).toBe(
      'a.zip: member "img.png" decompresses to more than the 1000 bytes the zip directory declares for it — refused (a damaged file or a decompression bomb)',
    );
    // an honest directory over the caller's limit is refused before anything is inflated
    expect(thrown(() => readZipMember(bomb, 'a.zip', member(bomb, 'img.png'), { maxBytes: 4096, reason: 'allowed' })).message).toBe(
      'a.zip: member "img.png" is 8388608 bytes (by the zip directory), more than the 4096 bytes allowed',
    );
  });

  it('a member shorter than declared, a CRC mismatch, encryption and unknown methods name the member', () => {
    const zip = zipSync({ 'a.txt': [text('hello world'), { level: 0 }], 'b.txt': [text('compressed text here'), { level: 6 }] });
    const longer = setZipField(zip, 'b.txt', 'size', 25);
    expect(thrown(() => readZipMember(longer, 'z.zip', member(longer, 'b.txt'))).message).toBe(
      'z.zip: member "b.txt" is corrupt or truncated (20 bytes instead of the 25 bytes the directory declares)',
    );
    const flipped = zip.slice();
    flipped[zipEntries(zip)[0].local + 30 + 'a.txt'.length] ^= 1; // first byte of the stored data
    expect(thrown(() => readZipMember(flipped, 'z.zip', member(flipped, 'a.txt'))).message).toBe(
      'z.zip: member "a.txt" is corrupt (CRC-32 mismatch)',
    );
    const enc = setZipField(zip, 'a.txt', 'flags', 1);
    expect(thrown(() => readZipMember(enc, 'z.zip', member(enc, 'a.txt'))).message).toMatch(
      /member "a\.txt" is encrypted, which is not supported/,
    );
    const lzma = setZipField(zip, 'b.txt', 'method', 14);
    expect(thrown(() => readZipMember(lzma, 'z.zip', member(lzma, 'b.txt'))).message).toMatch(
      /member "b\.txt" uses compression method 14, which is not supported/,
    );
    const far = setZipField(zip, 'b.txt', 'csize', 10_000);
    expect(thrown(() => readZipMember(far, 'z.zip', member(far, 'b.txt'))).message).toMatch(
      /member "b\.txt" is truncated \(needs 10000 bytes/,
    );
  });

  it('truncated archives and broken directories are DataErrors naming the archive', () => {
    const zip = zipSync({ 'a.txt': text('a'), 'b.txt': text('b') });
    for (const cut of [10, zip.length - 5]) {
      const e = thrown(() => listZip(zip.subarray(0, cut), 'cut.zip'));
      expect(e).toBeInstanceOf(DataError);
      expect(e.message).toMatch(/^cut\.zip: truncated \.zip archive \(no end-of-central-directory record/);
    }
    const count = zip.slice();
    count[zip.length - 22 + 10] = 200; // 200 entries in a 200-byte file
    expect(thrown(() => listZip(count, 'c.zip')).message).toMatch(/^c\.zip: corrupt or truncated \.zip archive .*200 entries cannot fit/);
    const moved = zip.slice();
    moved[zip.length - 22 + 16] ^= 0x04; // central directory offset
    expect(thrown(() => listZip(moved, 'm.zip')).message).toMatch(/^m\.zip: corrupt or truncated \.zip archive .*entry 1 of 2 is missing/);
  });
});

describe('folder uploads through the zip reader', () => {
  const base = { decoder: pngDecoder, target: FOLDER_TARGETS.rgb32, testFraction: 0.2, seed: 1 };
  const files = (n: number) =>
    Object.fromEntries(['cat', 'dog'].flatMap((c, k) => Array.from({ length: n }, (_, i) => [`pets/${c}/${i}.png`, classPng(k, i)])));

  it('a zip bomb is refused with the limit, before any image is decoded', async () => {
    let decoded = 0;
    const decoder = async (b: Uint8Array, n: string) => {
      decoded++;
      return pngDecoder(b, n);
    };
    // honest directory: 2 × 4 MiB of zeros declared, over a 1 MiB limit
    const honest = zipSync({ ...files(2), 'pets/cat/zeros.png': new Uint8Array(4 << 20), 'pets/dog/zeros.png': new Uint8Array(4 << 20) });
    let e = await rejected(buildFolderDataset(honest, { ...base, decoder, maxBytes: 1 << 20, archiveName: 'bomb.zip' }));
    expect(e.message).toMatch(/^bomb\.zip: its files add up to \d+ bytes uncompressed, more than the 1048576 bytes accepted/);
    // lying directory: the member says 100 bytes and inflates to 4 MiB
    const lying = setZipField(honest, 'pets/cat/zeros.png', 'size', 100);
    e = await rejected(buildFolderDataset(lying, { ...base, decoder, maxBytes: 1 << 30, archiveName: 'bomb.zip' }));
    expect(e.message).toMatch(
      /^bomb\.zip: member "pets\/cat\/zeros\.png" decompresses to more than the 100 bytes the zip directory declares/,
    );
    expect(decoded).toBe(0);
  });

  it('a zip of more files than 5 per accepted image is refused before anything is inflated', () => {
    const many = zipSync(Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`r/c${i % 2}/${i}.txt`, text('x')])));
    expect(thrown(() => readFolderZip(many, 'many.zip', 1 << 30, 50)).message).toBe(
      'many.zip: holds 60 files, more than the 50 accepted — use fewer images',
    );
  });

  it('duplicate member paths: the first copy is used, the second listed as skipped', async () => {
    const zip = renameMember(zipSync({ ...files(3), 'pets/dog/9.png': classPng(5, 5) }), 'pets/dog/9.png', 'pets/dog/0.png');
    const { report } = await buildFolderDataset(zip, { ...base, archiveName: 'dup.zip' });
    expect(report.perClassTotal).toEqual([3, 3]);
    expect(report.skipped).toEqual([{ file: 'dup.zip:pets/dog/0.png', reason: 'duplicate path (only the first copy is used)' }]);
  });

  it('stored and deflated members give the same data set as the picked files', async () => {
    const f = files(3);
    const list = Object.entries(f).map(([path, bytes]) => ({ path, bytes }));
    const a = await buildFolderDataset(list, base);
    const b = await buildFolderDataset(zipSync(f, { level: 0 }), base);
    const c = await buildFolderDataset(zipSync(f, { level: 9 }), base);
    expect(b.dataset.pool.images).toEqual(a.dataset.pool.images);
    expect(c.dataset.test.images).toEqual(a.dataset.test.images);
  });
});

/** Renames a member (same length) in both headers: a way to write duplicate names, which fflate's object API cannot. */
function renameMember(zip: Uint8Array, from: string, to: string): Uint8Array {
  if (from.length !== to.length) throw new Error('same length only');
  const out = zip.slice();
  const e = zipEntries(out).find((x) => x.name === from)!;
  const enc = new TextEncoder().encode(to);
  out.set(enc, e.central + 46);
  out.set(enc, e.local + 30);
  return out;
}
