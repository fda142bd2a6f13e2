/** Node-only helpers (CLI, tests): read data files from disk. Not re-exported from index.ts (browser bundle). */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { EMBEDDED_FILE, EMBEDDED_PATH } from './embedded';
import { decodeDataset } from './pack';
import type { Dataset } from './types';

/** Absolute path of public/data/fmnist-lt.ltpg in this checkout. */
export const EMBEDDED_FILE_PATH = fileURLToPath(new URL(`../../../public/${EMBEDDED_PATH}`, import.meta.url));

export async function readBytes(path: string): Promise<Uint8Array> {
  const buf = await readFile(path);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Reads and decodes an LTPG file (default: the embedded one). */
export async function loadDatasetFile(path: string = EMBEDDED_FILE_PATH): Promise<Dataset> {
  const name = path === EMBEDDED_FILE_PATH ? EMBEDDED_FILE : (path.split(/[\\/]/).pop() ?? path);
  return decodeDataset(await readBytes(path), name);
}
