/**
 * Uploaded data ("bring your own data") as the page sees it: what is sent to the worker, the progress it reports and
 * the info it returns (names, counts, notes — never pixels). Pure: the page imports this without the parsers, which
 * live in the worker (./datasets.ts).
 */
import { DEFAULT_MAX_IMAGES, FOLDER_TARGETS, type SkippedFile } from '../core/data/folder-limits';

export type FolderTargetId = keyof typeof FOLDER_TARGETS;

export type UploadSource =
  | { kind: 'cifar'; fileName: string; bytes: ArrayBuffer }
  | {
      kind: 'folder';
      /** A .zip of the folder … */
      zip?: { fileName: string; bytes: ArrayBuffer };
      /** … or the picked files with their relative paths. */
      files?: { path: string; bytes: ArrayBuffer }[];
      target: FolderTargetId;
      testFraction: number;
      seed: number;
    };

export interface UploadProgress {
  /** The file (archive, zip or folder) being parsed. */
  file: string;
  /** 0..1 */
  fraction: number;
}

export interface UploadedDataInfo {
  /** Data-set id for TrainConfig.dataset ("cifar10-lt@1", "folder@2"). */
  id: string;
  kind: 'cifar10' | 'cifar100' | 'folder';
  title: string;
  /** The uploaded file (or folder) name, as text. */
  source: string;
  classNames: string[];
  /** Pool (training) images per class, and held-out test images per class. */
  poolCounts: number[];
  testCounts: number[];
  height: number;
  width: number;
  channels: number;
  /** Bytes of pixels the worker holds for this data set. */
  memoryBytes: number;
  /** Non-blocking remarks (e.g. "non-standard record count …"). */
  notes: string[];
  /** Files not used (folder uploads), the first MAX_SKIPPED_LISTED, and how many in all. */
  skipped: SkippedFile[];
  skippedCount: number;
}

export const MAX_UPLOADS = 2;
export const MAX_SKIPPED_LISTED = 20;
/** Most images a folder upload may hold (checked before decoding). */
export const MAX_FOLDER_IMAGES = DEFAULT_MAX_IMAGES;

/** "cifar10-lt@3" → true: ids of uploaded data (never in a URL). */
export function isUploadId(id: string): boolean {
  return /@\d+$/.test(id);
}
