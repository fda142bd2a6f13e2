/**
 * "Bring your own images": builds a Dataset from a folder of images with one sub-folder per class, given either
 * as the files of a directory picker (relative paths such as "pets/cat/001.jpg") or as a .zip of that folder.
 *
 * Layout. The longest directory prefix shared by all files is the root (the picked folder, or the single
 * top-level folder of a zip, or nothing when the zip holds the class folders directly); the first directory
 * level below the root names the class, and every image anywhere inside a class folder (sub-folders included,
 * like torchvision's ImageFolder) belongs to it. Files directly in the root are not used (listed as skipped).
 * Ignored silently: dotfiles and dot-folders (.DS_Store, .git/…), __MACOSX/, Thumbs.db, desktop.ini.
 * A file is taken as an image when its extension is a common image one or its first bytes say so; other files
 * are listed as skipped.
 *
 * Class names are the folder names — user strings, kept verbatim as plain text (never parsed or rendered as
 * markup) except for the one cleaning every class name gets (names.ts: control / bidi-override characters
 * removed, NFC, trimmed, capped at 64 characters, made distinct). Classes are sorted in natural order ("class2"
 * before "class10"), with a locale-independent comparison so every machine numbers them the same.
 *
 * Unreadable images (decoder error, corrupt data) are SKIPPED and listed in `report.skipped` with the reason,
 * as long as their class keeps at least one readable image; a class with no readable image is an error naming
 * the class folder (pass `strict: true` to make every unreadable image an error). Everything is validated
 * before the data set is returned: it is complete or an error is thrown. Messages name the file: a picked file
 * by its relative path, a zip member as "archive.zip:path" (like the CIFAR reader).
 *
 * Limits (checked before anything is decoded): `maxImages` (default 20000) image files, 5× that many files in
 * all, and `maxBytes` (default 1 GiB) of uncompressed file data — for a zip, the sizes its directory declares,
 * and each member inflates into at most its declared size (zip.ts, checked while it streams), so a zip bomb is
 * refused after at most `maxBytes` of output. Then a decode budget, read from the image headers (png.ts
 * `imageDimensions`) before anything is decoded: an image over `maxImagePixels` (4096×4096) is skipped with its
 * size, and more than `maxDecodePixels` (2^32) in all is an error; images whose header cannot be sized are counted
 * as they are decoded. A zip whose directory entries share member data is refused by zip.ts.
 * `estimateMemory` / `folderLimitsText` state them for the upload
 * dialog. A class whose only readable image is kept for training, or a whole upload without test images, is
 * accepted with a note (`report.notes`).
 * The build yields to the event loop every ~50 ms (so a worker stays responsive) and honours an AbortSignal.
 *
 * Split. Per class, the readable images are sorted by path (so the result does not depend on upload order),
 * shuffled with a per-class stream of the seeded Rng, and round(testFraction·n) of them (at least 1 when
 * n ≥ 2, never all) form the test set; the rest is the pool. The pool keeps the data's real per-class counts
 * (the long-tail controls may subsample it). mean / std are computed per channel over the pool's pixels.
 */
import { DataError, bytesText } from './errors';
import type { ProgressFn } from './gzip';
import { classDisplayNames, cleanName, messageName } from './names';
import { imageDimensions, sniffImageType, type ImageDecoder } from './png';
import { resizeImage, type ResizeFit } from './resize';
import { Rng } from '../rng';
import type { Dataset, DatasetMeta, FolderSource, ImageSet } from './types';
import {
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_DECODE_PIXELS,
  DEFAULT_MAX_IMAGES,
  MAX_IMAGE_PIXELS,
  FILES_PER_IMAGE,
  MAX_TEST_FRACTION,
  MIN_TEST_FRACTION,
  estimateMemory,
  type FolderTarget,
  type SkippedFile,
} from './folder-limits';
import { isZip, listZip, readZipMember } from './zip';

export interface FolderFile {
  /** Path relative to the picked folder's parent ("pets/cat/001.jpg", as webkitRelativePath gives it). */
  path: string;
  bytes: Uint8Array;
}

