import { describe, expect, it } from 'vitest';
import { pytorchHandoff, runConfigJson, numToken, type HandoffRun } from '../../../src/core/export/pytorch-command';
import { DEFAULT_CONFIG, type TrainConfig } from '../../../src/core/train/config';
import { LOSS_IDS, defaultParams } from '../../../src/core/losses/registry';
import type { LossId } from '../../../src/core/losses/types';

/**
 * The flags each script's argparse accepts (long option strings, as read from the repository at the time of
 * writing; flag names and defaults only). A generated flag outside its script's list fails the test.
 */
const ARGPARSE: Record<string, { repo: string; file: string; flags: string[] }> = {
  'Keke921/GCLLoss:cifar_train_backbone.py': {
    repo: 'Keke921/GCLLoss',
    file: 'cifar_train_backbone.py',
    flags: [
      '--dataset',
      '--arch',
      '-a',
      '--loss_type',
      '--imb_type',
      '--imb_factor',
      '--train_rule',
      '--mixup',
      '--rand_number',
      '--exp_str',
      '--workers',
      '-j',
      '--epochs',
      '--start-epoch',
      '--batch-size',
      '-b',
      '--lr',
      '--learning-rate',
      '--momentum',
      '--wd',
      '--weight-decay',
      '--print-freq',
      '-p',
      '--resume',
      '--seed',
      '--gpu',
      '--root_model',
    ],
  },
  'Keke921/GCLLoss:cifar_train_classifier.py': {
    repo: 'Keke921/GCLLoss',
    file: 'cifar_train_classifier.py',
    flags: [
      '--dataset',
      '--arch',
      '-a',
      '--loss_type',
      '--imb_type',
      '--imb_factor',
      '--train_rule',
      '--rand_number',
      '--exp_str',
      '--workers',
      '-j',
      '--epochs',
      '--start-epoch',
      '--mixup',
      '--batch-size',
      '-b',
      '--lr',
      '--learning-rate',
      '--momentum',
      '--wd',
      '--weight-decay',
      '--print-freq',
      '-p',
      '--resume',
      '--evaluate',
      '-e',
      '--seed',
      '--gpu',
      '--root_log',
      '--root_model',
    ],
  },
  'Keke921/KPSLoss:cifar_train.py': {
    repo: 'Keke921/KPSLoss',
    file: 'cifar_train.py',
    flags: [
      '--dataset',
      '--arch',
      '-a',
      '--loss_type',
      '--imb_type',
      '--imb_factor',
      '--train_rule',
      '--mixup',
      '--rand_number',
      '--exp_str',
      '--workers',
      '-j',
      '--epochs',
      '--start-epoch',
      '--batch-size',
      '-b',
      '--lr',
      '--learning-rate',
      '--momentum',
      '--wd',
      '--weight-decay',
      '--print-freq',
      '-p',
      '--resume',
      '--seed',
      '--gpu',
      '--root_model',
    ],
  },
  'juyongjiang/FBL:train.py': {
    repo: 'juyongjiang/FBL',
    file: 'train.py',
    flags: [
      '--dataset',
      '--data_path',
      '--img_path',
      '--imb_type',
      '--train_rule',
      '--mixup',
      '--print_freq',
      '-p',
      '--resume',
      '--pretrained',
      '--seed',
      '--gpu',
      '--root_log',
      '--start_epoch',
      '--momentum',
      '--arch',
      '-a',
      '--epochs',
      '--workers',
      '-j',
      '--weight_decay',
      '--wd',
      '--rand_number',
      '--exp_str',
      '--loss_type',
      '--imb_factor',
      '--batch_size',
      '-b',
      '--learning_rate',
      '--lr',
      '--lambda_',
    ],
  },
  'kaidic/LDAM-DRW:cifar_train.py': {
    repo: 'kaidic/LDAM-DRW',
    file: 'cifar_train.py',
    flags: [
      '--dataset',
      '--arch',
      '-a',
      '--loss_type',
      '--imb_type',
      '--imb_factor',
      '--train_rule',
      '--rand_number',
      '--exp_str',
      '--workers',
      '-j',
      '--epochs',
      '--start-epoch',
      '--batch-size',
      '-b',
      '--lr',
      '--learning-rate',
      '--momentum',
      '--wd',
      '--weight-decay',
      '--print-freq',
      '-p',
      '--resume',
      '--evaluate',
      '-e',
      '--pretrained',
      '--seed',
      '--gpu',
      '--root_log',
      '--root_model',
    ],
  },
};

