import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/core/backend';
import type { EpochMetrics } from '../../../src/worker/protocol';
import type { TrainConfig } from '../../../src/core/train/config';
import { PlaygroundSession } from '../../../src/state/session/session';
import { createPlaygroundStore } from '../../../src/state/session/store';
import {
  Autosaver,
  MemoryAutosaveStorage,
  isSavedRun,
  resumeQuestion,
  snapshotToSaved,
  storageErrorMessage,
} from '../../../src/state/persistence/autosave';
import type { SavedRun } from '../../../src/state/persistence/run-store';
import { inProcessClients, until } from '../../helpers/in-process-worker';
import { fakeSnapshot, tinySettings } from '../../helpers/saved-run';
import { cifarArchive } from '../../helpers/upload-fixtures';
import { uploadCifar } from '../../../src/state/uploads/upload';
import { checkSavedRun } from '../../../src/state/persistence/saved-run-check';
import { isUploadId } from '../../../src/state/settings/data-shape';

/** A page: store + session (+ autosaver on `storage`). */
function page(storage: MemoryAutosaveStorage | null, settings = tinySettings()) {
  const store = createPlaygroundStore(settings);
  const urls: string[] = [];
  const autosave = storage ? new Autosaver(storage, store, { now: () => Date.UTC(2026, 10, 26, 15, 30) }) : null;
  const session = new PlaygroundSession(store, {
    createClient: inProcessClients().createClient,
    schedule: (cb) => setTimeout(cb, 5),
    flushIntervalMs: 0,
    writeUrl: (q) => urls.push(q),
    onCheckpoint: autosave ? (snap) => void autosave.save(snap) : undefined,
  });
  return { store, session, autosave, urls, s: () => store.getState() };
}

/** Epoch metrics without the timing fields (which differ between any two runs). */
const strip = (es: readonly EpochMetrics[]) => es.map(({ seconds: _s, imagesPerSecond: _i, ...rest }) => rest);

beforeAll(async () => {
  await initBackend({ order: ['cpu'] });
});

describe('Autosaver (in-memory storage)', () => {
  it('saves the latest snapshot, one write at a time (later ones replace a waiting one)', async () => {
    const storage = new MemoryAutosaveStorage();
    const store = createPlaygroundStore(tinySettings());
    const a = new Autosaver(storage, store, { now: () => 1000 });
    void a.save(fakeSnapshot(1));
    void a.save(fakeSnapshot(2));
    await a.save(fakeSnapshot(3));
    await a.idle;
    expect(storage.saves).toBe(2); // 1 was being written, 2 was replaced by 3
    expect(storage.run!.checkpoint.trainer.epoch).toBe(3);
    expect(storage.run!.savedAt).toBe(1000);
    expect(storage.run!.checkpoint.trainer.weights['conv1.weight']).toBeInstanceOf(Float32Array);
    expect(isSavedRun(storage.run)).toBe(true);
  });

  it('a storage error (quota) becomes a notice; the next successful save removes it', async () => {
    const storage = new MemoryAutosaveStorage();
    const store = createPlaygroundStore(tinySettings());
    const a = new Autosaver(storage, store);
    storage.failWith = Object.assign(new Error('The quota has been exceeded.'), { name: 'QuotaExceededError' });
    await a.save(fakeSnapshot(1));
    const n = store.getState().notices.find((x) => x.id === 'autosave');
    expect(n?.level).toBe('warning');
    expect(n?.items[0]).toMatch(/storage for this site is full.*QuotaExceededError.*Training continues/);
    storage.failWith = null;
    await a.save(fakeSnapshot(2));
    expect(store.getState().notices.find((x) => x.id === 'autosave')).toBeUndefined();
    expect(storage.run!.checkpoint.trainer.epoch).toBe(2);
    expect(storageErrorMessage(new Error('disk on fire'))).toBe('disk on fire');
  });

  it('offers a saved run, ignores foreign records, and discard deletes it', async () => {
    const storage = new MemoryAutosaveStorage();
    const store = createPlaygroundStore(tinySettings());
    const a = new Autosaver(storage, store);
    expect(await a.init()).toBeNull();
    storage.run = { version: 99 } as unknown as SavedRun;
    expect(await a.init()).toBeNull();
    expect(a.offerStore.getState().unreadable).toMatch(/^version is 99: it was saved by a newer version of the app/);
    expect(storage.aside).toEqual({ version: 99 });
    await a.discardUnreadable();
    expect(storage.aside).toBeNull();
    expect(a.offerStore.getState().unreadable).toBeNull();
    storage.run = snapshotToSaved(fakeSnapshot(2), Date.UTC(2026, 10, 26, 15, 30));
    const r = await a.init();
    expect(r).not.toBeNull();
    expect(a.offerStore.getState().offers.length).toBe(1);
    expect(resumeQuestion(r!)).toMatch(/^Resume the run from 26 Nov 2026 \d\d:\d\d \(epoch 2 of 3\)\?$/);
    await a.discard();
    expect(a.offerStore.getState().offers).toEqual([]);
    expect(storage.keys).toEqual([]);
  });

  it('a new run saves under its own key: the offered run stays, and stays offered', async () => {
    const storage = new MemoryAutosaveStorage();
    storage.run = snapshotToSaved(fakeSnapshot(2), 5);
    const store = createPlaygroundStore(tinySettings());
    const a = new Autosaver(storage, store);
    await a.init();
    await a.save(fakeSnapshot(1, 'run-new'));
    expect(a.offerStore.getState().offers.map((o) => o.run.checkpoint.trainer.epoch)).toEqual([2]);
    expect(storage.run!.checkpoint.trainer.epoch).toBe(1);
    expect(storage.keys.length).toBe(2);
  });
});

