/** The halt message names the setting at fault; the loss watch warns when the loss stays far above its start. */
import { describe, expect, it } from 'vitest';
import { LossWatch, haltMessage, type HaltFacts } from '../../../src/core/train/halt-cause';

const base: HaltFacts = {
  step: 12,
  stage: 1,
  epoch: 1,
  batch: 3,
  loss: NaN,
  gradientSum: 0,
  lr: 0.1,
  weightDecay: 2e-4,
  momentum: 0.9,
  stepsBefore: 11,
};

describe('haltMessage', () => {
  it('a weight decay of 1e300 is blamed, not the learning rate', () => {
    const m = haltMessage({ ...base, weightDecay: 1e300 });
    expect(m).toMatch(
      /^Paused at step 12 \(stage 1, epoch 2, batch 4\): the loss became NaN\. The weight decay \(1\.00e\+300\) is too high/,
    );
    expect(m).not.toMatch(/learning rate/);
  });

  it('a large lr with a normal weight decay is blamed on the lr; both when both are unusual', () => {
    expect(haltMessage({ ...base, lr: 1e30 })).toMatch(/The learning rate \(1\.00e\+30\) is probably too high/);
    expect(haltMessage({ ...base, lr: 10, weightDecay: 1 })).toMatch(
      /weight decay \(1\) and the learning rate \(10\) are too high together/,
    );
    expect(haltMessage({ ...base, loss: 3, gradientSum: Infinity })).toMatch(/the gradient became Infinity\. The learning rate \(0\.1\)/);
  });

  it('a failure on the very first step is not blamed on the learning rate', () => {
    const m = haltMessage({ ...base, step: 1, epoch: 0, batch: 0, stepsBefore: 0 });
    expect(m).toMatch(/first step, before any update, so the learning rate is not the cause: a loss hyperparameter/);
  });
});

describe('LossWatch', () => {
  it('warns once when an epoch mean stays above 10× the first batch loss, and starts over for stage 2', () => {
    const w = new LossWatch();
    w.batch(2.3);
    w.batch(50);
    expect(w.epoch(20, 0, 1)).toBeNull();
    const msg = w.epoch(1.6e9, 1, 1);
    expect(msg).toMatch(/^warning: stage 1 epoch 2: the training loss stayed at 1\.60e\+9, over 10× its first value \(2\.3\)/);
    expect(w.epoch(1.6e9, 2, 1)).toBeNull();
    w.reset();
    w.batch(1);
    expect(w.epoch(11, 0, 2)).toMatch(/stage 2 epoch 1/);
  });
});
