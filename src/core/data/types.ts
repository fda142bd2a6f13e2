/** Data contracts shared by readers, long-tail subsets, samplers, augmentation and the trainer. */

/** A labelled image collection held as raw bytes, NHWC row-major. */
export interface ImageSet {
  /** Human-readable origin, used in error messages (e.g. "train-images-idx3-ubyte.gz"). */
  name: string;
  height: number;
  width: number;
  channels: number;
  numClasses: number;
  classNames: string[];
  /** N·H·W·C bytes, NHWC order. */
  images: Uint8Array;
  /** N labels in [0, numClasses). */
  labels: Uint16Array;
  /**
   * Only for a pool assembled from some parts of the embedded pack (pack-parts.ts): 1 where image i is loaded, 0
   * where its bytes are blank (its part was not fetched). Absent: every image is loaded.
   */
  loaded?: Uint8Array;
}

/** Per-dataset constants the model input pipeline needs. */
export interface DatasetMeta {
  id: string; // 'fmnist-lt' | 'cifar10-lt' | 'cifar100-lt' | user ids
  title: string;
  /** Per-channel mean / std applied to pixels scaled to [0, 1]. */
  mean: number[];
  std: number[];
  /** Horizontal flip augmentation is sensible for this data (off for digits). */
  hflip: boolean;
  /** Zero padding for random-crop augmentation (4 for 32×32, 2 or 4 for 28×28). */
  cropPad: number;
  licence: string;
}

/**
 * Where an uploaded image folder's images came from and how they were decoded (a run bundle records it so the
 * data set can be named and rebuilt outside the app).
 */
export interface FolderSource {
  kind: 'folder' | 'zip';
  /** The zip's file name, or the picked folder's name. */
  name: string;
  /** Class folder names exactly as found, in label order. */
  folders: string[];
  /** Paths relative to the root folder (the one holding the class folders), in the pool's and the test set's order. */
  poolFiles: string[];
  testFiles: string[];
  height: number;
  width: number;
  channels: 1 | 3;
  fit: 'crop' | 'stretch';
  testFraction: number;
  /** The seed of the per-class train/test split. */
  splitSeed: number;
}

/** A dataset as the app and CLI use it: a pool to draw long-tail subsets from, and a balanced test set. */
export interface Dataset {
  meta: DatasetMeta;
  pool: ImageSet;
  test: ImageSet;
  /** Only for an uploaded image folder or zip. */
  source?: FolderSource;
}

/** 'asis': no subsampling — every pool image of each class (capped at n_max), for data with its own imbalance. */
export type LtProfile = 'exp' | 'step' | 'asis';
export type Group = 'many' | 'medium' | 'few';

export interface LongTailOptions {
  imbalance: number; // IF = n_max / n_min, ≥ 1
  profile: LtProfile;
  /** Step profile: fraction of classes in the tail (μ), default 0.5. */
  stepMu?: number;
  /** Defaults to the largest class size in the pool capped at 5000. */
  nMax?: number;
  seed: number;
}

export interface LongTailSubset {
  /** Indices into the pool, all of class 0 first, then class 1, … */
  indices: Int32Array;
  /** Label of each selected index (same order as `indices`). */
  labels: Uint16Array;
  /** Training count per class. */
  counts: number[];
  /** many (n > 100) / medium (20 ≤ n ≤ 100) / few (n < 20) per class. */
  groups: Group[];
  options: Required<LongTailOptions>;
}

export type SamplerKind = 'instance' | 'classBalanced' | 'cben';
