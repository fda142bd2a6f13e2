/**
 * What an export records besides the weights: the model, the loss and its hyperparameters, the data (class
 * counts, names, per-channel mean/std), the run (seed, stage, epoch) and where it ran (backend, tfjs version).
 * Shared by the safetensors and TensorFlow.js exports.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../models/types';
import type { Stage2Config, TrainConfig } from '../train/config';
import type { Trainer } from '../train/trainer';
import type { SettingChange } from '../train/change-log';

export interface ExportInfo {
  /** Loss id (e.g. 'gcl'), or null when unknown. */
  loss: string | null;
  lossParams: Record<string, number>;
  /**
   * The run's full training configuration as it started, when known; `changes` lists every live change since, so
   * configAt(trainConfig, changes) is what trained last (the app continues training with that).
   */
  trainConfig: TrainConfig | null;
  /** Live changes of the run, in order (none in files written before they were recorded). */
  changes: SettingChange[];
  /** GCL stage-2 settings when stage 2 ran (or is running), else null. */
  stage2Config: Stage2Config | null;
  /** 1 or 2 (GCL classifier re-training). */
  stage: number;
  /** Epochs finished in `stage`. */
  epoch: number;
  globalStep: number;
  seed: number | null;
  /** Training images per class of the long-tail subset (null when unknown). */
  classCounts: number[] | null;
  classNames: string[];
  datasetId: string | null;
  datasetTitle: string | null;
  /** Per-channel mean / std applied to pixels scaled to [0, 1]: x = (px/255 − mean_c)/std_c. */
  mean: number[];
  std: number[];
  backend: string;
  tfjsVersion: string;
}

/** Per-channel arrays (a 1-entry mean/std applies to every channel, as in makeBatch). */
export function perChannel(values: number[], channels: number, what: string): number[] {
  if (values.length === channels) return [...values];
  if (values.length === 1) return new Array<number>(channels).fill(values[0]);
  throw new Error(`export: ${what} has ${values.length} entries for ${channels} channels`);
}

/** Everything recorded about a trainer's run at this moment. */
export function exportInfoFromTrainer(trainer: Trainer, backend: string = tf.getBackend()): ExportInfo {
  const meta = trainer.dataset.meta;
  const ch = trainer.spec.config.inputShape[2];
  return {
    loss: trainer.stage === 2 ? 'gcl' : trainer.config.loss,
    lossParams: { ...trainer.lossParams },
    trainConfig: structuredClone(trainer.initialConfig),
    changes: structuredClone([...trainer.changes]),
    stage2Config: trainer.stage === 2 ? { ...trainer.stage2 } : null,
    stage: trainer.stage,
    epoch: trainer.epoch,
    globalStep: trainer.globalStep,
    seed: trainer.config.seed,
    classCounts: [...trainer.counts],
    classNames: [...trainer.dataset.pool.classNames],
    datasetId: meta.id,
    datasetTitle: meta.title,
    mean: perChannel(meta.mean, ch, 'mean'),
    std: perChannel(meta.std, ch, 'std'),
    backend,
    tfjsVersion: tf.version.tfjs,
  };
}

/** BasicBlocks per stage of a ResNet_s kind ([n, n, n]), null for the small ConvNet. */
export function numBlocks(config: ModelConfig): number[] | null {
  switch (config.kind) {
    case 'resnet8':
      return [1, 1, 1];
    case 'resnet20':
      return [3, 3, 3];
    case 'resnet32':
      return [5, 5, 5];
    default:
      return null;
  }
}
