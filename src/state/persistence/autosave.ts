/**
 * Autosave and resume. After every finished epoch the session hands a RunSnapshot (settings, metrics history up to
 * that epoch, the worker's checkpoint: weights, BN counters, momentum, random streams) to the Autosaver, which
 * writes it as the record of that run (one per run, stamped with the tab that saved it) through an AutosaveStorage
 * (IndexedDB in the browser, see autosave-idb.ts and run-store.ts; in memory in tests). Several tabs each save
 * their own runs; a browser keeps the newest few and says which it dropped. On the next page load the saved runs
 * are offered, newest first, each with its tab ("Resume the run from … (epoch N of M)?"); resuming restores the
 * settings, the URL, the history and the trainer (worker 'restore') so training continues from that epoch with the
 * same metrics. Storage failures (quota, private mode) become a notice; training goes on.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { PlaygroundSession } from '../session/session';
import type { RunSnapshot } from './snapshots';
import { patchSettings } from '../settings/settings';
import { isUploadId } from '../settings/data-shape';
import { loadRecipe } from '../uploads/upload';
import { recipeLabel } from '../uploads/upload-recipe';
import { checkSavedRun } from './saved-run-check';
import type { PlaygroundStore } from '../session/store';
import {
  AUTOSAVE_VERSION,
  MemoryKv,
  RunStore,
  type AutosaveStorage,
  type RunIndexEntry,
  type SavedRun,
  type StoredRecord,
} from './run-store';
import type { UploadRecipe } from '../uploads/upload-recipe';
import type { TabInfo } from '../session/tabs';

/**
 * Saved runs in memory (tests, and browsers without IndexedDB). `failWith` makes `save` reject (quota tests);
 * `run` is the record saved last, and setting it leaves the store as an earlier version of the app left it (one
 * record under the old single key), which the next load migrates.
 */
export class MemoryAutosaveStorage extends RunStore {
  private readonly mem: MemoryKv;
  private lastKey: string | null = null;
  saves = 0;
  failWith: Error | null = null;

  constructor(keep?: number) {
    const kv = new MemoryKv();
    super(kv, keep);
    this.mem = kv;
  }

  override async save(key: string, run: SavedRun): Promise<RunIndexEntry[]> {
    if (this.failWith) throw this.failWith;
    const dropped = await super.save(key, run);
    this.lastKey = key;
    this.saves++;
    return dropped;
  }

  /** The run saved last (with its upload recipe), or null once it is gone. */
  get run(): SavedRun | null {
    const v = this.lastKey === null ? undefined : this.mem.map.get(`run:${this.lastKey}`);
    if (v === undefined) return null;
    const { uploadRef, ...r } = structuredClone(v) as SavedRun & { uploadRef?: string };
    const up = uploadRef ? (this.mem.map.get(`upload:${uploadRef}`) as { recipe: UploadRecipe } | undefined) : undefined;
    return (up ? { ...r, upload: up.recipe } : r) as SavedRun;
  }

  set run(v: unknown) {
    this.mem.map.clear();
    this.lastKey = null;
    if (v !== null && v !== undefined) this.mem.map.set('last', structuredClone(v));
  }

  /** The keys of the runs kept now. */
  get keys(): string[] {
    return [...this.mem.map.keys()].filter((k) => k.startsWith('run:')).map((k) => k.slice(4));
  }

  /** The first record set aside, if any. */
  get aside(): unknown {
    for (const [k, v] of this.mem.map) if (k.startsWith('aside:')) return v;
    return null;
  }
}

/** Whether a stored value is a SavedRun this version can resume (the full check of saved-run-check.ts). */
export function isSavedRun(v: unknown): v is SavedRun {
  return checkSavedRun(v).ok;
}

