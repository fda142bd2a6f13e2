import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/core/backend';
import { countsFor } from '../../src/core/data/longtail';
import { pngDecoder } from '../../src/core/data/png';
import { DEFAULT_CONFIG, type TrainConfig } from '../../src/core/train/config';
import { UploadedDatasets, parseUpload } from '../../src/worker/datasets';
import { MAX_UPLOADS, isUploadId } from '../../src/worker/upload-info';
import { TrainEngine } from '../../src/worker/engine';
import type { Request, RunSpec, RunSummary, UploadedDataInfo, WorkerEvent } from '../../src/worker/protocol';
import { tinyDataset } from '../helpers/tiny-dataset';
import { writeCifarArchive } from '../../src/core/data/cifar';
import { syntheticSet } from '../core/data/helpers';
import { initCpuBackend, loadTinyOnly } from '../helpers/in-process-worker';
import { CIFAR10_NAMES, ab, cifarArchive, pngFolder, zipFolder } from '../helpers/upload-fixtures';

const decoder = () => pngDecoder;
const archive10 = cifarArchive('cifar10', 30, 5);

describe('parseUpload', () => {
  it('reads a CIFAR-10 binary archive with a non-standard record count, with a note and progress', async () => {
    const seen: number[] = [];
    const { dataset, info } = await parseUpload(
      { kind: 'cifar', fileName: 'cifar-10-binary.tar.gz', bytes: ab(archive10) },
      { decoder, onProgress: (p) => seen.push(p.fraction) },
    );
    expect(info.kind).toBe('cifar10');
    expect(info.classNames).toEqual(CIFAR10_NAMES);
    expect(info.poolCounts).toEqual(new Array(10).fill(30));
    expect(info.testCounts).toEqual(new Array(10).fill(5));
    expect(info.notes.join(' ')).toMatch(/non-standard record count: 300 training \/ 50 test records/);
    expect(dataset.pool.labels.length).toBe(300);
    expect(dataset.meta.title).toBe('CIFAR-10-LT');
    expect(seen[seen.length - 1]).toBe(1);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]);
  });

  it('reads CIFAR-100 (fine labels)', async () => {
    const { info } = await parseUpload({ kind: 'cifar', fileName: 'c100.tar.gz', bytes: ab(cifarArchive('cifar100', 3, 1)) }, { decoder });
    expect(info.kind).toBe('cifar100');
    expect(info.classNames.length).toBe(100);
    expect(info.poolCounts.every((n) => n === 3)).toBe(true);
  });

  it('names the file for wrong or truncated archives', async () => {
    const bad = (bytes: Uint8Array, name: string) => parseUpload({ kind: 'cifar', fileName: name, bytes: ab(bytes) }, { decoder });
    await expect(bad(new TextEncoder().encode('hello, not an archive'), 'notes.txt')).rejects.toThrow(
      /^notes\.txt: neither gzip data nor a tar archive/,
    );
    await expect(bad(archive10.subarray(0, archive10.length - 500), 'cut.tar.gz')).rejects.toThrow(/cut\.tar\.gz/);
    await expect(bad(new Uint8Array(0), 'empty.tar.gz')).rejects.toThrow(/empty\.tar\.gz: is empty/);
  });

  it('builds a folder data set from picked files and from a .zip, with its real counts', async () => {
    const files = pngFolder('pets', ['cat', 'dog', 'emu'], [20, 8, 3]);
    const src = { target: 'rgb32' as const, testFraction: 0.25, seed: 1 };
    const a = await parseUpload({ kind: 'folder', files: files.map((f) => ({ path: f.path, bytes: ab(f.bytes) })), ...src }, { decoder });
    expect(a.info.classNames).toEqual(['cat', 'dog', 'emu']);
    expect(a.info.poolCounts).toEqual([15, 6, 2]);
    expect(a.info.testCounts).toEqual([5, 2, 1]);
    expect(a.info.source).toBe('pets');
    expect(a.dataset.pool.height).toBe(32);
    const z = await parseUpload(
      { kind: 'folder', zip: { fileName: 'pets.zip', bytes: ab(zipFolder(files)) }, ...src, target: 'grey28' },
      { decoder },
    );
    expect(z.info.poolCounts).toEqual([15, 6, 2]);
    expect(z.info.channels).toBe(1);
    expect(z.dataset.pool.width).toBe(28);
  });

  it('notes classes without test images (folder: a single image; CIFAR: no test record) and cleans the file name', async () => {
    const files = pngFolder('pets', ['cat', 'dog'], [1, 1]);
    const { info, dataset } = await parseUpload(
      { kind: 'folder', files: files.map((f) => ({ path: f.path, bytes: ab(f.bytes) })), target: 'rgb32', testFraction: 0.2, seed: 1 },
      { decoder },
    );
    expect(info.testCounts).toEqual([0, 0]);
    expect(dataset.test.labels.length).toBe(0);
    expect(info.notes).toEqual([expect.stringMatching(/^no test images: every class has a single readable image/)]);
    // CIFAR: a test batch without records of some classes
    const shape = { height: 32, width: 32, channels: 3 };
    const train = { ...syntheticSet(new Array(10).fill(2), shape, 1), classNames: CIFAR10_NAMES };
    const test = { ...syntheticSet([1, 1, 1, 1, 1, 1, 1, 1, 0, 0], shape, 2), classNames: CIFAR10_NAMES };
    const c10 = await parseUpload(
      { kind: 'cifar', fileName: 'c\u202e10.tar.gz', bytes: ab(writeCifarArchive('cifar10', train, test)) },
      { decoder },
    );
    expect(c10.info.source).toBe('c10.tar.gz');
    expect(c10.info.testCounts).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
    expect(c10.info.notes).toContain('2 classes ("ship", "truck") have no test record: no test accuracy for them');
  });

  it('an empty class is an error naming its folder', async () => {
    const files = pngFolder('pets', ['cat', 'dog'], [4, 2]);
    files[4].bytes = new TextEncoder().encode('not a png');
    files[5].bytes = new TextEncoder().encode('not a png either');
    files[4].path = 'pets/dog/a.png';
    files[5].path = 'pets/dog/b.png';
    await expect(
      parseUpload(
        { kind: 'folder', files: files.map((f) => ({ path: f.path, bytes: ab(f.bytes) })), target: 'rgb32', testFraction: 0.2, seed: 1 },
        { decoder },
      ),
    ).rejects.toThrow(/pets\/dog.*no readable image/);
  });
});

