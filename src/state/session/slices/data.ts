/** Data slice: uploaded data sets (names / counts only — the pixels stay in the worker) and the upload's progress. */
import type { StateCreator } from 'zustand';
import type { UploadedDataInfo } from '../../../worker/upload-info';
import { MAX_UPLOADS } from '../../../worker/upload-info';

export interface UploadStatus {
  /** The file / folder being read or parsed. */
  file: string;
  phase: 'read' | 'parse';
  /** 0..1 */
  fraction: number;
}

export interface DataSlice {
  /** Uploaded data sets the worker holds (oldest first, at most MAX_UPLOADS, like the worker). */
  uploads: UploadedDataInfo[];
  /** The upload in progress (null: none). */
  uploadStatus: UploadStatus | null;
  /** Last upload error, shown next to the upload controls (also a notice). */
  uploadError: string | null;
  addUpload(info: UploadedDataInfo): void;
  setUploadStatus(s: UploadStatus | null): void;
  setUploadError(e: string | null): void;
  /** The worker was replaced (backend change / crash): its uploads are gone. */
  clearUploads(): void;
}

export const createDataSlice: StateCreator<DataSlice> = (set) => ({
  uploads: [],
  uploadStatus: null,
  uploadError: null,
  addUpload: (info) => set((s) => ({ uploads: [...s.uploads.filter((u) => u.id !== info.id), info].slice(-MAX_UPLOADS) })),
  setUploadStatus: (uploadStatus) => set({ uploadStatus }),
  setUploadError: (uploadError) => set({ uploadError }),
  clearUploads: () => set({ uploads: [] }),
});
