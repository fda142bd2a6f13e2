/**
 * The embedded pack in parts, so a browser fetches only the images a run uses (a first visit stays ≤ 3 MB before the first
 * run).
 *
 * A run uses the pool images its long-tail draw selects (`capPerClass(headImages)` then `makeLongTail`: per class a
 * seeded shuffle of the first `headImages` ranks, of which the first n_i are kept) and the first `evalPerClass` test
 * images of every class. The draw touches random ranks, so the parts are cut by *which* ranks they hold, not by a
 * rank range alone:
 *
 * - part 0: the pool images the first-visit draws select (`first`: the app's defaults, and the same draw at the
 *   smaller head-class sizes the settings offer) plus the first `POOL_RANKS[1]` ranks of every class (any
 *   head-class size up to that), and test ranks [0, TEST_RANKS[1]);
 * - part k ≥ 1: pool ranks [POOL_RANKS[k], POOL_RANKS[k+1]) not already in part 0, test ranks
 *   [TEST_RANKS[k], TEST_RANKS[k+1]) (the last part: to the end).
 *
 * The manifest records per part and class which ranks it holds. A loader runs the same draw on a label-only pool
 * (`neededRanks`: the class sizes are in the manifest), fetches the parts that hold a needed image (`partsFor`) and
 * assembles (`assembleParts`) a pool of the first min(size, headImages) ranks of every class and a test set of the
 * first evalPerClass ranks, both rank-major (the r-th image of every class, then the next …) and so in each class's
 * own order: the draw, the batches and the test images are exactly those of the whole pack. Pool images of parts
 * not fetched are blank and marked in `ImageSet.loaded`; the trainer refuses to use one (`assertLoaded`).
 *
 * Each part is an ordinary LTPG file (`pack.ts`, gzip, own CRC) holding its images rank-major; its file name carries
 * a hash of its bytes, so a browser's Cache Storage never mixes parts of two layouts. The parts are made from
 * `public/data/fmnist-lt.ltpg` at build time (the Vite plugin in vite.config.ts, tools/vite/pack-parts.ts).
 */
import { DataError } from './errors';
import { makeLongTail } from './longtail';
import { decodeDataset, encodeDataset } from './pack';
import type { Dataset, ImageSet, LtProfile } from './types';

/** Ranks of one class as sorted, disjoint ranges [from, to), flattened: [a0, b0, a1, b1, …]. */
export type RankRanges = number[];

export interface PackPart {
  file: string;
  bytes: number;
  /** Per class: the pool ranks this part holds. */
  pool: RankRanges[];
  /** Per class: the test ranks this part holds. */
  test: RankRanges[];
}

/** What decides which images a run uses: the long-tail draw and the test images evaluated (null: all). */
export interface DrawSettings {
  seed: number;
  imbalance: number;
  profile: LtProfile;
  stepMu?: number;
  headImages: number | null;
  evalPerClass: number | null;
}

/** The draw settings of a run configuration (its fields of the same names; no head-class cap = null). */
export function drawSettingsOf(c: Omit<DrawSettings, 'headImages'> & { headImages?: number | null }): DrawSettings {
  return {
    seed: c.seed,
    imbalance: c.imbalance,
    profile: c.profile,
    stepMu: c.stepMu,
    headImages: c.headImages ?? null,
    evalPerClass: c.evalPerClass,
  };
}

export interface PartsManifest {
  format: 'long-tail-playground/pack-parts';
  version: 2;
  source: string;
  /** Images per class in the whole pack. */
  poolCounts: number[];
  testCounts: number[];
  /** The draws part 0 was cut for (the app's first-visit settings, also at smaller head-class sizes). */
  first: DrawSettings[];
  parts: PackPart[];
}

export const MANIFEST_FORMAT = 'long-tail-playground/pack-parts';
/** The manifest's file name next to the pack (public/data/ → dist/data/). */
export const PARTS_MANIFEST = 'fmnist-lt.parts.json';
/** A part's file name: `<stem>.p<k>.<hash>.ltpg`. */
export const PART_FILE = /^[\w-]+\.p\d+\.[0-9a-f]{8}\.ltpg$/;

/** Rank boundaries of the parts (part 0 also holds the first-visit draw, wherever its ranks are). */
export const POOL_RANKS = [0, 100, 1000, 2500] as const;
export const TEST_RANKS = [0, 50, 100, 400] as const;

/** Sorted ranks → ranges. */
export function toRanges(ranks: readonly number[]): RankRanges {
  const out: number[] = [];
  for (const r of ranks) {
    if (out.length && out[out.length - 1] === r) out[out.length - 1] = r + 1;
    else out.push(r, r + 1);
  }
  return out;
}

