/** The one table of config limits: every field range-checked with upper bounds, errors naming the field. */
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CONFIG, validateConfig, type TrainConfig } from '../../../src/core/train/config';
import { CONFIG_LIMITS, STAGE2_LIMITS, firstLimitProblem, numberOk, ruleOf, type NumberRule } from '../../../src/core/train/config-limits';
import { urlRange } from '../../../src/state/settings/url-schema';
import { ALL_FIELDS, type NumberPath } from '../../../src/core/train/config-fields';
import { PLAYGROUND_DEFAULTS } from '../../../src/state/settings/settings';

function refusal(edit: (c: TrainConfig) => void): ConfigError {
  const c = structuredClone(DEFAULT_CONFIG);
  edit(c);
  try {
    validateConfig(c);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('accepted');
}

describe('config limits', () => {
  it('the defaults (CLI and playground) are within the limits', () => {
    expect(firstLimitProblem(DEFAULT_CONFIG)).toBeNull();
    expect(firstLimitProblem(PLAYGROUND_DEFAULTS.config)).toBeNull();
  });

  it('upper bounds: epochs, lr, weight decay, batch, seed, stage-2 parameters — the error names the field', () => {
    const cases: [(c: TrainConfig) => void, string, string][] = [
      [(c) => (c.epochs = 1e9), 'epochs', 'epochs (epochs) is 1000000000, expected an integer in [1, 1000]'],
      [(c) => (c.lr = 1e300), 'lr', 'learning rate (lr) is 1e+300, expected a number in [0.00001, 10]'],
      [(c) => (c.lr = 0), 'lr', 'learning rate (lr) is 0, expected a number in [0.00001, 10]'],
      [(c) => (c.weightDecay = 1e300), 'weightDecay', 'weight decay (weightDecay) is 1e+300, expected a number in [0, 1]'],
      [(c) => (c.batchSize = 1e6), 'batchSize', 'batch size (batchSize) is 1000000, expected an integer in [2, 1024]'],
      [(c) => (c.seed = 2 ** 32), 'seed', 'seed (seed) is 4294967296, expected an integer in [0, 4294967295]'],
      [(c) => (c.seed = -1), 'seed', 'seed (seed) is -1, expected an integer in [0, 4294967295]'],
      [(c) => (c.seed = 1e300), 'seed', 'seed (seed) is 1e+300, expected an integer in [0, 4294967295]'],
      [(c) => (c.momentum = 1), 'momentum', 'momentum (momentum) is 1, expected a number in [0, 0.99]'],
      [(c) => (c.imbalance = NaN), 'imbalance', 'imbalance factor (imbalance) is NaN, expected a number in [1, 10000]'],
      [(c) => (c.stage2.s = 0), 'stage2.s', 'stage-2 scale s (stage2.s) is 0, expected a number in [1, 64]'],
      [(c) => (c.stage2.m = -5), 'stage2.m', 'stage-2 margin m (stage2.m) is -5, expected a number in [0, 0.5]'],
      [(c) => (c.stage2.noiseMul = -100), 'stage2.noiseMul', 'stage-2 cloud size (stage2.noiseMul) is -100, expected a number in [0, 2]'],
      [(c) => (c.stage2.epochs = 1e9), 'stage2.epochs', 'stage-2 epochs (stage2.epochs) is 1000000000, expected an integer in [1, 1000]'],
      [(c) => (c.stage2.lrMax = 1e300), 'stage2.lrMax', 'stage-2 max lr (stage2.lrMax) is 1e+300, expected a number in [0.00001, 10]'],
      [(c) => (c.lossParams = { s: 1e30 }), 'lossParams.s', 'Scale s (lossParams.s) is 1e+30, expected a number in [1, 64]'],
      [
        (c) => (c.lossParams = { other: Infinity }),
        'lossParams.other',
        'loss hyperparameter (lossParams.other) is Infinity, expected a finite number',
      ],
      [
        (c) => ((c as unknown as Record<string, unknown>).model = 'resnet1000'),
        'model',
        'model (model) is "resnet1000", expected one of convnet, resnet8, resnet20, resnet32',
      ],
      [(c) => ((c as unknown as Record<string, unknown>).warmup = 'yes'), 'warmup', 'warm-up (warmup) is "yes", expected true or false'],
      [(c) => delete (c as Partial<TrainConfig>).stage2, 'stage2', 'stage-2 settings (stage2) is undefined, expected an object'],
    ];
    for (const [edit, field, message] of cases) {
      const e = refusal(edit);
      expect(e.field).toBe(field);
      expect(e.message).toBe(message);
    }
  });

  it('never throws on junk, and finds the first problem', () => {
    for (const v of [null, 1, 'x', [], {}, { ...DEFAULT_CONFIG, stage2: [] }]) expect(firstLimitProblem(v)).not.toBeNull();
  });

  it('the limits are the settings table: every number row has a closed range and a step, the URL a range inside it', () => {
    const numbers = ALL_FIELDS.filter(([, f]) => f.rule.kind === 'number');
    expect(numbers.length).toBeGreaterThan(15);
    for (const [path, f] of numbers) {
      const rule = ruleOf(path) as NumberRule;
      expect(rule).toBe(f.rule);
      expect(rule.min, path).toBeLessThan(rule.max);
      expect(rule.step, path).toBeGreaterThan(0);
      const url = urlRange(path as NumberPath);
      expect(numberOk(rule, url.min), `${path} min`).toBe(true);
      expect(numberOk(rule, url.max), `${path} max`).toBe(true);
    }
    expect(Object.keys(CONFIG_LIMITS).length).toBeGreaterThan(20);
    expect(Object.keys(STAGE2_LIMITS)).toHaveLength(9);
  });
});
