/**
 * How an uploaded data set was made, kept on the page so it can be made again in another worker: the picked files
 * as Blobs (cheap references, no copy; structured-cloneable into IndexedDB) plus the options of the upload. The
 * parse is deterministic (CIFAR records in order; folders split with the recorded seed), so the same recipe gives
 * the same data set — which is what lets an autosaved run on uploaded data resume after a reload.
 */
import { DataError } from '../../core/data/errors';
import type { FolderTargetId, UploadSource } from '../../worker/upload-info';

/** A file of a recipe; the name travels beside the Blob (a File stored by structured clone may lose it). */
export interface RecipeFile {
  name: string;
  blob: Blob;
}

export type UploadRecipe =
  | { kind: 'cifar'; file: RecipeFile }
  | {
      kind: 'folder';
      zip?: RecipeFile;
      /** `name` is the path relative to the picked folder's parent. */
      files?: RecipeFile[];
      target: FolderTargetId;
      testFraction: number;
      seed: number;
    };

/** A short text naming what the recipe holds ("cifar-10-binary.tar.gz", "pets/ (214 files)"). */
export function recipeLabel(r: UploadRecipe): string {
  if (r.kind === 'cifar') return r.file.name;
  if (r.zip) return r.zip.name;
  const files = r.files ?? [];
  const root = files.length ? files[0].name.split('/')[0] : 'folder';
  return `${root}/ (${files.length} files)`;
}

/** Identifies a recipe's content cheaply (names and sizes, and the options). */
export function recipeFingerprint(r: UploadRecipe): string {
  const f = (x: RecipeFile) => `${x.name}:${x.blob.size}`;
  if (r.kind === 'cifar') return `cifar|${f(r.file)}`;
  return ['folder', r.target, r.testFraction, r.seed, r.zip ? f(r.zip) : '', ...(r.files ?? []).map(f)].join('|');
}

/** Whether a stored value has a recipe's shape (storage may hand back anything). */
export function isUploadRecipe(v: unknown): v is UploadRecipe {
  if (!v || typeof v !== 'object') return false;
  const r = v as Record<string, unknown>;
  const isFile = (x: unknown) =>
    !!x &&
    typeof x === 'object' &&
    typeof (x as RecipeFile).name === 'string' &&
    typeof Blob !== 'undefined' &&
    (x as RecipeFile).blob instanceof Blob;
  if (r.kind === 'cifar') return isFile(r.file);
  if (r.kind !== 'folder') return false;
  if (typeof r.target !== 'string' || typeof r.testFraction !== 'number' || typeof r.seed !== 'number') return false;
  if (r.zip !== undefined && !isFile(r.zip)) return false;
  if (r.files !== undefined && !(Array.isArray(r.files) && r.files.every(isFile))) return false;
  return r.zip !== undefined || r.files !== undefined;
}

async function read(f: RecipeFile, onRead?: (bytes: number) => void): Promise<ArrayBuffer> {
  try {
    const b = await f.blob.arrayBuffer();
    onRead?.(b.byteLength);
    return b;
  } catch (e) {
    throw new DataError(f.name, `could not be read (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** The worker's UploadSource for a recipe, with the buffers to transfer. */
export async function recipeToSource(
  r: UploadRecipe,
  onRead?: (bytes: number) => void,
): Promise<{ source: UploadSource; transfer: ArrayBuffer[] }> {
  if (r.kind === 'cifar') {
    const bytes = await read(r.file, onRead);
    return { source: { kind: 'cifar', fileName: r.file.name, bytes }, transfer: [bytes] };
  }
  const opts = { target: r.target, testFraction: r.testFraction, seed: r.seed };
  if (r.zip) {
    const bytes = await read(r.zip, onRead);
    return { source: { kind: 'folder', zip: { fileName: r.zip.name, bytes }, ...opts }, transfer: [bytes] };
  }
  const files: { path: string; bytes: ArrayBuffer }[] = [];
  for (const f of r.files ?? []) files.push({ path: f.name, bytes: await read(f, onRead) });
  return { source: { kind: 'folder', files, ...opts }, transfer: files.map((f) => f.bytes) };
}

/** Total size of a recipe's files in bytes. */
export function recipeBytes(r: UploadRecipe): number {
  if (r.kind === 'cifar') return r.file.blob.size;
  return (r.zip?.blob.size ?? 0) + (r.files ?? []).reduce((a, f) => a + f.blob.size, 0);
}