export function snapshotToSaved(s: RunSnapshot, savedAt: number, tab?: TabInfo): SavedRun {
  return {
    version: AUTOSAVE_VERSION,
    savedAt,
    ...(tab ? { tab } : {}),
    settings: s.settings,
    label: s.label,
    dataKey: s.dataKey,
    batches: s.batches,
    epochs: s.epochs,
    stage1Done: s.stage1Done,
    checkpoint: s.checkpoint,
    ...(s.upload ? { upload: s.upload } : {}),
    ...(s.compare && (s.compare.runs.length || s.compare.currentPinned) ? { compare: s.compare } : {}),
  };
}

/** "epoch 3 of 6" (or "stage 2, epoch 1 of 3"). */
export function savedProgress(r: SavedRun): string {
  const t = r.checkpoint.trainer;
  const of = t.stage === 2 ? t.stage2.epochs : t.config.epochs;
  return `${t.stage === 2 ? 'stage 2, ' : ''}epoch ${t.epoch} of ${of}`;
}

export function formatSavedAt(ms: number): string {
  const d = new Date(ms);
  return `${d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric' })} ${d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })}`;
}

/** The banner's question. */
export function resumeQuestion(r: SavedRun): string {
  const data = r.upload ? ` on ${recipeLabel(r.upload)}` : '';
  return `Resume the run${data} from ${formatSavedAt(r.savedAt)} (${savedProgress(r)})?`;
}

/** A readable reason for a failed save (quota first). */
export function storageErrorMessage(e: unknown): string {
  const name = e && typeof e === 'object' && 'name' in e ? String((e as { name: unknown }).name) : '';
  const msg = e instanceof Error ? e.message : String(e);
  if (name === 'QuotaExceededError' || /quota/i.test(msg))
    return `the browser's storage for this site is full (${name || 'quota exceeded'}${msg && msg !== name ? `: ${msg}` : ''})`;
  return msg || name || 'unknown storage error';
}

/** A saved run offered for resuming. */
export interface Offer {
  key: string;
  run: SavedRun;
  /** The tab that saved it is still open (resuming here then continues it under a new key: the two never share one). */
  tabOpen: boolean;
}

export interface OfferState {
  /** The saved runs offered for resuming, newest first (empty: none, or all decided). */
  offers: Offer[];
  busy: boolean;
  /** Why stored records could not be read (they were set aside); null: nothing to report. */
  unreadable: string | null;
}

export interface AutosaverOptions {
  now?: () => number;
  /** This tab (default: an id of its own, labelled "this tab"). */
  tab?: TabInfo;
  /** The ids of the tabs open now (tabs.ts; default: none known). */
  openTabs?: () => Promise<Set<string>>;
}

/** "GCL · ConvNet (the tab opened 7 Dec 2026 15:42, still open)": which run, from which tab. */
export function offerLabel(o: Offer): string {
  const tab = o.run.tab?.label;
  return `${o.run.label}${tab ? ` (${tab}${o.tabOpen ? ', still open' : ''})` : ''}`;
}

function randomId(): string {
  return typeof crypto !== 'undefined' && 'randomUUID' in crypto
    ? crypto.randomUUID().slice(0, 8)
    : Math.random().toString(36).slice(2, 10);
}

export class Autosaver {
  readonly offerStore: StoreApi<OfferState> = createStore<OfferState>()(() => ({ offers: [], busy: false, unreadable: null }));
  private saving: Promise<void> | null = null;
  /** The latest snapshot waiting per storage key (one write at a time; a later one replaces a waiting one). */
  private readonly next = new Map<string, RunSnapshot>();
  /** Storage key of each run of this page (store run id → key). */
  private readonly keyOfRun = new Map<string, string>();
  private runs = 0;
  private readonly now: () => number;
  private readonly tab: TabInfo;
  private readonly openTabs: () => Promise<Set<string>>;
  private failed = false;
  /** Resolves after the latest save settled (tests). */
  idle: Promise<void> = Promise.resolve();

