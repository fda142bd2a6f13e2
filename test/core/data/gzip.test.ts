/**
 * The bounded decompressor (inflate.ts) through gzip: multi-member files, every member's trailer checked, output
 * capped while it streams (a bomb stops after a few slices of input), limits read from a header.
 */
import { gzipSync as nodeGzip } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { deflateSync, gzipSync } from 'fflate';
import { DataError } from '../../../src/core/data/errors';
import { gunzipChecked, maybeGunzip } from '../../../src/core/data/gzip';
import { DEFAULT_MAX_INFLATE, SizeLimitError, inflateRawBounded, sliceFor } from '../../../src/core/data/inflate';
import { thrown } from './helpers';

const text = (s: string) => new TextEncoder().encode(s);
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

describe('gunzipChecked', () => {
  it('accepts multi-member gzip (cat a.gz b.gz, RFC 1952) from fflate and zlib, empty members included', () => {
    const a = gzipSync(text('hello '));
    const b = nodeGzip(text('multi-member '), { level: 1 }); // zlib's header differs (OS byte, flags)
    const empty = gzipSync(new Uint8Array(0));
    const c = gzipSync(text('world'), { filename: 'c.txt' } as never); // FNAME field in the header
    const out = gunzipChecked(concat(a, empty, b, c), 'abc.gz');
    expect(new TextDecoder().decode(out)).toBe('hello multi-member world');
    // a big member after a small one: the output buffer grows past the first member's size hint
    const big = new Uint8Array(300_000).map((_, i) => (i * 7) & 255);
    expect(gunzipChecked(concat(gzipSync(big), a), 'x.gz').length).toBe(300_006);
  });

  it('checks every member’s trailer and says which member is wrong', () => {
    const a = gzipSync(text('first member'));
    const b = gzipSync(text('second member'));
    const badFirst = concat(a, b);
    badFirst[a.length - 6] ^= 1; // CRC of member 1
    expect(thrown(() => gunzipChecked(badFirst, 'ab.gz')).message).toMatch(
      /^ab\.gz: corrupt or truncated gzip data \(trailer says 12 bytes/,
    );
    const badSecond = concat(a, b);
    badSecond[badSecond.length - 2] ^= 1; // size of member 2
    expect(thrown(() => gunzipChecked(badSecond, 'ab.gz')).message).toMatch(
      /^ab\.gz: corrupt or truncated gzip data \(member 2: trailer says/,
    );
    const junk = concat(a, text('not gzip at all'));
    expect(thrown(() => gunzipChecked(junk, 'junk.gz')).message).toMatch(
      /^junk\.gz: corrupt gzip data \(the bytes after member 1 are not another gzip member\)/,
    );
  });

  it('refuses a bomb after at most a few slices of input, with the limit and its reason in the message', () => {
    const bomb = nodeGzip(new Uint8Array(16 * 1024 * 1024), { level: 9 }); // 16 MiB of zeros in ~16 KB
    expect(bomb.length).toBeLessThan(20_000);
    const seen: number[] = [];
    const e = thrown(() =>
      gunzipChecked(bomb, 'bomb.tar.gz', { maxBytes: 1_000_000, reason: 'a test file may hold', onProgress: (f) => seen.push(f) }),
    );
    expect(e).toBeInstanceOf(SizeLimitError);
    expect((e as SizeLimitError).limit).toBe(1_000_000);
    expect(e.message).toBe(
      'bomb.tar.gz: decompresses to more than the 1000000 bytes a test file may hold — refused (a damaged file or a decompression bomb)',
    );
    // it stopped early: far less than the whole input was consumed (progress is reported per 1 % of the input)
    expect(seen.length === 0 || seen[seen.length - 1] < 0.1).toBe(true);
    // the same data under a limit it fits is fine, to the byte
    expect(gunzipChecked(bomb, 'bomb.tar.gz', { maxBytes: 16 * 1024 * 1024 }).length).toBe(16 * 1024 * 1024);
    expect(thrown(() => gunzipChecked(bomb, 'b', { maxBytes: 16 * 1024 * 1024 - 1 }))).toBeInstanceOf(SizeLimitError);
  });

  it('the default limit is 1 GiB, and small limits feed small slices (the overshoot stays about the limit)', () => {
    expect(DEFAULT_MAX_INFLATE).toBe(1024 ** 3);
    expect(sliceFor(1024 ** 3)).toBe(16 * 1024);
    expect(sliceFor(100_000)).toBe(1024);
    expect(sliceFor(5_000_000)).toBe(Math.floor(5_000_000 / 1032) + 1);
  });

  it('a limit read from the first output bytes (a header) applies from then on; the reader may refuse early', () => {
    const data = concat(text('HDR'), new Uint8Array([0, 0, 0, 10]), new Uint8Array(5000)); // says 10 payload bytes, holds 5000
    const gz = gzipSync(data);
    const limitFrom = (head: Uint8Array) =>
      head.length < 7
        ? undefined
        : { maxBytes: 7 + new DataView(head.buffer, head.byteOffset).getUint32(3), reason: 'its header declares' };
    expect(thrown(() => gunzipChecked(gz, 'h.bin', { limitFrom })).message).toMatch(
      /^h\.bin: decompresses to more than the 17 bytes its header declares/,
    );
    const refuse = () => {
      throw new DataError('h.bin', 'not what it should be');
    };
    expect(thrown(() => gunzipChecked(gz, 'h.bin', { limitFrom: refuse })).message).toBe('h.bin: not what it should be');
    const ok = gzipSync(concat(text('HDR'), new Uint8Array([0, 0, 0, 2]), new Uint8Array(2)));
    expect(gunzipChecked(ok, 'h.bin', { limitFrom }).length).toBe(9);
  });

  it('truncated, empty and non-gzip input keep their messages; maybeGunzip passes raw bytes through', () => {
    const gz = gzipSync(new Uint8Array(10_000).map((_, i) => i & 255));
    expect(thrown(() => gunzipChecked(gz.subarray(0, gz.length >> 1), 't.gz')).message).toBe(
      't.gz: truncated gzip data (the compressed stream ends early)',
    );
    expect(thrown(() => gunzipChecked(text('plain'), 'p.gz')).message).toBe('p.gz: not gzip data (missing the 1f 8b magic bytes)');
    expect(thrown(() => gunzipChecked(gz.subarray(0, 12), 's.gz')).message).toBe('s.gz: truncated gzip file (12 bytes)');
    const raw = text('raw');
    expect(maybeGunzip(raw, 'r')).toBe(raw);
  });
});

describe('inflateRawBounded (zip members)', () => {
  it('inflates into at most the limit, naming the member', () => {
    const bomb = deflateSync(new Uint8Array(8 * 1024 * 1024), { level: 9 });
    const e = thrown(() =>
      inflateRawBounded(bomb, 'a.zip', { maxBytes: 4096, reason: 'the zip directory declares for it' }, 0, 'member "x" '),
    );
    expect(e.message).toBe(
      'a.zip: member "x" decompresses to more than the 4096 bytes the zip directory declares for it — refused (a damaged file or a decompression bomb)',
    );
    expect(inflateRawBounded(bomb, 'a.zip', { maxBytes: 8 * 1024 * 1024 }).length).toBe(8 * 1024 * 1024);
    const cut = thrown(() => inflateRawBounded(bomb.subarray(0, bomb.length - 4), 'a.zip', { maxBytes: 1e9 }, 0, 'member "x" '));
    expect(cut.message).toMatch(/^a\.zip: member "x" is corrupt or truncated \(unexpected EOF\)/);
  });
});