/** Values each script's code branches on (loss_type / train_rule strings it compares against). */
const CHOICES: Record<string, { loss_type: string[]; train_rule: string[] }> = {
  'Keke921/GCLLoss:cifar_train_backbone.py': {
    loss_type: ['CE', 'Focal', 'GCL', 'LDAM'],
    train_rule: ['None', 'BalancedRS', 'EffectNumRS', 'CBENRS', 'ClassAware', 'EffectNumRW', 'BalancedRW'],
  },
  'Keke921/GCLLoss:cifar_train_classifier.py': {
    loss_type: ['CE', 'Focal', 'LDAM', 'GCL'],
    train_rule: ['None', 'BalancedRS', 'EffectNumRS', 'CBENRS', 'ClassAware', 'EffectNumRW', 'BalancedRW'],
  },
  'Keke921/KPSLoss:cifar_train.py': {
    loss_type: ['CE', 'Focal', 'LDAM', 'KPS'],
    train_rule: ['None', 'BalancedRS', 'EffectNumRS', 'CBENRS', 'ClassAware', 'EffectNumRW', 'BalancedRW', 'DRW', 'GA'],
  },
  'juyongjiang/FBL:train.py': { loss_type: ['LDAM', 'CE', 'FeaBal'], train_rule: ['None'] },
  'kaidic/LDAM-DRW:cifar_train.py': { loss_type: ['CE', 'LDAM', 'Focal'], train_rule: ['None', 'Resample', 'Reweight', 'DRW'] },
};

function run(loss: LossId, over: Partial<TrainConfig> = {}, extra: Partial<HandoffRun> = {}): HandoffRun {
  return {
    config: { ...structuredClone(DEFAULT_CONFIG), loss, lossParams: defaultParams(loss), ...over },
    datasetTitle: 'Fashion-MNIST-LT',
    numClasses: 10,
    counts: [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50],
    ...extra,
  };
}

const flagsOf = (argv: string[]) => argv.slice(1).filter((_, i) => i % 2 === 0);
const valueOf = (argv: string[], flag: string) => argv[argv.indexOf(flag) + 1];

