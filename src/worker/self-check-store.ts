/**
 * Where the worker remembers the fused engine's self-checks: IndexedDB (workers have no localStorage), one record
 * per adapter + build + plan key; memory when IndexedDB is missing or refuses (private mode).
 */
import { MemorySelfCheckStore, type SelfCheckReport, type SelfCheckStore } from '../core/train/self-check';

const DB = 'ltpg-self-check';
const STORE = 'reports';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB open failed'));
  });
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

export function selfCheckStore(): SelfCheckStore {
  if (typeof indexedDB === 'undefined') return new MemorySelfCheckStore();
  const memory = new MemorySelfCheckStore();
  let db: Promise<IDBDatabase | null> | null = null;
  const get = () => (db ??= open().catch(() => null));
  return {
    async get(key) {
      const d = await get();
      if (!d) return memory.get(key);
      return ((await request(d.transaction(STORE).objectStore(STORE).get(key))) as SelfCheckReport | undefined) ?? null;
    },
    async put(key, report) {
      const d = await get();
      if (!d) return memory.put(key, report);
      await request(d.transaction(STORE, 'readwrite').objectStore(STORE).put(report, key));
    },
  };
}
