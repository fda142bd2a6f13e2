import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/core/backend';
import { pngDecoder } from '../../../src/core/data/png';
import type { UploadedDataInfo } from '../../../src/worker/protocol';
import { EMBEDDED_SHAPE, infeasibility, previewCountsFor, shapeFor, uploadShape } from '../../../src/state/settings/data-shape';
import { switchDataset } from '../../../src/state/settings/rules';
import { PlaygroundSession } from '../../../src/state/session/session';
import { PLAYGROUND_DEFAULTS, patchSettings } from '../../../src/state/settings/settings';
import { countsFor } from '../../../src/core/data/longtail';
import { createPlaygroundStore } from '../../../src/state/session/store';
import { uploadCifar, uploadFolderFiles, uploadFolderZip } from '../../../src/state/uploads/upload';
import { parseSettings, serialiseSettings } from '../../../src/state/settings/url-schema';
import { inProcessClients, tinySettings as baseSettings } from '../../helpers/in-process-worker';
import { CIFAR10_NAMES, cifarArchive, pngFolder, zipFolder } from '../../helpers/upload-fixtures';

/** One epoch of CE (stage-2 settings as on the page). */
const tinySettings = () =>
  baseSettings({ epochs: 1, evalPerClass: 2, model: 'convnet', loss: 'ce', lossParams: {}, stage2: PLAYGROUND_DEFAULTS.config.stage2 });

/** A page's store and session; its workers report the backend asked for and decode PNG folders. */
function setup(settings = tinySettings()) {
  const store = createPlaygroundStore(settings);
  const { createClient, workers } = inProcessClients({ backend: 'requested', decoder: () => pngDecoder });
  const urls: string[] = [];
  const session = new PlaygroundSession(store, {
    createClient,
    schedule: (cb) => setTimeout(cb, 5),
    writeUrl: (q) => urls.push(q),
  });
  return { store, session, s: () => store.getState(), workers, urls };
}

const file = (bytes: Uint8Array, name: string, relativePath?: string): File => {
  const f = new File([bytes.slice()], name);
  if (relativePath) Object.defineProperty(f, 'webkitRelativePath', { value: relativePath });
  return f;
};

beforeAll(async () => {
  await initBackend({ order: ['cpu'] });
});

describe('data shapes', () => {
  const folder: UploadedDataInfo = {
    id: 'folder@1',
    kind: 'folder',
    title: 'pets',
    source: 'pets',
    classNames: ['cat', 'dog', 'emu'],
    poolCounts: [40, 12, 3],
    testCounts: [10, 3, 1],
    height: 32,
    width: 32,
    channels: 3,
    memoryBytes: 1,
    notes: [],
    skipped: [],
    skippedCount: 0,
  };

  it('embedded shape previews the exponential profile from the head-class size', () => {
    const s = patchSettings(tinySettings(), { config: { headImages: 500 } });
    expect(previewCountsFor(s, EMBEDDED_SHAPE)).toEqual(countsFor(10, 500, { imbalance: s.config.imbalance, profile: 'exp' }));
    expect(shapeFor('fmnist-lt', [])).toBe(EMBEDDED_SHAPE);
    expect(shapeFor('folder@9', [folder])).toBeNull();
  });

  it("folder data: 'as is' shows the real counts (capped by n_max); exp/step can be infeasible", () => {
    const shape = uploadShape(folder);
    expect(shape.poolMax).toBe(40);
    expect(shape.asIs).toBe(true);
    const s = switchDataset(tinySettings(), folder.id, [folder]);
    expect(s.config.dataset).toBe('folder@1');
    expect(s.config.profile).toBe('asis');
    expect(previewCountsFor(s, shape)).toEqual([40, 12, 3]);
    expect(previewCountsFor(patchSettings(s, { config: { headImages: 10 } }), shape)).toEqual([10, 10, 3]);
    const exp = patchSettings(s, { config: { profile: 'exp' } });
    expect(infeasibility(previewCountsFor(exp, shape), shape)).toMatch(/needs 4 images of class "emu", which has 3/);
    // back to the embedded set: 'as is' is dropped, IF clamped into 10–200
    const back = switchDataset(patchSettings(s, { config: { imbalance: 1, profile: 'asis' } }), 'fmnist-lt', [folder]);
    expect(back.config.profile).toBe('exp');
    expect(back.config.imbalance).toBe(10);
  });
});