describe('pytorchHandoff', () => {
  it('every generated flag is one the script’s argparse accepts, with values its code knows', () => {
    for (const id of LOSS_IDS) {
      const h = pytorchHandoff(run(id));
      for (const c of h.commands) {
        const key = `${h.repo!.repo}:${c.script}`;
        const spec = ARGPARSE[key];
        expect(spec, key).toBeDefined();
        for (const f of flagsOf(c.argv)) expect(spec.flags, `${id}: ${f} in ${key}`).toContain(f);
        expect(new Set(flagsOf(c.argv)).size).toBe(flagsOf(c.argv).length); // no flag twice
        expect(CHOICES[key].loss_type).toContain(valueOf(c.argv, '--loss_type'));
        expect(CHOICES[key].train_rule).toContain(valueOf(c.argv, '--train_rule'));
        expect(c.line).toBe(['python', ...c.argv].join(' '));
      }
    }
  });

  it('maps each loss to its authors’ repository and script', () => {
    const where = (id: LossId) => pytorchHandoff(run(id)).commands.map((c) => `${pytorchHandoff(run(id)).repo?.repo}:${c.script}`);
    expect(where('gcl')).toEqual(['Keke921/GCLLoss:cifar_train_backbone.py', 'Keke921/GCLLoss:cifar_train_classifier.py']);
    expect(where('kps')).toEqual(['Keke921/KPSLoss:cifar_train.py']);
    expect(where('fbl')).toEqual(['juyongjiang/FBL:train.py']);
    for (const id of ['ldam', 'ce', 'cbce'] as const) expect(where(id)).toEqual(['kaidic/LDAM-DRW:cifar_train.py']);
    for (const id of ['balancedSoftmax', 'logitAdjust'] as const) {
      const h = pytorchHandoff(run(id));
      expect(h.repo).toBeNull();
      expect(h.commands).toEqual([]);
      expect(h.reason).toMatch(/safetensors/);
    }
  });

  it('carries the imbalance factor, batch, lr, momentum, weight decay, seed and loss settings over', () => {
    const fbl = pytorchHandoff(
      run('fbl', { imbalance: 50, batchSize: 32, lr: 0.05, momentum: 0.8, weightDecay: 5e-4, seed: 9, lossParams: { A: 40 } }),
    );
    const a = fbl.commands[0].argv;
    expect(valueOf(a, '--imb_factor')).toBe('0.02');
    expect(valueOf(a, '--batch_size')).toBe('32');
    expect(valueOf(a, '--learning_rate')).toBe('0.05');
    expect(valueOf(a, '--momentum')).toBe('0.8');
    expect(valueOf(a, '--weight_decay')).toBe('0.0005');
    expect(valueOf(a, '--seed')).toBe('9');
    expect(valueOf(a, '--lambda_')).toBe('40');
    expect(valueOf(a, '--loss_type')).toBe('FeaBal');
    expect(valueOf(a, '--epochs')).toBe('200');
    expect(valueOf(pytorchHandoff(run('fbl', { epochs: 12 })).commands[0].argv, '--epochs')).toBe('200');
    expect(valueOf(pytorchHandoff(run('fbl', { epochs: 12 }, { runEpochs: true })).commands[0].argv, '--epochs')).toBe('12');

    expect(valueOf(pytorchHandoff(run('ldam')).commands[0].argv, '--train_rule')).toBe('DRW');
    expect(valueOf(pytorchHandoff(run('cbce')).commands[0].argv, '--train_rule')).toBe('Reweight');
    expect(valueOf(pytorchHandoff(run('kps')).commands[0].argv, '--train_rule')).toBe('GA');
    expect(valueOf(pytorchHandoff(run('kps', { lossParams: { maxM: 0.2, s: 15, ga: 0 } })).commands[0].argv, '--train_rule')).toBe('None');
    const gcl = pytorchHandoff(run('gcl', { stage2: { ...DEFAULT_CONFIG.stage2, sampler: 'classBalanced' } }));
    expect(valueOf(gcl.commands[1].argv, '--train_rule')).toBe('BalancedRS');
    expect(valueOf(pytorchHandoff(run('gcl')).commands[1].argv, '--train_rule')).toBe('CBENRS');
    expect(valueOf(gcl.commands[1].argv, '--epochs')).toBe('30');
    expect(valueOf(pytorchHandoff(run('ce', {}, { numClasses: 100 })).commands[0].argv, '--dataset')).toBe('cifar100');
  });

  it('lists what does not carry over, including hyperparameters the script hard-codes', () => {
    const h = pytorchHandoff(run('gcl', { model: 'convnet', lossParams: { s: 16, m: 0, noiseMul: 0.5, focalGamma: 0 } }));
    const text = h.notCarried.join('\n');
    expect(text).toMatch(/Fashion-MNIST-LT/);
    expect(text).toMatch(/convnet/);
    expect(text).toMatch(/s = 16 has no flag \(the script hard-codes s = 30\)/);
    expect(text).toMatch(/Mixup/);
    expect(pytorchHandoff(run('ldam')).notCarried.join('\n')).not.toMatch(/has no flag/); // defaults = the script's
    const asis = pytorchHandoff(run('ce', { profile: 'asis' }, { counts: [400, 40] }));
    expect(valueOf(asis.commands[0].argv, '--imb_factor')).toBe('0.1');
    expect(asis.notCarried.join('\n')).toMatch(/as is/);
  });

  it('writes the run config as JSON and number tokens without exponents', () => {
    const j = JSON.parse(runConfigJson({ ...run('kps'), classNames: ['a', 'b'] }));
    expect(j.config.loss).toBe('kps');
    expect(j.dataset.counts).toHaveLength(10);
    expect(numToken(2e-4)).toBe('0.0002');
    expect(numToken(1 / 3)).toBe('0.333333');
    expect(() => numToken(NaN)).toThrow(/finite/);
  });
});
