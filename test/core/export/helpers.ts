/** Shared by the export tests: a tiny model trained for a few steps, and the PyTorch probe. */
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { Trainer } from '../../../src/core/train/trainer';
import { DEFAULT_CONFIG, type TrainConfig } from '../../../src/core/train/config';
import { registerFastKernels } from '../../../src/core/tfjs-kernels';
import { tinyDataset } from '../../helpers/tiny-dataset';
import type { Dataset } from '../../../src/core/data/types';

export async function useCpu(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
  registerFastKernels();
}

export function tinyConfig(over: Partial<TrainConfig> = {}): TrainConfig {
  return {
    ...structuredClone(DEFAULT_CONFIG),
    dataset: 'tiny',
    imbalance: 10,
    model: 'resnet8',
    head: 'linear',
    loss: 'ce',
    batchSize: 16,
    epochs: 2,
    lr: 0.05,
    schedule: 'constant',
    warmup: false,
    augment: true,
    logEvery: 1,
    seed: 5,
    ...over,
  };
}

/** 8×8 RGB (or grey) tiny data with distinct per-channel mean/std, so preprocessing mistakes show. */
export function tinyData(channels = 3, testPerClass = 20): Dataset {
  const d = tinyDataset({ classes: 4, poolPerClass: 40, testPerClass, channels, seed: 11 });
  d.meta.mean = channels === 3 ? [0.45, 0.5, 0.55] : [0.4];
  d.meta.std = channels === 3 ? [0.2, 0.25, 0.3] : [0.3];
  return d;
}

/** A trainer after `epochs` epochs (running statistics and num_batches_tracked non-trivial). */
export async function trainTiny(data: Dataset, over: Partial<TrainConfig> = {}): Promise<Trainer> {
  const t = new Trainer(data, tinyConfig(over));
  let done = 0;
  while (done < t.config.epochs) {
    const r = await t.step();
    if (r.halt) throw new Error(r.halt.message);
    if (r.epoch) done++;
  }
  return t;
}

export const PY = process.env.PYTHON ?? '/usr/bin/python3';

/** Whether python3 with torch + numpy is there; throws under CI=true when not, else warns once. */
export function probeTorch(what: string): boolean {
  const probe = spawnSync(PY, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
  if (probe.status === 0) return true;
  const msg = `${what}: '${PY} -c "import torch, numpy"' failed (${(probe.stderr || String(probe.error)).trim().split('\n').pop()})`;
  if (process.env.CI === 'true') throw new Error(`${msg}; torch is required under CI=true`);
  console.warn(`${msg} — skipping the PyTorch checks.`);
  return false;
}

export function maxAbsDiff(a: number[][], b: number[][]): number {
  if (a.length !== b.length) throw new Error(`row count ${a.length} vs ${b.length}`);
  let d = 0;
  a.forEach((row, i) => {
    if (row.length !== b[i].length) throw new Error(`row ${i}: ${row.length} vs ${b[i].length} columns`);
    row.forEach((v, j) => {
      d = Math.max(d, Math.abs(v - b[i][j]));
    });
  });
  return d;
}