  constructor(
    private readonly storage: AutosaveStorage,
    private readonly store: PlaygroundStore,
    opts: AutosaverOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.tab = opts.tab ?? { id: randomId(), label: 'this tab' };
    this.openTabs = opts.openTabs ?? (async () => new Set());
  }

  private get offers(): Offer[] {
    return this.offerStore.getState().offers;
  }

  /** Looks for saved runs to offer (newest first); the first one is also returned. */
  async init(): Promise<SavedRun | null> {
    let raw: StoredRecord[];
    try {
      raw = await this.storage.load();
    } catch (e) {
      this.store
        .getState()
        .pushNotice({ id: 'autosave', level: 'warning', title: 'Saved run unavailable:', items: [storageErrorMessage(e)] });
      return null;
    }
    const open = await this.openTabs().catch(() => new Set<string>());
    const offers: Offer[] = [];
    const bad: string[] = [];
    for (const { key, value } of raw) {
      const checked = checkSavedRun(value);
      if (checked.ok) {
        offers.push({
          key,
          run: checked.run,
          tabOpen: !!checked.run.tab && checked.run.tab.id !== this.tab.id && open.has(checked.run.tab.id),
        });
        continue;
      }
      // kept (not deleted) under another key, so no save overwrites it; the banner offers Discard
      let why = checked.why;
      try {
        await this.storage.setAside(key);
      } catch (e) {
        why += `; setting it aside failed too: ${storageErrorMessage(e)}`;
      }
      bad.push(why);
    }
    const unreadable = bad.length === 0 ? null : bad.length === 1 ? bad[0] : `${bad[0]}; and ${bad.length - 1} more`;
    // runs this page saved meanwhile are its own, not offers
    const mine = new Set(this.keyOfRun.values());
    this.offerStore.setState({ offers: offers.filter((o) => !mine.has(o.key)), unreadable });
    return offers[0]?.run ?? null;
  }

  /** Deletes the records that could not be read (set aside by `init`). */
  async discardUnreadable(): Promise<void> {
    try {
      await this.storage.clearAside();
      this.offerStore.setState({ unreadable: null });
    } catch (e) {
      this.offerStore.setState({ unreadable: null });
      this.store.getState().pushNotice({
        id: 'autosave',
        level: 'warning',
        title: 'Could not delete the unreadable saved run:',
        items: [storageErrorMessage(e)],
      });
    }
  }

  /** The storage key of a run of this page (a new one for a run not seen yet). */
  private keyFor(runId: string | undefined): string {
    const id = runId ?? '';
    let key = this.keyOfRun.get(id);
    if (!key) {
      key = `${this.tab.id}-${++this.runs}`;
      this.keyOfRun.set(id, key);
    }
    return key;
  }

  /** Saves a finished epoch of a run under that run's key (later snapshots replace one still waiting; one write at a time). */
  save(snapshot: RunSnapshot): Promise<void> {
    const key = this.keyFor(snapshot.runId);
    if (this.offers.some((o) => o.key === key)) this.offerStore.setState({ offers: this.offers.filter((o) => o.key !== key) });
    this.next.set(key, snapshot);
    if (!this.saving) {
      this.saving = this.drain();
      this.idle = this.saving;
    }
    return this.saving;
  }

  private async drain(): Promise<void> {
    try {
      for (let e = this.next.entries().next(); !e.done; e = this.next.entries().next()) {
        const [key, s] = e.value;
        this.next.delete(key);
        try {
          const dropped = await this.storage.save(key, snapshotToSaved(s, this.now(), this.tab));
          if (this.failed) {
            this.failed = false;
            this.store.getState().dismissNotice('autosave');
          }
          if (dropped.length) this.noteDropped(dropped);
        } catch (e) {
          this.failed = true;
          this.store.getState().pushNotice({
            id: 'autosave',
            level: 'warning',
            title: 'Autosave failed:',
            items: [`${storageErrorMessage(e)}. Training continues, but this run cannot be resumed after a reload.`],
          });
        }
      }
    } finally {
      this.saving = null;
    }
  }

