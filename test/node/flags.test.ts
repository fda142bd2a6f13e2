/**
 * The CLI's flag reading: a repeated flag is an error naming it, numbers are decimal only, a negative number is a
 * value (`--seed -1` gets the range message, not node's "argument is ambiguous"). The parser functions, then the
 * real CLI spawned through tsx (each refusal exits 2 before any backend starts).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { DEFAULT_CONFIG, type TrainConfig } from '../../src/core/train/config';
import { CONFIG_OPTIONS, FlagError, applyConfigFlags, configToFlags, lossParamFlag, readFlags } from '../../src/node/flags';
import { LOSSES } from '../../src/core/losses/registry';

const OPTIONS = {
  ...CONFIG_OPTIONS,
  out: { type: 'string' },
  quiet: { type: 'boolean' },
  param: { type: 'string', multiple: true },
} as const;

function parse(args: string[]): TrainConfig {
  const c = structuredClone(DEFAULT_CONFIG);
  applyConfigFlags(c, readFlags(args, OPTIONS));
  return c;
}
const refusal = (args: string[]): string => {
  try {
    parse(args);
  } catch (e) {
    expect(e).toBeInstanceOf(FlagError);
    return (e as Error).message;
  }
  throw new Error(`accepted: ${args.join(' ')}`);
};

const SEED_RANGE = 'seed (seed) is -1, expected an integer in [0, 4294967295]';

describe('CLI flags (parser)', () => {
  it('a flag given twice is an error naming it, whatever the spelling; --param once per key', () => {
    expect(refusal(['--seed', '1', '--seed', '2'])).toBe('--seed is given more than once; give it once');
    expect(refusal(['--lr=0.1', '--lr', '0.1'])).toBe('--lr is given more than once; give it once');
    expect(refusal(['--no-augment', '--no-augment'])).toBe('--no-augment is given more than once; give it once');
    expect(refusal(['--quiet', '--epochs', '2', '--quiet'])).toBe('--quiet is given more than once; give it once');
    // --param is repeatable (one key each)
    expect(readFlags(['--param', 's=30', '--param', 'm=0.1'], OPTIONS).param).toEqual(['s=30', 'm=0.1']);
  });

  it('numbers are decimal: no hex, binary, bare exponent, empty value, Infinity or units; 1e-3 is decimal', () => {
    expect(refusal(['--epochs', '0x10'])).toBe('--epochs needs an integer, got "0x10"');
    expect(refusal(['--seed', '0b11'])).toBe('--seed needs an integer, got "0b11"');
    expect(refusal(['--lr', '1e'])).toBe('--lr needs a decimal number, got "1e"');
    expect(refusal(['--lr='])).toBe('--lr needs a decimal number, got ""');
    expect(refusal(['--lr', ' '])).toBe('--lr needs a decimal number, got " "');
    expect(refusal(['--wd', 'Infinity'])).toBe('--wd needs a decimal number, got "Infinity"');
    expect(refusal(['--batch', '64px'])).toBe('--batch needs an integer, got "64px"');
    expect(parse(['--lr', '1e-3']).lr).toBe(0.001);
    expect(parse(['--epochs', '1e2']).epochs).toBe(100);
    expect(parse(['--stage2-lr', '.05']).stage2.lrMax).toBe(0.05);
  });

  it('a negative value, after a space or an "=", gets the range message of the limits table', () => {
    expect(refusal(['--seed', '-1'])).toBe(`--seed: ${SEED_RANGE}`);
    expect(refusal(['--seed=-1'])).toBe(`--seed: ${SEED_RANGE}`);
    expect(refusal(['--stage2-m', '-0.5'])).toBe('--stage2-m: stage-2 margin m (stage2.m) is -0.5, expected a number in [0, 0.5]');
    expect(refusal(['--lr', '-.1'])).toBe('--lr: learning rate (lr) is -0.1, expected a number in [0.00001, 10]');
    expect(refusal(['--wd', '-1e-3'])).toBe('--wd: weight decay (weightDecay) is -0.001, expected a number in [0, 1]');
    // a hex negative is still not decimal
    expect(refusal(['--epochs', '-0x10'])).toBe('--epochs needs an integer, got "-0x10"');
    // a flag after a flag is not taken as its value
    expect(refusal(['--seed', '--quiet'])).toMatch(/--seed/);
  });

  it('--param: decimal values within the loss schema, negative ones included', () => {
    const schema = LOSSES.gcl.schema;
    expect(lossParamFlag('noiseMul=0.4', 'gcl', schema)).toEqual(['noiseMul', 0.4]);
    expect(() => lossParamFlag('noiseMul=0x1', 'gcl', schema)).toThrow('--param noiseMul needs a decimal number, got "0x1"');
    expect(() => lossParamFlag('m=-1', 'gcl', schema)).toThrow('--param m=-1 is outside [0, 0.5]');
    expect(() => lossParamFlag('zzz=1', 'gcl', schema)).toThrow(/has no hyperparameter "zzz"/);
  });
});

function cli(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/train.ts', ...args], { encoding: 'utf8', timeout: 180_000 });
}

describe('CLI flags (the real CLI)', () => {
  it('--seed -1, a repeated flag, a hex number, a repeated --param: exit 2 with the message and the usage', () => {
    const cases: [string[], string][] = [
      [['--seed', '-1'], `error: --seed: ${SEED_RANGE}`],
      [['--epochs', '2', '--epochs', '3'], 'error: --epochs is given more than once; give it once'],
      [['--epochs', '0x10'], 'error: --epochs needs an integer, got "0x10"'],
      [['--loss', 'gcl', '--param', 's=30', '--param', 's=31'], 'error: --param s is given more than once; give it once'],
    ];
    for (const [args, want] of cases) {
      const r = cli([...args, '--backend', 'cpu']);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(want);
      expect(r.stderr).not.toMatch(/ambiguous|backend:/);
      expect(r.stderr).toMatch(/Usage: npm run train/);
    }
  }, 400_000);

  it('--help lists every config flag with its range from the table', () => {
    const r = cli(['--help']);
    expect(r.status).toBe(0);
    const text = r.stderr.replace(/\s+/g, ' '); // one line per flag, wrapped
    for (const line of [
      '--seed N Seeds the subset, the initial weights, the sampler, the augmentation and the GCL noise (an integer in [0, 4294967295]; default 1).',
      '--lr LR Base SGD learning rate (changes apply at the next step, without a reset) (a number in [0.00001, 10]; default 0.1).',
      '--stage2-gamma G Focal exponent in stage 2 (authors: 1) (a number in [0, 5]; default 1).',
      '--no-augment turn off the augmentation: Random crop with zero padding',
      '--loss L The training loss (ce | ldam | balancedSoftmax',
    ])
      expect(text).toContain(line);
  }, 200_000);
});

describe('configToFlags', () => {
  it('gives flags that parse back to the same config (every flagged field, booleans off, loss hyperparameters)', () => {
    const c: TrainConfig = {
      ...structuredClone(DEFAULT_CONFIG),
      headImages: 300,
      evalPerClass: 5,
      lr: 0.05,
      warmup: false,
      hflip: false,
      loss: 'kps',
      schedule: 'step001',
      engine: 'tfjs',
      mixupAlpha: 0.2,
      stage2: { ...DEFAULT_CONFIG.stage2, epochs: 3, s: 15, from: 'best' },
    };
    const flags = configToFlags(c);
    expect(flags).toContain('--no-warmup');
    expect(flags).not.toContain('--no-augment');
    const back = structuredClone(DEFAULT_CONFIG);
    const v = readFlags(flags, OPTIONS);
    applyConfigFlags(back, v);
    expect(back).toEqual(c);
    const withParams = configToFlags({ ...c, lossParams: { s: 20, tau: 1 } });
    expect(withParams.slice(-4)).toEqual(['--param', 's=20', '--param', 'tau=1']);
  });
});
