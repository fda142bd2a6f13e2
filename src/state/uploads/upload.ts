/**
 * "Bring your own data", page side: reads the picked files, transfers their bytes to the worker (which parses and
 * keeps the data set), then switches the settings to the new data (through the session, which asks before
 * resetting a trained run). A failed upload changes nothing but the error message: the current data set, the run
 * and the earlier uploads stay.
 */
import { DataError } from '../../core/data/errors';
import { DEFAULT_MAX_BYTES } from '../../core/data/folder-limits';
import type { FolderTargetId, UploadSource, UploadedDataInfo } from '../../worker/upload-info';
import { recipeBytes, recipeLabel, recipeToSource, type UploadRecipe } from './upload-recipe';
import type { Settings } from '../settings/settings';
import { EMBEDDED_SHAPE, isUploadId } from '../settings/data-shape';
import { switchDataset } from '../settings/rules';
import type { PlaygroundStore } from '../session/store';

/** What the upload services need of the session (the PlaygroundSession), declared here so they need not import it. */
export interface UploadSession {
  loadUpload(source: UploadSource, transfer: Transferable[], recipe: UploadRecipe): Promise<UploadedDataInfo>;
  changeSettings(next: Settings): Promise<boolean>;
}

export interface UploadContext {
  store: PlaygroundStore;
  session: UploadSession;
}

export interface FolderUploadOptions {
  target: FolderTargetId;
  /** Held-out test fraction per class, 0.05–0.5. */
  testFraction: number;
}

/** Largest single archive accepted (the CIFAR-100 binary archive is 169 MB; CIFAR-10 163 MB). */
export const MAX_ARCHIVE_BYTES = 400 * 1024 * 1024;

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function runUpload(ctx: UploadContext, label: string, makeRecipe: () => UploadRecipe): Promise<boolean> {
  const s = () => ctx.store.getState();
  if (s().uploadStatus) return false; // one upload at a time
  s().setUploadError(null);
  s().setUploadStatus({ file: label, phase: 'read', fraction: 0 });
  try {
    const recipe = makeRecipe();
    const info = await loadRecipe(ctx, recipe, label);
    s().setUploadStatus(null);
    s().dismissNotice('upload-error');
    await ctx.session.changeSettings(switchDataset(s().settings, info.id, s().uploads));
    return true;
  } catch (e) {
    const msg = message(e);
    s().setUploadStatus(null);
    s().setUploadError(msg);
    s().pushNotice({
      id: 'upload-error',
      level: 'error',
      title: `Could not load ${label}`,
      items: [msg, 'The current data set and run are unchanged.'],
    });
    return false;
  }
}

/**
 * Reads a recipe's files, has the current worker parse them, and records the new data set (its info in the
 * store, its recipe in the session so another worker can make it again). Throws on any error.
 */
export async function loadRecipe(ctx: UploadContext, recipe: UploadRecipe, label = recipeLabel(recipe)): Promise<UploadedDataInfo> {
  const s = () => ctx.store.getState();
  const total = recipeBytes(recipe);
  let done = 0;
  const { source, transfer } = await recipeToSource(recipe, (n) => {
    done += n;
    if (s().uploadStatus) s().setUploadStatus({ file: label, phase: 'read', fraction: total ? done / total : 1 });
  });
  if (s().uploadStatus) s().setUploadStatus({ file: label, phase: 'parse', fraction: 0 });
  const info = await ctx.session.loadUpload(source, transfer, recipe);
  s().addUpload(info);
  return info;
}

/** Uploads cifar-10-binary.tar.gz / cifar-100-binary.tar.gz (or the .tar inside). */
export function uploadCifar(ctx: UploadContext, file: File): Promise<boolean> {
  return runUpload(ctx, file.name, () => {
    if (file.size > MAX_ARCHIVE_BYTES) {
      throw new DataError(
        file.name,
        `is ${mb(file.size)}, more than the ${mb(MAX_ARCHIVE_BYTES)} accepted — expected cifar-10-binary.tar.gz (163 MB) or cifar-100-binary.tar.gz (169 MB)`,
      );
    }
    return { kind: 'cifar', file: { name: file.name, blob: file } };
  });
}

/** Uploads a .zip of an image folder (one sub-folder per class). */
export function uploadFolderZip(ctx: UploadContext, file: File, opts: FolderUploadOptions): Promise<boolean> {
  return runUpload(ctx, file.name, () => {
    if (file.size > DEFAULT_MAX_BYTES) {
      throw new DataError(file.name, `is ${mb(file.size)}, more than the ${mb(DEFAULT_MAX_BYTES)} accepted — use fewer or smaller images`);
    }
    return {
      kind: 'folder',
      zip: { name: file.name, blob: file },
      target: opts.target,
      testFraction: opts.testFraction,
      seed: ctx.store.getState().settings.config.seed,
    };
  });
}

/** The path a picked file has inside the picked folder's parent ("pets/cat/001.jpg"). */
export function relativePath(f: File): string {
  return (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name;
}

/** Uploads the files of a directory picker (`<input type=file webkitdirectory>`). */
export function uploadFolderFiles(ctx: UploadContext, files: File[], opts: FolderUploadOptions): Promise<boolean> {
  const root = files.length ? relativePath(files[0]).split('/')[0] || 'the selected folder' : 'the selected folder';
  return runUpload(ctx, root, () => {
    if (files.length === 0) throw new DataError(root, 'holds no files');
    const total = files.reduce((a, f) => a + f.size, 0);
    if (total > DEFAULT_MAX_BYTES) {
      throw new DataError(
        root,
        `its files add up to ${mb(total)}, more than the ${mb(DEFAULT_MAX_BYTES)} accepted — use fewer or smaller images`,
      );
    }
    return {
      kind: 'folder',
      files: files.map((f) => ({ name: relativePath(f), blob: f })),
      target: opts.target,
      testFraction: opts.testFraction,
      seed: ctx.store.getState().settings.config.seed,
    };
  });
}

/**
 * After the worker was replaced (backend change): its uploads are gone. Forgets them and, when `settings` use
 * one, falls back to the embedded data set with a notice. Returns the settings to configure.
 */
export function forgetUploads(store: PlaygroundStore, settings: Settings): Settings {
  const st = store.getState();
  const hadUploads = st.uploads.length > 0;
  st.clearUploads();
  if (!isUploadId(settings.config.dataset)) return settings;
  const next = switchDataset(settings, EMBEDDED_SHAPE.id, []);
  st.setSettings(next);
  st.pushNotice({
    id: 'upload-lost',
    level: 'warning',
    title: 'Uploaded data not available',
    items: [
      `The uploaded data lived in the previous training worker${hadUploads ? '' : ' (already gone)'}; using ${EMBEDDED_SHAPE.title} — upload the file again to train on it.`,
    ],
  });
  return next;
}