export { cleanName };

export interface FolderOptions {
  decoder: ImageDecoder;
  target: FolderTarget;
  /** Fraction of each class held out for the test set, 0.05–0.5. */
  testFraction: number;
  seed: number;
  /** Most images accepted (default 20000); more is an error before anything is decoded. */
  maxImages?: number;
  /** Most bytes of files accepted, uncompressed (default 1 GiB). */
  maxBytes?: number;
  /** Largest image decoded, width·height (default MAX_IMAGE_PIXELS); a larger one is skipped like an unreadable one. */
  maxImagePixels?: number;
  /** Most pixels decoded in all (default DEFAULT_MAX_DECODE_PIXELS); more is an error before anything is decoded. */
  maxDecodePixels?: number;
  /** File name of the zip, used in messages (default "upload.zip"). */
  archiveName?: string;
  /** 'crop' (default: shorter side to the target, centre crop) or 'stretch'. */
  fit?: ResizeFit;
  /** Make every unreadable image an error instead of skipping it. */
  strict?: boolean;
  /** Fraction done, monotone, ending at 1. */
  onProgress?: ProgressFn;
  /** Cancels the build between two images (the promise rejects with the signal's reason). */
  signal?: AbortSignal;
}

export interface FolderReport {
  /** Root folder path ("" when the zip holds the class folders directly). */
  root: string;
  /** Class names as shown (sanitised folder names), in label order. */
  classes: string[];
  /** Class folder names exactly as found (label order). */
  folders: string[];
  /** Readable images per class, and how they were split. */
  perClassTotal: number[];
  perClassTrain: number[];
  perClassTest: number[];
  /** Files not used, with the reason (unreadable images, non-images, files outside class folders). */
  skipped: SkippedFile[];
  /** Bytes held by the built data set (pixels + labels of pool and test). */
  memoryBytes: number;
  /**
   * Remarks that do not stop the upload, e.g. classes with no test image (a class with a single readable image
   * keeps it for training) or no test set at all; the page shows them and "–" for accuracies it cannot measure.
   */
  notes: string[];
}

export interface FolderResult {
  dataset: Dataset;
  report: FolderReport;
}

const IMAGE_EXT = new Set(['png', 'jpg', 'jpeg', 'jpe', 'jfif', 'pjpeg', 'pjp', 'gif', 'bmp', 'dib', 'webp', 'avif', 'tif', 'tiff', 'ico']);
const JUNK_NAMES = new Set(['__macosx', 'thumbs.db', 'desktop.ini']);
const SPLIT_NAMES = new Set(['train', 'test', 'val', 'valid', 'validation', 'training', 'testing']);
const LAYOUT_HELP =
  'expected one folder per class with the images inside, e.g. pets/cat/001.jpg, pets/dog/002.png ' + '(pick the "pets" folder, or zip it)';

// ---------------------------------------------------------------------------------------------------------------
// strings

/** Paths in messages: control characters removed, at most 200 characters (a longer one cut in the middle). */
function showPath(p: string): string {
  return messageName(p);
}

/** Locale-independent natural order: digit runs compare as numbers, the rest case-insensitively. */
export function naturalCompare(a: string, b: string): number {
  const ra = a.match(/\d+|\D+/g) ?? [];
  const rb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(ra.length, rb.length); i++) {
    const x = ra[i];
    const y = rb[i];
    const dx = x.charCodeAt(0) >= 48 && x.charCodeAt(0) <= 57;
    const dy = y.charCodeAt(0) >= 48 && y.charCodeAt(0) <= 57;
    if (dx && dy) {
      const xs = x.replace(/^0+(?=\d)/, '');
      const ys = y.replace(/^0+(?=\d)/, '');
      if (xs.length !== ys.length) return xs.length - ys.length;
      if (xs !== ys) return xs < ys ? -1 : 1;
    } else {
      const xl = x.toLowerCase();
      const yl = y.toLowerCase();
      if (xl !== yl) return xl < yl ? -1 : 1;
    }
  }
  if (ra.length !== rb.length) return ra.length - rb.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Pixels as megapixels for messages: "67.1". */