/** Ranges → sorted ranks. */
export function fromRanges(ranges: RankRanges): number[] {
  const out: number[] = [];
  for (let i = 0; i < ranges.length; i += 2) for (let r = ranges[i]; r < ranges[i + 1]; r++) out.push(r);
  return out;
}

/** Number of ranks in `ranges`. */
function rangeSize(ranges: RankRanges): number {
  let n = 0;
  for (let i = 0; i < ranges.length; i += 2) n += ranges[i + 1] - ranges[i];
  return n;
}

/** Per-class pool sizes a run sees: the pack's, capped at `headImages` (what `capPerClass` keeps). */
export function cappedCounts(counts: readonly number[], headImages: number | null): number[] {
  return counts.map((n) => (headImages == null ? n : Math.min(n, headImages)));
}

/**
 * The pool ranks (per class, sorted) the long-tail draw of `s` selects from a pool with `counts` images per class —
 * makeLongTail itself, run on a label-only pool of the capped class sizes. Throws makeLongTail's DataError when the
 * pool cannot serve the draw.
 */
export function drawnRanks(counts: readonly number[], s: DrawSettings, name = 'pool'): number[][] {
  const sizes = cappedCounts(counts, s.headImages);
  const C = sizes.length;
  const longest = Math.max(0, ...sizes);
  const labels: number[] = [];
  const rankOf: number[] = [];
  for (let r = 0; r < longest; r++)
    for (let c = 0; c < C; c++)
      if (r < sizes[c]) {
        labels.push(c);
        rankOf.push(r);
      }
  const view: ImageSet = {
    name,
    height: 1,
    width: 1,
    channels: 1,
    numClasses: C,
    classNames: Array.from({ length: C }, (_, c) => String(c)),
    images: new Uint8Array(0),
    labels: Uint16Array.from(labels),
  };
  const sub = makeLongTail(view, { seed: s.seed, imbalance: s.imbalance, profile: s.profile, stepMu: s.stepMu });
  const out: number[][] = Array.from({ length: C }, () => []);
  for (let i = 0; i < sub.indices.length; i++) out[sub.labels[i]].push(rankOf[sub.indices[i]]);
  for (const list of out) list.sort((a, b) => a - b);
  return out;
}

/** drawnRanks, or no ranks for a draw the pool cannot serve. */
function drawnOrNone(counts: readonly number[], s: DrawSettings): number[][] {
  try {
    return drawnRanks(counts, s);
  } catch (e) {
    if (!(e instanceof DataError)) throw e;
    return counts.map(() => []);
  }
}

/** The images a run uses: pool ranks per class (sorted) and the number of test ranks per class. */
export interface RankNeed {
  pool: number[][];
  test: number[];
}

/**
 * The images the run `s` uses. A draw the pool cannot serve needs no pool image: the trainer then reports
 * makeLongTail's error as it would on the whole pack.
 */
export function neededRanks(m: Pick<PartsManifest, 'poolCounts' | 'testCounts'>, s: DrawSettings): RankNeed {
  const pool = drawnOrNone(m.poolCounts, s);
  const test = m.testCounts.map((n) => (s.evalPerClass == null ? n : Math.min(n, s.evalPerClass)));
  return { pool, test };
}

function holdsAny(ranges: RankRanges, ranks: readonly number[]): boolean {
  // both sorted: one merge pass
  let j = 0;
  for (let i = 0; i < ranges.length; i += 2) {
    while (j < ranks.length && ranks[j] < ranges[i]) j++;
    if (j < ranks.length && ranks[j] < ranges[i + 1]) return true;
  }
  return false;
}

/** Indices of the parts holding an image `need` uses (always at least part 0: it carries the meta data). */
export function partsFor(m: PartsManifest, need: RankNeed): number[] {
  const out: number[] = [];
  m.parts.forEach((p, k) => {
    const pool = p.pool.some((ranges, c) => holdsAny(ranges, need.pool[c] ?? []));
    const test = p.test.some((ranges, c) => ranges.length > 0 && ranges[0] < (need.test[c] ?? 0));
    if (k === 0 || pool || test) out.push(k);
  });
  return out;
}

