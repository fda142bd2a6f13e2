/**
 * Saved runs keyed per run (several runs, several tabs), the migration of the earlier single record, the bound on
 * how many runs a browser keeps, and the tabs telling one another that they train.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Autosaver, MemoryAutosaveStorage, offerLabel, snapshotToSaved } from '../../../src/state/persistence/autosave';
import type { SavedRun } from '../../../src/state/persistence/run-store';
import { MemoryKv, RunStore } from '../../../src/state/persistence/run-store';
import { createPlaygroundStore } from '../../../src/state/session/store';
import { Tabs, type LocksLike } from '../../../src/state/session/tabs';
import { recipeFingerprint, type UploadRecipe } from '../../../src/state/uploads/upload-recipe';
import { fakeSnapshot, tinySettings } from '../../helpers/saved-run';

const tab = (n: number) => ({ id: `tab-${n}`, label: `the tab opened 7 Dec 2026 15:4${n}:00` });

/** A page's autosaver on the shared storage, in tab `n`, at the clock `t` (a box the test moves). */
function saver(storage: MemoryAutosaveStorage, n: number, t: { now: number }, open: string[] = []) {
  const store = createPlaygroundStore(tinySettings());
  const a = new Autosaver(storage, store, { now: () => t.now, tab: tab(n), openTabs: async () => new Set(open) });
  return { a, store };
}

describe('saved runs keyed per run', () => {
  it('two tabs and two runs are three records; a reload offers them all, newest first, with their tabs', async () => {
    const storage = new MemoryAutosaveStorage();
    const t = { now: 1000 };
    const one = saver(storage, 1, t);
    const two = saver(storage, 2, t);
    await one.a.save(fakeSnapshot(1, 'A'));
    t.now = 2000;
    await two.a.save(fakeSnapshot(2, 'B')); // another tab, another run: its own record
    t.now = 3000;
    await one.a.save(fakeSnapshot(2, 'A')); // the same run again: its record is replaced
    t.now = 4000;
    await one.a.save(fakeSnapshot(1, 'C')); // a new run in the first tab
    expect(storage.keys.length).toBe(3);

    // the reload of tab 1 while tab 2 is still open
    const reload = saver(storage, 3, t, ['tab-2', 'tab-3']);
    expect((await reload.a.init())!.savedAt).toBe(4000);
    const offers = reload.a.offerStore.getState().offers;
    expect(offers.map((o) => [o.run.savedAt, o.run.tab?.id, o.run.checkpoint.trainer.epoch, o.tabOpen])).toEqual([
      [4000, 'tab-1', 1, false],
      [3000, 'tab-1', 2, false],
      [2000, 'tab-2', 2, true],
    ]);
    expect(offerLabel(offers[2])).toBe('GCL · ConvNet (the tab opened 7 Dec 2026 15:42:00, still open)');
    // a resume of the first tab's older run; discarding one deletes only that one
    await reload.a.discard(offers[0].key);
    expect(storage.keys.length).toBe(2);
    expect(reload.a.offerStore.getState().offers.map((o) => o.run.savedAt)).toEqual([3000, 2000]);
  });

  it('the earlier layout (one record, its upload recipe, one set aside) is migrated: nothing is lost', async () => {
    const kv = new MemoryKv();
    const recipe: UploadRecipe = { kind: 'cifar', file: { name: 'cifar-10-binary.tar.gz', blob: new Blob([new Uint8Array(10)]) } };
    const fp = recipeFingerprint(recipe);
    const { upload: _none, ...old } = snapshotToSaved(fakeSnapshot(2), 1234);
    kv.map.set('last', { ...old, uploadRef: fp });
    kv.map.set('upload', { fingerprint: fp, recipe });
    kv.map.set('unreadable', { version: 7 });
    const store = new RunStore(kv);
    const loaded = await store.load();
    expect(loaded.length).toBe(1);
    const run = loaded[0].value as SavedRun;
    expect(run.checkpoint.trainer.epoch).toBe(2);
    expect(run.savedAt).toBe(1234);
    expect((run.upload as { file: { name: string } }).file.name).toBe('cifar-10-binary.tar.gz');
    expect([...kv.map.keys()].sort()).toEqual(['aside:earlier', 'index', `run:${loaded[0].key}`, `upload:${fp}`].sort());
    expect(kv.map.get('aside:earlier')).toEqual({ version: 7 });
    // a second load finds the same run under the same key
    expect((await store.load()).map((r) => r.key)).toEqual([loaded[0].key]);
    // and the Autosaver offers it
    const a = new Autosaver(store, createPlaygroundStore(tinySettings()));
    expect((await a.init())!.savedAt).toBe(1234);
  });

  it('keeps the newest runs only, names the ones dropped, and deletes an upload recipe no run uses any more', async () => {
    const storage = new MemoryAutosaveStorage(2);
    const t = { now: Date.UTC(2026, 11, 7, 15, 0) };
    const { a, store } = saver(storage, 1, t);
    const recipe: UploadRecipe = { kind: 'cifar', file: { name: 'c.tar.gz', blob: new Blob([new Uint8Array(4)]) } };
    await a.save({ ...fakeSnapshot(1, 'A'), label: 'first run', upload: recipe });
    t.now += 60_000;
    await a.save({ ...fakeSnapshot(1, 'B'), label: 'second run' });
    expect(store.getState().notices.find((n) => n.id === 'autosave-dropped')).toBeUndefined();
    t.now += 60_000;
    await a.save({ ...fakeSnapshot(1, 'C'), label: 'third run' });
    expect(storage.keys.length).toBe(2);
    const n = store.getState().notices.find((x) => x.id === 'autosave-dropped');
    expect(n?.title).toBe('Saved runs: this browser keeps the 2 newest; removed');
    expect(n?.items).toEqual([expect.stringMatching(/^first run \(the tab opened 7 Dec 2026 15:41:00\), saved 7 Dec 2026 \d\d:00$/)]);
    const reload = saver(storage, 2, t);
    await reload.a.init();
    expect(reload.a.offerStore.getState().offers.map((o) => o.run.label)).toEqual(['third run', 'second run']);
    expect(reload.a.offerStore.getState().offers.every((o) => o.run.upload === undefined)).toBe(true);
  });

  it('the run being saved is never the one dropped, even when its clock is behind', async () => {
    const storage = new MemoryAutosaveStorage(1);
    const t = { now: 5000 };
    await saver(storage, 1, t).a.save(fakeSnapshot(1, 'A'));
    t.now = 10; // another tab whose clock is behind
    const b = saver(storage, 2, t);
    await b.a.save(fakeSnapshot(1, 'B'));
    expect(storage.run?.tab?.id).toBe('tab-2');
    expect(storage.keys.length).toBe(1);
  });
});

