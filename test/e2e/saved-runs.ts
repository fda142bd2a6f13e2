/** The saved runs in the page's IndexedDB (database 'long-tail-playground', store 'runs'; see src/state/persistence/run-store.ts). */
import type { Page } from 'playwright-core';

/** Every record whose key starts with `prefix` ('run:', 'upload:', 'aside:'), as {key, value}. */
export function idbRecords(page: Page, prefix: string): Promise<{ key: string; value: unknown }[]> {
  return page.evaluate(
    (p) =>
      new Promise((ok, fail) => {
        const r = indexedDB.open('long-tail-playground');
        r.onsuccess = () => {
          const db = r.result;
          if (!db.objectStoreNames.contains('runs')) return ok([]);
          const store = db.transaction('runs').objectStore('runs');
          const range = IDBKeyRange.bound(p, `${p}\uffff`);
          const keys = store.getAllKeys(range);
          const values = store.getAll(range);
          values.onsuccess = () => ok(keys.result.map((k, i) => ({ key: String(k), value: values.result[i] })));
          values.onerror = () => fail(values.error);
        };
        r.onerror = () => fail(r.error);
      }),
    prefix,
  );
}

/** The saved run records (key without its 'run:' prefix). */
export async function savedRuns(page: Page): Promise<{ key: string; run: { epochs?: unknown[]; label?: string; uploadRef?: string } }[]> {
  return (await idbRecords(page, 'run:')).map((r) => ({ key: r.key.slice(4), run: r.value as { epochs?: unknown[] } }));
}
