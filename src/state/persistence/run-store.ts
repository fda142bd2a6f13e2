/**
 * Saved runs, one record per run, over a small key-value store with transactions (IndexedDB in the browser, see
 * autosave-idb.ts; a Map in tests). Keys:
 *  - `run:<key>`: a run record, its upload recipe replaced by `uploadRef` (the recipe's fingerprint);
 *  - `upload:<fingerprint>`: an upload recipe (the picked files, possibly 170 MB), written once however many runs
 *    and epochs use it, deleted with the last run that refers to it;
 *  - `aside:<key>`: a record that failed the check, kept until the user discards it;
 *  - `index`: {key, savedAt, label, tab, uploadRef} per run, so that a save can drop the oldest runs (only the
 *    `keep` newest are kept) without reading them.
 * Each change is one read-write transaction: tabs saving at once never lose one another's records. A store of the
 * earlier layout (one record under `last`, its recipe under `upload`, a failed one under `unreadable`) is migrated
 * by the first load, so nothing saved before is lost.
 */
import type { RunSnapshot } from './snapshots';
import type { TabInfo } from '../session/tabs';
import { isUploadRecipe, recipeFingerprint, type UploadRecipe } from '../uploads/upload-recipe';

export const AUTOSAVE_VERSION = 1;

/** One saved run (the record the storage keeps): a finished epoch's snapshot, stamped. */
export interface SavedRun extends RunSnapshot {
  version: typeof AUTOSAVE_VERSION;
  /** Milliseconds since 1970 (Date.now()) of the save. */
  savedAt: number;
  /** The tab that saved it (its label tells the runs of several tabs apart). */
  tab?: TabInfo;
}

/**
 * Where saved runs live: one record per run under its key (RunStore below lays them out). `load` resolves every
 * stored record as it is, newest first, unchecked: the Autosaver checks each (saved-run-check.ts). A record that
 * fails is moved aside (`setAside`: kept under another key, so no save overwrites it) until the user discards it
 * (`clearAside`). `save` keeps the newest runs only and resolves with the ones it dropped.
 */
export interface AutosaveStorage {
  load(): Promise<StoredRecord[]>;
  save(key: string, run: SavedRun): Promise<RunIndexEntry[]>;
  remove(key: string): Promise<void>;
  setAside(key: string): Promise<void>;
  clearAside(): Promise<void>;
}

/** One transaction's operations. */
export interface KvTx {
  get(key: string): Promise<unknown>;
  put(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
  /** The keys that start with `prefix`, sorted. */
  keys(prefix: string): Promise<string[]>;
}

export interface KvStore {
  /** Runs `body` in one transaction; `body` awaits nothing but KvTx calls (an IndexedDB transaction ends at the first other wait). */
  tx<T>(mode: 'readonly' | 'readwrite', body: (t: KvTx) => Promise<T>): Promise<T>;
}

/** How many saved runs a browser keeps (the newest). */
export const KEEP_RUNS = 5;

/** What the index knows of a saved run (also: what a save reports as dropped). */
export interface RunIndexEntry {
  key: string;
  savedAt: number;
  label: string;
  tabLabel?: string;
  uploadRef?: string;
}

/** A stored run record as it is (unchecked), newest first. */
export interface StoredRecord {
  key: string;
  value: unknown;
}

interface StoredUpload {
  fingerprint: string;
  recipe: UploadRecipe;
}

const RUN = 'run:';
const UPLOAD = 'upload:';
const ASIDE = 'aside:';
const INDEX = 'index';
/** The earlier layout's keys. */
const LEGACY = { run: 'last', upload: 'upload', aside: 'unreadable' } as const;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function entryOf(key: string, v: unknown): RunIndexEntry {
  const r = isObj(v) ? v : {};
  const tab = isObj(r.tab) ? r.tab : {};
  return {
    key,
    savedAt: typeof r.savedAt === 'number' && Number.isFinite(r.savedAt) ? r.savedAt : 0,
    label: typeof r.label === 'string' ? r.label : 'a run',
    ...(typeof tab.label === 'string' ? { tabLabel: tab.label } : {}),
    ...(typeof r.uploadRef === 'string' ? { uploadRef: r.uploadRef } : {}),
  };
}

const newestFirst = (a: RunIndexEntry, b: RunIndexEntry) => b.savedAt - a.savedAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

function readIndex(v: unknown): RunIndexEntry[] {
  if (!Array.isArray(v)) return [];
  return v.filter((e): e is RunIndexEntry => isObj(e) && typeof e.key === 'string' && typeof e.savedAt === 'number');
}

export class RunStore implements AutosaveStorage {
  constructor(
    protected readonly kv: KvStore,
    readonly keep = KEEP_RUNS,
  ) {}

  /** Every saved run, newest first, each with its upload recipe when it has one (migrates the earlier layout first). */
  load(): Promise<StoredRecord[]> {
    return this.kv.tx('readwrite', async (t) => {
      await migrate(t);
      const out: StoredRecord[] = [];
      const index: RunIndexEntry[] = [];
      for (const k of await t.keys(RUN)) {
        const v = await t.get(k);
        const key = k.slice(RUN.length);
        index.push(entryOf(key, v));
        out.push({ key, value: await withUpload(t, v) });
      }
      index.sort(newestFirst);
      await t.put(INDEX, index);
      const order = new Map(index.map((e, i) => [e.key, i]));
      return out.sort((a, b) => order.get(a.key)! - order.get(b.key)!);
    });
  }

