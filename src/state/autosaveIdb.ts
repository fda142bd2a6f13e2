/**
 * The browser's AutosaveStorage: one IndexedDB record (database 'long-tail-playground', store 'runs', key 'last')
 * holding the latest run. Typed arrays are stored by structured clone. Quota errors arrive as the transaction's
 * error (QuotaExceededError) and reject `save`.
 */
import { isSavedRun, type AutosaveStorage, type SavedRun } from './autosave';

const DB_NAME = 'long-tail-playground';
const STORE = 'runs';
const KEY = 'last';

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

  async load(): Promise<SavedRun | null> {
    if (!this.idb) return null;
    const db = await this.open();
    const v: unknown = await reqPromise(db.transaction(STORE, 'readonly').objectStore(STORE).get(KEY));
    return isSavedRun(v) ? v : null;
  }

  async save(run: SavedRun): Promise<void> {
    const db = await this.open();
    const tx = db.transaction(STORE, 'readwrite');
    const done = txDone(tx);
    try {
      tx.objectStore(STORE).put(run, KEY);
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
  }

  async clear(): Promise<void> {
    if (!this.idb) return;
    const db = await this.open();
    const tx = db.transaction(STORE, 'readwrite');
    const done = txDone(tx);
    tx.objectStore(STORE).delete(KEY);
    await done;
  }
}
