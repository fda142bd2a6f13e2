/** A tiny training config (ConvNet, linear head, CE on `tinyDataset()`) and a loop that collects finished epochs. */
import { DEFAULT_CONFIG, type TrainConfig } from '../../src/core/train/config';
import type { EpochMetrics, Trainer } from '../../src/core/train/trainer';

export function tinyTrainConfig(over: Partial<TrainConfig> = {}): TrainConfig {
  return {
    ...structuredClone(DEFAULT_CONFIG),
    dataset: 'tiny',
    imbalance: 10,
    model: 'convnet',
    head: 'linear',
    loss: 'ce',
    batchSize: 16,
    epochs: 4,
    lr: 0.05,
    schedule: 'constant',
    warmup: false,
    augment: true,
    logEvery: 1,
    ...over,
  };
}

/** Steps `t` until `n` epochs have finished; a halt throws. */
export async function runEpochs(t: Trainer, n: number): Promise<EpochMetrics[]> {
  const out: EpochMetrics[] = [];
  while (out.length < n) {
    const r = await t.step();
    if (r.halt) throw new Error(r.halt.message);
    if (r.epoch) out.push(r.epoch);
  }
  return out;
}
