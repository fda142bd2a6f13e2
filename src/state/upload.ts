/**
 * "Bring your own data", page side: reads the picked files, transfers their bytes to the worker (which parses and
 * keeps the data set), then switches the settings to the new data (through the session, which asks before
 * resetting a trained run). A failed upload changes nothing but the error message: the current data set, the run
 * and the earlier uploads stay.
 */
import { DataError } from '../core/data/errors';
import { DEFAULT_MAX_BYTES } from '../core/data/folder';
import type { FolderTargetId, UploadSource } from '../worker/datasets';
import type { PlaygroundSession } from './session';
import { cloneSettings, type Settings } from './settings';
import { EMBEDDED_SHAPE, isUploadId, switchDataset } from './data';
import type { PlaygroundStore } from './store';
import { normalise } from './urlSchema';

export interface UploadContext {
  store: PlaygroundStore;
  session: PlaygroundSession;
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

/** Reads a file's bytes; a read failure names the file. */
async function readBytes(file: Blob & { name: string }, label = file.name): Promise<ArrayBuffer> {
  try {
    return await file.arrayBuffer();
  } catch (e) {
    throw new DataError(label, `could not be read (${message(e)})`);
  }
}

async function runUpload(ctx: UploadContext, label: string, read: () => Promise<{ source: UploadSource; transfer: ArrayBuffer[] }>): Promise<boolean> {
  const s = () => ctx.store.getState();
  if (s().uploadStatus) return false; // one upload at a time
  s().setUploadError(null);
  s().setUploadStatus({ file: label, phase: 'read', fraction: 0 });
  try {
    const { source, transfer } = await read();
    s().setUploadStatus({ file: label, phase: 'parse', fraction: 0 });
    const info = await ctx.session.client.request('loadData', { source }, transfer);
    s().addUpload(info);
    s().setUploadStatus(null);
    s().dismissNotice('upload-error');
    const next = cloneSettings(s().settings);
    switchDataset(next, info.id, s().uploads);
    normalise(next);
    await ctx.session.changeSettings(next);
    return true;
  } catch (e) {
    const msg = message(e);
    s().setUploadStatus(null);
    s().setUploadError(msg);
    s().pushNotice({ id: 'upload-error', level: 'error', title: `Could not load ${label}`, items: [msg, 'The current data set and run are unchanged.'] });
    return false;
  }
}

/** Uploads cifar-10-binary.tar.gz / cifar-100-binary.tar.gz (or the .tar inside). */
export function uploadCifar(ctx: UploadContext, file: File): Promise<boolean> {
  return runUpload(ctx, file.name, async () => {
    if (file.size > MAX_ARCHIVE_BYTES) {
      throw new DataError(file.name, `is ${mb(file.size)}, more than the ${mb(MAX_ARCHIVE_BYTES)} accepted — expected cifar-10-binary.tar.gz (163 MB) or cifar-100-binary.tar.gz (169 MB)`);
    }
    const bytes = await readBytes(file);
    return { source: { kind: 'cifar', fileName: file.name, bytes }, transfer: [bytes] };
  });
}

/** Uploads a .zip of an image folder (one sub-folder per class). */
export function uploadFolderZip(ctx: UploadContext, file: File, opts: FolderUploadOptions): Promise<boolean> {
  return runUpload(ctx, file.name, async () => {
    if (file.size > DEFAULT_MAX_BYTES) {
      throw new DataError(file.name, `is ${mb(file.size)}, more than the ${mb(DEFAULT_MAX_BYTES)} accepted — use fewer or smaller images`);
    }
    const bytes = await readBytes(file);
    return {
      source: { kind: 'folder', zip: { fileName: file.name, bytes }, target: opts.target, testFraction: opts.testFraction, seed: ctx.store.getState().settings.config.seed },
      transfer: [bytes],
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
  return runUpload(ctx, root, async () => {
    if (files.length === 0) throw new DataError(root, 'holds no files');
    const total = files.reduce((a, f) => a + f.size, 0);
    if (total > DEFAULT_MAX_BYTES) {
      throw new DataError(root, `its files add up to ${mb(total)}, more than the ${mb(DEFAULT_MAX_BYTES)} accepted — use fewer or smaller images`);
    }
    const out: { path: string; bytes: ArrayBuffer }[] = [];
    let done = 0;
    for (const f of files) {
      const path = relativePath(f);
      out.push({ path, bytes: await readBytes(f, path) });
      done += f.size;
      ctx.store.getState().setUploadStatus({ file: root, phase: 'read', fraction: total ? done / total : 1 });
    }
    return {
      source: { kind: 'folder', files: out, target: opts.target, testFraction: opts.testFraction, seed: ctx.store.getState().settings.config.seed },
      transfer: out.map((f) => f.bytes),
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
  const next = cloneSettings(settings);
  switchDataset(next, EMBEDDED_SHAPE.id, []);
  normalise(next);
  st.setSettings(next);
  st.pushNotice({
    id: 'upload-lost', level: 'warning', title: 'Uploaded data not available',
    items: [`The uploaded data lived in the previous training worker${hadUploads ? '' : ' (already gone)'}; using ${EMBEDDED_SHAPE.title} — upload the file again to train on it.`],
  });
  return next;
}
