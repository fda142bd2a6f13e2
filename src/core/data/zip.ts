/**
 * The zip reader of the app (image-folder uploads and model zips). fflate inflates the members, through the bounded
 * decompressor of inflate.ts; the directory is read here because fflate's zip readers do not fit: `unzipSync`
 * returns an object keyed by name (duplicate members collapse, a member named "__proto__" lands on the prototype),
 * neither exposes nor checks the CRC-32s, and says nothing about which member failed; the streaming `Unzip` follows
 * the local headers and finds the end of a data-descriptor member by scanning for a signature.
 *
 * What is read: the end-of-central-directory record (zip64 aware), then every central-directory entry (name, method,
 * CRC-32, sizes, local-header offset), in order, duplicates kept. A member is then read on demand: its local header
 * located, its data stored or inflated into at most its declared size (and at most the caller's limit), and the
 * result checked against the declared size and CRC-32. Every error is a DataError naming the archive and the member.
 */
import { DataError, bytesText } from './errors';
import { crc32 } from './gzip';
import { inflateRawBounded } from './inflate';
import { messageName } from './names';

export interface ZipMember {
  /** Path inside the archive ("pets/cat/001.png"), UTF-8 (or Latin-1 when it is not valid UTF-8). */
  name: string;
  /** 0 stored, 8 deflate (others are refused when read). */
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  /** Uncompressed size the directory declares. */
  size: number;
  localOffset: number;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;
const SIG_SPANNED = 0x08074b50;

function b2(d: Uint8Array, o: number): number {
  return d[o] | (d[o + 1] << 8);
}
function b4(d: Uint8Array, o: number): number {
  return (d[o] | (d[o + 1] << 8) | (d[o + 2] << 16) | (d[o + 3] << 24)) >>> 0;
}
function b8(d: Uint8Array, o: number): number {
  return b4(d, o) + b4(d, o + 4) * 4294967296;
}

/** True when the bytes start like a zip (a local header, an empty archive's end record or a spanned marker). */
export function isZip(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const sig = b4(bytes, 0);
  return sig === SIG_LOCAL || sig === SIG_EOCD || sig === SIG_SPANNED;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function nameOf(raw: Uint8Array): string {
  try {
    // many zip tools write UTF-8 names without setting the UTF-8 flag: try UTF-8 first, then Latin-1
    return utf8.decode(raw);
  } catch {
    let s = '';
    for (let i = 0; i < raw.length; i++) s += String.fromCharCode(raw[i]);
    return s;
  }
}

/** Lists the members of a zip archive from its central directory. Throws DataError naming `archive`. */
export function listZip(bytes: Uint8Array, archive: string): ZipMember[] {
  let eocd = -1;
  for (let e = bytes.length - 22; e >= 0 && bytes.length - e <= 65557; e--) {
    if (b4(bytes, e) === SIG_EOCD) {
      eocd = e;
      break;
    }
  }
  if (eocd < 0) {
    throw new DataError(
      archive,
      `truncated .zip archive (no end-of-central-directory record in its ${bytesText(bytes.length)}: the file is cut off)`,
    );
  }
  const corrupt = (why: string): never => {
    throw new DataError(archive, `corrupt or truncated .zip archive (its central directory is unreadable: ${why})`);
  };
  let count = b2(bytes, eocd + 10);
  let off = b4(bytes, eocd + 16);
  if (eocd >= 20 && b4(bytes, eocd - 20) === SIG_EOCD64_LOCATOR) {
    const ze = b8(bytes, eocd - 12);
    if (ze + 56 <= bytes.length && b4(bytes, ze) === SIG_EOCD64) {
      count = b8(bytes, ze + 32);
      off = b8(bytes, ze + 48);
    }
  }
  if (count * 46 > bytes.length) corrupt(`${count} entries cannot fit in ${bytesText(bytes.length)}`);
  const out: ZipMember[] = [];
  for (let i = 0; i < count; i++) {
    if (off + 46 > bytes.length || b4(bytes, off) !== SIG_CENTRAL) corrupt(`entry ${i + 1} of ${count} is missing`);
    const fnl = b2(bytes, off + 28);
    const exl = b2(bytes, off + 30);
    const cml = b2(bytes, off + 32);
    if (off + 46 + fnl + exl + cml > bytes.length) corrupt(`entry ${i + 1} of ${count} runs past the end of the file`);
    const name = nameOf(bytes.subarray(off + 46, off + 46 + fnl));
    let compressedSize = b4(bytes, off + 20);
    let size = b4(bytes, off + 24);
    let localOffset = b4(bytes, off + 42);
    if (compressedSize === 0xffffffff || size === 0xffffffff || localOffset === 0xffffffff) {
      // zip64 extended information extra field (id 1): the 0xffffffff fields, in the order size, csize, offset
      const end = off + 46 + fnl + exl;
      for (let e = off + 46 + fnl; e + 4 <= end; e += 4 + b2(bytes, e + 2)) {
        if (b2(bytes, e) !== 1) continue;
        let q = e + 4;
        const big = () => {
          const v = q + 8 <= end ? b8(bytes, q) : NaN;
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = big();
        if (compressedSize === 0xffffffff) compressedSize = big();
        if (localOffset === 0xffffffff) localOffset = big();
        break;
      }
      if (!Number.isFinite(size + compressedSize + localOffset)) corrupt(`entry "${messageName(name)}" has a broken zip64 size field`);
    }
    out.push({ name, method: b2(bytes, off + 10), flags: b2(bytes, off + 8), crc: b4(bytes, off + 16), compressedSize, size, localOffset });
    off += 46 + fnl + exl + cml;
  }
  refuseOverlaps(bytes, archive, out);
  return out;
}

/**
 * Every member must own its bytes: a directory whose entries point into the same data (a 60 KB zip listing one
 * 64-megapixel image a thousand times) makes a reader decode it over and over. The span of a member runs from its
 * local header to the end of its compressed data.
 */
function refuseOverlaps(bytes: Uint8Array, archive: string, members: ZipMember[]): void {
  const spans = members.map((m, i) => {
    const lo = m.localOffset;
    // a missing local header is reported when the member is read; its span here is the fixed header part
    const head = lo + 30 <= bytes.length && b4(bytes, lo) === SIG_LOCAL ? 30 + b2(bytes, lo + 26) + b2(bytes, lo + 28) : 30;
    return { i, start: lo, end: lo + head + m.compressedSize };
  });
  spans.sort((a, b) => a.start - b.start || a.i - b.i);
  let widest = spans[0];
  for (let k = 1; k < spans.length; k++) {
    const s = spans[k];
    if (s.start < widest.end) {
      const [x, y] = s.i < widest.i ? [s, widest] : [widest, s];
      throw new DataError(
        archive,
        `corrupt .zip archive: member "${messageName(members[y.i].name)}" shares its data with member "${messageName(members[x.i].name)}" ` +
          `(the directory places them at bytes ${y.start}–${y.end} and ${x.start}–${x.end}) — refused (a damaged zip or a zip bomb)`,
      );
    }
    if (s.end > widest.end) widest = s;
  }
}

export interface ZipReadLimit {
  /** Most bytes this member may hold (its declared size must not be larger; default: the declared size). */
  maxBytes?: number;
  /** Completes "more than the N bytes …" in the message (e.g. "the manifest in model.json describes"). */
  reason?: string;
  /** How the member is named in messages (default: its path, quoted). */
  label?: string;
}

/**
 * Reads one member: stored or inflated (bounded by its declared size and `limit.maxBytes`, checked while it
 * streams), then checked against the declared size and CRC-32. Throws DataError "<archive>: member "<name>" …".
 */
export function readZipMember(bytes: Uint8Array, archive: string, m: ZipMember, limit: ZipReadLimit = {}): Uint8Array {
  const what = `member ${limit.label ?? `"${messageName(m.name)}"`} `;
  const fail = (msg: string): never => {
    throw new DataError(archive, what + msg);
  };
  if (m.flags & 1) fail('is encrypted, which is not supported — re-create the zip without a password');
  if (m.method !== 0 && m.method !== 8) {
    fail(`uses compression method ${m.method}, which is not supported — re-create the zip with standard (deflate) compression`);
  }
  const max = limit.maxBytes ?? m.size;
  if (m.size > max) {
    fail(`is ${bytesText(m.size)} (by the zip directory), more than the ${bytesText(max)} ${limit.reason ?? 'accepted'}`);
  }
  const lo = m.localOffset;
  if (lo + 30 > bytes.length || b4(bytes, lo) !== SIG_LOCAL) fail('is corrupt or truncated (no local header where the directory says)');
  const start = lo + 30 + b2(bytes, lo + 26) + b2(bytes, lo + 28);
  if (start + m.compressedSize > bytes.length) {
    fail(`is truncated (needs ${bytesText(m.compressedSize)}, the archive ends ${bytesText(Math.max(0, bytes.length - start))} into it)`);
  }
  const comp = bytes.subarray(start, start + m.compressedSize);
  let data: Uint8Array;
  if (m.method === 0) {
    data = comp;
  } else {
    data = inflateRawBounded(comp, archive, { maxBytes: m.size, reason: 'the zip directory declares for it' }, m.size, what);
  }
  if (data.length !== m.size)
    fail(`is corrupt or truncated (${bytesText(data.length)} instead of the ${bytesText(m.size)} the directory declares)`);
  if (crc32(data) !== m.crc) fail('is corrupt (CRC-32 mismatch)');
  return data;
}
