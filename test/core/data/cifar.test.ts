import { describe, expect, it } from 'vitest';
import { gunzipSync, gzipSync } from 'fflate';
import { gzipSync as nodeGzip } from 'node:zlib';
import { CIFAR_MAX_TAR_BYTES, readCifar10, readCifar100, readCifarArchive, writeCifarArchive } from '../../../src/core/data/cifar';
import { SizeLimitError } from '../../../src/core/data/inflate';
import { DataError } from '../../../src/core/data/errors';
import { readTar, writeTar } from '../../../src/core/data/tar';
import { syntheticSet, thrown } from './helpers';

const shape = { height: 32, width: 32, channels: 3 };
const c10train = syntheticSet([3, 2, 2, 1, 1, 1, 1, 1, 2, 1], shape, 1, 'c10 train');
const c10test = syntheticSet([1, 1, 1, 1, 1, 1, 1, 1, 1, 1], shape, 2, 'c10 test');
const c100train = syntheticSet(
  Array.from({ length: 100 }, (_, c) => (c % 3 === 0 ? 1 : 0)),
  shape,
  3,
  'c100 train',
);
const c100test = syntheticSet(
  Array.from({ length: 100 }, (_, c) => (c % 7 === 0 ? 1 : 0)),
  shape,
  4,
  'c100 test',
);
const loose = { strictCounts: false };

/** Replaces one member's data and re-packs (tar + gzip). */
function patch(archive: Uint8Array, member: string, f: (d: Uint8Array) => Uint8Array): Uint8Array {
  const entries = readTar(gunzipSync(archive), 'a').map((e) => ({ name: e.name, data: e.name.endsWith(member) ? f(e.data) : e.data }));
  return gzipSync(writeTar(entries));
}

describe('tar', () => {
  it('round-trips files, long names and directories; validates checksums', () => {
    const long = `${'d'.repeat(120)}/${'f'.repeat(90)}.bin`;
    const data = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
    const tar = writeTar([{ name: 'dir/' }, { name: 'dir/a.txt', data: new TextEncoder().encode('hello') }, { name: long, data }]);
    const entries = readTar(tar, 't.tar');
    expect(entries.map((e) => e.name)).toEqual(['dir/a.txt', long]);
    expect(new TextDecoder().decode(entries[0].data)).toBe('hello');
    expect(Array.from(entries[1].data)).toEqual(Array.from(data));
    const bad = tar.slice();
    bad[512 + 10] ^= 1; // name byte of the second header
    expect(thrown(() => readTar(bad, 't.tar')).message).toBe('t.tar: corrupt tar archive: header checksum mismatch at byte 512');
    expect(thrown(() => readTar(new Uint8Array(1024).fill(65), 'x')).message).toMatch(/not a tar archive/);
    expect(thrown(() => readTar(tar.subarray(0, 2048 + 100), 't.tar')).message).toMatch(
      /truncated tar archive: member "d{100}…d{4}\/f{90}\.bin" needs 1000 bytes, the archive ends 100 bytes into it/,
    );
    expect(thrown(() => readTar(tar.subarray(0, 1536 + 100), 't.tar')).message).toBe(
      't.tar: truncated tar archive: it ends 100 bytes into a 512-byte header (after 1 files)',
    );
    expect(thrown(() => readTar(tar.subarray(0, 1536), 't.tar')).message).toBe(
      't.tar: truncated tar archive: no end-of-archive marker after 1 files',
    );
  });
});

