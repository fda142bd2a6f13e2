/**
 * The embedded pack in parts, so a browser fetches only what a run needs (issue 11: ≤ 3 MB before the first run).
 *
 * The images are put in **rank-major** order — the r-th image of every class, then the (r+1)-th … — keeping each
 * class's own order, and cut into parts by rank: part k holds pool ranks [poolRanks[k], poolRanks[k+1]) and test
 * ranks [testRanks[k], testRanks[k+1]). The first k parts concatenated are therefore the first `poolRanks[k]`
 * images of every class (what `capPerClass(headImages)` keeps) and the first `testRanks[k]` test images of every
 * class (what `evalPerClass` evaluates) — in the same per-class order as the whole pack, so a run on a prefix draws
 * exactly the same subset, batches and test images as a run on the whole pack.
 *
 * Each part is an ordinary LTPG file (`pack.ts`, gzip, own CRC); the manifest (JSON) lists them with their byte
 * sizes. The parts are made from `public/data/fmnist-lt.ltpg` at build time (the Vite plugin in vite.config.ts).
 */
import { DataError } from './errors';
import { decodeDataset, encodeDataset } from './pack';
import type { Dataset, ImageSet } from './types';

export interface PackPart {
  file: string;
  /** Pool ranks [from, to) per class; `to` null = to the end. */
  pool: [number, number | null];
  test: [number, number | null];
  bytes: number;
}

export interface PartsManifest {
  format: 'long-tail-playground/pack-parts';
  version: 1;
  source: string;
  parts: PackPart[];
}

export const MANIFEST_FORMAT = 'long-tail-playground/pack-parts';
/** The manifest's file name next to the pack (public/data/ → dist/data/). */
export const PARTS_MANIFEST = 'fmnist-lt.parts.json';

/** Rank boundaries: the default run (1000 head-class images, 50 test images per class) needs the first two parts. */
export const POOL_RANKS = [0, 100, 1000, 2500] as const;
export const TEST_RANKS = [0, 50, 100, 400] as const;

/** The images of `s` with per-class rank in [from, to), rank-major. */
function byRank(s: ImageSet, from: number, to: number | null): ImageSet {
  const px = s.height * s.width * s.channels;
  const byClass: number[][] = Array.from({ length: s.numClasses }, () => []);
  for (let i = 0; i < s.labels.length; i++) byClass[s.labels[i]].push(i);
  const longest = Math.max(0, ...byClass.map((a) => a.length));
  const end = to === null ? longest : Math.min(to, longest);
  const keep: number[] = [];
  for (let r = from; r < end; r++) for (const list of byClass) if (r < list.length) keep.push(list[r]);
  const images = new Uint8Array(keep.length * px);
  const labels = new Uint16Array(keep.length);
  keep.forEach((src, dst) => {
    images.set(s.images.subarray(src * px, (src + 1) * px), dst * px);
    labels[dst] = s.labels[src];
  });
  return { ...s, images, labels };
}

/** Cuts a data set into rank-ordered parts (each non-empty in both sets, else merged into the one before). */
export function splitDataset(ds: Dataset, poolRanks: readonly number[] = POOL_RANKS, testRanks: readonly number[] = TEST_RANKS): Dataset[] {
  if (poolRanks.length !== testRanks.length) throw new Error('splitDataset: one pool and one test boundary per part');
  const parts: Dataset[] = [];
  for (let k = 0; k < poolRanks.length; k++) {
    const last = k === poolRanks.length - 1;
    const pool = byRank(ds.pool, poolRanks[k], last ? null : poolRanks[k + 1]);
    const test = byRank(ds.test, testRanks[k], last ? null : testRanks[k + 1]);
    if (!pool.labels.length || !test.labels.length) throw new Error(`splitDataset: part ${k} would be empty`);
    parts.push({ meta: ds.meta, pool, test });
  }
  return parts;
}

/** The parts as files plus their manifest. */
export function encodeParts(ds: Dataset, stem: string, source: string): { manifest: PartsManifest; files: Map<string, Uint8Array> } {
  const files = new Map<string, Uint8Array>();
  const parts: PackPart[] = splitDataset(ds).map((p, k) => {
    const file = `${stem}.part${k}.ltpg`;
    const bytes = encodeDataset(p, { level: 9 });
    files.set(file, bytes);
    const last = k === POOL_RANKS.length - 1;
    return {
      file,
      pool: [POOL_RANKS[k], last ? null : POOL_RANKS[k + 1]],
      test: [TEST_RANKS[k], last ? null : TEST_RANKS[k + 1]],
      bytes: bytes.length,
    };
  });
  return { manifest: { format: MANIFEST_FORMAT, version: 1, source, parts }, files };
}

/** Checks a fetched manifest. */
export function parseManifest(text: string, fileName: string): PartsManifest {
  let m: PartsManifest;
  try {
    m = JSON.parse(text) as PartsManifest;
  } catch {
    throw new DataError(fileName, 'is not JSON');
  }
  if (m?.format !== MANIFEST_FORMAT || m.version !== 1 || !Array.isArray(m.parts) || !m.parts.length)
    throw new DataError(fileName, `is not a pack-parts manifest (format '${String(m?.format)}')`);
  for (const p of m.parts)
    if (typeof p.file !== 'string' || !/^[\w.-]+$/.test(p.file) || !Number.isFinite(p.bytes))
      throw new DataError(fileName, `lists a bad part (${JSON.stringify(p).slice(0, 80)})`);
  return m;
}

/** How many parts (a prefix) hold `headImages` pool images and `evalPerClass` test images of every class (null: all). */
export function partsNeeded(m: PartsManifest, headImages: number | null | undefined, evalPerClass: number | null | undefined): number {
  const covers = (range: [number, number | null], want: number | null | undefined) =>
    range[1] === null || (want != null && range[1] >= want);
  let k = 0;
  while (k < m.parts.length - 1 && !(covers(m.parts[k].pool, headImages) && covers(m.parts[k].test, evalPerClass))) k++;
  return k + 1;
}

function concatSets(sets: ImageSet[]): ImageSet {
  const n = sets.reduce((a, s) => a + s.labels.length, 0);
  const px = sets[0].height * sets[0].width * sets[0].channels;
  const images = new Uint8Array(n * px);
  const labels = new Uint16Array(n);
  let o = 0;
  for (const s of sets) {
    images.set(s.images, o * px);
    labels.set(s.labels, o);
    o += s.labels.length;
  }
  return { ...sets[0], images, labels };
}

/** The first parts joined into one data set (rank-major, per-class order as in the whole pack). */
export function joinParts(parts: Dataset[]): Dataset {
  if (!parts.length) throw new Error('joinParts: no parts');
  if (parts.length === 1) return parts[0];
  return { meta: parts[0].meta, pool: concatSets(parts.map((p) => p.pool)), test: concatSets(parts.map((p) => p.test)) };
}

/** Decodes one part (an LTPG file). */
export function decodePart(bytes: Uint8Array, fileName: string): Dataset {
  return decodeDataset(bytes, fileName);
}
