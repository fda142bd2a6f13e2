/** `npm run train -- --seeds`: one real run per seed on tiny data (cpu), per-seed results plus the group's spread. */
import { describe, expect, it, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeDataset } from '../../src/core/data/pack';
import { summarize } from '../../src/core/train/groups';
import { tinyDataset } from '../helpers/tiny-dataset';

const dir = mkdtempSync(join(tmpdir(), 'ltp-seeds-'));
const pack = join(dir, 'tiny.ltpg');

function cli(args: string[], script = 'src/cli/train.ts') {
  return spawnSync(process.execPath, ['--import', 'tsx', script, ...args], {
    encoding: 'utf8',
    timeout: 300_000,
    cwd: process.cwd(),
  });
}

const common = ['--data', pack, '--imbalance', '10', '--model', 'convnet', '--epochs', '1', '--batch', '16', '--backend', 'cpu', '--quiet'];

interface Epoch {
  testAccuracy: number;
  trainLoss: number;
  groupAccuracy: { many: number | null };
}
interface Run {
  seed: number;
  result: { config: { seed: number }; epochs: Epoch[]; dataset: { counts: number[] } };
}

beforeAll(() => {
  writeFileSync(pack, encodeDataset(tinyDataset({ classes: 4, poolPerClass: 60 })));
});

describe('npm run train --seeds', () => {
  it('--seeds 5,6,7: one run per seed, the seed replaced in the config, the group mean and sample std', () => {
    const out = join(dir, 'seeds.json');
    const r = cli([...common, '--loss', 'ce', '--seeds', '5,6,7', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect(doc.tool).toBe('long-tail-playground seeds');
    expect(doc.seeds).toEqual([5, 6, 7]);
    const runs = doc.runs as Run[];
    expect(runs.map((x) => [x.seed, x.result.config.seed])).toEqual([
      [5, 5],
      [6, 6],
      [7, 7],
    ]);
    // each seed redraws the initial weights (and the subset): the first epoch's loss differs
    expect(new Set(runs.map((x) => x.result.epochs[0].trainLoss)).size).toBe(3);
    const acc = runs.map((x) => x.result.epochs[0].testAccuracy);
    const s = summarize(acc);
    expect(doc.group.n).toBe(3);
    expect(doc.group.final.overall.mean).toBeCloseTo(s.mean, 12);
    expect(doc.group.final.overall.std).toBeCloseTo(s.std, 12);
    expect(doc.group.final.medium.n).toBe(3); // 27–60 images per class: every class is "medium"
    expect(doc.group.final.many.n).toBe(0);
    expect(doc.group.testAccuracy).toHaveLength(1);
    expect(doc.group.testAccuracy[0].mean).toBeCloseTo(s.mean, 12);
  }, 300_000);

  it('--seeds 2 runs --seed and --seed + 1, the same as two --seed runs', () => {
    const out = join(dir, 'count.json');
    const r = cli([...common, '--loss', 'ce', '--seed', '5', '--seeds', '2', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect(doc.seeds).toEqual([5, 6]);
    const one = join(dir, 'one.json');
    expect(cli([...common, '--loss', 'ce', '--seed', '6', '--out', one]).status).toBe(0);
    const single = JSON.parse(readFileSync(one, 'utf8'));
    expect(doc.runs[1].result.epochs[0].trainLoss).toBe(single.epochs[0].trainLoss);
    expect(doc.runs[1].result.dataset.counts).toEqual(single.dataset.counts);
  }, 300_000);

  it('--sweep with --seeds: every value with every seed, one spread row per value', () => {
    const out = join(dir, 'sweep.json');
    const r = cli([...common, '--loss', 'gcl', '--sweep', 'noiseMul=0.1,1', '--seeds', '1,2', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect(doc.seeds).toEqual([1, 2]);
    expect(doc.runs.map((x: { value: number; seed: number }) => [x.value, x.seed])).toEqual([
      [0.1, 1],
      [0.1, 2],
      [1, 1],
      [1, 2],
    ]);
    expect(doc.summary).toHaveLength(4);
    expect(doc.groups.map((g: { value: number; n: number }) => [g.value, g.n])).toEqual([
      [0.1, 2],
      [1, 2],
    ]);
    const s = summarize([doc.summary[0].overall, doc.summary[1].overall]);
    expect(doc.groups[0].overall.mean).toBeCloseTo(s.mean, 12);
    expect(doc.groups[0].overall.std).toBeCloseTo(s.std, 12);
    expect(doc.table).toMatch(/\| noiseMul \| seeds \| overall \|/);
  }, 300_000);

  it('refuses a bad --seeds with the usage and exit code 2', () => {
    for (const [args, msg] of [
      [['--seeds', '0'], /--seeds: a count of seeds is 1–10/],
      [['--seeds', '1,1'], /seed 1 is given twice/],
      [['--seeds', '1,2', '--save-safetensors', join(dir, 'm.safetensors')], /not with --seeds/],
    ] as const) {
      const r = cli([...common, '--loss', 'ce', ...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
  }, 120_000);

  it('npm run reproduce --seeds 3,4: the table once per seed in its own folder, then the mean ± std per run', () => {
    const out = join(dir, 'reproduce');
    const args = [
      '--quick',
      '--data',
      pack,
      '--imbalance',
      '10',
      '--epochs',
      '1',
      '--batch',
      '16',
      '--eval-per-class',
      '10',
      '--backend',
      'cpu',
      '--runs',
      'ce,kps',
      '--no-png',
      '--quiet',
      '--seeds',
      '3,4',
      '--out',
      out,
    ];
    const r = cli(args, 'src/cli/reproduce.ts');
    expect(r.status, r.stderr).toBe(0);
    for (const f of ['seed-3/ce.json', 'seed-3/kps.json', 'seed-4/ce.json', 'seed-4/summary.json', 'seeds.json', 'seeds.md'])
      expect(existsSync(join(out, f)), f).toBe(true);
    const per = (seed: number) => JSON.parse(readFileSync(join(out, `seed-${seed}`, 'ce.json'), 'utf8'));
    expect([per(3).config.seed, per(4).config.seed]).toEqual([3, 4]);
    expect(per(3).subsetHash).not.toBe(per(4).subsetHash);
    const doc = JSON.parse(readFileSync(join(out, 'seeds.json'), 'utf8'));
    expect(doc.seeds).toEqual([3, 4]);
    expect(doc.perSeed.map((p: { seed: number; runs: unknown[] }) => [p.seed, p.runs.length])).toEqual([
      [3, 2],
      [4, 2],
    ]);
    const ce = doc.runs.find((g: { id: string }) => g.id === 'ce');
    const s = summarize(doc.perSeed.map((p: { runs: { id: string; final: { overall: number } }[] }) => p.runs[0].final.overall));
    expect(ce.seeds).toEqual([3, 4]);
    expect(ce.final.overall.mean).toBeCloseTo(s.mean, 12);
    expect(ce.final.overall.std).toBeCloseTo(s.std, 12);
    expect(r.stdout).toMatch(/mean ± sample std over seeds 3, 4/);
    // a finished folder: nothing retrained, the same spread
    const again = cli(args, 'src/cli/reproduce.ts');
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'seeds.json'), 'utf8')).runs).toEqual(doc.runs);
  }, 300_000);
});
