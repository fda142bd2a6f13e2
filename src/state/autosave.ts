/**
 * Autosave and resume. After every finished epoch the session hands a RunSnapshot (settings, metrics history up to
 * that epoch, the worker's checkpoint: weights, BN counters, momentum, random streams) to the Autosaver, which
 * writes it as one record through an AutosaveStorage (IndexedDB in the browser, see autosave-idb.ts; in memory in
 * tests). On the next page load a saved run is offered ("Resume the run from … (epoch N of M)?"); resuming restores
 * the settings, the URL, the history and the trainer (worker 'restore') so training continues from that epoch with
 * the same metrics. Storage failures (quota, private mode) become a notice; training goes on.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { PlaygroundSession } from './session';
import type { RunSnapshot } from './snapshots';
import { patchSettings } from './settings';
import { isUploadId } from './data-shape';
import { loadRecipe } from './upload';
import { recipeLabel } from './upload-recipe';
import { checkSavedRun } from './saved-run-check';
import type { PlaygroundStore } from './store';

export const AUTOSAVE_VERSION = 1;

/** One saved run (the record the storage keeps): a finished epoch's snapshot, stamped. */
export interface SavedRun extends RunSnapshot {
  version: typeof AUTOSAVE_VERSION;
  /** Milliseconds since 1970 (Date.now()) of the save. */
  savedAt: number;
}

/**
 * Where saved runs live. `load` resolves the stored record as it is (null: none), unchecked: the Autosaver checks
 * it (saved-run-check.ts). A record that fails is moved aside (`setAside`: kept under another key, so the next
 * save does not overwrite it) until the user discards it (`clearAside`).
 */
export interface AutosaveStorage {
  load(): Promise<unknown>;
  save(run: SavedRun): Promise<void>;
  clear(): Promise<void>;
  setAside(): Promise<void>;
  clearAside(): Promise<void>;
}

/** Storage in memory (tests, and browsers without IndexedDB). `failWith` makes `save` reject (quota tests). */
export class MemoryAutosaveStorage implements AutosaveStorage {
  run: SavedRun | null = null;
  /** The record set aside (unreadable), if any. */
  aside: unknown = null;
  saves = 0;
  failWith: Error | null = null;
  async load(): Promise<unknown> {
    return this.run ? structuredClone(this.run) : null;
  }
  async save(run: SavedRun): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.run = structuredClone(run);
    this.saves++;
  }
  async clear(): Promise<void> {
    this.run = null;
  }
  async setAside(): Promise<void> {
    this.aside = this.run;
    this.run = null;
  }
  async clearAside(): Promise<void> {
    this.aside = null;
  }
}

/** Whether a stored value is a SavedRun this version can resume (the full check of saved-run-check.ts). */
export function isSavedRun(v: unknown): v is SavedRun {
  return checkSavedRun(v).ok;
}

export function snapshotToSaved(s: RunSnapshot, savedAt: number): SavedRun {
  return {
    version: AUTOSAVE_VERSION,
    savedAt,
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

export interface OfferState {
  /** The saved run offered for resuming (null: none, or decided). */
  offer: SavedRun | null;
  busy: boolean;
  /** Why the stored record could not be read (it was set aside); null: nothing to report. */
  unreadable: string | null;
}

export interface AutosaverOptions {
  now?: () => number;
}

export class Autosaver {
  readonly offerStore: StoreApi<OfferState> = createStore<OfferState>()(() => ({ offer: null, busy: false, unreadable: null }));
  private saving: Promise<void> | null = null;
  private next: RunSnapshot | null = null;
  private readonly now: () => number;
  private failed = false;
  /** Resolves after the latest save settled (tests). */
  idle: Promise<void> = Promise.resolve();

  constructor(
    private readonly storage: AutosaveStorage,
    private readonly store: PlaygroundStore,
    opts: AutosaverOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** Looks for a saved run to offer. */
  async init(): Promise<SavedRun | null> {
    let raw: unknown;
    try {
      raw = await this.storage.load();
    } catch (e) {
      this.store
        .getState()
        .pushNotice({ id: 'autosave', level: 'warning', title: 'Saved run unavailable:', items: [storageErrorMessage(e)] });
      return null;
    }
    if (raw === null || raw === undefined) return null;
    const checked = checkSavedRun(raw);
    if (!checked.ok) {
      // kept (not deleted) under another key, so this page's saves do not overwrite it; the banner offers Discard
      let why = checked.why;
      try {
        await this.storage.setAside();
      } catch (e) {
        why += `; setting it aside failed too: ${storageErrorMessage(e)}`;
      }
      this.offerStore.setState({ offer: null, unreadable: why });
      return null;
    }
    this.offerStore.setState({ offer: checked.run });
    return checked.run;
  }

  /** Deletes the record that could not be read (set aside by `init`). */
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

  /** Saves a finished epoch (later snapshots replace one still waiting; one write at a time). */
  save(snapshot: RunSnapshot): Promise<void> {
    // a new run's first save replaces the offered one: the offer is gone
    if (this.offerStore.getState().offer && !this.offerStore.getState().busy) this.offerStore.setState({ offer: null });
    this.next = snapshot;
    if (!this.saving) {
      this.saving = this.drain();
      this.idle = this.saving;
    }
    return this.saving;
  }

  private async drain(): Promise<void> {
    try {
      while (this.next) {
        const s = this.next;
        this.next = null;
        try {
          await this.storage.save(snapshotToSaved(s, this.now()));
          if (this.failed) {
            this.failed = false;
            this.store.getState().dismissNotice('autosave');
          }
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

  /** Continues the offered run: settings, URL, metrics history and trainer (worker 'restore'). */
  async resume(session: PlaygroundSession): Promise<boolean> {
    const r = this.offerStore.getState().offer;
    if (!r || this.offerStore.getState().busy) return false;
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
      if (r.compare && Array.isArray(r.compare.runs)) st.restoreRuns(r.compare.runs, !!r.compare.currentPinned);
      st.patchRun({
        stage1Done: r.stage1Done || summary.stage === 2,
        announcement: `Resumed the run from ${formatSavedAt(r.savedAt)} at ${savedProgress(r)}.`,
      });
      this.offerStore.setState({ offer: null, busy: false });
      return true;
    } catch (e) {
      this.offerStore.setState({ offer: null, busy: false });
      this.store.getState().pushNotice({
        id: 'autosave',
        level: 'error',
        title: 'Could not resume the saved run:',
        items: [e instanceof Error ? e.message : String(e)],
      });
      return false;
    }
  }

  /** Forgets the offered run (and deletes it). */
  async discard(): Promise<void> {
    this.offerStore.setState({ offer: null });
    try {
      await this.storage.clear();
    } catch (e) {
      this.store
        .getState()
        .pushNotice({ id: 'autosave', level: 'warning', title: 'Could not delete the saved run:', items: [storageErrorMessage(e)] });
    }
  }
}
