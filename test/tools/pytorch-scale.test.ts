/**
 * train.py's scaling modes on a CLI bundle: `--seeds` redraws the subset and the initial weights as the CLI's
 * `--seed` does (same subset hash, same init hash, the CLI's epoch loss), and `--full` builds the papers' protocol
 * (ResNet-32, 200 epochs, the authors' recipe, the full long-tail profile of the official files) and trains it for
 * one epoch on small synthetic IDX files. Needs python3-torch and Debian's Fashion-MNIST (skipped without them,
 * except under CI=true).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PY, probeTorch } from '../core/export/helpers';
import { FMNIST_ROOT } from '../../src/node/bundle';
import { countsFor } from '../../src/core/data/longtail';
import { Rng } from '../../src/core/rng';
import { runFromResults } from '../../src/state/runs/pytorch-results';
import { runHistoryProblem } from '../../src/state/persistence/saved-run-check';

const hasData = existsSync(join(FMNIST_ROOT, 'train-images-idx3-ubyte.gz'));
if (!hasData) {
  const msg = `train.py --seeds / --full: no Fashion-MNIST IDX files in ${FMNIST_ROOT} (Debian package dataset-fashion-mnist)`;
  if (process.env.CI === 'true') throw new Error(`${msg}; required under CI=true`);
  console.warn(`${msg} — skipping.`);
}
const ready = hasData && probeTorch('train.py --seeds / --full');
const dir = mkdtempSync(join(tmpdir(), 'ltp-scale-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Result {
  mode: string;
  initHash: string;
  config: Record<string, unknown>;
  dataset: { subsetHash: string; counts: number[]; testImages: number };
  epochs: { trainLoss: number; step: number }[];
}
const read = <T>(file: string) => JSON.parse(readFileSync(file, 'utf8')) as T;
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

function cli(seed: number) {
  const out = join(dir, `cli-${seed}.json`);
  const bundle = join(dir, `b${seed}`);
  const flags = ['--model', 'convnet', '--head-images', '60', '--imbalance', '10', '--epochs', '1', '--loss', 'ce', '--seed', String(seed)];
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'src/cli/train.ts', ...flags, '--quiet', '--out', out, '--save-bundle', bundle],
    {
      encoding: 'utf8',
      timeout: 300_000,
    },
  );
  expect(r.status, r.stderr).toBe(0);
  return { out, bundle };
}

const trainPy = (args: string[]) => spawnSync(PY, ['tools/pytorch/train.py', ...args], { encoding: 'utf8', timeout: 300_000 });

/** IDX files (gzip) of random 28×28 images, `per` of each of 10 classes, labels in a seeded order. */
function idxSet(root: string, prefix: string, per: number, rng: Rng) {
  const n = per * 10;
  const labels = rng.shuffle(Array.from({ length: n }, (_, i) => i % 10));
  const img = Buffer.alloc(16 + n * 784);
  img.writeUInt32BE(2051, 0);
  img.writeUInt32BE(n, 4);
  img.writeUInt32BE(28, 8);
  img.writeUInt32BE(28, 12);
  for (let i = 16; i < img.length; i++) img[i] = Math.floor(rng.next() * 256);
  const lab = Buffer.alloc(8 + n);
  lab.writeUInt32BE(2049, 0);
  lab.writeUInt32BE(n, 4);
  labels.forEach((y, i) => (lab[8 + i] = y));
  writeFileSync(join(root, `${prefix}-images-idx3-ubyte.gz`), gzipSync(img));
  writeFileSync(join(root, `${prefix}-labels-idx1-ubyte.gz`), gzipSync(lab));
}

