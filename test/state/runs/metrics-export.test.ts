import { describe, expect, it } from 'vitest';
import {
  csvField,
  epochsCsv,
  fixed,
  sig,
  metricsJson,
  metricsStem,
  perClassCsv,
  type MetricsInput,
} from '../../../src/state/runs/metrics-export';
import { defaultSettings } from '../../../src/state/settings/settings';
import type { EpochMetrics } from '../../../src/worker/protocol';

function epoch(e: number): EpochMetrics {
  return {
    stage: 1,
    epoch: e,
    epochsInStage: 2,
    step: 5 * (e + 1),
    lr: 0.1,
    alpha: 0.5,
    gaActive: false,
    drwActive: false,
    trainLoss: 1.5 - e,
    trainAccuracy: 0.4,
    testLoss: 1.2,
    testAccuracy: 0.5 + e / 10,
    perClassAccuracy: [0.9, 0.5, 0.1],
    groupAccuracy: { many: 0.9, medium: 0.5, few: 0.1 },
    confusion: [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ],
    featureNormTrain: [3, 2, 1],
    featureNormTest: [3.5, 2.5, NaN],
    lossPerClass: { cloud: [0.1, 0.2, 0.3] },
    seconds: 1,
    imagesPerSecond: 100,
  };
}

const input: MetricsInput = {
  label: 'GCL · ConvNet',
  settings: defaultSettings(),
  classNames: ['T-shirt/top', 'Trouser', 'say "hi", =1'],
  counts: [100, 30, 10],
  groups: ['many', 'medium', 'few'],
  epochs: [epoch(0), epoch(1)],
  batches: [{ stage: 1, epoch: 0, batch: 0, batchesPerEpoch: 5, step: 1, loss: 2, lr: 0.1 }],
};

describe('metrics export', () => {
  it('per-epoch CSV: a header and one row per epoch', () => {
    const lines = epochsCsv(input).trimEnd().split('\r\n');
    expect(lines.length).toBe(3);
    expect(lines[0]).toMatch(/^stage,epoch,epochs_in_stage,step,lr,alpha,train_loss,train_accuracy,test_loss,test_accuracy,many_accuracy/);
    expect(lines[2].split(',').slice(0, 2)).toEqual(['1', '2']);
    expect(lines[2].split(',')[9]).toBe('0.6');
  });

  it('numbers rounded to what the data holds: no float noise in the CSVs', () => {
    const noisy: MetricsInput = {
      ...input,
      epochs: [
        {
          ...epoch(0),
          lr: 0.1 * 0.5000000000000001, // 0.05000000000000001
          trainAccuracy: 1 / 3,
          testAccuracy: 0.7000000000000001,
          perClassAccuracy: [2 / 3, 0.1 + 0.2, 0],
          featureNormTrain: [3.1234567891, 2, 1],
          seconds: 1.23456789,
        },
      ],
    };
    const row = epochsCsv(noisy).trimEnd().split('\r\n')[1].split(',');
    expect(row[4]).toBe('0.05');
    expect(row[7]).toBe('0.3333');
    expect(row[9]).toBe('0.7');
    expect(row[13]).toBe('1.235');
    const pc = perClassCsv(noisy).trimEnd().split('\r\n');
    expect(pc[1]).toContain(',0.6667,1,1,1,3.12346,'); // accuracy, then precision, recall, F1 (identity confusion)
    expect(pc[2]).toContain(',0.3,1,1,1,2,');
    expect(perClassCsv(noisy)).not.toMatch(/\d{8}/);
    expect(sig(0)).toBe(0);
    expect(sig('x')).toBe('x');
    expect(fixed(-0.00001, 4)).toBe(0);
    expect(Object.is(fixed(-0.00001, 4), -0)).toBe(false);
  });

  it('per-class CSV: one row per epoch and class, names quoted, formulas defused', () => {
    const lines = perClassCsv(input).trimEnd().split('\r\n');
    expect(lines.length).toBe(1 + 2 * 3);
    expect(lines[0]).toBe(
      'stage,epoch,class,class_name,train_count,group,test_accuracy,test_precision,test_recall,test_f1,feature_norm_train,feature_norm_test,cloud',
    );
    expect(lines[1]).toBe('1,1,0,T-shirt/top,100,many,0.9,1,1,1,3,3.5,0.1');
    expect(lines[3]).toBe(`1,1,2,"say ""hi"", =1",10,few,0.1,1,1,1,1,,0.3`);
    expect(csvField('=cmd()')).toBe(`'=cmd()`);
  });

  it('per-class CSV: precision, recall and F1 from the confusion matrix (empty where undefined)', () => {
    const e = {
      ...input.epochs[0],
      confusion: [
        [3, 1, 0],
        [2, 2, 0],
        [0, 0, 0],
      ],
    };
    const lines = perClassCsv({ ...input, epochs: [e] })
      .trimEnd()
      .split('\r\n');
    const cols = (i: number) => lines[i].split(',').slice(7, 10);
    expect(cols(1)).toEqual(['0.6', '0.75', '0.6667']); // class 0: precision 3/5, recall 3/4
    expect(cols(2)).toEqual(['0.6667', '0.5', '0.5714']); // class 1: precision 2/3, recall 2/4
    expect(lines[3].split(',').slice(8, 11)).toEqual(['', '', '']); // class 2: never predicted, no test images
  });

  it('JSON: settings, classes, epochs (1-based) and batches; non-finite numbers become null', () => {
    const j = JSON.parse(metricsJson(input));
    expect(j.format).toBe('long-tail-playground/metrics');
    expect(j.classes[2]).toEqual({ index: 2, name: 'say "hi", =1', trainCount: 10, group: 'few' });
    expect(j.epochs.map((e: { epoch: number }) => e.epoch)).toEqual([1, 2]);
    expect(j.epochs[0].featureNormTest[2]).toBeNull();
    expect(j.batches.length).toBe(1);
    expect(j.settings.config.loss).toBe('gcl');
    expect(metricsStem(input.settings, input.epochs)).toBe('ltpg-gcl-convnet-s1-e2');
  });
});
