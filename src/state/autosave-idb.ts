/**
 * The browser's AutosaveStorage: one IndexedDB record (database 'long-tail-playground', store 'runs', key 'last')
 * holding the latest run. Typed arrays are stored by structured clone. Quota errors arrive as the transaction's
 * error (QuotaExceededError) and reject `save`. A run on uploaded data references its upload recipe (the picked
 * files as Blobs, possibly 170 MB), which is written once under key 'upload' rather than with every epoch. A
 * record that fails the check (saved-run-check.ts) is moved to key 'unreadable' until the user discards it.
 */
import type { AutosaveStorage, SavedRun } from './autosave';
import { isUploadRecipe, recipeFingerprint, type UploadRecipe } from './upload-recipe';

const DB_NAME = 'long-tail-playground';
const STORE = 'runs';
const KEY = 'last';
const UPLOAD_KEY = 'upload';
/** A record that could not be read, kept until the user discards it. */
const ASIDE_KEY = 'unreadable';

interface StoredUpload {
  fingerprint: string;
  recipe: UploadRecipe;
}

type StoredRun = Omit<SavedRun, 'upload'> & { uploadRef?: string };

function reqPromise<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

function txDone(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

export class IdbAutosaveStorage implements AutosaveStorage {
  private db: Promise<IDBDatabase> | null = null;
  /** Fingerprint of the upload recipe known to be stored under UPLOAD_KEY. */
  private storedUpload: string | null = null;

  constructor(private readonly idb: IDBFactory | undefined = typeof indexedDB !== 'undefined' ? indexedDB : undefined) {}

  private open(): Promise<IDBDatabase> {
    if (!this.idb) return Promise.reject(new Error('IndexedDB is not available in this browser'));
    if (!this.db) {
      const r = this.idb.open(DB_NAME, 1);
      r.onupgradeneeded = () => {
        if (!r.result.objectStoreNames.contains(STORE)) r.result.createObjectStore(STORE);
      };
      this.db = reqPromise(r);
      this.db.catch(() => {
        this.db = null;
      });
    }
    return this.db;
  }

  /** The stored record as it is, with its upload recipe attached when the reference matches (checked by the caller). */
  async load(): Promise<unknown> {
    if (!this.idb) return null;
    const db = await this.open();
    const store = db.transaction(STORE, 'readonly').objectStore(STORE);
    const [v, u] = (await Promise.all([reqPromise(store.get(KEY)), reqPromise(store.get(UPLOAD_KEY))])) as [unknown, unknown];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'object' || Array.isArray(v)) return v;
    const { uploadRef, ...run } = v as Record<string, unknown>;
    const up = u as Partial<StoredUpload> | undefined;
    if (up && typeof up === 'object' && typeof up.fingerprint === 'string' && isUploadRecipe(up.recipe)) {
      this.storedUpload = up.fingerprint;
      if (uploadRef === up.fingerprint) return { ...run, upload: up.recipe };
    }
    return run;
  }

  /** Moves the record under ASIDE_KEY (kept, replacing an older one set aside) so the next save does not overwrite it. */
  async setAside(): Promise<void> {
    if (!this.idb) return;
    const db = await this.open();
    const tx = db.transaction(STORE, 'readwrite');
    const done = txDone(tx);
    const store = tx.objectStore(STORE);
    const g = store.get(KEY);
    g.onsuccess = () => {
      if (g.result !== undefined) store.put(g.result, ASIDE_KEY);
      store.delete(KEY);
    };
    await done;
  }

  async clearAside(): Promise<void> {
    if (!this.idb) return;
    const db = await this.open();
    const tx = db.transaction(STORE, 'readwrite');
    const done = txDone(tx);
    tx.objectStore(STORE).delete(ASIDE_KEY);
    await done;
  }

  async save(run: SavedRun): Promise<void> {
    const db = await this.open();
    const tx = db.transaction(STORE, 'readwrite');
    const done = txDone(tx);
    const { upload, ...rest } = run;
    const stored: StoredRun = rest;
    const fp = upload ? recipeFingerprint(upload) : null;
    try {
      if (upload && fp) {
        stored.uploadRef = fp;
        if (this.storedUpload !== fp) tx.objectStore(STORE).put({ fingerprint: fp, recipe: upload } satisfies StoredUpload, UPLOAD_KEY);
      }
      tx.objectStore(STORE).put(stored, KEY);
    } catch (e) {
      done.catch(() => undefined);
      try {
        tx.abort();
      } catch {
        /* already finished */
      }
      throw e;
    }
    await done;
    if (fp) this.storedUpload = fp;
  }

  async clear(): Promise<void> {
    if (!this.idb) return;
    const db = await this.open();
    const tx = db.transaction(STORE, 'readwrite');
    const done = txDone(tx);
    tx.objectStore(STORE).delete(KEY);
    tx.objectStore(STORE).delete(UPLOAD_KEY);
    await done;
    this.storedUpload = null;
  }
}
