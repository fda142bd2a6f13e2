import { describe, expect, it, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePng } from '../../../src/core/data/png';
import { encodeDataset } from '../../../src/core/data/pack';
import { tinyDataset } from '../../helpers/tiny-dataset';
import { Raster, renderGroupedBars } from '../../../src/node/reproduce/charts';
import {
  bestChosenOn,
  claimChecks,
  classesByCount,
  summarize,
  type ReproducedRun,
  type SlimEpoch,
} from '../../../src/node/reproduce/summary';
import { markdownTable } from '../../../src/node/reproduce/report';
import { parseCli } from '../../../src/node/reproduce/main';
import { parseWithArrays, stringifyWithArrays } from '../../../src/node/reproduce/checkpoints';

const dir = mkdtempSync(join(tmpdir(), 'ltp-repro-'));
const pack = join(dir, 'tiny.ltpg');

beforeAll(() => {
  writeFileSync(pack, encodeDataset(tinyDataset({ classes: 4, poolPerClass: 60, testPerClass: 10 })));
});

describe('raster charts', () => {
  it('draws text and bars into a raster', () => {
    const r = new Raster(40, 12);
    r.text(1, 1, 'CE 5%');
    expect(r.pixels.some((v) => v === 0)).toBe(true);
    const chart = renderGroupedBars({ title: 'T', groups: ['a 1', 'b 2'], series: [{ label: 'x', values: [0.5, null] }] }, 1);
    expect(chart.width).toBeGreaterThan(20);
    // the PNG decodes (CRCs checked) to the raster's own pixels
    const png = decodePng(chart.toPng(), 'chart.png');
    expect([png.width, png.height]).toEqual([chart.width, chart.height]);
  });
});

function epoch(e: number, acc: number[], norms: number[]): SlimEpoch {
  const mean = acc.reduce((a, b) => a + b, 0) / acc.length;
  return {
    stage: 1,
    epoch: e,
    epochsInStage: 3,
    step: e,
    lr: 0.1,
    alpha: 0,
    gaActive: false,
    drwActive: false,
    trainLoss: 1,
    trainAccuracy: 0.5,
    testLoss: 1,
    testAccuracy: mean,
    perClassAccuracy: acc,
    groupAccuracy: { many: (acc[0] + acc[1]) / 2, medium: acc[2], few: acc[3] },
    confusion: [],
    featureNormTrain: norms,
    featureNormTest: norms,
    lossPerClass: {},
    seconds: 1,
    imagesPerSecond: 1,
  };
}

function record(id: ReproducedRun['id'], label: string, epochs: SlimEpoch[]): ReproducedRun {
  return {
    tool: 'long-tail-playground reproduce',
    version: 1,
    id,
    label,
    profile: 'test',
    config: {} as ReproducedRun['config'],
    stage: 1,
    stage2Config: null,
    backend: 'cpu',
    tfjsVersion: 'x',
    date: '',
    host: '',
    initHash: 'a',
    subsetHash: 'b',
    counts: [500, 150, 40, 10],
    groups: ['many', 'many', 'medium', 'few'],
    classNames: ['A', 'B', 'C', 'D'],
    testImages: 40,
    halted: null,
    seconds: 3,
    sessions: 1,
    epochs,
  };
}