describe('CIFAR binary archives', () => {
  it('round-trips CIFAR-10 into NHWC ImageSets with official layout', () => {
    const gz = writeCifarArchive('cifar10', c10train, c10test);
    const names = readTar(gunzipSync(gz), 'a').map((e) => e.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'cifar-10-batches-bin/data_batch_1.bin',
        'cifar-10-batches-bin/data_batch_5.bin',
        'cifar-10-batches-bin/test_batch.bin',
        'cifar-10-batches-bin/batches.meta.txt',
      ]),
    );
    const progress: number[] = [];
    const ds = readCifarArchive(gz, 'cifar-10-binary.tar.gz', { ...loose, onProgress: (f) => progress.push(f) });
    expect(ds.meta.id).toBe('cifar10-lt');
    expect(ds.pool.classNames).toEqual(c10train.classNames);
    expect(Array.from(ds.pool.labels)).toEqual(Array.from(c10train.labels));
    expect(Array.from(ds.pool.images)).toEqual(Array.from(c10train.images));
    expect(Array.from(ds.test.images)).toEqual(Array.from(c10test.images));
    expect([ds.pool.height, ds.pool.width, ds.pool.channels]).toEqual([32, 32, 3]);
    expect(progress.at(-1)).toBe(1);
    expect(progress.every((p, i) => i === 0 || p >= progress[i - 1])).toBe(true);
  });

  it('puts planar R/G/B record bytes into NHWC pixels', () => {
    // hand-built record: label 7, R plane = p, G = 100 + (p&7), B = 255 - (p & 0xff)
    const rec = new Uint8Array(3073);
    rec[0] = 7;
    for (let p = 0; p < 1024; p++) {
      rec[1 + p] = p & 0xff;
      rec[1025 + p] = 100 + (p & 7);
      rec[2049 + p] = 255 - (p & 0xff);
    }
    const gz = patch(writeCifarArchive('cifar10', c10train, c10test), 'test_batch.bin', () => rec);
    const ds = readCifar10(gz, 'c10.tar.gz', loose);
    expect(ds.test.labels[0]).toBe(7);
    const p = 5 * 32 + 9; // row 5, col 9
    expect(Array.from(ds.test.images.subarray(p * 3, p * 3 + 3))).toEqual([p & 0xff, 100 + (p & 7), 255 - (p & 0xff)]);
  });

  it('round-trips CIFAR-100 with fine labels', () => {
    const gz = writeCifarArchive('cifar100', c100train, c100test);
    const ds = readCifar100(gz, 'cifar-100-binary.tar.gz', loose);
    expect(ds.meta.id).toBe('cifar100-lt');
    expect(ds.pool.numClasses).toBe(100);
    expect(Array.from(ds.pool.labels)).toEqual(Array.from(c100train.labels));
    expect(Array.from(ds.test.images)).toEqual(Array.from(c100test.images));
    expect(readCifarArchive(gz, 'x.tar.gz', loose).pool.numClasses).toBe(100);
  });

  it('names the file and the problem for broken archives', () => {
    const c10 = writeCifarArchive('cifar10', c10train, c10test);
    const c100 = writeCifarArchive('cifar100', c100train, c100test);
    const msg = (b: Uint8Array, f = readCifarArchive) => {
      const e = thrown(() => f(b, 'up.tar.gz', loose));
      expect(e).toBeInstanceOf(DataError);
      return e.message;
    };
    expect(msg(new TextEncoder().encode('hello world, not an archive at all'.repeat(20)))).toMatch(
      /^up\.tar\.gz: neither gzip data nor a tar archive/,
    );
    expect(msg(gzipSync(new Uint8Array(2048).fill(7)))).toMatch(/^up\.tar\.gz: not a tar archive/);
    expect(msg(c10.subarray(0, c10.length - 100))).toMatch(/^up\.tar\.gz: .*(truncated|corrupt)/);
    expect(msg(gzipSync(writeTar([{ name: 'foo/bar.txt', data: new Uint8Array(3) }])))).toMatch(/not a CIFAR binary archive/);
    expect(msg(c100, readCifar10)).toMatch(/missing member cifar-10-batches-bin\/batches\.meta\.txt/);
    const dropped = gzipSync(writeTar(readTar(gunzipSync(c10), 'a').filter((e) => !e.name.endsWith('data_batch_3.bin'))));
    expect(msg(dropped)).toMatch(/missing member cifar-10-batches-bin\/data_batch_3\.bin/);
    expect(msg(patch(c10, 'data_batch_2.bin', (d) => d.subarray(0, d.length - 5)))).toBe(
      'up.tar.gz:cifar-10-batches-bin/data_batch_2.bin: size 9214 is not a multiple of the 3073-byte record (2 whole records + 3068 bytes) — truncated or not a CIFAR batch',
    );
    expect(
      msg(
        patch(c10, 'test_batch.bin', (d) => {
          const x = d.slice();
          x[3073] = 10;
          return x;
        }),
      ),
    ).toBe('up.tar.gz:cifar-10-batches-bin/test_batch.bin: label 10 of record 1 is out of range (expected 0..9)');
    expect(
      msg(
        patch(c100, 'train.bin', (d) => {
          const x = d.slice();
          x[1] = 100;
          return x;
        }),
      ),
    ).toMatch(/train\.bin: fine label 100 of record 0 is out of range \(expected 0\.\.99\)/);
    expect(msg(patch(c10, 'batches.meta.txt', () => new TextEncoder().encode('a\nb\n')))).toMatch(
      /batches\.meta\.txt: lists 2 class names, expected 10/,
    );
    // strict (default) mode insists on the official record counts
    expect(thrown(() => readCifarArchive(c10, 'up.tar.gz')).message).toMatch(
      /data_batch_1\.bin: holds 3 records, the official file has 10000/,
    );
    expect(thrown(() => readCifar100(c100, 'up.tar.gz')).message).toMatch(/train\.bin: holds 34 records, the official file has 50000/);
  });

  it('refuses a decompression bomb at the CIFAR limit (set low here), naming the file', () => {
    expect(CIFAR_MAX_TAR_BYTES).toBe(190_000_000);
    // a valid archive whose tar is followed by megabytes of zeros (tar padding a reader would otherwise accept)
    const c10 = writeCifarArchive('cifar10', c10train, c10test);
    const tar = gunzipSync(c10);
    const padded = new Uint8Array(tar.length + 8 * 1024 * 1024);
    padded.set(tar);
    const bomb = nodeGzip(padded, { level: 9 });
    expect(readCifarArchive(bomb, 'pad.tar.gz', loose).pool.labels.length).toBe(15); // fine under the real limit
    const e = thrown(() => readCifarArchive(bomb, 'bomb.tar.gz', { ...loose, maxBytes: 2 * tar.length }));
    expect(e).toBeInstanceOf(SizeLimitError);
    expect(e.message).toBe(
      `bomb.tar.gz: decompresses to more than the ${2 * tar.length} bytes a CIFAR binary archive can hold (the official ones hold ` +
        'about 184.4 MB) — refused (a damaged file or a decompression bomb)',
    );
  });

  it('reads a multi-member .tar.gz (the tar split over two gzip members)', () => {
    const tar = gunzipSync(writeCifarArchive('cifar10', c10train, c10test));
    const cut = 5000;
    const a = gzipSync(tar.subarray(0, cut));
    const b = gzipSync(tar.subarray(cut));
    const two = new Uint8Array(a.length + b.length);
    two.set(a);
    two.set(b, a.length);
    const ds = readCifarArchive(two, 'two.tar.gz', loose);
    expect(Array.from(ds.pool.labels)).toEqual(Array.from(c10train.labels));
  });

  it('cleans class names like every other source (bidi overrides, control characters, 100k-character names)', () => {
    const names = ['air\u202eplane', 'x'.repeat(100_000), 'bird\u0007', 'cat', 'cat', 'dog', 'frog', 'horse', 'ship', '\u200f'];
    const evil = writeCifarArchive('cifar10', { ...c10train, classNames: names }, { ...c10test, classNames: names });
    const ds = readCifarArchive(evil, 'evil.tar.gz', loose);
    expect(ds.pool.classNames).toEqual([
      'airplane',
      'x'.repeat(63) + '…',
      'bird',
      'cat',
      'cat (2)',
      'dog',
      'frog',
      'horse',
      'ship',
      'class 10',
    ]);
    expect(ds.test.classNames).toEqual(ds.pool.classNames);
  });
});
