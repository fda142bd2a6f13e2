/**
 * What the controls need to know about the chosen data set — the embedded Fashion-MNIST-LT or an uploaded one —
 * without its pixels: class names, pool counts, the head-class size, the imbalance-factor range and whether the
 * "as is" profile (no subsampling) is offered.
 *
 * IF ranges (decided here, documented in the README of the app):
 * - embedded Fashion-MNIST-LT: 10–200 (its pool's tail classes hold the IF-10 counts);
 * - CIFAR-10 / CIFAR-100 archives: 1–200 (a balanced pool of 5000 / 500 images per class; IF 1 = balanced);
 * - image folders: 1–200 for the exp / step profiles, which draw from the pool like CIFAR (n_max = the largest
 *   class); the default for folders is "as is": every image, the data's real imbalance.
 */
import { countsFor, DEFAULT_N_MAX } from '../../core/data/longtail';
import type { UploadedDataInfo } from '../../worker/upload-info';
import { isUploadId } from '../../worker/upload-info';
import { EMBEDDED, FMNIST_CLASS_NAMES, type Settings } from './settings';

export interface DataShape {
  id: string;
  title: string;
  classNames: string[];
  /** Pool images per class (null: not known on the page — the embedded pool). */
  poolCounts: number[] | null;
  /** Head-class size the profiles start from (the largest pool class, at most 5000). */
  poolMax: number;
  minIF: number;
  maxIF: number;
  /** Offer the "as is" profile. */
  asIs: boolean;
  upload: UploadedDataInfo | null;
}

export const UPLOAD_IF = { min: 1, max: 200 } as const;

export const EMBEDDED_SHAPE: DataShape = {
  id: EMBEDDED.id,
  title: EMBEDDED.title,
  classNames: FMNIST_CLASS_NAMES,
  poolCounts: null,
  poolMax: EMBEDDED.poolMax,
  minIF: EMBEDDED.minIF,
  maxIF: EMBEDDED.maxIF,
  asIs: false,
  upload: null,
};

export function uploadShape(u: UploadedDataInfo): DataShape {
  return {
    id: u.id,
    title: u.kind === 'folder' ? `${u.title} (your images)` : `${u.title} (uploaded)`,
    classNames: u.classNames,
    poolCounts: u.poolCounts,
    poolMax: Math.min(DEFAULT_N_MAX, Math.max(1, ...u.poolCounts)),
    minIF: UPLOAD_IF.min,
    maxIF: UPLOAD_IF.max,
    asIs: u.kind === 'folder',
    upload: u,
  };
}

/** The shape of data set `id` (null: an uploaded id that is not loaded). */
export function shapeFor(id: string, uploads: readonly UploadedDataInfo[]): DataShape | null {
  if (id === EMBEDDED.id) return EMBEDDED_SHAPE;
  const u = uploads.find((x) => x.id === id);
  return u ? uploadShape(u) : null;
}

/** Training count per class the settings give on this data (head first; 'asis': the pool's own counts). */
export function previewCountsFor(s: Settings, shape: DataShape = EMBEDDED_SHAPE): number[] {
  const nMax = Math.min(s.config.headImages ?? shape.poolMax, shape.poolMax);
  const C = shape.classNames.length;
  if (s.config.profile === 'asis' && shape.poolCounts) return shape.poolCounts.map((n) => Math.min(n, nMax));
  return countsFor(C, nMax, { imbalance: s.config.imbalance, profile: s.config.profile, stepMu: s.config.stepMu });
}

/** Why the pool can't serve these counts (a class smaller than the profile asks), or null. */
export function infeasibility(counts: number[], shape: DataShape): string | null {
  if (!shape.poolCounts) return null;
  for (let c = 0; c < counts.length; c++) {
    if (counts[c] < 1)
      return `class "${shape.classNames[c]}" would get no image: lower the imbalance factor or raise the head-class images`;
    if (counts[c] > shape.poolCounts[c]) {
      return (
        `this profile needs ${counts[c]} images of class "${shape.classNames[c]}", which has ${shape.poolCounts[c]}: ` +
        `lower the head-class images${shape.asIs ? ' or use the profile "as is"' : ''}`
      );
    }
  }
  return null;
}

export { isUploadId };