describe('reproduce: aggregation and table', () => {
  const ce = record('ce', 'CE', [
    epoch(0, [0.9, 0.8, 0.2, 0.0], [4, 4, 2, 1]),
    epoch(1, [1, 0.9, 0.5, 0.1], [5, 5, 2, 1]),
    epoch(2, [1, 0.9, 0.3, 0.1], [6, 6, 2, 1]),
  ]);
  const fbl = record('fbl', 'FBL', [epoch(0, [0.8, 0.7, 0.5, 0.4], [3, 3, 3, 3]), epoch(1, [0.7, 0.7, 0.5, 0.5], [3, 3, 3, 3])]);
  const g1 = record('gcl1', 'GCL stage 1', [epoch(0, [0.9, 0.8, 0.4, 0.2], [2, 2, 2, 2])]);
  const g2 = record('gcl2', 'GCL stage 2', [epoch(0, [0.85, 0.8, 0.5, 0.4], [2, 2, 2, 2])]);

  it('picks the final and the best (overall test accuracy) epochs and the tail/head groups', () => {
    expect(classesByCount([10, 500, 40, 150])).toEqual([1, 3, 2, 0]);
    const s = summarize(ce);
    expect(s.final.epoch).toBe(2);
    expect(s.best.epoch).toBe(1);
    expect(s.best.overall).toBeCloseTo((1 + 0.9 + 0.5 + 0.1) / 4);
    // 4 classes → tail-2 / head-2
    expect(s.final.tail3).toBeCloseTo((0.3 + 0.1) / 2);
    expect(s.final.head3).toBeCloseTo(0.95);
    expect(s.normRatioTail3Head3).toBeCloseTo(1.5 / 6);
    expect(s.normRatioTailGroups).toBeCloseTo(1.5 / 6);
  });

  it("checks the papers' orderings and writes both tables", () => {
    const sums = [ce, fbl, g1, g2].map(summarize);
    const checks = claimChecks(sums);
    const byId = Object.fromEntries(checks.map((c) => [c.id, c.holds]));
    expect(byId['tail-fbl-final']).toBe(true);
    expect(byId['norm-fbl']).toBe(true);
    expect(byId['gcl2-overall-final']).toBe(true);
    const md = markdownTable(sums, [ce, fbl, g1, g2]);
    expect(md).toMatch(/\*\*Final epoch\*\*/);
    expect(md).toMatch(/\*\*Best epoch\*\*/);
    expect(md).toMatch(/\| CE \| 3 \| 57\.5 \|/);
    expect(md).toMatch(/\| CE \| 2 \| test \| 62\.5 \|/);
    // the table says up front which set chose "best"
    expect(md.split('\n')[0]).toMatch(/chosen on \*\*the test set\*\* \(no validation split\)/);
  });

  it('says when a validation split chose the best epochs (score = validation accuracy, not test)', () => {
    const onVal = (e: SlimEpoch, score: number): SlimEpoch => ({ ...e, selection: 'validation', selectionScore: score });
    const rec = record('ce', 'CE', [
      onVal(epoch(0, [0.9, 0.8, 0.2, 0.0], [4, 4, 2, 1]), 0.7),
      onVal(epoch(1, [1, 0.9, 0.5, 0.1], [5, 5, 2, 1]), 0.2),
    ]);
    rec.config = { valFraction: 0.2 } as ReproducedRun['config'];
    const s = summarize(rec);
    // epoch 1 has the higher test accuracy, epoch 0 the higher validation score
    expect([s.best.epoch, s.bestOn]).toEqual([0, 'validation']);
    expect(bestChosenOn([s])).toBe('validation');
    expect(bestChosenOn([s, summarize(ce)])).toBe('mixed');
    const md = markdownTable([s], [rec]);
    expect(md.split('\n')[0]).toMatch(/chosen on \*\*a validation split of 20 % of each class's training images/);
    expect(md).toMatch(/\| CE \| 1 \| validation \| 47\.5 \|/);
  });

  it('round-trips checkpoints with Float32Arrays', () => {
    const v = { w: { a: Float32Array.of(1.5, -2, 3e-8) }, n: 3 };
    const back = parseWithArrays<typeof v>(stringifyWithArrays(v));
    expect(back.w.a).toBeInstanceOf(Float32Array);
    expect([...back.w.a]).toEqual([...v.w.a]);
    expect(back.n).toBe(3);
  });
});

function cli(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/reproduce.ts', ...args], {
    encoding: 'utf8',
    timeout: 200_000,
    cwd: process.cwd(),
  });
}

