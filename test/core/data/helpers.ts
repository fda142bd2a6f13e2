import { Rng } from '../../../src/core/rng';
import type { ImageSet } from '../../../src/core/data/types';

/** A synthetic ImageSet with `counts[c]` images of class c (labels interleaved), random pixels. */
export function syntheticSet(
  counts: number[],
  shape: { height: number; width: number; channels: number },
  seed = 1,
  name = 'synthetic',
): ImageSet {
  const rng = new Rng(seed);
  const labels: number[] = [];
  counts.forEach((n, c) => {
    for (let i = 0; i < n; i++) labels.push(c);
  });
  rng.shuffle(labels);
  const px = shape.height * shape.width * shape.channels;
  const images = new Uint8Array(labels.length * px);
  for (let i = 0; i < images.length; i++) images[i] = rng.nextUint32() & 0xff;
  return {
    name,
    ...shape,
    numClasses: counts.length,
    classNames: counts.map((_, c) => `class ${c}`),
    images,
    labels: Uint16Array.from(labels),
  };
}

/** Runs fn and returns the thrown error (fails if nothing is thrown). */
export function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error, none was thrown');
}

/** Async variant of `thrown`. */
export async function rejected(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection, none came');
}

/** One central-directory entry of a zip, with the offsets of its fields, for tests that edit them. */
export interface ZipEntryAt {
  name: string;
  /** Offset of the central-directory entry. */
  central: number;
  /** Offset of the local header. */
  local: number;
}

const u16 = (d: Uint8Array, o: number) => d[o] | (d[o + 1] << 8);
const u32 = (d: Uint8Array, o: number) => (d[o] | (d[o + 1] << 8) | (d[o + 2] << 16) | (d[o + 3] << 24)) >>> 0;

/** The central-directory entries of a (non-zip64) zip written by fflate. */
export function zipEntries(zip: Uint8Array): ZipEntryAt[] {
  let eocd = zip.length - 22;
  while (eocd > 0 && u32(zip, eocd) !== 0x06054b50) eocd--;
  const out: ZipEntryAt[] = [];
  let off = u32(zip, eocd + 16);
  for (let i = 0; i < u16(zip, eocd + 10); i++) {
    const fnl = u16(zip, off + 28);
    out.push({ name: new TextDecoder().decode(zip.subarray(off + 46, off + 46 + fnl)), central: off, local: u32(zip, off + 42) });
    off += 46 + fnl + u16(zip, off + 30) + u16(zip, off + 32);
  }
  return out;
}

/** Edits a 16- or 32-bit field of a member in both its central entry and its local header (whose fields sit 2 bytes earlier). */
export function setZipField(
  zip: Uint8Array,
  name: string,
  field: 'flags' | 'method' | 'crc' | 'csize' | 'size',
  value: number,
): Uint8Array {
  const out = zip.slice();
  const e = zipEntries(out).find((x) => x.name === name);
  if (!e) throw new Error(`no member ${name}`);
  const at: Record<typeof field, [number, number]> = { flags: [8, 2], method: [10, 2], crc: [16, 4], csize: [20, 4], size: [24, 4] };
  const [rel, len] = at[field];
  for (const base of [e.central + rel, e.local + rel - 2]) {
    for (let k = 0; k < len; k++) out[base + k] = (value >>> (8 * k)) & 0xff;
  }
  return out;
}
