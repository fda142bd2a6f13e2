/**
 * The browser's store of saved runs: IndexedDB (database 'long-tail-playground', object store 'runs'), as the
 * KvStore of run-store.ts, which lays out the records. Typed arrays and the upload recipes' Blobs are stored by
 * structured clone. Quota errors arrive as the transaction's error (QuotaExceededError) and reject the save.
 */
import { RunStore, type KvStore, type KvTx } from './run-store';

const DB_NAME = 'long-tail-playground';
const STORE = 'runs';

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

class IdbKv implements KvStore {
  private db: Promise<IDBDatabase> | null = null;

  constructor(private readonly idb: IDBFactory | undefined) {}

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

  async tx<T>(mode: 'readonly' | 'readwrite', body: (t: KvTx) => Promise<T>): Promise<T> {
    const db = await this.open();
    const tx = db.transaction(STORE, mode);
    const done = txDone(tx);
    const store = tx.objectStore(STORE);
    const t: KvTx = {
      get: (k) => reqPromise(store.get(k)),
      put: async (k, v) => void (await reqPromise(store.put(v, k))),
      delete: async (k) => void (await reqPromise(store.delete(k))),
      keys: async (p) => (await reqPromise(store.getAllKeys(IDBKeyRange.bound(p, `${p}\uffff`)))).map(String),
    };
    let out: T;
    try {
      out = await body(t);
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
    return out;
  }
}

/** The saved runs in IndexedDB (without IndexedDB: no runs to load, and each save rejects with the reason). */
export class IdbAutosaveStorage extends RunStore {
  private readonly available: boolean;
  constructor(idb: IDBFactory | undefined = typeof indexedDB !== 'undefined' ? indexedDB : undefined) {
    super(new IdbKv(idb));
    this.available = !!idb;
  }

  /** Without IndexedDB nothing was saved: no runs (a save then says why it failed). */
  override load(): ReturnType<RunStore['load']> {
    return this.available ? super.load() : Promise.resolve([]);
  }
}