describe('UploadedDatasets', () => {
  it('gives each upload a fresh id, keeps the last MAX_UPLOADS and stores nothing on error', async () => {
    const store = new UploadedDatasets({ decoder });
    const a = await store.load({ kind: 'cifar', fileName: 'a.tar.gz', bytes: ab(archive10) });
    expect(a.id).toBe('cifar10-lt@1');
    expect(isUploadId(a.id)).toBe(true);
    expect(isUploadId('fmnist-lt')).toBe(false);
    await expect(store.load({ kind: 'cifar', fileName: 'bad.bin', bytes: ab(new Uint8Array(100)) })).rejects.toThrow(/bad\.bin/);
    expect(store.ids()).toEqual(['cifar10-lt@1']);
    const ids = [a.id];
    for (let i = 0; i < MAX_UPLOADS; i++) ids.push((await store.load({ kind: 'cifar', fileName: 'a.tar.gz', bytes: ab(archive10) })).id);
    expect(store.ids()).toEqual(ids.slice(-MAX_UPLOADS));
    expect(store.get(a.id)).toBeUndefined();
  });
});

describe('TrainEngine loadData', () => {
  let nextId = 1;
  const req = (type: Request['type'], params: Record<string, unknown> = {}) =>
    ({ kind: 'request', id: nextId++, type, ...params }) as Request;
  const spec = (over: Partial<TrainConfig>, nMax: number | null = null): RunSpec => ({
    config: {
      ...structuredClone(DEFAULT_CONFIG),
      dataset: 'tiny',
      imbalance: 10,
      model: 'convnet',
      head: 'cosine',
      loss: 'ce',
      batchSize: 16,
      epochs: 1,
      schedule: 'constant',
      warmup: false,
      logEvery: 1,
      evalPerClass: 2,
      stage2: { ...DEFAULT_CONFIG.stage2, epochs: 1, batchSize: 16 },
      headImages: nMax,
      ...over,
    },
  });

  beforeAll(async () => {
    await initBackend({ order: ['cpu'] });
  });

  it('a failed upload leaves the run and its data; a good one trains as CIFAR-10-LT with the LT counts', async () => {
    const events: WorkerEvent[] = [];
    const engine = new TrainEngine({
      emit: (e) => events.push(e),
      initBackend: initCpuBackend,
      loadDataset: loadTinyOnly(tinyDataset),
      decoder,
    });
    await engine.handle(req('init', { order: ['cpu'] }));
    const before = (await engine.handle(req('configure', { spec: spec({}) }))) as RunSummary;
    await engine.handle(req('step'));
    await expect(
      engine.handle(req('loadData', { source: { kind: 'cifar', fileName: 'broken.tar.gz', bytes: ab(archive10.subarray(0, 4000)) } })),
    ).rejects.toThrow(/broken\.tar\.gz/);
    // the run is still there (one step trained) and reset rebuilds it on the same data
    const stepped = (await engine.handle(req('step'))) as { batch: { step: number } };
    expect(stepped.batch.step).toBe(2);
    const again = (await engine.handle(req('reset'))) as RunSummary;
    expect(again.counts).toEqual(before.counts);
    expect(again.datasetTitle).toBe(before.datasetTitle);

    const info = (await engine.handle(
      req('loadData', { source: { kind: 'cifar', fileName: 'cifar-10-binary.tar.gz', bytes: ab(archive10) } }),
    )) as UploadedDataInfo;
    expect(events.some((e) => e.type === 'upload' && e.progress.file === 'cifar-10-binary.tar.gz' && e.progress.fraction === 1)).toBe(true);
    const lt = (await engine.handle(req('configure', { spec: spec({ dataset: info.id, imbalance: 10 }) }))) as RunSummary;
    expect(lt.datasetTitle).toBe('CIFAR-10-LT');
    expect(lt.classNames).toEqual(CIFAR10_NAMES);
    expect(lt.counts).toEqual(countsFor(10, 30, { imbalance: 10, profile: 'exp' }));
    expect(lt.counts[0]).toBe(30);
    expect(lt.counts[9]).toBe(3);
    expect(lt.testImages).toBe(20);
    // an unknown upload id is a clear error
    await expect(engine.handle(req('configure', { spec: spec({ dataset: 'folder@99' }) }))).rejects.toThrow(/not loaded in this worker/);
    await engine.handle(req('dispose'));
  }, 60_000);

  it("folder data with the profile 'asis' trains on every image", async () => {
    const engine = new TrainEngine({
      emit: () => undefined,
      initBackend: initCpuBackend,
      loadDataset: async () => tinyDataset(),
      decoder,
    });
    await engine.handle(req('init', { order: ['cpu'] }));
    const files = pngFolder('pets', ['cat', 'dog', 'emu'], [20, 8, 3]).map((f) => ({ path: f.path, bytes: ab(f.bytes) }));
    const info = (await engine.handle(
      req('loadData', { source: { kind: 'folder', files, target: 'grey28', testFraction: 0.25, seed: 3 } }),
    )) as UploadedDataInfo;
    expect(info.id).toBe('folder@1');
    const s = (await engine.handle(req('configure', { spec: spec({ dataset: info.id, profile: 'asis', imbalance: 1 }) }))) as RunSummary;
    expect(s.counts).toEqual([15, 6, 2]);
    expect(s.classNames).toEqual(['cat', 'dog', 'emu']);
    const capped = (await engine.handle(
      req('configure', { spec: spec({ dataset: info.id, profile: 'asis', imbalance: 1 }, 5) }),
    )) as RunSummary;
    expect(capped.counts).toEqual([5, 5, 2]);
    await engine.handle(req('dispose'));
  }, 60_000);
});
