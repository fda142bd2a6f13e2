/**
 * Readers for the official CIFAR-10 / CIFAR-100 *binary* archives (cifar-10-binary.tar.gz,
 * cifar-100-binary.tar.gz) and a writer producing the same layout (for fixtures and round trips).
 *
 * CIFAR-10: cifar-10-batches-bin/{data_batch_1..5,test_batch}.bin, records of 1 label byte + 3072 pixel bytes
 * (1024 R, 1024 G, 1024 B, each 32×32 row-major), class names in batches.meta.txt.
 * CIFAR-100: cifar-100-binary/{train,test}.bin, records of coarse byte + fine byte + 3072 pixel bytes, names in
 * fine_label_names.txt / coarse_label_names.txt. The FINE labels are used.
 * Output ImageSets are NHWC (32×32×3).
 */
import { DataError } from './errors';
import { gunzipHead, gzipBytes, isGzip, gunzipChecked, type ProgressFn } from './gzip';
import { classDisplayNames, messageName } from './names';
import { isTarStart, readTar, writeTar, type TarEntry } from './tar';
import type { Dataset, DatasetMeta, ImageSet } from './types';

export type CifarKind = 'cifar10' | 'cifar100';

export interface CifarReadOptions {
  /** Called with the fraction done (0..1), monotone, ending at 1. */
  onProgress?: ProgressFn;
  /**
   * Require the official record counts (10000 per CIFAR-10 batch; 50000/10000 for CIFAR-100). Default true;
   * fixtures with fewer records pass false. Truncation is caught either way (size not a multiple of the record).
   */
  strictCounts?: boolean;
  /** Most bytes the .tar.gz may inflate to (default and ceiling CIFAR_MAX_TAR_BYTES; tests pass less). */
  maxBytes?: number;
}

/**
 * Most bytes a CIFAR .tar.gz may inflate to: 190,000,000, about 3 % above the official binary archives' tar
 * (CIFAR-10: 6 batches of 10,000 × 3,073 bytes + headers ≈ 184.39 MB; CIFAR-100: 60,000 × 3,074 bytes + name lists
 * ≈ 184.45 MB). More cannot be a CIFAR archive, so the inflation stops there (a decompression bomb costs ≤ 190 MB).
 */
export const CIFAR_MAX_TAR_BYTES = 190_000_000;

const SIDE = 32;
const PIXELS = SIDE * SIDE * 3;

const LICENCE =
  'CIFAR-10 / CIFAR-100: Alex Krizhevsky, "Learning Multiple Layers of Features from Tiny Images", 2009. ' +
  'https://www.cs.toronto.edu/~kriz/cifar.html — archive supplied by the user.';

export const CIFAR10_META: DatasetMeta = {
  id: 'cifar10-lt',
  title: 'CIFAR-10-LT',
  mean: [0.4914, 0.4822, 0.4465],
  std: [0.2023, 0.1994, 0.201],
  hflip: true,
  cropPad: 4,
  licence: LICENCE,
};

export const CIFAR100_META: DatasetMeta = {
  id: 'cifar100-lt',
  title: 'CIFAR-100-LT',
  mean: [0.5071, 0.4865, 0.4409],
  std: [0.2673, 0.2564, 0.2762],
  hflip: true,
  cropPad: 4,
  licence: LICENCE,
};

interface Layout {
  kind: CifarKind;
  folder: string;
  train: { file: string; count: number }[];
  test: { file: string; count: number };
  /** Label bytes before the pixels; the used (fine) label is the last one. */
  labelBytes: number;
  namesFile: string;
  numClasses: number;
}

const LAYOUTS: Record<CifarKind, Layout> = {
  cifar10: {
    kind: 'cifar10',
    folder: 'cifar-10-batches-bin',
    train: [1, 2, 3, 4, 5].map((i) => ({ file: `data_batch_${i}.bin`, count: 10000 })),
    test: { file: 'test_batch.bin', count: 10000 },
    labelBytes: 1,
    namesFile: 'batches.meta.txt',
    numClasses: 10,
  },
  cifar100: {
    kind: 'cifar100',
    folder: 'cifar-100-binary',
    train: [{ file: 'train.bin', count: 50000 }],
    test: { file: 'test.bin', count: 10000 },
    labelBytes: 2,
    namesFile: 'fine_label_names.txt',
    numClasses: 100,
  },
};

