/**
 * gzip helpers on top of fflate that work the same in Node, a Web Worker and the browser. fflate does not check
 * the gzip trailer (CRC-32, size), so a flipped byte or a cut-off trailer would pass silently; `gunzipChecked`
 * verifies both for every member, bounds the output while it streams (inflate.ts) and reports progress.
 */
import { Gunzip, gzipSync } from 'fflate';
import { DataError } from './errors';
import { BoundedSink, DEFAULT_MAX_INFLATE, MAX_DEFLATE_RATIO, feed, type InflateLimit, type LimitFrom, type ProgressFn } from './inflate';

export type { ProgressFn } from './inflate';

/** True when the bytes start with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * The first `n` bytes that the start of a gzip stream inflates to (fewer when it yields fewer), for checking what a
 * compressed file holds before reading the rest of it. Never throws: a start that does not inflate yields nothing.
 */
export function gunzipHead(start: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let got = 0;
  const enough = {};
  const g = new Gunzip((chunk) => {
    const k = Math.min(n - got, chunk.length);
    out.set(chunk.subarray(0, k), got);
    got += k;
    if (got >= n) throw enough;
  });
  try {
    for (let o = 0; o < start.length; o += 1024) g.push(start.subarray(o, o + 1024), false);
  } catch {
    // enough bytes, or data that is not gzip after all: what came out is the answer
  }
  return out.subarray(0, got);
}

let crcTables: Uint32Array[] | null = null;
function tables(): Uint32Array[] {
  if (crcTables) return crcTables;
  const t0 = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t0[n] = c >>> 0;
  }
  const ts = [t0];
  for (let k = 1; k < 4; k++) {
    const prev = ts[k - 1];
    const t = new Uint32Array(256);
    for (let n = 0; n < 256; n++) t[n] = (prev[n] >>> 8) ^ t0[prev[n] & 0xff];
    ts.push(t);
  }
  crcTables = ts;
  return ts;
}

/** CRC-32 (IEEE, as in gzip and PNG); pass the previous value to continue a running checksum. Slicing-by-4. */
export function crc32(data: Uint8Array, prev = 0): number {
  const [t0, t1, t2, t3] = tables();
  let c = ~prev;
  let i = 0;
  const end4 = data.length - (data.length & 3);
  for (; i < end4; i += 4) {
    c ^= data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    c = t3[c & 0xff] ^ t2[(c >>> 8) & 0xff] ^ t1[(c >>> 16) & 0xff] ^ t0[c >>> 24];
  }
  for (; i < data.length; i++) c = t0[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

export interface GunzipOptions {
  /** Fraction of the compressed input consumed, 0..1. */
  onProgress?: ProgressFn;
  /** Most output bytes accepted (default DEFAULT_MAX_INFLATE = 1 GiB); the reader of each format passes its own. */
  maxBytes?: number;
  /** What the limit is, for the message ("a CIFAR binary archive can hold"). */
  reason?: string;
  /** See InflateLimit.limitFrom: a lower limit read from the first output bytes (e.g. a header). */
  limitFrom?: LimitFrom;
}

function u32le(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}

/**
 * Inflates gzip data — one member or several concatenated (`cat a.gz b.gz`, RFC 1952) — checking every member's
 * trailer (CRC-32 and size) and refusing output beyond `maxBytes` while it streams (see inflate.ts). Throws
 * DataError naming `fileName` when the data is not gzip, is truncated, is corrupt or decompresses to too much.
 */
export function gunzipChecked(bytes: Uint8Array, fileName: string, opts: ProgressFn | GunzipOptions = {}): Uint8Array {
  const o: GunzipOptions = typeof opts === 'function' ? { onProgress: opts } : opts;
  if (!isGzip(bytes)) throw new DataError(fileName, 'not gzip data (missing the 1f 8b magic bytes)');
  if (bytes.length < 18) throw new DataError(fileName, `truncated gzip file (${bytes.length} bytes)`);
  const n = bytes.length;
  const limit: InflateLimit = { maxBytes: o.maxBytes ?? DEFAULT_MAX_INFLATE, reason: o.reason, limitFrom: o.limitFrom };
  // the last member's ISIZE is the whole output of a single-member file: allocate that once (capped at the limit,
  // and at what DEFLATE can expand this input to, so a forged ISIZE in a tiny file allocates little)
  const sink = new BoundedSink(fileName, limit, Math.min(u32le(bytes, n - 4), MAX_DEFLATE_RATIO * n), '', MAX_DEFLATE_RATIO * n);
  let members = 0;
  let crc = 0;
  let size = 0;
  const checkTrailer = (at: number) => {
    members++;
    const wantCrc = u32le(bytes, at);
    const wantSize = u32le(bytes, at + 4);
    if (wantSize !== size % 4294967296 || wantCrc !== crc) {
      throw new DataError(
        fileName,
        `corrupt or truncated gzip data (${members > 1 ? `member ${members}: ` : ''}trailer says ${wantSize} bytes with CRC ${hex(wantCrc)}, ` +
          `inflated ${size} bytes with CRC ${hex(crc)})`,
      );
    }
    crc = 0;
    size = 0;
  };
  const inflater = new Gunzip((chunk) => {
    sink.push(chunk);
    crc = crc32(chunk, crc);
    size += chunk.length;
  });
  // a further member starts at `offset`: the previous one's 8-byte trailer ends there
  inflater.onmember = (offset) => checkTrailer(offset - 8);
  try {
    feed(
      bytes,
      (s, f) => inflater.push(s, f),
      () => sink.room,
      o.onProgress,
    );
  } catch (e) {
    if (e instanceof DataError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    if (/EOF/i.test(msg)) throw new DataError(fileName, 'truncated gzip data (the compressed stream ends early)');
    if (/invalid gzip data/.test(msg) && sink.length > 0) {
      throw new DataError(fileName, `corrupt gzip data (the bytes after member ${members + 1} are not another gzip member)`);
    }
    throw new DataError(fileName, `corrupt gzip data (${members > 0 ? `member ${members + 1}: ` : ''}${msg})`);
  }
  checkTrailer(n - 8);
  return sink.result();
}

/** Inflates when the bytes are gzip, otherwise returns them unchanged (a server may already have decoded). */
export function maybeGunzip(bytes: Uint8Array, fileName: string, opts: ProgressFn | GunzipOptions = {}): Uint8Array {
  if (isGzip(bytes)) return gunzipChecked(bytes, fileName, opts);
  (typeof opts === 'function' ? opts : opts.onProgress)?.(1);
  return bytes;
}

/** gzip with a fixed mtime so the output is byte-for-byte reproducible. */
export function gzipBytes(data: Uint8Array, level: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 = 6): Uint8Array {
  return gzipSync(data, { level, mtime: 0 });
}

function hex(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}