describe('npm run reproduce (tiny data, cpu)', () => {
  const common = [
    '--quick',
    '--data',
    pack,
    '--imbalance',
    '10',
    '--epochs',
    '2',
    '--batch',
    '16',
    '--stage2-epochs',
    '1',
    '--eval-per-class',
    '10',
    '--backend',
    'cpu',
    '--runs',
    'ce,gcl1,gcl2',
    '--quiet',
  ];

  it('trains, resumes after an interruption to the same numbers, skips finished runs', () => {
    const a = join(dir, 'a');
    const r1 = cli([...common, '--out', a]);
    expect(r1.status, r1.stderr).toBe(0);
    for (const f of ['ce.json', 'gcl1.json', 'gcl2.json', 'table.md', 'summary.json', 'per-class.png', 'per-class.svg'])
      expect(existsSync(join(a, f)), f).toBe(true);
    const sumA = JSON.parse(readFileSync(join(a, 'summary.json'), 'utf8'));
    expect(sumA.runs.map((r: { id: string }) => r.id)).toEqual(['ce', 'gcl1', 'gcl2']);
    expect(sumA.sameInit).toBe(true);
    expect(sumA.sameSubset).toBe(true);
    expect(r1.stdout).toMatch(/\*\*Best epoch\*\*/);

    // interrupted after 1 epoch, then after 2 more (inside gcl1), then to the end
    const b = join(dir, 'b');
    const s1 = cli([...common, '--out', b, '--stop-after-epochs', '1']);
    expect(s1.status, s1.stderr).toBe(0);
    expect(existsSync(join(b, 'checkpoints', 'ce.json'))).toBe(true);
    expect(existsSync(join(b, 'ce.json'))).toBe(false);
    const s2 = cli([...common, '--out', b, '--stop-after-epochs', '2']);
    expect(s2.status, s2.stderr).toBe(0);
    expect(existsSync(join(b, 'ce.json'))).toBe(true);
    expect(existsSync(join(b, 'gcl1.json'))).toBe(false);
    const s3 = cli([...common, '--out', b]);
    expect(s3.status, s3.stderr).toBe(0);
    for (const id of ['ce', 'gcl1', 'gcl2']) {
      const ra = JSON.parse(readFileSync(join(a, `${id}.json`), 'utf8'));
      const rb = JSON.parse(readFileSync(join(b, `${id}.json`), 'utf8'));
      expect(
        rb.epochs.map((e: { perClassAccuracy: number[] }) => e.perClassAccuracy),
        id,
      ).toEqual(ra.epochs.map((e: { perClassAccuracy: number[] }) => e.perClassAccuracy));
      expect(
        rb.epochs.map((e: { trainLoss: number }) => e.trainLoss),
        id,
      ).toEqual(ra.epochs.map((e: { trainLoss: number }) => e.trainLoss));
    }
    expect(JSON.parse(readFileSync(join(b, 'ce.json'), 'utf8')).sessions).toBe(2);

    // a finished folder: nothing is retrained
    const quietless = cli([...common.filter((x) => x !== '--quiet'), '--out', a, '--no-png']);
    expect(quietless.status, quietless.stderr).toBe(0);
    expect(quietless.stderr).toMatch(/CE: done already/);
    expect(quietless.stderr).not.toMatch(/epoch 1\/2/);

    // another configuration in the same folder is refused
    const other = cli([...common.map((x) => (x === '2' ? '3' : x)), '--out', a]);
    expect(other.status).toBe(1);
    expect(other.stderr).toMatch(/another configuration/);
  }, 600_000);

  it("--recipe authors: the recipe's settings per run, stage 2 from the best stage-1 epoch, its own folder name", () => {
    const out = join(dir, 'authors');
    const r = cli([...common.filter((x, i) => x !== '--batch' && common[i - 1] !== '--batch'), '--recipe', 'authors', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const ce = JSON.parse(readFileSync(join(out, 'ce.json'), 'utf8'));
    const g1 = JSON.parse(readFileSync(join(out, 'gcl1.json'), 'utf8'));
    const g2 = JSON.parse(readFileSync(join(out, 'gcl2.json'), 'utf8'));
    expect([ce.config.batchSize, ce.config.mixupAlpha, ce.config.linearInit]).toEqual([64, 0, 'kaiming']);
    expect([g1.config.mixupAlpha, g1.config.stage2.from, g1.config.stage2.sampler, g1.config.stage2.batchSize]).toEqual([
      1,
      'best',
      'classBalanced',
      64,
    ]);
    const bestStage1 = g1.epochs.reduce((a: { testAccuracy: number }, b: { testAccuracy: number }) =>
      b.testAccuracy > a.testAccuracy ? b : a,
    );
    expect(g2.stage2Origin).toEqual({ from: 'best', epoch: bestStage1.epoch });
    expect(g2.label).toBe('GCL stage 2 (class-balanced, from best)');
    expect(r.stdout).toMatch(/\| chosen on \|/);
    expect(parseCli(['--quick', '--recipe', 'authors']).outDir).toMatch(/results\/reproduce\/quick-authors$/);
    expect(parseCli(['--quick']).outDir).toMatch(/results\/reproduce\/quick$/);
    const bad = cli(['--quick', '--recipe', 'theirs']);
    expect(bad.status).toBe(2);
  }, 600_000);

  it('--val-fraction: best epochs and the GCL stage-2 start chosen on validation; the table and summary say so', () => {
    const out = join(dir, 'val');
    const r = cli([
      ...common.filter((x, i) => x !== '--batch' && common[i - 1] !== '--batch'),
      '--recipe',
      'authors',
      '--val-fraction',
      '0.2',
      '--out',
      out,
    ]);
    expect(r.status, r.stderr).toBe(0);
    const g1 = JSON.parse(readFileSync(join(out, 'gcl1.json'), 'utf8'));
    const g2 = JSON.parse(readFileSync(join(out, 'gcl2.json'), 'utf8'));
    expect(g1.config.valFraction).toBe(0.2);
    expect(g1.epochs.every((e: { selection: string }) => e.selection === 'validation')).toBe(true);
    // stage 2 starts from the stage-1 epoch with the best validation score
    const bestVal = g1.epochs.reduce((a: { selectionScore: number }, b: { selectionScore: number }) =>
      b.selectionScore > a.selectionScore ? b : a,
    );
    expect(g2.stage2Origin).toEqual({ from: 'best', epoch: bestVal.epoch });
    const sum = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect([sum.valFraction, sum.bestChosenOn]).toEqual([0.2, 'validation']);
    expect(sum.runs.map((x: { bestOn: string }) => x.bestOn)).toEqual(['validation', 'validation', 'validation']);
    const table = readFileSync(join(out, 'table.md'), 'utf8');
    expect(table).toMatch(/^"Best" epochs are chosen on \*\*a validation split of 20 % /);
    expect(table).toMatch(/\| CE \| \d \| validation \|/);
    expect(parseCli(['--quick', '--val-fraction', '0.2']).outDir).toMatch(/results\/reproduce\/quick-val$/);
    expect(parseCli(['--quick', '--recipe', 'authors', '--val-fraction', '0.2']).outDir).toMatch(/quick-authors-val$/);
    expect(parseCli(['--quick', '--val-fraction', '0']).profile.valFraction).toBeUndefined();
  }, 600_000);

  it('rejects wrong flags with the usage and exit code 2', () => {
    for (const [args, msg] of [
      [['--quick', '--full'], /exactly one/],
      [['--quick', '--runs', 'nope'], /unknown run/],
      [['--quick', '--bogus'], /bogus/],
      [['--quick', '--val-fraction', '0.9'], /--val-fraction: validation split \(valFraction\) is 0\.9/],
      [['--quick', '--val-fraction', 'x'], /--val-fraction needs a number/],
    ] as const) {
      const r = cli([...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/Usage: npm run reproduce/);
      expect(r.stderr).toMatch(msg);
    }
  }, 120_000);
});
