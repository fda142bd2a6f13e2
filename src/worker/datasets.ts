/**
 * "Bring your own data", worker side: parses an uploaded CIFAR-10 / CIFAR-100 binary archive or an image folder
 * (its files, or a .zip) into a Dataset, and keeps the uploaded data sets in the worker. The page only gets an
 * `UploadedDataInfo` (names, counts, notes); pixels never go back to the main thread.
 *
 * Decisions:
 * - CIFAR archives with a non-official record count (any whole number of records) are accepted, with a visible
 *   note "non-standard record count" (fixtures, and subsets users cut themselves). Truncated members (size not a
 *   multiple of the record) are still errors.
 * - Each successful upload gets a fresh id (`cifar10-lt@3`, `folder@4`), so a second upload of the same kind is a
 *   different data set for the run / comparison logic. The worker keeps the last MAX_UPLOADS uploads.
 * - A failed upload changes nothing: the parse runs on local variables and only a complete data set is stored.
 */
import { readCifarArchive } from '../core/data/cifar';
import { DataError } from '../core/data/errors';
import { buildFolderDataset, type FolderFile } from '../core/data/folder';
import { FOLDER_TARGETS } from '../core/data/folder-limits';
import { classCounts } from '../core/data/longtail';
import { cleanName } from '../core/data/names';
import type { ImageDecoder } from '../core/data/png';
import type { Dataset } from '../core/data/types';
import {
  MAX_FOLDER_IMAGES,
  MAX_SKIPPED_LISTED,
  MAX_UPLOADS,
  type UploadProgress,
  type UploadSource,
  type UploadedDataInfo,
} from './upload-info';

const OFFICIAL = { cifar10: { train: 50000, test: 10000 }, cifar100: { train: 50000, test: 10000 } } as const;

export interface ParseOptions {
  decoder: () => ImageDecoder;
  onProgress?: (p: UploadProgress) => void;
  signal?: AbortSignal;
}

function throttled(file: string, onProgress?: (p: UploadProgress) => void): (f: number) => void {
  let last = -1;
  return (f: number) => {
    if (!onProgress) return;
    if (f >= 1 || f - last >= 0.01) {
      last = f;
      onProgress({ file, fraction: Math.min(1, f) });
    }
  };
}