function baseName(p: string): string {
  const s = p.replace(/\/+$/, '');
  return s.slice(s.lastIndexOf('/') + 1);
}

function findMember(entries: TarEntry[], layout: Layout, file: string, archive: string): TarEntry {
  const exact = entries.find((e) => e.name === `${layout.folder}/${file}` || e.name === `./${layout.folder}/${file}`);
  const loose = exact ?? entries.find((e) => baseName(e.name) === file);
  if (!loose) {
    throw new DataError(
      archive,
      `missing member ${layout.folder}/${file} — is this the ${layout.kind === 'cifar10' ? 'CIFAR-10' : 'CIFAR-100'} ` +
        `*binary* version (${layout.kind === 'cifar10' ? 'cifar-10-binary.tar.gz' : 'cifar-100-binary.tar.gz'})?`,
    );
  }
  return loose;
}

function detectKind(entries: TarEntry[]): CifarKind | null {
  const names = new Set(entries.map((e) => baseName(e.name)));
  if (names.has('data_batch_1.bin') || names.has('test_batch.bin') || names.has('batches.meta.txt')) return 'cifar10';
  if (names.has('train.bin') || names.has('fine_label_names.txt')) return 'cifar100';
  return null;
}

const NOT_AN_ARCHIVE = 'neither gzip data nor a tar archive — expected cifar-10-binary.tar.gz or cifar-100-binary.tar.gz';

/**
 * Checks the first bytes of a file (a few KiB; gzip is inflated as far as they go) before the rest is read: what
 * is neither a tar archive nor gzip-compressed tar is refused with the message the full read would give.
 */
export function checkCifarStart(head: Uint8Array, fileName: string): void {
  if (!isGzip(head)) {
    if (!isTarStart(head)) throw new DataError(fileName, NOT_AN_ARCHIVE);
    return;
  }
  const tar = gunzipHead(head, 512);
  if (tar.length === 512 && !isTarStart(tar)) throw new DataError(fileName, 'not a tar archive (the first header has no valid checksum)');
}

/** Unpacks (gunzip + tar) an archive; accepts .tar.gz or an already decompressed .tar. */
function unpack(bytes: Uint8Array, fileName: string, onProgress: ProgressFn | undefined, maxBytes = CIFAR_MAX_TAR_BYTES): TarEntry[] {
  if (isGzip(bytes)) {
    const tar = gunzipChecked(bytes, fileName, {
      onProgress,
      maxBytes: Math.min(maxBytes, CIFAR_MAX_TAR_BYTES),
      reason: 'a CIFAR binary archive can hold (the official ones hold about 184.4 MB)',
    });
    return readTar(tar, fileName);
  }
  try {
    const entries = readTar(bytes, fileName);
    onProgress?.(1);
    return entries;
  } catch (e) {
    if (e instanceof DataError && /not a tar/.test(e.detail)) {
      throw new DataError(fileName, NOT_AN_ARCHIVE);
    }
    throw e;
  }
}

/** Reads a CIFAR-10 or CIFAR-100 binary archive, detecting which from its members. */
export function readCifarArchive(bytes: Uint8Array, fileName: string, opts: CifarReadOptions = {}): Dataset {
  const split = splitProgress(opts.onProgress, 0.5);
  const entries = unpack(bytes, fileName, split.first, opts.maxBytes);
  const kind = detectKind(entries);
  if (!kind) {
    throw new DataError(
      fileName,
      'not a CIFAR binary archive: found neither cifar-10-batches-bin/data_batch_1.bin nor cifar-100-binary/train.bin ' +
        '(the python/matlab versions are not supported; use the binary version)',
    );
  }
  return fromEntries(entries, LAYOUTS[kind], fileName, opts.strictCounts ?? true, split.second);
}

/** Reads cifar-10-binary.tar.gz. */
export function readCifar10(bytes: Uint8Array, fileName: string, opts: CifarReadOptions = {}): Dataset {
  return readKind('cifar10', bytes, fileName, opts);
}

/** Reads cifar-100-binary.tar.gz (fine labels). */
export function readCifar100(bytes: Uint8Array, fileName: string, opts: CifarReadOptions = {}): Dataset {
  return readKind('cifar100', bytes, fileName, opts);
}