  /** Writes `run` under `key`; drops the oldest runs beyond `keep` (never `key`) and returns them. */
  save(key: string, run: SavedRun): Promise<RunIndexEntry[]> {
    const { upload, ...rest } = run;
    const stored: Obj = rest;
    const fp = upload ? recipeFingerprint(upload) : null;
    if (fp) stored.uploadRef = fp;
    return this.kv.tx('readwrite', async (t) => {
      if (upload && fp && (await t.get(UPLOAD + fp)) === undefined)
        await t.put(UPLOAD + fp, { fingerprint: fp, recipe: upload } satisfies StoredUpload);
      await t.put(RUN + key, stored);
      // the run saved now keeps its place whatever its tab's clock says; the newest others fill the rest
      const others = (await indexOf(t)).filter((e) => e.key !== key).sort(newestFirst);
      const room = Math.max(0, this.keep - 1);
      const kept = [entryOf(key, stored), ...others.slice(0, room)].sort(newestFirst);
      const dropped = others.slice(room);
      for (const e of dropped) await t.delete(RUN + e.key);
      await t.put(INDEX, kept);
      await dropUnusedUploads(t, kept);
      return dropped;
    });
  }

  /** Deletes the run under `key` (and its upload recipe when no other run uses it). */
  remove(key: string): Promise<void> {
    return this.kv.tx('readwrite', async (t) => {
      await t.delete(RUN + key);
      const kept = (await indexOf(t)).filter((e) => e.key !== key);
      await t.put(INDEX, kept);
      await dropUnusedUploads(t, kept);
    });
  }

  /** Moves the run under `key` aside (kept until `clearAside`), so no save overwrites it. */
  setAside(key: string): Promise<void> {
    return this.kv.tx('readwrite', async (t) => {
      const v = await t.get(RUN + key);
      if (v !== undefined) await t.put(ASIDE + key, v);
      await t.delete(RUN + key);
      await t.put(
        INDEX,
        (await indexOf(t)).filter((e) => e.key !== key),
      );
    });
  }

  /** Deletes every record set aside. */
  clearAside(): Promise<void> {
    return this.kv.tx('readwrite', async (t) => {
      for (const k of await t.keys(ASIDE)) await t.delete(k);
    });
  }
}

/** The index; rebuilt from the records when there is none (a new store, or one an earlier version wrote). */
async function indexOf(t: KvTx): Promise<RunIndexEntry[]> {
  const raw = await t.get(INDEX);
  if (Array.isArray(raw)) return readIndex(raw);
  const out: RunIndexEntry[] = [];
  for (const k of await t.keys(RUN)) out.push(entryOf(k.slice(RUN.length), await t.get(k)));
  return out;
}

/** The earlier layout → this one (in the same transaction as the load). */
async function migrate(t: KvTx): Promise<void> {
  const last = await t.get(LEGACY.run);
  if (last !== undefined) {
    const at = isObj(last) && typeof last.savedAt === 'number' ? last.savedAt : 0;
    await t.put(`${RUN}earlier-${at}`, last);
    await t.delete(LEGACY.run);
  }
  const up = await t.get(LEGACY.upload);
  if (up !== undefined) {
    if (isObj(up) && typeof up.fingerprint === 'string') await t.put(UPLOAD + up.fingerprint, up);
    await t.delete(LEGACY.upload);
  }
  const aside = await t.get(LEGACY.aside);
  if (aside !== undefined) {
    await t.put(`${ASIDE}earlier`, aside);
    await t.delete(LEGACY.aside);
  }
}

/** The record with its upload recipe attached (when its reference resolves; the check reports a missing one). */
async function withUpload(t: KvTx, v: unknown): Promise<unknown> {
  if (!isObj(v) || !('uploadRef' in v)) return v;
  const { uploadRef, ...run } = v;
  if (typeof uploadRef !== 'string') return run;
  const up = await t.get(UPLOAD + uploadRef);
  if (isObj(up) && up.fingerprint === uploadRef && isUploadRecipe(up.recipe)) return { ...run, upload: up.recipe };
  return run;
}

async function dropUnusedUploads(t: KvTx, kept: RunIndexEntry[]): Promise<void> {
  const used = new Set(kept.map((e) => e.uploadRef).filter(Boolean));
  for (const k of await t.keys(UPLOAD)) if (!used.has(k.slice(UPLOAD.length))) await t.delete(k);
}

/** A KvStore in memory (tests, and browsers without IndexedDB); values are structured copies, as IndexedDB keeps them. */
export class MemoryKv implements KvStore {
  readonly map = new Map<string, unknown>();
  async tx<T>(_mode: 'readonly' | 'readwrite', body: (t: KvTx) => Promise<T>): Promise<T> {
    const m = this.map;
    return body({
      get: async (k) => (m.has(k) ? structuredClone(m.get(k)) : undefined),
      put: async (k, v) => void m.set(k, structuredClone(v)),
      delete: async (k) => void m.delete(k),
      keys: async (p) => [...m.keys()].filter((k) => k.startsWith(p)).sort(),
    });
  }
}