  /** The oldest runs beyond the bound were deleted: say which. */
  private noteDropped(dropped: RunIndexEntry[]): void {
    const gone = new Set(dropped.map((d) => d.key));
    if (this.offers.some((o) => gone.has(o.key))) this.offerStore.setState({ offers: this.offers.filter((o) => !gone.has(o.key)) });
    const keep = this.storage instanceof RunStore ? this.storage.keep : null;
    this.store.getState().pushNotice({
      id: 'autosave-dropped',
      level: 'info',
      title: `Saved runs: ${keep ? `this browser keeps the ${keep} newest;` : 'older ones'} removed`,
      items: dropped.map(
        (d) => `${d.label}${d.tabLabel ? ` (${d.tabLabel})` : ''}, saved ${d.savedAt ? formatSavedAt(d.savedAt) : 'at an unknown time'}`,
      ),
    });
  }

  /** Continues an offered run (`key`; default the newest): settings, URL, metrics history and trainer (worker 'restore'). */
  async resume(session: PlaygroundSession, key?: string): Promise<boolean> {
    const o = key === undefined ? this.offers[0] : this.offers.find((x) => x.key === key);
    if (!o || this.offerStore.getState().busy) return false;
    const r = o.run;
    const without = () => this.offers.filter((x) => x.key !== o.key);
    this.offerStore.setState({ busy: true });
    try {
      let settings = r.settings;
      let checkpoint = r.checkpoint;
      if (isUploadId(settings.config.dataset)) {
        // the data set lived in the old page's worker: make it again from the saved files, under a new id
        if (!r.upload)
          throw new Error('the run trained on uploaded data that was not saved with it; upload the files again and start a new run');
        await session.whenStarted();
        const info = await loadRecipe({ store: this.store, session }, r.upload);
        settings = patchSettings(settings, { config: { dataset: info.id } });
        checkpoint = {
          ...checkpoint,
          spec: { ...checkpoint.spec, config: { ...checkpoint.spec.config, dataset: info.id } },
          trainer: { ...checkpoint.trainer, config: { ...checkpoint.trainer.config, dataset: info.id } },
        };
      }
      const summary = await session.resumeSaved(settings, checkpoint, { label: r.label, batches: r.batches, epochs: r.epochs });
      const st = this.store.getState();
      // the resumed run goes on saving under its record, unless the tab that saved it is still open and may save it too
      if (st.current && !o.tabOpen) this.keyOfRun.set(st.current.id, o.key);
      if (r.compare && Array.isArray(r.compare.runs)) st.restoreRuns(r.compare.runs, !!r.compare.currentPinned);
      st.patchRun({
        stage1Done: r.stage1Done || summary.stage === 2,
        announcement: `Resumed the run from ${formatSavedAt(r.savedAt)} at ${savedProgress(r)}.`,
      });
      this.offerStore.setState({ offers: without(), busy: false });
      return true;
    } catch (e) {
      this.offerStore.setState({ offers: without(), busy: false });
      this.store.getState().pushNotice({
        id: 'autosave',
        level: 'error',
        title: 'Could not resume the saved run:',
        items: [e instanceof Error ? e.message : String(e)],
      });
      return false;
    }
  }

  /** Forgets an offered run (`key`; default the newest) and deletes it. */
  async discard(key?: string): Promise<void> {
    const o = key === undefined ? this.offers[0] : this.offers.find((x) => x.key === key);
    if (!o) return;
    this.offerStore.setState({ offers: this.offers.filter((x) => x.key !== o.key) });
    try {
      await this.storage.remove(o.key);
    } catch (e) {
      this.store
        .getState()
        .pushNotice({ id: 'autosave', level: 'warning', title: 'Could not delete the saved run:', items: [storageErrorMessage(e)] });
    }
  }
}