/** The Web Locks API of one browser, shared by its tabs (a released lock is gone from `query`). */
function fakeLocks(): LocksLike & { held: Set<string> } {
  const held = new Set<string>();
  return {
    held,
    async request(name, cb) {
      held.add(name);
      try {
        return await cb();
      } finally {
        held.delete(name);
      }
    },
    async query() {
      return { held: [...held].map((name) => ({ name })) };
    },
  };
}

describe('tabs', () => {
  const open: Tabs[] = [];
  afterEach(() => {
    for (const t of open.splice(0)) t.dispose();
  });
  const start = (n: number, locks: LocksLike | null, channel: string) => {
    const store = createPlaygroundStore(tinySettings());
    const tabs = new Tabs(store, { tab: tab(n), locks, channel: new BroadcastChannel(channel) });
    tabs.start();
    open.push(tabs);
    return { tabs, store, notice: () => store.getState().notices.find((x) => x.id === 'tabs') };
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const until = async (f: () => boolean) => {
    for (let i = 0; i < 200 && !f(); i++) await sleep(10);
    expect(f()).toBe(true);
  };

  for (const [what, locks] of [
    ['Web Locks and a BroadcastChannel', fakeLocks],
    ['a BroadcastChannel only', () => null],
  ] as const) {
    it(`a second tab that starts training is told another tab trains, and so is the first (${what})`, async () => {
      const l = locks();
      const ch = `ltpg-test-${Math.random()}`;
      const one = start(1, l, ch);
      const two = start(2, l, ch);
      one.store.getState().patchRun({ phase: 'running' });
      await sleep(30);
      expect(one.notice()).toBeUndefined();
      two.store.getState().patchRun({ phase: 'running' });
      await until(() => !!two.notice());
      expect(two.notice()!.title).toBe('Another tab is training:');
      expect(two.notice()!.items[0]).toMatch(/^the tab opened 7 Dec 2026 15:41:00 \(a run\)\. Training here goes on/);
      await until(() => !!one.notice());
      expect(one.notice()!.items[0]).toMatch(/^the tab opened 7 Dec 2026 15:42:00/);
      // training is not blocked
      expect(two.store.getState().phase).toBe('running');
      if (l) expect([...(await one.tabs.openTabs())].sort()).toEqual(['tab-1', 'tab-2']);
      // the first tab stops: the second one's notice goes
      one.store.getState().patchRun({ phase: 'paused' });
      await until(() => !two.notice());
      if (l) {
        expect(await two.tabs.othersTraining()).toEqual([]);
        open.shift()!.dispose();
        await sleep(0);
        expect([...(await two.tabs.openTabs())]).toEqual(['tab-2']);
      }
    });
  }
});
