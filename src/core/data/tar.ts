/**
 * Minimal tar reader/writer (POSIX ustar and the GNU extensions that real archives use): 512-byte headers,
 * octal (or GNU base-256) sizes, header checksums, ustar name prefixes, GNU long names ('L') and pax path
 * records ('x'). Only regular files are returned; directories, links and global pax headers are skipped.
 */
import { DataError, bytesText } from './errors';
import { messageName } from './names';

export interface TarEntry {
  /** Path inside the archive, e.g. "cifar-10-batches-bin/data_batch_1.bin". */
  name: string;
  /** A view into the archive bytes. */
  data: Uint8Array;
}

const BLOCK = 512;
/**
 * Most bytes of a GNU long-name / long-link record or a pax header: 8 KiB, twice Linux's PATH_MAX. Real ones are a
 * path or a few key=value lines; a larger one is a corrupt archive (or a trap: a name of megabytes).
 */
export const TAR_MAX_META_BYTES = 8 * 1024;
const META_KIND: Record<string, string> = {
  L: 'GNU long-name record',
  K: 'GNU long-link record',
  x: 'pax extended header',
  g: 'pax global header',
};
const decoder = new TextDecoder();

function cString(b: Uint8Array, off: number, len: number): string {
  let end = off;
  while (end < off + len && b[end] !== 0) end++;
  return decoder.decode(b.subarray(off, end));
}

/** Parses a numeric header field: octal text (space/NUL padded) or GNU base-256 (high bit set). */
function numField(b: Uint8Array, off: number, len: number): number {
  if (b[off] & 0x80) {
    let v = b[off] & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + b[off + i];
    return v;
  }
  let v = 0;
  let i = off;
  const end = off + len;
  while (i < end && (b[i] === 0x20 || b[i] === 0)) i++;
  let digits = 0;
  for (; i < end; i++) {
    const c = b[i];
    if (c === 0 || c === 0x20) break;
    if (c < 0x30 || c > 0x37) return NaN;
    v = v * 8 + (c - 0x30);
    digits++;
  }
  return digits === 0 ? 0 : v;
}

function isZeroBlock(b: Uint8Array, off: number): boolean {
  for (let i = off; i < off + BLOCK; i++) if (b[i] !== 0) return false;
  return true;
}

function checksumOk(b: Uint8Array, off: number): boolean {
  const stored = numField(b, off + 148, 8);
  if (!Number.isFinite(stored)) return false;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const v = i >= 148 && i < 156 ? 0x20 : b[off + i];
    unsigned += v;
    signed += v > 127 ? v - 256 : v;
  }
  return stored === unsigned || stored === signed;
}

/** True when the bytes start with a tar header (512 bytes with a valid checksum). */
export function isTarStart(b: Uint8Array): boolean {
  return b.length >= BLOCK && checksumOk(b, 0);
}

/** Reads all regular files of an (uncompressed) tar archive. */
export function readTar(bytes: Uint8Array, fileName: string): TarEntry[] {
  const entries: TarEntry[] = [];
  if (bytes.length < BLOCK) {
    throw new DataError(fileName, `not a tar archive (${bytesText(bytes.length)}, shorter than one 512-byte header)`);
  }
  let off = 0;
  let longName: string | null = null;
  let paxPath: string | null = null;
  let headers = 0;
  let ended = false;
  while (off + BLOCK <= bytes.length) {
    if (isZeroBlock(bytes, off)) {
      ended = true; // end-of-archive marker
      break;
    }
    if (!checksumOk(bytes, off)) {
      throw new DataError(
        fileName,
        headers === 0
          ? 'not a tar archive (the first header has no valid checksum)'
          : `corrupt tar archive: header checksum mismatch at byte ${off}`,
      );
    }
    headers++;
    const size = numField(bytes, off + 124, 12);
    if (!Number.isFinite(size) || size < 0) {
      throw new DataError(fileName, `corrupt tar archive: bad size field in the header at byte ${off}`);
    }
    const type = String.fromCharCode(bytes[off + 156] || 0x30);
    let name = cString(bytes, off, 100);
    if (cString(bytes, off + 257, 5) === 'ustar') {
      const prefix = cString(bytes, off + 345, 155);
      if (prefix) name = `${prefix}/${name}`;
    }
    const metaKind = META_KIND[type];
    if (metaKind && size > TAR_MAX_META_BYTES) {
      throw new DataError(
        fileName,
        `corrupt tar archive: the ${metaKind} at byte ${off} is ${bytesText(size)}, more than the ${bytesText(TAR_MAX_META_BYTES)} accepted`,
      );
    }
    const dataStart = off + BLOCK;
    const dataEnd = dataStart + size;
    if (dataEnd > bytes.length) {
      throw new DataError(
        fileName,
        `truncated tar archive: member "${messageName(paxPath ?? longName ?? name)}" needs ${bytesText(size)}, ` +
          `the archive ends ${bytes.length - dataStart} bytes into it`,
      );
    }
    const data = bytes.subarray(dataStart, dataEnd);
    if (type === 'L') {
      longName = cString(data, 0, data.length);
    } else if (type === 'x') {
      paxPath = paxPathOf(data) ?? paxPath;
    } else if (type === 'g' || type === 'K') {
      // a global pax header, or the long target of a link (links are skipped): nothing we need
    } else {
      if (type === '0' || type === '7') {
        entries.push({ name: paxPath ?? longName ?? name, data });
      }
      longName = null;
      paxPath = null;
    }
    off = dataStart + Math.ceil(size / BLOCK) * BLOCK;
  }
  if (headers === 0) throw new DataError(fileName, 'not a tar archive (it starts with an end-of-archive marker)');
  if (!ended) {
    throw new DataError(
      fileName,
      off < bytes.length
        ? `truncated tar archive: it ends ${bytes.length - off} bytes into a 512-byte header (after ${entries.length} files)`
        : `truncated tar archive: no end-of-archive marker after ${entries.length} files`,
    );
  }
  return entries;
}

