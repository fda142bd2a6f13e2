/** A well-formed saved-run snapshot without training: the tiny settings' model with its real tensor shapes. */
import { buildSpec } from '../../src/core/models/spec';
import type { TrainConfig } from '../../src/core/train/config';
import type { RunSnapshot } from '../../src/state/persistence/snapshots';
import { tinySettings as baseSettings } from './in-process-worker';

/** Stage 1 of 3 epochs. */
export const tinySettings = (over: Partial<TrainConfig> = {}) => baseSettings({ epochs: 3, ...over });

/** Every tensor of the tiny settings' model (fmnist-lt: 1 channel, 10 classes), filled with `fill`. */
export function modelWeights(config: TrainConfig = tinySettings().config, fill = 0.01): Record<string, Float32Array> {
  const spec = buildSpec({ kind: config.model, head: config.head, inputShape: [28, 28, 1], numClasses: 10 });
  return Object.fromEntries(spec.params.map((p) => [p.name, new Float32Array(p.shape.reduce((a, d) => a * d, 1)).fill(fill)]));
}

export function fakeSnapshot(epoch: number, runId?: string): RunSnapshot {
  const config = tinySettings().config;
  return {
    ...(runId ? { runId } : {}),
    checkpoint: {
      spec: { config: structuredClone(config) as TrainConfig },
      trainer: {
        version: 1,
        config,
        stage: 1,
        epoch,
        globalStep: epoch * 5,
        lossParams: {},
        stage2: structuredClone(config.stage2),
        weights: modelWeights(config),
        bnBatchesTracked: {},
        momentum: { 'conv1.weight': new Float32Array(9 * 16) },
        rng: {
          sampler: { s: [1, 2, 3, 4], spare: null },
          augment: { s: [5, 6, 7, 8], spare: null },
          noise: { s: [9, 1, 2, 3], spare: 0.5 },
        },
      },
    },
    settings: tinySettings(),
    label: 'GCL · ConvNet',
    dataKey: 'k',
    batches: [],
    epochs: [],
    stage1Done: false,
  };
}