function readKind(kind: CifarKind, bytes: Uint8Array, fileName: string, opts: CifarReadOptions): Dataset {
  const split = splitProgress(opts.onProgress, 0.5);
  const entries = unpack(bytes, fileName, split.first, opts.maxBytes);
  return fromEntries(entries, LAYOUTS[kind], fileName, opts.strictCounts ?? true, split.second);
}

function splitProgress(fn: ProgressFn | undefined, at: number): { first?: ProgressFn; second?: ProgressFn } {
  if (!fn) return {};
  let last = -1;
  const emit = (f: number) => {
    if (f > last) {
      last = f;
      fn(f);
    }
  };
  return { first: (f) => emit(f * at), second: (f) => emit(at + f * (1 - at)) };
}

/** "archive.tar.gz:member" for messages (the member path cleaned of control characters). */
function memberLabel(archive: string, entry: TarEntry): string {
  return `${archive}:${messageName(entry.name)}`;
}

/** The class names of the meta file, one per non-empty line, cleaned like every class name (names.ts). */
function parseNames(entry: TarEntry, expected: number, archive: string): string[] {
  const names = new TextDecoder()
    .decode(entry.data)
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (names.length !== expected) {
    throw new DataError(memberLabel(archive, entry), `lists ${names.length} class names, expected ${expected}`);
  }
  return classDisplayNames(names);
}

function fromEntries(entries: TarEntry[], layout: Layout, archive: string, strict: boolean, onProgress?: ProgressFn): Dataset {
  const names = parseNames(findMember(entries, layout, layout.namesFile, archive), layout.numClasses, archive);
  const trainMembers = layout.train.map((t) => ({ spec: t, entry: findMember(entries, layout, t.file, archive) }));
  const testMember = { spec: layout.test, entry: findMember(entries, layout, layout.test.file, archive) };
  const recSize = layout.labelBytes + PIXELS;
  const all = [...trainMembers, testMember];
  // validate sizes and counts of every member before converting anything
  let totalRecords = 0;
  for (const { spec, entry } of all) {
    const where = memberLabel(archive, entry);
    if (entry.data.length % recSize !== 0) {
      throw new DataError(
        where,
        `size ${entry.data.length} is not a multiple of the ${recSize}-byte record ` +
          `(${Math.floor(entry.data.length / recSize)} whole records + ${entry.data.length % recSize} bytes) — truncated or not a CIFAR batch`,
      );
    }
    const n = entry.data.length / recSize;
    if (n === 0) throw new DataError(where, 'holds no records');
    if (strict && n !== spec.count) {
      throw new DataError(where, `holds ${n} records, the official file has ${spec.count}`);
    }
    totalRecords += n;
  }
  let done = 0;
  const convert = (members: typeof all, setName: string): ImageSet => {
    const n = members.reduce((a, m) => a + m.entry.data.length / recSize, 0);
    const images = new Uint8Array(n * PIXELS);
    const labels = new Uint16Array(n);
    let i = 0;
    for (const { entry } of members) {
      const d = entry.data;
      const count = d.length / recSize;
      for (let r = 0; r < count; r++, i++) {
        const base = r * recSize;
        if (layout.labelBytes === 2 && d[base] >= 20) {
          throw new DataError(memberLabel(archive, entry), `coarse label ${d[base]} of record ${r} is out of range (expected 0..19)`);
        }
        const y = d[base + layout.labelBytes - 1];
        if (y >= layout.numClasses) {
          throw new DataError(
            memberLabel(archive, entry),
            `${layout.labelBytes === 2 ? 'fine ' : ''}label ${y} of record ${r} is out of range (expected 0..${layout.numClasses - 1})`,
          );
        }
        labels[i] = y;
        const src = base + layout.labelBytes;
        const dst = i * PIXELS;
        for (let p = 0; p < 1024; p++) {
          const o = dst + p * 3;
          images[o] = d[src + p];
          images[o + 1] = d[src + 1024 + p];
          images[o + 2] = d[src + 2048 + p];
        }
        done++;
        if (onProgress && (done & 1023) === 0) onProgress(done / totalRecords);
      }
    }
    return {
      name: setName,
      height: SIDE,
      width: SIDE,
      channels: 3,
      numClasses: layout.numClasses,
      classNames: names.slice(),
      images,
      labels,
    };
  };
  const pool = convert(trainMembers, `${archive} (train)`);
  const test = convert([testMember], `${archive} (test)`);
  onProgress?.(1);
  return { meta: { ...(layout.kind === 'cifar10' ? CIFAR10_META : CIFAR100_META) }, pool, test };
}