describe.skipIf(!ready)('train.py --seeds and --full', () => {
  it('runs --seeds 7,5 on the seed-5 bundle as the CLI runs --seed 7 and --seed 5', () => {
    const runs = [cli(5), cli(7)];
    const out = join(dir, 'py.json');
    const py = trainPy([runs[0].bundle, '--seeds', '7,5', '--out', out]);
    expect(py.status, py.stderr).toBe(0);
    for (const [seed, { out: cliOut, bundle }] of [
      [5, runs[0]],
      [7, runs[1]],
    ] as const) {
      const res = read<Result>(join(dir, `py-seed${seed}.json`));
      const want = read<{ initHash: string; dataset: { subsetHash: string; counts: number[] } }>(join(bundle, 'run.json'));
      expect(res.mode).toBe('seed');
      expect(res.config.seed).toBe(seed);
      expect(res.dataset.subsetHash, `seed ${seed} subset`).toBe(want.dataset.subsetHash);
      expect(res.dataset.counts).toEqual(want.dataset.counts);
      expect(res.initHash, `seed ${seed} init`).toBe(want.initHash);
      const ref = read<{ epochs: { trainLoss: number }[] }>(cliOut).epochs;
      expect(res.epochs.length).toBe(1);
      expect(rel(res.epochs[0].trainLoss, ref[0].trainLoss), `seed ${seed} epoch loss`).toBeLessThan(1e-3);
    }
    // "Open PyTorch results" reads it as a pinned run on the data key of the CLI's seed-7 run (the same subset)
    const doc = read<Result>(join(dir, 'py-seed7.json'));
    const cliDoc = read<Result>(runs[1].out);
    const opened = runFromResults(doc, 'py-seed7.json', 'a', '#000');
    const cliRun = runFromResults(cliDoc, 'cli-7.json', 'b', '#111');
    expect(opened.label).toBe('PyTorch seed: ce convnet');
    expect(cliRun.label).toBe('CLI: ce convnet');
    expect(opened.dataKey).toBe(cliRun.dataKey);
    expect(opened.epochs.map((e) => e.trainLoss)).toEqual(doc.epochs.map((e) => e.trainLoss));
    expect(opened.batches.length).toBe(doc.epochs[0].step);
    expect(opened.batches.at(-1)).toMatchObject({ step: doc.epochs[0].step, epoch: 0, batch: doc.epochs[0].step - 1 });
    expect(runHistoryProblem(opened)).toBeNull();
    expect(() => runFromResults({ config: {}, epochs: [{ stage: 1 }] }, 'x.json', 'c', '#222')).toThrow(/x\.json: epochs\[0\]\.epoch/);
    // a replay is of the bundle's own run: not with --seeds
    const bad = trainPy([runs[0].bundle, '--reproduce', '--seeds', '1']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--seeds draws new runs/);
  }, 600_000);

  it('--full: the papers’ protocol for the run’s loss, trained for one epoch on synthetic official-format files', () => {
    const b5 = join(dir, 'b5'); // the seed-5 bundle of the test above
    expect(existsSync(join(b5, 'run.json'))).toBe(true);
    const config = (bundle: string, extra: string[] = []) => {
      const r = trainPy([bundle, '--full', '--print-config', ...extra]);
      expect(r.status, r.stderr).toBe(0);
      return r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    };
    const [ce] = config(b5);
    expect(ce).toMatchObject({
      model: 'resnet32',
      epochs: 200,
      batchSize: 64,
      lr: 0.1,
      momentum: 0.9,
      weightDecay: 2e-4,
      warmup: true,
      schedule: 'auto',
      augment: true,
      hflip: true,
      linearInit: 'kaiming',
      headImages: null,
      imbalance: 10,
      profile: 'exp',
      seed: 5,
      loss: 'ce',
    });
    expect(config(b5, ['--seeds', '1,2,3']).map((c) => c.seed)).toEqual([1, 2, 3]);
    // LDAM's script trains with batch 128; FBL's with its official curriculum
    for (const [loss, want] of [
      ['ldam', { batchSize: 128 }],
      ['fbl', { batchSize: 64, fblCurriculum: 'official' }],
    ] as const) {
      const b = join(dir, `b5-${loss}`);
      cpSync(b5, b, { recursive: true });
      const run = read<{ config: Record<string, unknown> }>(join(b, 'run.json'));
      run.config.loss = loss;
      writeFileSync(join(b, 'run.json'), JSON.stringify(run));
      expect(config(b)[0]).toMatchObject({ loss, ...want });
    }

    // the full long-tail profile of the files under --data-root: n_max = the largest class (30 here), IF 10
    const root = join(dir, 'syn');
    mkdirSync(root);
    const rng = new Rng(11);
    idxSet(root, 'train', 30, rng);
    idxSet(root, 't10k', 5, rng);
    const out = join(dir, 'full.json');
    const py = trainPy([b5, '--full', '--epochs', '1', '--data-root', root, '--out', out]);
    expect(py.status, py.stderr).toBe(0);
    const res = read<Result>(out);
    expect(res.mode).toBe('full');
    expect(res.config.model).toBe('resnet32');
    expect(res.dataset.counts).toEqual(countsFor(10, 30, { imbalance: 10, profile: 'exp' }));
    expect(res.dataset.testImages).toBe(50);
    const images = res.dataset.counts.reduce((a, b) => a + b, 0);
    expect(res.epochs.length).toBe(1);
    expect(res.epochs[0].step).toBe(Math.ceil(images / 64));
    expect(Number.isFinite(res.epochs[0].trainLoss)).toBe(true);
  }, 300_000);

  it('--help explains every mode, torchrun included', () => {
    const r = trainPy(['--help']);
    expect(r.status, r.stderr).toBe(0);
    for (const s of [
      '--reproduce',
      '--continue',
      '--seeds',
      '--full',
      '--print-config',
      'torchrun --nproc-per-node',
      'torch.distributed.run',
      '--out',
    ])
      expect(r.stdout, s).toContain(s);
  });
});