describe('autosave → reload → resume (session + real engine, cpu)', () => {
  it('continues from the last finished epoch with the identical metrics history', async () => {
    // the reference: 3 epochs without interruption
    const ref = page(null);
    await ref.session.start();
    await ref.session.train();
    await until(() => ref.s().phase === 'stageDone');
    const refEpochs = strip(ref.s().current!.epochs);
    expect(refEpochs.length).toBe(3);
    ref.session.dispose();

    // first visit: train 2 epochs step by step, autosaving
    const storage = new MemoryAutosaveStorage();
    const a = page(storage);
    await a.session.start();
    const bpe = a.s().summary!.batchesPerEpoch;
    for (let i = 0; i < 2 * bpe + 1; i++) await a.session.step(); // 2 epochs + one batch of the third
    await until(() => storage.run?.checkpoint.trainer.epoch === 2);
    await a.autosave!.idle;
    const saved = storage.run!;
    expect(saved.epochs.length).toBe(2);
    expect(saved.batches.at(-1)!.step).toBe(2 * bpe);
    expect(saved.checkpoint.trainer.globalStep).toBe(2 * bpe);
    expect(Object.keys(saved.checkpoint.trainer.momentum).length).toBeGreaterThan(0);
    const savedHistory = structuredClone(a.s().current!.epochs.slice(0, 2));
    a.session.dispose();

    // reload: a fresh page with different controls offers the saved run
    const other = tinySettings({ lr: 0.01 });
    const b = page(storage, other);
    const offer = await b.autosave!.init();
    expect(offer).not.toBeNull();
    const started = b.session.start();
    // resume may be clicked before the page finished starting
    expect(await b.autosave!.resume(b.session)).toBe(true);
    await started;
    expect(b.s().phase).toBe('paused');
    expect(b.s().current!.epochs).toEqual(savedHistory);
    expect(b.s().settings.config.lr).toBe(tinySettings().config.lr);
    expect(b.urls.at(-1)).toContain(`lr=${tinySettings().config.lr}`);
    expect(b.s().progress!.epochsDone).toBe(2);
    expect(b.s().progress!.step).toBe(2 * bpe);
    expect(b.s().announcement).toMatch(/Resumed the run from .* at epoch 2 of 3/);
    expect(b.autosave!.offerStore.getState().offers).toEqual([]);
    await b.session.train();
    await until(() => b.s().phase === 'stageDone');
    expect(strip(b.s().current!.epochs)).toEqual(refEpochs);
    // and the finished run was autosaved again, under the record it was resumed from
    await until(() => storage.run?.checkpoint.trainer.epoch === 3);
    expect(storage.keys.length).toBe(1);
    b.session.dispose();
  }, 120_000);

  it('a run on uploaded data resumes after a reload: the data set is made again from the saved files', async () => {
    const archive = () => new File([cifarArchive('cifar10', 20, 2).slice()], 'cifar-10-binary.tar.gz');
    const upload = async (p: ReturnType<typeof page>) => {
      expect(await uploadCifar({ store: p.store, session: p.session }, archive())).toBe(true);
      expect(p.s().summary?.datasetTitle).toBe('CIFAR-10-LT');
    };
    // the reference: 3 epochs on the uploaded data without interruption
    const ref = page(null);
    await ref.session.start();
    await upload(ref);
    await ref.session.train();
    await until(() => ref.s().phase === 'stageDone');
    const refEpochs = strip(ref.s().current!.epochs);
    const refCounts = ref.s().summary!.counts;
    ref.session.dispose();

    const storage = new MemoryAutosaveStorage();
    const a = page(storage);
    await a.session.start();
    await upload(a);
    const bpe = a.s().summary!.batchesPerEpoch;
    for (let i = 0; i < bpe; i++) await a.session.step();
    await until(() => storage.run?.checkpoint.trainer.epoch === 1);
    await a.autosave!.idle;
    expect(storage.run!.upload?.kind).toBe('cifar');
    a.session.dispose();

    const b = page(storage);
    const offer = await b.autosave!.init();
    expect(resumeQuestion(offer!)).toMatch(/^Resume the run on cifar-10-binary\.tar\.gz from /);
    await b.session.start();
    expect(b.s().settings.config.dataset).toBe('fmnist-lt');
    expect(await b.autosave!.resume(b.session)).toBe(true);
    expect(isUploadId(b.s().settings.config.dataset)).toBe(true);
    expect(b.s().uploads.map((u) => u.id)).toEqual([b.s().settings.config.dataset]);
    expect(b.s().summary!.datasetTitle).toBe('CIFAR-10-LT');
    expect(b.s().summary!.counts).toEqual(refCounts);
    expect(b.s().progress!.epochsDone).toBe(1);
    await b.session.train();
    await until(() => b.s().phase === 'stageDone');
    expect(strip(b.s().current!.epochs)).toEqual(refEpochs);
    b.session.dispose();

    // a record of a run on uploaded data without its files: a clear notice
    const c = page(storage);
    storage.run = { ...storage.run!, upload: undefined };
    await c.autosave!.init();
    await c.session.start();
    expect(await c.autosave!.resume(c.session)).toBe(false);
    expect(c.s().notices.find((n) => n.id === 'autosave')?.items[0]).toMatch(/uploaded data that was not saved with it/);
    c.session.dispose();
  }, 120_000);

  it('a saved run whose weights belong to another model is set aside before it is offered; the page trains', async () => {
    const storage = new MemoryAutosaveStorage();
    const a = page(storage);
    await a.session.start();
    const bpe = a.s().summary!.batchesPerEpoch;
    for (let i = 0; i < bpe; i++) await a.session.step();
    await until(() => storage.run?.checkpoint.trainer.epoch === 1);
    await a.autosave!.idle;
    a.session.dispose();
    // well-formed, but the weights belong to another model (the worker would refuse it only at Resume)
    const rec = storage.run!;
    rec.checkpoint.trainer.weights['no.such.weight'] = new Float32Array(3);
    storage.run = rec;
    const b = page(storage);
    expect(await b.autosave!.init()).toBeNull();
    expect(b.autosave!.offerStore.getState().offers).toEqual([]);
    expect(b.autosave!.offerStore.getState().unreadable).toMatch(
      /^checkpoint\.trainer\.weights\.no\.such\.weight is not a tensor of the convnet model/,
    );
    expect(storage.aside).not.toBeNull();
    await b.session.start();
    expect(b.s().phase).toBe('ready');
    await b.session.step();
    expect(b.s().progress!.step).toBe(1);
    b.session.dispose();
  }, 60_000);

  it('a malformed record (a version-1 checkpoint without trainer.config) is set aside with a reason, never thrown', async () => {
    const storage = new MemoryAutosaveStorage();
    const bad = structuredClone(snapshotToSaved(fakeSnapshot(2), 5));
    delete (bad.checkpoint.trainer as Partial<typeof bad.checkpoint.trainer>).config;
    storage.run = bad;
    const store = createPlaygroundStore(tinySettings());
    const a = new Autosaver(storage, store);
    expect(await a.init()).toBeNull();
    expect(a.offerStore.getState().offers).toEqual([]);
    expect(a.offerStore.getState().unreadable).toBe('checkpoint.trainer.config is undefined, expected an object');
    expect(storage.run).toBeNull();
    expect((storage.aside as SavedRun).checkpoint.trainer.epoch).toBe(2); // kept, not deleted
    // the next save does not touch the record set aside
    await a.save(fakeSnapshot(1));
    expect((storage.aside as SavedRun).checkpoint.trainer.epoch).toBe(2);
    expect(storage.run!.checkpoint.trainer.epoch).toBe(1);
  });

  it('checks every part of the record, naming the field', () => {
    const good = () => structuredClone(snapshotToSaved(fakeSnapshot(2), 5));
    expect(checkSavedRun(good())).toMatchObject({ ok: true, migrated: [] });
    const cases: [(r: SavedRun) => void, string][] = [
      [(r) => ((r as { savedAt: unknown }).savedAt = 'yesterday'), 'savedAt is "yesterday", expected a time'],
      [(r) => (r.checkpoint.trainer.epoch = 7), 'checkpoint.trainer.epoch is 7, expected an integer in [0, 3]'],
      [(r) => (r.checkpoint.trainer.config.lr = 1e300), 'checkpoint.trainer.config.lr is 1e+300, expected a number in [0.00001, 10]'],
      [(r) => (r.checkpoint.trainer.stage2.s = 0), 'checkpoint.trainer.stage2.s is 0, expected a number in [1, 64]'],
      [
        (r) => (r.settings = { ...r.settings, backend: 'gpu' as never }),
        'settings.backend is "gpu", expected one of auto, webgpu, webgl, wasm, cpu',
      ],
      [(r) => (r.checkpoint.trainer.weights = { w: [1, 2] as never }), 'checkpoint.trainer.weights.w is a list, expected a Float32Array'],
      [(r) => (r.checkpoint.trainer.rng.noise = { s: [1] } as never), 'checkpoint.trainer.rng.noise.s is not four 32-bit integers'],
      [(r) => (r.epochs = [{ stage: 1 }] as never), 'epochs[0].epoch is undefined, expected an integer in [0, 9007199254740991]'],
      [(r) => (r.batches = [null] as never), 'batches[0] is null, expected an object'],
      [(r) => (r.upload = { kind: 'x' } as never), 'upload is not a list of uploaded files this page can read'],
      [(r) => (r.compare = { runs: [{}], currentPinned: false } as never), 'compare.runs[0] has no id or colour'],
    ];
    for (const [edit, why] of cases) {
      const r = good();
      edit(r);
      expect(checkSavedRun(r)).toEqual({ ok: false, why });
    }
    for (const junk of [null, 1, 'x', [], {}, { version: 0 }]) expect(checkSavedRun(junk).ok).toBe(false);
    expect(checkSavedRun({ version: 0 })).toEqual({
      ok: false,
      why: 'version is 0: it was saved by another version of the app, which this page cannot read',
    });
  });

  it('an older record (head-class cap in checkpoint.spec.data.nMax) is migrated to config.headImages', async () => {
    const old = structuredClone(snapshotToSaved(fakeSnapshot(2), 5)) as SavedRun & { checkpoint: { spec: { data?: unknown } } };
    old.checkpoint.spec.data = { nMax: 40 };
    for (const c of [old.checkpoint.spec.config, old.checkpoint.trainer.config, old.settings.config])
      delete (c as Partial<TrainConfig>).headImages;
    const r = checkSavedRun(old);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.migrated).toEqual(['the head-class cap (checkpoint.spec.data.nMax = 40) moved to config.headImages']);
    expect(r.run.checkpoint.spec.config.headImages).toBe(40);
    expect(r.run.checkpoint.trainer.config.headImages).toBe(40);
    expect(r.run.settings.config.headImages).toBe(40);
    expect('data' in r.run.checkpoint.spec).toBe(false);
    old.checkpoint.spec.data = { nMax: -3 };
    expect(checkSavedRun(old)).toEqual({ ok: false, why: 'checkpoint.spec.data.nMax is -3, expected null or a positive integer' });
    const storage = new MemoryAutosaveStorage();
    old.checkpoint.spec.data = { nMax: 40 };
    storage.run = old;
    const a = new Autosaver(storage, createPlaygroundStore(tinySettings()));
    expect((await a.init())!.checkpoint.trainer.config.headImages).toBe(40);
  });
});
