/**
 * The trainer on tfjs' WebGPU backend in Node (Dawn + SwiftShader): a few real steps, compared with the cpu
 * backend on the same seed. Must run under CI=true; elsewhere skips loudly only when Dawn can't start.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initNodeWebGPU } from '../../../src/core/backend';
import { registerFastKernels } from '../../../src/core/tfjs-kernels/index';
import { Trainer } from '../../../src/core/train/trainer';
import { DEFAULT_CONFIG, type TrainConfig } from '../../../src/core/train/config';
import { tinyDataset } from '../../helpers/tiny-dataset';

const CI = process.env.CI === 'true';
const dawn = await initNodeWebGPU();
let ok = dawn.ok;
let why = dawn.reason;
if (ok) {
  try {
    await import('@tensorflow/tfjs-backend-webgpu');
    ok = await tf.setBackend('webgpu');
    if (!ok) why = "tf.setBackend('webgpu') returned false";
  } catch (e) {
    ok = false;
    why = String(e);
  }
}
if (!ok && !CI) console.warn(`[trainer-webgpu.test] SKIPPED: WebGPU (Dawn) could not start: ${why}`);

const data = tinyDataset({ classes: 4, poolPerClass: 24, testPerClass: 4 });
const cfg: TrainConfig = {
  ...structuredClone(DEFAULT_CONFIG),
  dataset: 'tiny',
  imbalance: 4,
  model: 'convnet',
  head: 'cosine',
  loss: 'gcl',
  batchSize: 8,
  epochs: 1,
  schedule: 'constant',
  warmup: false,
  augment: false,
  logEvery: 1,
};

async function threeLosses(backend: 'cpu' | 'webgpu', engine: 'auto' | 'tfjs' = 'auto'): Promise<number[]> {
  await tf.setBackend(backend);
  await tf.ready();
  expect(tf.getBackend()).toBe(backend);
  registerFastKernels();
  const t = new Trainer(data, { ...cfg, engine });
  const out: number[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await t.step();
    expect(r.halt).toBeUndefined();
    out.push(r.batch.loss);
  }
  // auto on webgpu = the fused engine on tfjs' own device; the tfjs engine otherwise
  expect(t.engineKind).toBe(backend === 'webgpu' && engine === 'auto' ? 'fused' : 'tfjs');
  t.dispose();
  return out;
}

describe.skipIf(!ok && !CI)('Trainer on WebGPU (Dawn + SwiftShader)', () => {
  it("trains with the tfjs engine and the fused engine (sharing tfjs' device) and both match the cpu backend step by step", async () => {
    if (!ok) throw new Error(`WebGPU must start under CI but did not: ${why}`);
    const gpu = await threeLosses('webgpu', 'tfjs');
    const fused = await threeLosses('webgpu');
    const cpu = await threeLosses('cpu');
    for (let i = 0; i < 3; i++) {
      expect(Math.abs(gpu[i] - cpu[i])).toBeLessThan(1e-3 * Math.max(1, Math.abs(cpu[i])));
      expect(Math.abs(fused[i] - cpu[i])).toBeLessThan(1e-3 * Math.max(1, Math.abs(cpu[i])));
    }
  });
});