export interface CifarWriteOptions {
  /** CIFAR-100 coarse labels per set (default ⌊fine/5⌋; the reader only range-checks them). */
  coarseLabels?: { train: ArrayLike<number>; test: ArrayLike<number> };
  coarseNames?: string[];
  /** gzip level (default 6). */
  level?: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
}

/**
 * Writes an archive in the exact official layout (tar + gzip) from NHWC 32×32×3 ImageSets. CIFAR-10 train
 * images are split over five data_batch files as evenly as possible (record order kept).
 */
export function writeCifarArchive(kind: CifarKind, train: ImageSet, test: ImageSet, opts: CifarWriteOptions = {}): Uint8Array {
  const layout = LAYOUTS[kind];
  for (const s of [train, test]) {
    if (s.height !== SIDE || s.width !== SIDE || s.channels !== 3) {
      throw new Error(`writeCifarArchive: ${s.name} is ${s.height}×${s.width}×${s.channels}, expected 32×32×3`);
    }
    if (s.classNames.length !== layout.numClasses) {
      throw new Error(`writeCifarArchive: ${s.name} has ${s.classNames.length} classes, ${kind} needs ${layout.numClasses}`);
    }
  }
  const recSize = layout.labelBytes + PIXELS;
  const records = (s: ImageSet, from: number, to: number, coarse?: ArrayLike<number>): Uint8Array => {
    const out = new Uint8Array((to - from) * recSize);
    for (let i = from; i < to; i++) {
      const o = (i - from) * recSize;
      if (layout.labelBytes === 2) out[o] = coarse ? coarse[i] : Math.floor(s.labels[i] / 5);
      out[o + layout.labelBytes - 1] = s.labels[i];
      const src = i * PIXELS;
      const dst = o + layout.labelBytes;
      for (let p = 0; p < 1024; p++) {
        out[dst + p] = s.images[src + p * 3];
        out[dst + 1024 + p] = s.images[src + p * 3 + 1];
        out[dst + 2048 + p] = s.images[src + p * 3 + 2];
      }
    }
    return out;
  };
  const enc = new TextEncoder();
  const n = train.labels.length;
  const entries: { name: string; data?: Uint8Array }[] = [{ name: `${layout.folder}/` }];
  if (kind === 'cifar10') {
    entries.push({ name: `${layout.folder}/batches.meta.txt`, data: enc.encode(train.classNames.join('\n') + '\n\n') });
    for (let b = 0; b < 5; b++) {
      const from = Math.floor((b * n) / 5);
      const to = Math.floor(((b + 1) * n) / 5);
      entries.push({ name: `${layout.folder}/data_batch_${b + 1}.bin`, data: records(train, from, to) });
    }
    entries.push({ name: `${layout.folder}/test_batch.bin`, data: records(test, 0, test.labels.length) });
    entries.push({
      name: `${layout.folder}/readme.html`,
      data: enc.encode('<meta HTTP-EQUIV="REFRESH" content="0; url=http://www.cs.toronto.edu/~kriz/cifar.html">\n'),
    });
  } else {
    const coarseNames = opts.coarseNames ?? Array.from({ length: 20 }, (_, i) => `coarse_${i}`);
    entries.push({ name: `${layout.folder}/coarse_label_names.txt`, data: enc.encode(coarseNames.join('\n') + '\n') });
    entries.push({ name: `${layout.folder}/fine_label_names.txt`, data: enc.encode(train.classNames.join('\n') + '\n') });
    entries.push({ name: `${layout.folder}/train.bin`, data: records(train, 0, n, opts.coarseLabels?.train) });
    entries.push({ name: `${layout.folder}/test.bin`, data: records(test, 0, test.labels.length, opts.coarseLabels?.test) });
  }
  return gzipBytes(writeTar(entries), opts.level ?? 6);
}
