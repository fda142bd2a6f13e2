/**
 * The worker's engine with the fused WebGPU engine (Dawn + SwiftShader device; tfjs on cpu): a device lost in the
 * middle of a run ends in the same 'fatal' event a lost tfjs WebGPU backend gives, and the last epoch's checkpoint
 * continues in a fresh worker on the next backend (what the page's recovery does); the page is told the fused
 * engine's convolution kernels once. Must run under CI=true.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/core/backend';
import { DEFAULT_CONFIG } from '../../src/core/train/config';
import { TrainEngine } from '../../src/worker/engine';
import type { Request, RunCheckpoint, RunSummary, StepResult, WorkerEvent } from '../../src/worker/protocol';
import { tinyDataset } from '../helpers/tiny-dataset';
import { initCpuBackend, until } from '../helpers/in-process-worker';
import { CI, dawnDevice } from '../core/gpu/helpers';

const { device, why } = await dawnDevice();
if (!device && !CI) console.warn(`[engine-fused.test] SKIPPED: WebGPU (Dawn) could not start: ${why}`);

const data = tinyDataset({ classes: 4, poolPerClass: 24, testPerClass: 4 });
let nextId = 1;
const req = (type: Request['type'], params: Record<string, unknown> = {}) =>
  ({ kind: 'request', id: nextId++, type, ...params }) as Request;

function makeEngine(gpu: GPUDevice | null) {
  const events: WorkerEvent[] = [];
  const engine = new TrainEngine({
    emit: (e) => events.push(e),
    initBackend: initCpuBackend,
    loadDataset: async () => data,
    gpuDevice: () => gpu,
  });
  return { engine, events };
}

beforeAll(async () => {
  await initBackend({ order: ['cpu'] });
});

describe.skipIf(!device && !CI)('TrainEngine on the fused engine (Dawn + SwiftShader)', () => {
  it('a device lost mid-run gives one fatal event; the last checkpoint continues on the next backend', async () => {
    if (!device) throw new Error(`WebGPU must start under CI but did not: ${why}`);
    const own = await (await navigator.gpu.requestAdapter())!.requestDevice();
    const config = {
      ...structuredClone(DEFAULT_CONFIG),
      dataset: 'tiny',
      imbalance: 4,
      model: 'convnet' as const,
      head: 'cosine' as const,
      loss: 'gcl' as const,
      batchSize: 8,
      epochs: 50,
      lr: 0.02,
      schedule: 'constant' as const,
      warmup: false,
      augment: false,
      logEvery: 1,
    };
    const a = makeEngine(own);
    await a.engine.handle(req('init', { order: ['webgpu', 'cpu'] }));
    const sum = (await a.engine.handle(req('configure', { spec: { config } }))) as RunSummary;
    expect(sum.engine).toBe('fused');
    await a.engine.handle(req('run'));
    await until(() => a.events.some((e) => e.type === 'checkpoint'), 120_000);
    const epoch = a.events.find((e) => e.type === 'epoch') as Extract<WorkerEvent, { type: 'epoch' }>;
    expect(epoch.metrics.engine).toBe('fused');
    // the convolution kernels, sent once at the first fused step (the configured run had none yet)
    expect(sum.convKernels).toBeNull();
    const conv = a.events.filter((e) => e.type === 'convKernels');
    expect(conv).toHaveLength(1);
    expect(conv[0]).toMatchObject({ info: { asked: 'auto', software: true, tiledLayers: 0 } });
    own.destroy();
    await until(() => a.events.some((e) => e.type === 'fatal'), 60_000);
    const fatal = a.events.filter((e) => e.type === 'fatal');
    expect(fatal).toHaveLength(1);
    expect((fatal[0] as { message: string }).message).toMatch(/GPU device lost/);
    await expect(a.engine.handle(req('step'))).rejects.toThrow(/GPU device lost/);

    const ck = (a.events.filter((e) => e.type === 'checkpoint').at(-1) as { checkpoint: RunCheckpoint }).checkpoint;
    const b = makeEngine(null);
    await b.engine.handle(req('init', { order: ['cpu'] }));
    const restored = (await b.engine.handle(req('restore', { checkpoint: structuredClone(ck) }))) as RunSummary;
    expect(restored.engine).toBe('tfjs');
    expect(restored.convKernels).toBeNull();
    expect(restored.step).toBe(ck.trainer.globalStep);
    const r = (await b.engine.handle(req('step'))) as StepResult;
    expect(r.batch?.step).toBe(ck.trainer.globalStep + 1);
    expect(Number.isFinite(r.batch?.loss)).toBe(true);
    await a.engine.handle(req('dispose'));
    await b.engine.handle(req('dispose'));
  });
});