function paxPathOf(data: Uint8Array): string | null {
  const text = decoder.decode(data);
  let pos = 0;
  let path: string | null = null;
  while (pos < text.length) {
    const sp = text.indexOf(' ', pos);
    if (sp < 0) break;
    const len = parseInt(text.slice(pos, sp), 10);
    if (!(len > 0)) break;
    const rec = text.slice(sp + 1, pos + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0 && rec.slice(0, eq) === 'path') path = rec.slice(eq + 1);
    pos += len;
  }
  return path;
}

function writeOctal(b: Uint8Array, off: number, len: number, v: number): void {
  const s = v.toString(8).padStart(len - 1, '0');
  if (s.length > len - 1) throw new Error(`tar: value ${v} does not fit a ${len}-byte field`);
  for (let i = 0; i < s.length; i++) b[off + i] = s.charCodeAt(i);
  b[off + len - 1] = 0;
}

function writeString(b: Uint8Array, off: number, len: number, s: string): void {
  const enc = new TextEncoder().encode(s);
  if (enc.length > len) throw new Error(`tar: "${s}" is longer than ${len} bytes`);
  b.set(enc, off);
}

/**
 * Writes a ustar archive. Entries whose name ends with "/" become directories. Names up to 255 bytes (split
 * into prefix/name at a "/"). Metadata is fixed (mode 0644/0755, uid 0, mtime 0) for reproducible output.
 */
export function writeTar(entries: { name: string; data?: Uint8Array }[]): Uint8Array {
  let total = 2 * BLOCK;
  for (const e of entries) total += BLOCK + Math.ceil((e.data?.length ?? 0) / BLOCK) * BLOCK;
  const out = new Uint8Array(total);
  let off = 0;
  for (const e of entries) {
    const isDir = e.name.endsWith('/');
    const size = isDir ? 0 : (e.data?.length ?? 0);
    let name = e.name;
    let prefix = '';
    if (new TextEncoder().encode(name).length > 100) {
      const cut = name.lastIndexOf('/', name.length - 2);
      if (cut <= 0) throw new Error(`tar: name too long: ${name}`);
      prefix = name.slice(0, cut);
      name = name.slice(cut + 1);
    }
    writeString(out, off, 100, name);
    writeOctal(out, off + 100, 8, isDir ? 0o755 : 0o644);
    writeOctal(out, off + 108, 8, 0);
    writeOctal(out, off + 116, 8, 0);
    writeOctal(out, off + 124, 12, size);
    writeOctal(out, off + 136, 12, 0);
    out[off + 156] = isDir ? 0x35 : 0x30;
    writeString(out, off + 257, 6, 'ustar');
    writeString(out, off + 263, 2, '00');
    writeString(out, off + 345, 155, prefix);
    for (let i = 148; i < 156; i++) out[off + i] = 0x20;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += out[off + i];
    writeOctal(out, off + 148, 7, sum);
    out[off + 155] = 0x20;
    off += BLOCK;
    if (!isDir && e.data) {
      out.set(e.data, off);
      off += Math.ceil(size / BLOCK) * BLOCK;
    }
  }
  return out;
}