/** Parses an upload into a Dataset + the info for the page (id left empty: the store assigns it). */
export async function parseUpload(
  src: UploadSource,
  opts: ParseOptions,
): Promise<{ dataset: Dataset; info: Omit<UploadedDataInfo, 'id'> }> {
  if (src.kind === 'cifar') {
    const fileName = cleanName(src.fileName, 200) || 'the uploaded file';
    const bytes = new Uint8Array(src.bytes);
    if (bytes.length === 0) throw new DataError(fileName, 'is empty (0 bytes)');
    const progress = throttled(fileName, opts.onProgress);
    progress(0);
    const ds = readCifarArchive(bytes, fileName, { onProgress: progress, strictCounts: false });
    const kind = ds.meta.id === 'cifar100-lt' ? 'cifar100' : 'cifar10';
    const notes: string[] = [];
    const off = OFFICIAL[kind];
    const nTrain = ds.pool.labels.length;
    const nTest = ds.test.labels.length;
    if (nTrain !== off.train || nTest !== off.test) {
      notes.push(
        `non-standard record count: ${nTrain} training / ${nTest} test records (the official archive has ${off.train} / ${off.test})`,
      );
    }
    const poolCounts = classCounts(ds.pool.labels, ds.pool.numClasses);
    const testCounts = classCounts(ds.test.labels, ds.test.numClasses);
    const noTest = testCounts.map((n, c) => (n === 0 ? ds.test.classNames[c] : null)).filter((x): x is string => x !== null);
    if (noTest.length) {
      notes.push(
        `${noTest.length} class${noTest.length === 1 ? '' : 'es'} (${noTest
          .slice(0, 5)
          .map((n) => `"${n}"`)
          .join(
            ', ',
          )}${noTest.length > 5 ? ` and ${noTest.length - 5} more` : ''}) ha${noTest.length === 1 ? 's' : 've'} no test record: ` +
          `no test accuracy for ${noTest.length === 1 ? 'it' : 'them'}`,
      );
    }
    const empty = poolCounts.map((n, c) => (n === 0 ? ds.pool.classNames[c] : null)).filter((x): x is string => x !== null);
    if (empty.length) {
      throw new DataError(
        fileName,
        `class${empty.length > 1 ? 'es' : ''} ${empty
          .slice(0, 5)
          .map((n) => `"${n}"`)
          .join(', ')} ha${empty.length > 1 ? 've' : 's'} no training image`,
      );
    }
    progress(1);
    return {
      dataset: ds,
      info: {
        kind,
        title: ds.meta.title,
        source: fileName,
        classNames: ds.pool.classNames.slice(),
        poolCounts,
        testCounts,
        height: 32,
        width: 32,
        channels: 3,
        memoryBytes: ds.pool.images.length + ds.test.images.length,
        notes,
        skipped: [],
        skippedCount: 0,
      },
    };
  }
  const target = FOLDER_TARGETS[src.target];
  if (!target) throw new Error(`unknown image size '${String(src.target)}'`);
  let input: FolderFile[] | Uint8Array;
  let name: string;
  if (src.zip) {
    input = new Uint8Array(src.zip.bytes);
    name = cleanName(src.zip.fileName, 200) || 'the uploaded zip';
  } else if (src.files && src.files.length) {
    input = src.files.map((f) => ({ path: f.path, bytes: new Uint8Array(f.bytes) }));
    name = cleanName(src.files[0].path.split('/')[0], 200) || 'the selected folder';
  } else {
    throw new DataError('the selected folder', 'holds no files');
  }
  const progress = throttled(name, opts.onProgress);
  progress(0);
  const r = await buildFolderDataset(input, {
    decoder: opts.decoder(),
    target,
    testFraction: src.testFraction,
    seed: src.seed,
    maxImages: MAX_FOLDER_IMAGES,
    archiveName: src.zip ? name : undefined,
    onProgress: progress,
    signal: opts.signal,
  });
  const ds = r.dataset;
  const notes: string[] = [];
  if (r.report.skipped.length)
    notes.push(`${r.report.skipped.length} file${r.report.skipped.length === 1 ? '' : 's'} skipped (listed below)`);
  notes.push(...r.report.notes);
  if (ds.pool.numClasses < 2) notes.push('only one class: a classifier needs at least two');
  return {
    dataset: ds,
    info: {
      kind: 'folder',
      title: ds.meta.title,
      source: name,
      classNames: ds.pool.classNames.slice(),
      poolCounts: r.report.perClassTrain.slice(),
      testCounts: r.report.perClassTest.slice(),
      height: target.height,
      width: target.width,
      channels: target.channels,
      memoryBytes: r.report.memoryBytes,
      notes,
      skipped: r.report.skipped.slice(0, MAX_SKIPPED_LISTED),
      skippedCount: r.report.skipped.length,
    },
  };
}

/** The uploaded data sets a worker holds (the last MAX_UPLOADS). */
export class UploadedDatasets {
  private serial = 0;
  private readonly sets = new Map<string, { dataset: Dataset; info: UploadedDataInfo }>();

  constructor(private readonly opts: ParseOptions) {}

  get(id: string): Dataset | undefined {
    return this.sets.get(id)?.dataset;
  }

  ids(): string[] {
    return [...this.sets.keys()];
  }

  /** Parses and stores; on any error nothing is stored and the error (naming the file) is thrown. */
  async load(src: UploadSource, onProgress?: (p: UploadProgress) => void): Promise<UploadedDataInfo> {
    const { dataset, info } = await parseUpload(src, { ...this.opts, onProgress: onProgress ?? this.opts.onProgress });
    const id = `${info.kind === 'folder' ? 'folder' : dataset.meta.id}@${++this.serial}`;
    const full: UploadedDataInfo = { id, ...info };
    this.sets.set(id, { dataset: { ...dataset, meta: { ...dataset.meta } }, info: full });
    while (this.sets.size > MAX_UPLOADS) this.sets.delete(this.sets.keys().next().value as string);
    return full;
  }
}