function mpx(n: number): string {
  return (n / 1e6).toFixed(1);
}

function splitPath(p: string): string[] {
  return p.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
}

function isJunk(segments: string[]): boolean {
  return segments.some((s) => s.startsWith('.') || JUNK_NAMES.has(s.toLowerCase()));
}

function extOf(name: string): string {
  const i = name.lastIndexOf('.');
  return i > 0 ? name.slice(i + 1).toLowerCase() : '';
}

// ---------------------------------------------------------------------------------------------------------------
// zip

/** What a non-zip upload looks like, for the message. */
function sniffArchive(b: Uint8Array): string | null {
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return 'gzip data (a .tar.gz?)';
  if (b.length >= 262 && String.fromCharCode(...b.subarray(257, 262)) === 'ustar') return 'a tar archive';
  if (b.length >= 4 && String.fromCharCode(...b.subarray(0, 4)) === 'Rar!') return 'a RAR archive';
  if (b.length >= 6 && b[0] === 0x37 && b[1] === 0x7a && b[2] === 0xbc && b[3] === 0xaf) return 'a 7-Zip archive';
  const img = sniffImageType(b);
  return img ? `a single ${img} image` : null;
}

/**
 * Unpacks a zip of an image folder (directories and junk entries skipped): the members' declared sizes must add up
 * to at most `maxBytes`, and each member inflates into at most its declared size (checked while it streams), then
 * its size and CRC-32 are checked. Errors name the archive and the member.
 */
export function readFolderZip(
  bytes: Uint8Array,
  archive: string,
  maxBytes = DEFAULT_MAX_BYTES,
  maxFiles = FILES_PER_IMAGE * DEFAULT_MAX_IMAGES,
): FolderFile[] {
  if (!isZip(bytes)) {
    const what = sniffArchive(bytes);
    throw new DataError(
      archive,
      `not a .zip archive${bytes.length === 0 ? ' (the file is empty)' : what ? ` (it is ${what})` : ''} — ` +
        'upload a .zip of the image folder, or pick the folder itself',
    );
  }
  const wanted = listZip(bytes, archive).filter((e) => !/[\\/]$/.test(e.name) && !isJunk(splitPath(e.name)));
  if (wanted.length > maxFiles) {
    throw new DataError(archive, `holds ${wanted.length} files, more than the ${maxFiles} accepted — use fewer images`);
  }
  const total = wanted.reduce((s, e) => s + e.size, 0);
  if (total > maxBytes) {
    throw new DataError(
      archive,
      `its files add up to ${bytesText(total)} uncompressed, more than the ${bytesText(maxBytes)} accepted — use fewer or smaller images`,
    );
  }
  return wanted.map((e) => ({ path: e.name, bytes: readZipMember(bytes, archive, e, { label: `"${showPath(e.name)}"` }) }));
}

// ---------------------------------------------------------------------------------------------------------------
// layout

interface ClassGroup {
  folder: string; // raw folder name
  name: string; // display name
  files: { path: string; bytes: Uint8Array }[];
  nonImages: number;
}

interface Layout {
  root: string[];
  classes: ClassGroup[];
  skipped: SkippedFile[];
}

function isImage(name: string, bytes: Uint8Array): boolean {
  return IMAGE_EXT.has(extOf(name)) || sniffImageType(bytes) !== null;
}

