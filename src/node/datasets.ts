/**
 * Dataset loading for the Node entry points (CLI, benchmarks): the embedded pack, an official CIFAR archive, or an
 * image folder (a directory or a .zip of one, one sub-folder per class) parsed by the worker's own upload parser,
 * so the CLI gets the app's data set for the same files and upload settings.
 */
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { basename, join, relative, resolve } from 'node:path';
import type { Dataset } from '../core/data/types';
import { checkPackStart, decodeDataset } from '../core/data/pack';
import { checkCifarStart, readCifarArchive } from '../core/data/cifar';
import { DataError } from '../core/data/errors';
import { checkFolderSize } from '../core/data/folder';
import { DEFAULT_MAX_BYTES } from '../core/data/folder-limits';
import { defaultDecoder } from '../core/data/png';
import { isZip } from '../core/data/zip';
import { MAX_DATA_FILE_BYTES, readBytes } from '../core/data/node-load';
import { parseUpload } from '../worker/datasets';
import { MAX_FOLDER_IMAGES, type FolderTargetId, type UploadSource, type UploadedDataInfo } from '../worker/upload-info';

/** An image folder's data-set id: the app's uploads are `folder@N` in a session, and `folder` in a run bundle. */
export const FOLDER_DATASET = 'folder';

export const DATASET_IDS = ['fmnist-lt', 'cifar10-lt', 'cifar100-lt'] as const;

/** The upload dialog's choices for an image folder (the app's defaults: 32×32 RGB, 20 % held out, the run's seed). */
export interface FolderLoadOptions {
  target: FolderTargetId;
  testFraction: number;
  /** The split's seed (the app uses the seed in the settings at upload time). */
  seed: number;
}

/** Whether `--data PATH` names an image folder: a directory, or a file whose name ends in .zip. */
export function isImageFolderPath(path: string): boolean {
  if (/\.zip$/i.test(path)) return true;
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The bytes as an ArrayBuffer of their own (the upload source's shape), copied only when they are a view. */
function ownBuffer(b: Uint8Array): ArrayBuffer {
  const whole = b.byteOffset === 0 && b.byteLength === b.buffer.byteLength;
  return (whole ? b.buffer : b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)) as ArrayBuffer;
}

/**
 * A directory's files as the app's folder picker gives them: paths relative to the directory's parent
 * ("pets/cat/001.png"). Counts and sizes are checked against the upload limits before any file is read.
 */
async function readFolderFiles(dir: string): Promise<{ path: string; bytes: ArrayBuffer }[]> {
  const root = resolve(dir);
  const top = basename(root);
  const found: { path: string; full: string; size: number }[] = [];
  let total = 0;
  for (const e of readdirSync(root, { recursive: true, withFileTypes: true })) {
    const full = join(e.parentPath, e.name);
    let st;
    try {
      st = e.isFile() || e.isSymbolicLink() ? statSync(full) : null;
    } catch {
      st = null; // a dangling link: not a file
    }
    if (!st?.isFile()) continue;
    found.push({ path: `${top}/${relative(root, full).split(/[\\/]/).join('/')}`, full, size: st.size });
    total += st.size;
  }
  if (found.length === 0) throw new DataError(top, 'holds no files');
  checkFolderSize(top, found.length, total, MAX_FOLDER_IMAGES, DEFAULT_MAX_BYTES);
  const out: { path: string; bytes: ArrayBuffer }[] = [];
  for (const f of found) {
    const b = await readBytes(f.full, DEFAULT_MAX_BYTES);
    out.push({ path: f.path, bytes: ownBuffer(b) });
  }
  return out;
}

/** An image folder (directory or .zip) → the Dataset and the upload info the app would show for it. */
export async function loadImageFolder(
  path: string,
  opts: FolderLoadOptions,
): Promise<{ dataset: Dataset; info: Omit<UploadedDataInfo, 'id'> }> {
  let src: UploadSource;
  if (isImageFolderPath(path) && !/\.zip$/i.test(path)) src = { kind: 'folder', files: await readFolderFiles(path), ...opts };
  else {
    const name = basename(path);
    const b = await readBytes(path, DEFAULT_MAX_BYTES, (head) => {
      if (!isZip(head)) throw new DataError(name, 'is not a .zip archive (an image folder is a directory or a .zip of one)');
    });
    src = {
      kind: 'folder',
      zip: { fileName: name, bytes: ownBuffer(b) },
      ...opts,
    };
  }
  return parseUpload(src, { decoder: defaultDecoder });
}

export const EMBEDDED_PACK = fileURLToPath(new URL('../../public/data/fmnist-lt.ltpg', import.meta.url));

export async function loadDatasetForCli(id: string, file?: string): Promise<Dataset> {
  if (id === 'fmnist-lt') {
    const path = file ?? EMBEDDED_PACK;
    // the type is checked from the first bytes: a large file of the wrong kind is refused before it is read
    const name = basename(path);
    return decodeDataset(await readBytes(path, MAX_DATA_FILE_BYTES, (head) => checkPackStart(head, name)), name);
  }
  if (id === 'cifar10-lt' || id === 'cifar100-lt') {
    if (!file) throw new Error(`${id} needs the official archive (--data FILE)`);
    const name = basename(file);
    const ds = readCifarArchive(await readBytes(file, MAX_DATA_FILE_BYTES, (head) => checkCifarStart(head, name)), name);
    const want = id === 'cifar10-lt' ? 10 : 100;
    if (ds.pool.numClasses !== want) throw new Error(`${basename(file)} holds ${ds.pool.numClasses} classes, but ${id} needs ${want}`);
    return ds;
  }
  throw new Error(`unknown dataset "${id}" (known: ${DATASET_IDS.join(', ')})`);
}