/** Which ranks go into each part: see the module comment. */
export function partRanks(
  poolCounts: readonly number[],
  testCounts: readonly number[],
  first: readonly DrawSettings[],
  poolRanks: readonly number[] = POOL_RANKS,
  testRanks: readonly number[] = TEST_RANKS,
): { pool: number[][]; test: number[][] }[] {
  if (poolRanks.length !== testRanks.length) throw new Error('partRanks: one pool and one test boundary per part');
  const drawn = poolCounts.map(() => new Set<number>());
  for (const s of first) drawnOrNone(poolCounts, s).forEach((list, c) => list.forEach((r) => drawn[c].add(r)));
  const K = poolRanks.length;
  const end = (b: readonly number[], k: number, n: number) => (k === K - 1 ? n : Math.min(b[k + 1], n));
  const out: { pool: number[][]; test: number[][] }[] = [];
  for (let k = 0; k < K; k++) {
    const pool = poolCounts.map((n, c) => {
      const ranks: number[] = [];
      for (let r = 0; r < n; r++) {
        const inRange = r >= poolRanks[k] && r < end(poolRanks, k, n);
        if (k === 0 ? inRange || drawn[c].has(r) : inRange && !drawn[c].has(r)) ranks.push(r);
      }
      return ranks;
    });
    const test = testCounts.map((n) => {
      const ranks: number[] = [];
      for (let r = Math.min(testRanks[k], n); r < end(testRanks, k, n); r++) ranks.push(r);
      return ranks;
    });
    out.push({ pool, test });
  }
  return out;
}

/** Indices of `s`'s images per class, in set order. */
function byClass(s: ImageSet): number[][] {
  const out: number[][] = Array.from({ length: s.numClasses }, () => []);
  for (let i = 0; i < s.labels.length; i++) out[s.labels[i]].push(i);
  return out;
}

/** The images of `s` at the given per-class ranks, rank-major (rank r of every class, then r + 1 …). */
function pickRanks(s: ImageSet, ranks: number[][]): ImageSet {
  const px = s.height * s.width * s.channels;
  const classes = byClass(s);
  const pairs: [number, number][] = [];
  ranks.forEach((list, c) => list.forEach((r) => pairs.push([r, c])));
  pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const images = new Uint8Array(pairs.length * px);
  const labels = new Uint16Array(pairs.length);
  pairs.forEach(([r, c], dst) => {
    const src = classes[c][r];
    images.set(s.images.subarray(src * px, (src + 1) * px), dst * px);
    labels[dst] = c;
  });
  return { ...s, images, labels };
}

