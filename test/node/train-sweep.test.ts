/** `npm run train` with --recipe authors, --val-fraction and --sweep on tiny data (cpu). */
import { describe, expect, it, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeDataset } from '../../src/core/data/pack';
import { tinyDataset } from '../helpers/tiny-dataset';

const dir = mkdtempSync(join(tmpdir(), 'ltp-sweep-'));
const pack = join(dir, 'tiny.ltpg');

function cli(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/train.ts', ...args], {
    encoding: 'utf8',
    timeout: 300_000,
    cwd: process.cwd(),
  });
}

// every flag at most once (a repeated flag is refused): a test that needs more epochs passes its own
const common = (epochs = 1) => [
  '--data',
  pack,
  '--imbalance',
  '10',
  '--model',
  'convnet',
  '--epochs',
  String(epochs),
  '--backend',
  'cpu',
  '--quiet',
];

beforeAll(() => {
  writeFileSync(pack, encodeDataset(tinyDataset({ classes: 4, poolPerClass: 60 })));
});

describe('npm run train: recipe, validation split, sweep', () => {
  it('--recipe authors with overrides, --val-fraction: best epoch chosen on validation', () => {
    const out = join(dir, 'authors.json');
    const r = cli([...common(2), '--loss', 'gcl', '--recipe', 'authors', '--mixup', '0.5', '--val-fraction', '0.2', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect(doc.config.batchSize).toBe(64);
    expect(doc.config.mixupAlpha).toBe(0.5);
    expect(doc.config.stage2.from).toBe('best');
    expect(doc.config.valFraction).toBe(0.2);
    expect(doc.epochs[0].selection).toBe('validation');
    expect(doc.bestEpoch.selection).toBe('validation');
    expect(typeof doc.epochs[0].valAccuracy).toBe('number');
  }, 300_000);

  it('--sweep noiseMul=0.1,1 with a validation split: one run per value, same data and initial weights, one JSON with the table', () => {
    const out = join(dir, 'sweep.json');
    const r = cli([
      ...common(),
      '--loss',
      'gcl',
      '--batch',
      '16',
      '--sweep',
      'noiseMul=0.1,1',
      '--sweep-when',
      'best',
      '--val-fraction',
      '0.2',
      '--out',
      out,
    ]);
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect(doc.tool).toBe('long-tail-playground sweep');
    expect(doc.values).toEqual([0.1, 1]);
    expect(doc.runs.map((x: { result: { lossParams: { noiseMul: number } } }) => x.result.lossParams.noiseMul)).toEqual([0.1, 1]);
    const [a, b] = doc.runs.map((x: { result: { dataset: { counts: number[] }; epochs: { trainLoss: number }[] } }) => x.result);
    expect(a.dataset.counts).toEqual(b.dataset.counts);
    // the values change the training
    expect(a.epochs[0].trainLoss).not.toBe(b.epochs[0].trainLoss);
    expect(doc.summary).toHaveLength(2);
    expect(doc.summary[0].overall).toBe(a.epochs[0].testAccuracy);
    expect(doc.table).toMatch(/^\| noiseMul \| best epoch \| chosen on \|/);
    // the document and every row say what chose the best epoch
    expect([doc.valFraction, doc.bestChosenOn]).toEqual([0.2, 'validation']);
    expect(doc.summary.map((r: { chosenOn: string }) => r.chosenOn)).toEqual(['validation', 'validation']);
  }, 300_000);

  it('--sweep lr=… --sweep2 batch=…: one run per pair of values, the second value in every row and in the table', () => {
    const out = join(dir, 'sweep2.json');
    const r = cli([...common(), '--loss', 'ce', '--sweep', 'lr=0.02,0.05', '--sweep2', 'batch=16,32', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect([doc.param.id, doc.values, doc.param2.id, doc.values2]).toEqual(['lr', [0.02, 0.05], 'batchSize', [16, 32]]);
    type Run = { value: number; value2: number; result: { config: { lr: number; batchSize: number } } };
    expect(doc.runs.map((x: Run) => [x.value, x.value2, x.result.config.lr, x.result.config.batchSize])).toEqual([
      [0.02, 16, 0.02, 16],
      [0.02, 32, 0.02, 32],
      [0.05, 16, 0.05, 16],
      [0.05, 32, 0.05, 32],
    ]);
    expect(doc.summary.map((x: { value: number; value2: number }) => [x.value, x.value2])).toEqual([
      [0.02, 16],
      [0.02, 32],
      [0.05, 16],
      [0.05, 32],
    ]);
    expect(doc.groups).toHaveLength(4);
    expect(doc.table).toMatch(/^\| lr \| batchSize \| last epoch \|/);
    expect(doc.table).toMatch(/\n\| 0\.05 \| 32 \| 1 \|/);
    const bad = cli([...common(), '--loss', 'ce', '--sweep', 'lr=0.02,0.05', '--sweep2', 'lr=0.1,0.2']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/both lr/);
  }, 300_000);

  it('rejects a bad sweep with the usage and exit code 2', () => {
    for (const [args, msg] of [
      [['--loss', 'gcl', '--sweep', 'noiseMul=0.1'], /2–8 values/],
      [['--loss', 'ce', '--sweep', 'noiseMul=0.1,0.2'], /"noiseMul" cannot be swept with Cross-entropy on the linear head/],
      // a parameter of the loss that the head does not use: named with the loss and the head
      [
        ['--loss', 'ce', '--sweep', 'scale=10,30'],
        /"scale" does not apply to Cross-entropy on the linear head: the linear head ignores it/,
      ],
      [['--loss', 'gcl', '--sweep', 'stage2.s=10,20'], /stage-2 setting/],
      [['--loss', 'gcl', '--sweep', 'lr=20,30'], /outside/],
      [['--loss', 'gcl', '--sweep', 'lr=0x1,0.1'], /"0x1" is not a number/],
      [['--loss', 'gcl', '--recipe', 'theirs'], /recipe/],
      [['--loss', 'gcl', '--val-fraction', '0.9'], /validation split \(valFraction\)/],
    ] as const) {
      const r = cli([...common(), ...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
  }, 400_000);
});
