import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/core/backend';
import { decodeSafetensors } from '../../src/core/export/safetensors';
import { DEFAULT_CONFIG } from '../../src/core/train/config';
import { TrainEngine } from '../../src/worker/engine';
import {
  resultTransfers,
  type EpochMetrics,
  type ExportedFile,
  type LoadedRun,
  type Request,
  type RunSpec,
  type RunSummary,
  type WorkerEvent,
} from '../../src/worker/protocol';
import { initCpuBackend, loadTinyOnly } from '../helpers/in-process-worker';

const spec: RunSpec = {
  config: {
    ...structuredClone(DEFAULT_CONFIG),
    dataset: 'tiny',
    imbalance: 10,
    model: 'convnet',
    head: 'cosine',
    loss: 'gcl',
    batchSize: 16,
    epochs: 3,
    lr: 0.05,
    schedule: 'constant',
    warmup: false,
    logEvery: 1,
    evalPerClass: 5,
    stage2: { ...DEFAULT_CONFIG.stage2, epochs: 1, batchSize: 16 },
    headImages: 30,
  },
};

let nextId = 1;
const req = (type: Request['type'], params: Record<string, unknown> = {}) =>
  ({ kind: 'request', id: nextId++, type, ...params }) as Request;

function makeEngine() {
  const events: WorkerEvent[] = [];
  const engine = new TrainEngine({
    emit: (e) => events.push(e),
    initBackend: initCpuBackend,
    loadDataset: loadTinyOnly(),
  });
  return { engine, events };
}

beforeAll(async () => {
  await initBackend({ order: ['cpu'] });
});

describe('worker exports (Node, cpu)', () => {
  it('exportTfjs → loadTfjs in a fresh worker gives the same test accuracy and training continues', async () => {
    const { engine, events } = makeEngine();
    await engine.handle(req('init', { order: ['cpu'] }));
    const summary = (await engine.handle(req('configure', { spec }))) as RunSummary;
    for (let i = 0; i < summary.batchesPerEpoch; i++) await engine.handle(req('step'));
    const epoch = events.filter((e) => e.type === 'epoch').map((e) => (e as { metrics: EpochMetrics }).metrics);
    expect(epoch.length).toBe(1);

    const zip = (await engine.handle(req('exportTfjs'))) as ExportedFile;
    expect(zip.fileName).toBe('ltpg-gcl-convnet-s1-e1.tfjs.zip');
    expect(zip.bytes).toBeInstanceOf(ArrayBuffer);
    expect(resultTransfers(zip)).toEqual([zip.bytes]);
    expect(new Uint8Array(zip.bytes, 0, 2)).toEqual(new Uint8Array([0x50, 0x4b])); // PK

    const st = (await engine.handle(req('exportSafetensors'))) as ExportedFile;
    expect(st.fileName).toBe('ltpg-gcl-convnet-s1-e1.safetensors');
    const f = decodeSafetensors(new Uint8Array(st.bytes));
    expect(f.tensors.has('conv1.weight')).toBe(true);
    expect(f.metadata.loss).toBe('gcl');
    expect(f.metadata.epoch).toBe('1');

    const other = makeEngine();
    await other.engine.handle(req('init', { order: ['cpu'] }));
    await expect(other.engine.handle(req('loadTfjs', { bytes: new Uint8Array([1, 2, 3]).buffer }))).rejects.toThrow(
      /not a readable zip|zip/,
    );
    const loaded = (await other.engine.handle(req('loadTfjs', { bytes: zip.bytes.slice(0) }))) as LoadedRun;
    expect(loaded.spec.config.headImages).toBe(30);
    expect(loaded.spec.config.loss).toBe('gcl');
    expect(loaded.summary.epoch).toBe(1);
    expect(loaded.summary.trainImages).toBe(summary.trainImages);
    expect(loaded.evaluation.testAccuracy).toBe(epoch[0].testAccuracy);
    expect(loaded.evaluation.testLoss).toBeCloseTo(epoch[0].testLoss!, 5);
    // continue training from epoch 1
    for (let i = 0; i < summary.batchesPerEpoch; i++) await other.engine.handle(req('step'));
    const next = other.events.filter((e) => e.type === 'epoch').map((e) => (e as { metrics: EpochMetrics }).metrics);
    expect(next.map((m) => m.epoch)).toEqual([1]);
    expect(Number.isFinite(next[0].trainLoss)).toBe(true);
    await engine.handle(req('dispose'));
    await other.engine.handle(req('dispose'));
  }, 60_000);

  it('loadTfjs names the file in every error and leaves the current run alone', async () => {
    const { engine } = makeEngine();
    await engine.handle(req('init', { order: ['cpu'] }));
    const summary = (await engine.handle(req('configure', { spec }))) as RunSummary;
    for (let i = 0; i < summary.batchesPerEpoch; i++) await engine.handle(req('step'));
    const zip = (await engine.handle(req('exportTfjs'))) as ExportedFile;
    const files = unzipSync(new Uint8Array(zip.bytes));
    const json = JSON.parse(strFromU8(files['model.json']));
    json.userDefinedMetadata.longTailPlayground.info.epoch = -3;
    const bad = zipSync({ 'model.json': strToU8(JSON.stringify(json)), 'weights.bin': files['weights.bin'] });
    await expect(engine.handle(req('loadTfjs', { bytes: bad.slice().buffer, fileName: 'mine.tfjs.zip' }))).rejects.toThrow(
      "mine.tfjs.zip: model.json: info.epoch is -3, expected an integer in [0, 3] (the run's epochs)",
    );
    await expect(engine.handle(req('loadTfjs', { bytes: new Uint8Array(10).buffer }))).rejects.toThrow(
      /^the model zip: not a readable zip/,
    );
    json.userDefinedMetadata.longTailPlayground.info.epoch = 1;
    // a zip of the earlier format kept the head-class cap in runSpec.data.nMax: still checked
    json.userDefinedMetadata.longTailPlayground.info.runSpec.data = { nMax: -1 };
    const badSpec = zipSync({ 'model.json': strToU8(JSON.stringify(json)), 'weights.bin': files['weights.bin'] });
    await expect(engine.handle(req('loadTfjs', { bytes: badSpec.slice().buffer, fileName: 'mine.tfjs.zip' }))).rejects.toThrow(
      'mine.tfjs.zip: model.json: info.runSpec.data.nMax is -1, expected null or a positive integer',
    );
    // the run that was there is untouched: it still steps
    const r = (await engine.handle(req('step'))) as { batch?: { loss: number } };
    expect(Number.isFinite(r.batch?.loss)).toBe(true);
    await engine.handle(req('dispose'));
  }, 60_000);

  it('exports need a configured run', async () => {
    const { engine } = makeEngine();
    await engine.handle(req('init', { order: ['cpu'] }));
    await expect(engine.handle(req('exportTfjs'))).rejects.toThrow(/no run is configured/);
    await expect(engine.handle(req('exportSafetensors'))).rejects.toThrow(/no run is configured/);
  });
});