/** FNV-1a of `bytes`, 8 hex digits (names a part by its contents). */
function hash8(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** Whether `bytes` hash to the hash in the part file name `file` (a stale manifest's name, a host's 404 page: no). */
export function partNameMatches(file: string, bytes: Uint8Array): boolean {
  return PART_FILE.test(file) && file.split('.').at(-2) === hash8(bytes);
}

/** The parts as files plus their manifest; part 0 holds what the draws `first` use. */
export function encodeParts(
  ds: Dataset,
  stem: string,
  source: string,
  first: readonly DrawSettings[],
  bounds: { poolRanks: readonly number[]; testRanks: readonly number[] } = { poolRanks: POOL_RANKS, testRanks: TEST_RANKS },
): { manifest: PartsManifest; files: Map<string, Uint8Array> } {
  const poolCounts = byClass(ds.pool).map((l) => l.length);
  const testCounts = byClass(ds.test).map((l) => l.length);
  const files = new Map<string, Uint8Array>();
  const parts: PackPart[] = partRanks(poolCounts, testCounts, first, bounds.poolRanks, bounds.testRanks).map((ranks, k) => {
    const bytes = encodeDataset(
      { meta: ds.meta, pool: pickRanks(ds.pool, ranks.pool), test: pickRanks(ds.test, ranks.test) },
      { level: 9 },
    );
    const file = `${stem}.p${k}.${hash8(bytes)}.ltpg`;
    files.set(file, bytes);
    return { file, bytes: bytes.length, pool: ranks.pool.map(toRanges), test: ranks.test.map(toRanges) };
  });
  return {
    manifest: { format: MANIFEST_FORMAT, version: 2, source, poolCounts, testCounts, first: first.map((s) => ({ ...s })), parts },
    files,
  };
}

const isCounts = (a: unknown): a is number[] => Array.isArray(a) && a.every((n) => Number.isInteger(n) && n >= 0);
const isRanges = (a: unknown): a is RankRanges =>
  isCounts(a) && a.length % 2 === 0 && a.every((n, i) => (i % 2 ? n > a[i - 1] : i === 0 || n >= a[i - 1]));

/** Checks a fetched manifest. */
export function parseManifest(text: string, fileName: string): PartsManifest {
  let m: PartsManifest;
  try {
    m = JSON.parse(text) as PartsManifest;
  } catch {
    throw new DataError(fileName, 'is not JSON');
  }
  if (m?.format !== MANIFEST_FORMAT || m.version !== 2 || !Array.isArray(m.parts) || !m.parts.length)
    throw new DataError(
      fileName,
      `is not a pack-parts manifest of version 2 (format '${String(m?.format)}', version ${String(m?.version)})`,
    );
  const C = Array.isArray(m.poolCounts) ? m.poolCounts.length : 0;
  if (!C || !isCounts(m.poolCounts) || !isCounts(m.testCounts) || m.testCounts.length !== C)
    throw new DataError(fileName, 'lists no valid class sizes');
  for (const p of m.parts) {
    const ok =
      typeof p.file === 'string' &&
      PART_FILE.test(p.file) &&
      Number.isFinite(p.bytes) &&
      Array.isArray(p.pool) &&
      Array.isArray(p.test) &&
      p.pool.length === C &&
      p.test.length === C &&
      p.pool.every(isRanges) &&
      p.test.every(isRanges);
    if (!ok) throw new DataError(fileName, `lists a bad part (${JSON.stringify(p).slice(0, 80)})`);
  }
  return m;
}

/** Decodes part `k` of `m` and checks it holds the images the manifest says. */
export function decodePart(m: PartsManifest, k: number, bytes: Uint8Array): Dataset {
  const p = m.parts[k];
  const ds = decodeDataset(bytes, p.file);
  for (const [role, set, ranges] of [
    ['pool', ds.pool, p.pool],
    ['test', ds.test, p.test],
  ] as const) {
    const have = byClass(set).map((l) => l.length);
    const want = ranges.map(rangeSize);
    if (have.length !== want.length || have.some((n, c) => n !== want[c]))
      throw new DataError(p.file, `${role} images per class (${have.join(', ')}) do not match the manifest (${want.join(', ')})`);
  }
  return ds;
}

/**
 * The data set a run with head-class cap `headImages` and `evalPerClass` test images sees, from the decoded parts
 * (index → data set): pool ranks [0, min(size, headImages)) and test ranks [0, min(size, evalPerClass)) of every
 * class, rank-major. Pool images of parts not given are blank and 0 in `pool.loaded`; every test image must be
 * there (else DataError).
 */
export function assembleParts(
  m: PartsManifest,
  decoded: ReadonlyMap<number, Dataset>,
  s: Pick<DrawSettings, 'headImages' | 'evalPerClass'>,
): Dataset {
  const any = decoded.get(0) ?? decoded.values().next().value;
  if (!any) throw new DataError(m.source, 'no part of the pack is loaded');
  const C = m.poolCounts.length;
  const gather = (role: 'pool' | 'test', sizes: number[], proto: ImageSet): { set: ImageSet; missing: number } => {
    const px = proto.height * proto.width * proto.channels;
    // where[c][r] = [part set, index in it] of class c's rank r
    const where: ([ImageSet, number] | undefined)[][] = sizes.map((n) => new Array(n));
    for (const [k, ds] of decoded) {
      const set = ds[role];
      const classes = byClass(set);
      for (let c = 0; c < C; c++) {
        const ranks = fromRanges(m.parts[k][role][c]);
        ranks.forEach((r, j) => {
          if (r < sizes[c]) where[c][r] = [set, classes[c][j]];
        });
      }
    }
    const total = sizes.reduce((a, b) => a + b, 0);
    const images = new Uint8Array(total * px);
    const labels = new Uint16Array(total);
    const loaded = new Uint8Array(total);
    let missing = 0;
    let o = 0;
    const longest = Math.max(0, ...sizes);
    for (let r = 0; r < longest; r++)
      for (let c = 0; c < C; c++) {
        if (r >= sizes[c]) continue;
        const at = where[c][r];
        labels[o] = c;
        if (at) {
          images.set(at[0].images.subarray(at[1] * px, (at[1] + 1) * px), o * px);
          loaded[o] = 1;
        } else missing++;
        o++;
      }
    const set: ImageSet = { ...proto, images, labels };
    if (missing) set.loaded = loaded;
    return { set, missing };
  };
  // named as capPerClass names the whole pack's pool when it cuts a class (makeLongTail's errors quote it)
  const cut = s.headImages != null && m.poolCounts.some((n) => n > s.headImages!);
  const poolProto = cut ? { ...any.pool, name: `${any.pool.name} (≤ ${s.headImages} per class)` } : any.pool;
  const pool = gather('pool', cappedCounts(m.poolCounts, s.headImages), poolProto);
  const test = gather('test', cappedCounts(m.testCounts, s.evalPerClass), any.test);
  if (test.missing)
    throw new DataError(m.source, `${test.missing} test images the run evaluates are not loaded (their part of the pack was not fetched)`);
  return { meta: any.meta, pool: pool.set, test: test.set };
}
