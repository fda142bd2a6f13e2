/**
 * gzip helpers on top of fflate that work the same in Node, a Web Worker and the browser. fflate does not check
 * the gzip trailer (CRC-32, size), so a flipped byte or a cut-off trailer would pass silently; `gunzipChecked`
 * verifies both and reports progress while it inflates in chunks.
 */
import { Gunzip, gzipSync } from 'fflate';
import { DataError } from './errors';

export type ProgressFn = (fraction: number) => void;

/** True when the bytes start with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
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

const CHUNK = 1 << 22;

/**
 * Inflates a single-member gzip file and checks its trailer. Throws DataError naming `fileName` when the data
 * is not gzip, is truncated or is corrupt. `onProgress` receives the fraction of the compressed input consumed.
 */
export function gunzipChecked(bytes: Uint8Array, fileName: string, onProgress?: ProgressFn): Uint8Array {
  if (!isGzip(bytes)) throw new DataError(fileName, 'not gzip data (missing the 1f 8b magic bytes)');
  if (bytes.length < 18) throw new DataError(fileName, `truncated gzip file (${bytes.length} bytes)`);
  const parts: Uint8Array[] = [];
  let total = 0;
  let crc = 0;
  const inflater = new Gunzip((chunk) => {
    parts.push(chunk);
    total += chunk.length;
    crc = crc32(chunk, crc);
  });
  try {
    for (let off = 0; off < bytes.length; off += CHUNK) {
      const end = Math.min(bytes.length, off + CHUNK);
      inflater.push(bytes.subarray(off, end), end === bytes.length);
      onProgress?.(end / bytes.length);
    }
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/EOF/i.test(msg)) throw new DataError(fileName, 'truncated gzip data (the compressed stream ends early)');
    throw new DataError(fileName, `corrupt gzip data (${msg})`);
  }
  const n = bytes.length;
  const wantCrc = (bytes[n - 8] | (bytes[n - 7] << 8) | (bytes[n - 6] << 16) | (bytes[n - 5] << 24)) >>> 0;
  const wantSize = (bytes[n - 4] | (bytes[n - 3] << 8) | (bytes[n - 2] << 16) | (bytes[n - 1] << 24)) >>> 0;
  if (wantSize !== total % 4294967296 || wantCrc !== crc) {
    throw new DataError(
      fileName,
      `corrupt or truncated gzip data (trailer says ${wantSize} bytes with CRC ${hex(wantCrc)}, ` +
        `inflated ${total} bytes with CRC ${hex(crc)})`,
    );
  }
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Inflates when the bytes are gzip, otherwise returns them unchanged (a server may already have decoded). */
export function maybeGunzip(bytes: Uint8Array, fileName: string, onProgress?: ProgressFn): Uint8Array {
  if (isGzip(bytes)) return gunzipChecked(bytes, fileName, onProgress);
  onProgress?.(1);
  return bytes;
}

/** gzip with a fixed mtime so the output is byte-for-byte reproducible. */
export function gzipBytes(data: Uint8Array, level: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 = 6): Uint8Array {
  return gzipSync(data, { level, mtime: 0 });
}

function hex(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}