function layoutOf(files: FolderFile[], where: string, label: (path: string) => string): Layout {
  const kept: { seg: string[]; path: string; bytes: Uint8Array }[] = [];
  const seenPaths = new Set<string>();
  const skipped: SkippedFile[] = [];
  for (const f of files) {
    const seg = splitPath(f.path);
    if (seg.length === 0 || /[\\/]$/.test(f.path) || isJunk(seg)) continue;
    const path = seg.join('/');
    if (seenPaths.has(path)) {
      skipped.push({ file: label(path), reason: 'duplicate path (only the first copy is used)' });
      continue;
    }
    seenPaths.add(path);
    kept.push({ seg, path, bytes: f.bytes });
  }
  if (kept.length === 0) throw new DataError(where, `holds no files (hidden and system files are ignored) — ${LAYOUT_HELP}`);
  // longest common directory prefix
  let prefix = kept[0].seg.slice(0, -1);
  for (const k of kept) {
    let n = 0;
    while (n < prefix.length && n < k.seg.length - 1 && k.seg[n] === prefix[n]) n++;
    prefix = prefix.slice(0, n);
  }
  if (kept.every((k) => k.seg.length === prefix.length + 1)) {
    // every file sits directly in the common folder: that folder is a class of its own, or there is no class
    if (prefix.length === 0) {
      throw new DataError(where, `unknown layout: the images are not in class folders — ${LAYOUT_HELP}`);
    }
    prefix = prefix.slice(0, -1);
  }
  const byFolder = new Map<string, ClassGroup>();
  let deep = false;
  for (const k of kept) {
    const rel = k.seg.slice(prefix.length);
    if (rel.length === 1) {
      skipped.push({ file: label(k.path), reason: 'not inside a class folder (files directly in the root folder are not used)' });
      continue;
    }
    if (rel.length > 2) deep = true;
    let g = byFolder.get(rel[0]);
    if (!g) {
      g = { folder: rel[0], name: '', files: [], nonImages: 0 };
      byFolder.set(rel[0], g);
    }
    if (isImage(k.path, k.bytes)) g.files.push({ path: k.path, bytes: k.bytes });
    else {
      g.nonImages++;
      skipped.push({ file: label(k.path), reason: `not an image file${extOf(k.path) ? ` (.${cleanName(extOf(k.path), 16)})` : ''}` });
    }
  }
  const classes = [...byFolder.values()].sort((a, b) => naturalCompare(a.folder, b.folder));
  const root = prefix.join('/');
  const rootText = root ? `"${showPath(root)}"` : 'the top level';
  if (classes.length === 0) throw new DataError(where, `unknown layout: no class folders in ${rootText} — ${LAYOUT_HELP}`);
  if (deep && classes.every((c) => SPLIT_NAMES.has(c.folder.toLowerCase()))) {
    throw new DataError(
      where,
      `unknown layout: ${rootText} holds ${classes.map((c) => `"${c.folder}/"`).join(' and ')}, which look like a train/test split, ` +
        'not classes — upload the folder that holds the class folders (e.g. the train folder); the test part is held out here',
    );
  }
  if (classes.length < 2) {
    throw new DataError(where, `only one class folder ("${showPath(classes[0].folder)}") — at least 2 classes are needed; ${LAYOUT_HELP}`);
  }
  // display names: cleaned, non-empty and distinct
  const names = classDisplayNames(classes.map((c) => c.folder));
  classes.forEach((c, i) => (c.name = names[i]));
  for (const c of classes) {
    if (c.files.length === 0) {
      throw new DataError(
        label(root ? `${root}/${c.folder}` : c.folder),
        `class folder holds no images${c.nonImages ? ` (${c.nonImages} other file${c.nonImages === 1 ? '' : 's'})` : ''} — every class needs at least one image`,
      );
    }
    c.files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
  return { root: prefix, classes, skipped };
}

// ---------------------------------------------------------------------------------------------------------------
// build

/**
 * The limits on a picked folder's files, before any is decoded: at most FILES_PER_IMAGE·maxImages files and
 * maxBytes in all (the CLI checks them from the file sizes before it reads a folder).
 */
export function checkFolderSize(
  where: string,
  nFiles: number,
  totalBytes: number,
  maxImages = DEFAULT_MAX_IMAGES,
  maxBytes = DEFAULT_MAX_BYTES,
): void {
  if (nFiles > FILES_PER_IMAGE * maxImages) {
    throw new DataError(where, `holds ${nFiles} files, more than the ${FILES_PER_IMAGE * maxImages} accepted — use fewer images`);
  }
  if (totalBytes > maxBytes) {
    throw new DataError(
      where,
      `its files add up to ${bytesText(totalBytes)}, more than the ${bytesText(maxBytes)} accepted — use fewer or smaller images`,
    );
  }
}

/**
 * Builds a Dataset (pool + held-out test set) from an image folder: a list of files with relative paths, or the
 * bytes of a .zip. Throws DataError naming the file (the archive, a class folder or an image) on any problem.
 */
export async function buildFolderDataset(input: FolderFile[] | Uint8Array, opts: FolderOptions): Promise<FolderResult> {
  const { target, decoder } = opts;
  if (!(opts.testFraction >= MIN_TEST_FRACTION && opts.testFraction <= MAX_TEST_FRACTION)) {
    throw new RangeError(`testFraction must be between ${MIN_TEST_FRACTION} and ${MAX_TEST_FRACTION}, got ${opts.testFraction}`);
  }
  if (
    !(target.height >= 1 && target.width >= 1 && Number.isInteger(target.height) && Number.isInteger(target.width)) ||
    (target.channels !== 1 && target.channels !== 3)
  ) {
    throw new RangeError(`target must be H×W×(1|3), got ${target.height}×${target.width}×${target.channels}`);
  }
  if (!Number.isFinite(opts.seed)) throw new RangeError(`seed must be a finite number, got ${opts.seed}`);
  const maxImages = opts.maxImages ?? DEFAULT_MAX_IMAGES;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const archive = showPath(opts.archiveName ?? 'upload.zip');
  let last = -1;
  const progress = (f: number) => {
    if (opts.onProgress && f > last) {
      last = f;
      opts.onProgress(f);
    }
  };

  let files: FolderFile[];
  let where: string;
  const isZip = input instanceof Uint8Array;
  // names in messages: zip members as "archive.zip:path" (as the CIFAR reader does), picked files by their path
  const label = (path: string) => showPath(isZip ? `${archive}:${path}` : path);
  if (isZip) {
    files = readFolderZip(input, archive, maxBytes, FILES_PER_IMAGE * maxImages);
    where = archive;
  } else {
    files = input;
    const total = files.reduce((s, f) => s + f.bytes.length, 0);
    const first = files.length ? (splitPath(files[0].path)[0] ?? '') : '';
    where = first && files.every((f) => splitPath(f.path)[0] === first) ? showPath(first) : 'the selected folder';
    checkFolderSize(where, files.length, total, maxImages, maxBytes);
  }
  progress(0.05);
  const layout = layoutOf(files, where, label);
  const nCandidates = layout.classes.reduce((s, c) => s + c.files.length, 0);
  if (nCandidates > maxImages) {
    throw new DataError(
      where,
      `holds ${nCandidates} images, more than the limit of ${maxImages} ` +
        `(about ${(estimateMemory(maxImages, target) / 1e6).toFixed(1)} MB as ${target.height}×${target.width}×${target.channels}) — use fewer images`,
    );
  }

  // the decode budget, from the image headers: an image over the per-image cap is skipped, and a total over the
  // budget is refused, before anything is decoded
  const maxImagePixels = opts.maxImagePixels ?? MAX_IMAGE_PIXELS;
  const maxDecodePixels = opts.maxDecodePixels ?? DEFAULT_MAX_DECODE_PIXELS;
  const tooLarge = (w: number, h: number) =>
    `image is ${w}×${h} (${mpx(w * h)} megapixels), more than the ${mpx(maxImagePixels)} megapixels accepted — ` +
    `it is resized to ${target.height}×${target.width}: downscale it first`;
  const headerSize: ({ width: number; height: number } | null)[] = [];
  let budget = 0;
  let largest: { file: string; width: number; height: number } | null = null;
  for (const c of layout.classes) {
    for (const f of c.files) {
      const d = imageDimensions(f.bytes);
      headerSize.push(d);
      if (!d || d.width * d.height > maxImagePixels) continue;
      budget += d.width * d.height;
      if (!largest || d.width * d.height > largest.width * largest.height) largest = { file: f.path, ...d };
    }
  }
  const overBudget = (total: number): never => {
    throw new DataError(
      where,
      `its images add up to ${mpx(total)} megapixels to decode, more than the ${mpx(maxDecodePixels)} accepted ` +
        `(they are resized to ${target.height}×${target.width}) — downscale the images or use fewer` +
        (largest ? `; the largest is ${label(largest.file)} (${largest.width}×${largest.height})` : ''),
    );
  };
  if (budget > maxDecodePixels) overBudget(budget);

  // decode + resize every candidate into one buffer
  const px = target.height * target.width * target.channels;
  const pixels = new Uint8Array(nCandidates * px);
  // each candidate's path below the root folder (a run bundle lists them)
  const relPath: string[] = [];
  for (const c of layout.classes) for (const f of c.files) relPath.push(splitPath(f.path).slice(layout.root.length).join('/'));
  const ok = new Uint8Array(nCandidates);
  const skipped = layout.skipped.slice();
  const firstFailure: (SkippedFile | null)[] = layout.classes.map(() => null);
  let slot = 0;
  let lastYield = Date.now();
  for (let c = 0; c < layout.classes.length; c++) {
    for (const f of layout.classes[c].files) {
      opts.signal?.throwIfAborted();
      if (Date.now() - lastYield > 50) {
        // let the worker handle messages (progress display, cancel) during a long build
        await new Promise((r) => setTimeout(r, 0));
        opts.signal?.throwIfAborted();
        lastYield = Date.now();
      }
      const file = label(f.path);
      const head = headerSize[slot];
      let decodedUnknown = 0;
      try {
        if (head && head.width * head.height > maxImagePixels) throw new DataError(file, tooLarge(head.width, head.height));
        const img = await decoder(f.bytes, file);
        if (!img || !(img.width >= 1 && img.height >= 1) || img.data.length < img.width * img.height * img.channels) {
          throw new DataError(file, 'unreadable image (the decoder returned no pixels)');
        }
        if (!head) {
          // a format whose size the header check cannot read: counted once decoded
          if (img.width * img.height > maxImagePixels) throw new DataError(file, tooLarge(img.width, img.height));
          decodedUnknown = img.width * img.height;
        }
        resizeImage(img, target, { fit: opts.fit, out: pixels, offset: slot * px });
        ok[slot] = 1;
      } catch (e) {
        const reason = e instanceof DataError ? e.detail : `unreadable image (${e instanceof Error ? e.message : String(e)})`;
        if (opts.strict) throw new DataError(file, reason);
        const s = { file, reason };
        skipped.push(s);
        firstFailure[c] ??= s;
      }
      budget += decodedUnknown;
      if (budget > maxDecodePixels) overBudget(budget);
      slot++;
      progress(0.05 + (0.9 * slot) / nCandidates);
    }
  }

  // per class: readable images, split
  const rootName = layout.root.join('/');
  const K = layout.classes.length;
  const perClassTotal: number[] = [];
  const perClassTrain: number[] = [];
  const perClassTest: number[] = [];
  const trainIdx: number[][] = [];
  const testIdx: number[][] = [];
  const rng = new Rng(opts.seed);
  slot = 0;
  for (let c = 0; c < K; c++) {
    const g = layout.classes[c];
    const good: number[] = [];
    for (let i = 0; i < g.files.length; i++, slot++) if (ok[slot]) good.push(slot);
    if (good.length === 0) {
      const first = firstFailure[c];
      throw new DataError(
        label(rootName ? `${rootName}/${g.folder}` : g.folder),
        `class "${g.name}" has no readable image (${g.files.length} image file${g.files.length === 1 ? '' : 's'}, none could be decoded` +
          `${first ? `; e.g. ${first.file}: ${first.reason}` : ''})`,
      );
    }
    rng.fork(`folder-class:${g.folder}`).shuffle(good);
    const n = good.length;
    const nTest = n >= 2 ? Math.min(n - 1, Math.max(1, Math.round(opts.testFraction * n))) : 0;
    testIdx.push(good.slice(0, nTest));
    trainIdx.push(good.slice(nTest));
    perClassTotal.push(n);
    perClassTest.push(nTest);
    perClassTrain.push(n - nTest);
  }

  const classNames = layout.classes.map((c) => c.name);
  const title =
    cleanName(layout.root.length ? layout.root[layout.root.length - 1] : isZip ? archive.replace(/\.zip$/i, '') : '') || 'Image folder';
  const makeSet = (idx: number[][], role: string): ImageSet => {
    const n = idx.reduce((s, a) => s + a.length, 0);
    const images = new Uint8Array(n * px);
    const labels = new Uint16Array(n);
    let i = 0;
    idx.forEach((list, c) => {
      for (const s of list) {
        images.set(pixels.subarray(s * px, (s + 1) * px), i * px);
        labels[i++] = c;
      }
    });
    return {
      name: `${title} (${role})`,
      height: target.height,
      width: target.width,
      channels: target.channels,
      numClasses: K,
      classNames: classNames.slice(),
      images,
      labels,
    };
  };
  const pool = makeSet(trainIdx, 'train');
  const test = makeSet(testIdx, 'test');
  const source: FolderSource = {
    kind: isZip ? 'zip' : 'folder',
    name: isZip ? archive : where,
    folders: layout.classes.map((c) => c.folder),
    poolFiles: trainIdx.flat().map((s) => relPath[s]),
    testFiles: testIdx.flat().map((s) => relPath[s]),
    height: target.height,
    width: target.width,
    channels: target.channels,
    fit: opts.fit ?? 'crop',
    testFraction: opts.testFraction,
    splitSeed: opts.seed,
  };
  const { mean, std } = channelStats(pool);
  const meta: DatasetMeta = {
    id: 'folder',
    title,
    mean,
    std,
    hflip: true,
    cropPad: Math.min(target.height, target.width) >= 32 ? 4 : 2,
    licence: 'user-supplied',
  };
  progress(1);
  return {
    dataset: { meta, pool, test, source },
    report: {
      root: showPath(rootName),
      classes: classNames,
      folders: layout.classes.map((c) => c.folder),
      perClassTotal,
      perClassTrain,
      perClassTest,
      skipped,
      memoryBytes: estimateMemory(pool.labels.length + test.labels.length, target),
      notes: splitNotes(classNames, perClassTest),
    },
  };
}

/** Notes on classes left without a test image (a single readable image stays in the pool). */
function splitNotes(classes: string[], perClassTest: number[]): string[] {
  const empty = classes.filter((_, c) => perClassTest[c] === 0);
  if (empty.length === 0) return [];
  if (empty.length === classes.length) {
    return [
      'no test images: every class has a single readable image, which is kept for training, so test accuracy cannot be ' +
        'measured — add at least 2 images per class',
    ];
  }
  const shown = empty
    .slice(0, 5)
    .map((n) => `"${n}"`)
    .join(', ');
  const more = empty.length > 5 ? ` and ${empty.length - 5} more` : '';
  return [
    `${empty.length} class${empty.length === 1 ? '' : 'es'} (${shown}${more}) ha${empty.length === 1 ? 's' : 've'} a single readable image, ` +
      `kept for training: no test image, so no test accuracy for ${empty.length === 1 ? 'it' : 'them'}`,
  ];
}

/** Per-channel mean / std of the pixels scaled to [0, 1] (std 1 for a constant channel). */
function channelStats(s: ImageSet): { mean: number[]; std: number[] } {
  const C = s.channels;
  const sum = new Float64Array(C);
  const sq = new Float64Array(C);
  const d = s.images;
  for (let i = 0; i < d.length; i += C) {
    for (let c = 0; c < C; c++) {
      const v = d[i + c];
      sum[c] += v;
      sq[c] += v * v;
    }
  }
  const n = d.length / C;
  const mean: number[] = [];
  const std: number[] = [];
  for (let c = 0; c < C; c++) {
    const m = n ? sum[c] / n : 0;
    const v = n ? Math.max(0, sq[c] / n - m * m) : 0;
    const sd = Math.sqrt(v) / 255;
    mean.push(m / 255);
    std.push(sd > 1e-6 ? sd : 1);
  }
  return { mean, std };
}
