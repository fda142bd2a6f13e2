/** Node-only helpers (CLI, tests): read data files from disk. Not re-exported from index.ts (browser bundle). */
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { EMBEDDED_FILE, EMBEDDED_PATH } from './embedded';
import { DataError, bytesText } from './errors';
import { checkPackStart, decodeDataset } from './pack';
import type { Dataset } from './types';

/** Absolute path of public/data/fmnist-lt.ltpg in this checkout. */
export const EMBEDDED_FILE_PATH = fileURLToPath(new URL(`../../../public/${EMBEDDED_PATH}`, import.meta.url));

/**
 * Largest data file read: 1 GiB, what the largest format accepts once decompressed (an .ltpg pack or a folder
 * upload); every compressed file the app reads is smaller than its uncompressed limit.
 */
export const MAX_DATA_FILE_BYTES = 1024 * 1024 * 1024;

function kindOf(s: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}) {
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Bytes read first and given to a `checkStart` before the rest of a file is read. */
export const HEAD_BYTES = 64 * 1024;

/**
 * Reads a data file whole. Refused up front, with a DataError naming the file: a path that is missing, not a
 * regular file (`/dev/zero`, a FIFO, a directory — which could stream forever or block) or larger than `maxBytes`.
 * The file is opened non-blocking (a FIFO swapped in after the check cannot block the open) and exactly the size
 * `fstat` reports is read, so a file that grows meanwhile cannot make the read endless. `checkStart` sees the first
 * HEAD_BYTES (fewer for a smaller file) before anything else is read or allocated, and throws to refuse the file
 * (a 1 GiB file of the wrong type costs 64 KiB, not 1 GiB).
 */
export async function readBytes(
  path: string,
  maxBytes = MAX_DATA_FILE_BYTES,
  checkStart?: (head: Uint8Array) => void,
): Promise<Uint8Array> {
  const name = path;
  const refuse = (detail: string): never => {
    throw new DataError(name, detail);
  };
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    return refuse(code === 'ENOENT' ? 'not found' : `cannot be read (${(e as Error).message})`);
  }
  if (!st.isFile()) refuse(`is ${kindOf(st)}, not a regular file — give the path of a data file`);
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const fst = await fh.stat();
    if (!fst.isFile()) refuse(`is ${kindOf(fst)}, not a regular file — give the path of a data file`);
    if (fst.size > maxBytes) refuse(`is ${bytesText(fst.size)}, more than the ${bytesText(maxBytes)} a data file may hold`);
    let off = 0;
    let head: Uint8Array | null = null;
    if (checkStart) {
      head = new Uint8Array(Math.min(HEAD_BYTES, fst.size));
      while (off < head.length) {
        const { bytesRead } = await fh.read(head, off, head.length - off, off);
        if (bytesRead === 0) break;
        off += bytesRead;
      }
      checkStart(head.subarray(0, off));
      if (off === fst.size) return head;
      if (off < head.length) return head.subarray(0, off);
    }
    const out = new Uint8Array(fst.size);
    if (head) out.set(head);
    while (off < out.length) {
      const { bytesRead } = await fh.read(out, off, out.length - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    return off === out.length ? out : out.subarray(0, off);
  } finally {
    await fh.close();
  }
}

/** Reads and decodes an LTPG file (default: the embedded one). */
export async function loadDatasetFile(path: string = EMBEDDED_FILE_PATH): Promise<Dataset> {
  const name = path === EMBEDDED_FILE_PATH ? EMBEDDED_FILE : (path.split(/[\\/]/).pop() ?? path);
  return decodeDataset(await readBytes(path, MAX_DATA_FILE_BYTES, (head) => checkPackStart(head, name)), name);
}