describe('URL state with uploaded data', () => {
  it('an uploaded data set in the URL falls back to the embedded one with a notice', () => {
    const { settings, problems } = parseSettings('dataset=cifar10-lt@2&if=50');
    expect(settings.config.dataset).toBe('fmnist-lt');
    expect(settings.config.imbalance).toBe(50);
    expect(problems).toHaveLength(1);
    expect(problems[0].param).toBe('dataset');
    expect(problems[0].why).toMatch(/uploaded data is not loaded in this tab/);
    expect(parseSettings('dataset=fmnist-lt').problems).toEqual([]);
    const s = patchSettings(tinySettings(), { config: { dataset: 'folder@1' } });
    expect(serialiseSettings(s)).toContain('dataset=folder%401');
  });
});

describe('uploads through the session', () => {
  it('a corrupt archive leaves data and run untouched; a good one switches to CIFAR-10-LT; a new worker forgets it', async () => {
    const { session, s, workers } = setup();
    await session.start();
    expect(s().phase).toBe('ready');
    await session.step();
    const summary = s().summary;
    const run = s().runSettings;
    const step = s().progress?.step;

    const cut = cifarArchive('cifar10', 20, 2);
    const ok = await uploadCifar({ store: session.store, session }, file(cut.subarray(0, cut.length - 1000), 'cifar-10-binary.tar.gz'));
    expect(ok).toBe(false);
    expect(s().uploadError).toMatch(/^cifar-10-binary\.tar\.gz/);
    expect(s().notices.find((n) => n.id === 'upload-error')?.title).toBe('Could not load cifar-10-binary.tar.gz');
    expect(s().uploadStatus).toBeNull();
    expect(s().uploads).toEqual([]);
    expect(s().summary).toBe(summary);
    expect(s().runSettings).toBe(run);
    expect(s().settings.config.dataset).toBe('fmnist-lt');
    expect(s().progress?.step).toBe(step);
    // the worker still trains the same run
    await session.step();
    expect(s().progress?.step).toBe((step ?? 0) + 1);

    // a good archive: transferred (not copied), then the run switches — after confirming, as something was trained
    const good = uploadCifar({ store: session.store, session }, file(cifarArchive('cifar10', 20, 2), 'cifar-10-binary.tar.gz'));
    const t0 = Date.now();
    while (!s().confirm && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 5));
    expect(s().confirm?.message).toMatch(/data set/);
    s().answerConfirm(true);
    expect(await good).toBe(true);
    expect(workers[0].transfers.some((n) => n === 1)).toBe(true);
    expect(s().uploadError).toBeNull();
    expect(s().uploads.map((u) => u.id)).toEqual(['cifar10-lt@1']);
    expect(s().uploads[0].notes[0]).toMatch(/non-standard record count/);
    expect(s().settings.config.dataset).toBe('cifar10-lt@1');
    expect(s().summary?.datasetTitle).toBe('CIFAR-10-LT');
    expect(s().summary?.classNames).toEqual(CIFAR10_NAMES);
    expect(s().summary?.counts[0]).toBe(20);
    expect(s().summary?.counts[9]).toBe(2);

    // backend change: a new worker; the session makes the data set again there from the kept files
    const countsBefore = s().summary?.counts;
    await session.changeSettings(patchSettings(s().settings, { backend: 'wasm' })).catch(() => undefined);
    const t1 = Date.now();
    while ((s().phase !== 'ready' || s().backend?.backend !== 'wasm') && Date.now() - t1 < 20_000)
      await new Promise((r) => setTimeout(r, 5));
    expect(workers.length).toBe(2);
    expect(workers[1].transfers.some((n) => n === 1)).toBe(true);
    expect(s().uploads.map((u) => u.title)).toEqual(['CIFAR-10-LT']);
    expect(s().settings.config.dataset).toBe(s().uploads[0].id);
    expect(s().runSettings?.config.dataset).toBe(s().uploads[0].id);
    expect(s().summary?.datasetTitle).toBe('CIFAR-10-LT');
    expect(s().summary?.counts).toEqual(countsBefore);
    expect(s().notices.some((n) => n.id === 'upload-lost')).toBe(false);
    session.dispose();
  }, 60_000);

  it('a backend change whose data cannot be made again falls back to the embedded set with a notice', async () => {
    const { session, s } = setup();
    await session.start();
    const kept = file(cifarArchive('cifar10', 20, 2), 'cifar-10-binary.tar.gz');
    expect(await uploadCifar({ store: session.store, session }, kept)).toBe(true);
    // the kept file became unreadable (e.g. deleted from disk)
    kept.arrayBuffer = () => Promise.reject(new Error('NotFoundError'));
    await session.changeSettings(patchSettings(s().settings, { backend: 'wasm' })).catch(() => undefined);
    const t1 = Date.now();
    while ((s().phase !== 'ready' || s().backend?.backend !== 'wasm') && Date.now() - t1 < 20_000)
      await new Promise((r) => setTimeout(r, 5));
    expect(s().settings.config.dataset).toBe('fmnist-lt');
    expect(s().notices.find((n) => n.id === 'upload-error')?.items[0]).toMatch(
      /^cifar-10-binary\.tar\.gz: could not be read \(NotFoundError\)/,
    );
    expect(s().notices.some((n) => n.id === 'upload-lost')).toBe(true);
    session.dispose();
  }, 60_000);

  it('after a worker crash, a run on uploaded data continues on the next backend on the same data made again', async () => {
    const settings = patchSettings(tinySettings(), { backend: 'wasm' }); // order wasm → cpu
    const { store, session, s, workers } = setup(settings);
    await session.start();
    expect(await uploadCifar({ store, session }, file(cifarArchive('cifar10', 20, 2), 'c10.tar.gz'))).toBe(true);
    expect(s().runSettings?.config.dataset).toBe('cifar10-lt@1');
    const counts = s().summary!.counts;
    // one finished epoch, so there is a checkpoint to continue from
    const bpe = s().summary!.batchesPerEpoch;
    for (let i = 0; i < bpe; i++) await session.step();
    const t1 = Date.now();
    // the checkpoint of an epoch arrives before its metrics
    while (s().current?.epochs.length !== 1 && Date.now() - t1 < 10_000) await new Promise((r) => setTimeout(r, 5));
    workers[workers.length - 1].engine.fail('GPU device lost: simulated');
    const t0 = Date.now();
    while (s().phase !== 'crashed' && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 5));
    await session.continueAfterCrash();
    expect(['paused', 'stageDone']).toContain(s().phase);
    expect(s().backend?.backend).toBe('cpu');
    expect(s().uploads.map((u) => u.title)).toEqual(['CIFAR-10-LT']);
    expect(s().runSettings?.config.dataset).toBe(s().uploads[0].id);
    expect(s().summary!.datasetTitle).toBe('CIFAR-10-LT');
    expect(s().summary!.counts).toEqual(counts);
    expect(s().progress!.step).toBe(bpe);
    expect(s().notices.some((n) => n.id === 'upload-lost')).toBe(false);
    session.dispose();
  }, 60_000);

  it('image folders (picked files or a .zip) load with their real counts and class names', async () => {
    const { session, s } = setup();
    await session.start();
    const files = pngFolder('my pets', ['cat', 'dog', '<img src=x onerror=alert(1)>'], [12, 5, 2]);
    const ok = await uploadFolderFiles(
      { store: session.store, session },
      files.map((f) => file(f.bytes, f.path.split('/').pop()!, f.path)),
      { target: 'grey28', testFraction: 0.2 },
    );
    expect(ok).toBe(true);
    const u = s().uploads[0];
    expect([...u.classNames].sort()).toEqual(['<img src=x onerror=alert(1)>', 'cat', 'dog'].sort());
    expect(s().settings.config.profile).toBe('asis');
    expect(s().summary?.counts).toEqual(u.poolCounts);
    expect(s().summary?.trainImages).toBe(u.poolCounts.reduce((a, b) => a + b, 0));
    const zipOk = await uploadFolderZip({ store: session.store, session }, file(zipFolder(files), 'pets.zip'), {
      target: 'rgb32',
      testFraction: 0.5,
    });
    expect(zipOk).toBe(true);
    expect(s().uploads.map((x) => x.id)).toEqual(['folder@1', 'folder@2']);
    expect(s().settings.config.dataset).toBe('folder@2');
    expect(s().uploads[1].height).toBe(32);
    // a zip that is not one: error names it, the folder run stays
    const before = s().summary;
    expect(
      await uploadFolderZip({ store: session.store, session }, file(new TextEncoder().encode('nope'), 'holiday.zip'), {
        target: 'rgb32',
        testFraction: 0.2,
      }),
    ).toBe(false);
    expect(s().uploadError).toMatch(/holiday\.zip/);
    expect(s().summary).toBe(before);
    session.dispose();
  }, 60_000);
});
