/**
 * A CIFAR-10-LT run: `npm run train -- --dataset cifar10-lt --data ARCHIVE --save-bundle DIR` →
 * `python3 tools/pytorch/train.py DIR --reproduce --data-root EXTRACTED`: train.py reads the official binary batches
 * (here generated ones, with the official record counts the CLI's parser requires), finds the bundle's subset at
 * its indices (the subset hash) and replays the CLI's steps. Skipped with a warning without torch, except under CI=true.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PY, probeTorch } from '../core/export/helpers';
import { cifarArchive } from '../helpers/upload-fixtures';

const ready = probeTorch('train.py CIFAR');
const dir = mkdtempSync(join(tmpdir(), 'ltp-cifar-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!ready)('CIFAR-10 bundle → train.py --data-root (official binary files)', () => {
  it('replays a CIFAR-10-LT CLI run from the extracted batches: same subset, the CLI step losses', () => {
    const archive = join(dir, 'cifar-10-binary.tar.gz');
    writeFileSync(archive, cifarArchive('cifar10', 5000, 1000));
    const root = join(dir, 'data');
    mkdirSync(root);
    const tar = spawnSync('tar', ['-xzf', archive, '-C', root], { encoding: 'utf8' });
    expect(tar.status, tar.stderr).toBe(0);
    const bundle = join(dir, 'run');
    const cliOut = join(dir, 'cli.json');
    // ~160 images (head 40, IF 10), batch 16, augmentation on: 10 steps; lr 0.01 keeps the float32 drift small
    const cli = spawnSync(
      process.execPath,
      [
        ...['--import', 'tsx', 'src/cli/train.ts', '--dataset', 'cifar10-lt', '--data', archive, '--model', 'convnet'],
        ...['--head-images', '40', '--imbalance', '10', '--batch', '16', '--epochs', '1', '--lr', '0.01', '--loss', 'ce'],
        ...['--seed', '3', '--quiet', '--out', cliOut, '--save-bundle', bundle],
      ],
      { encoding: 'utf8', timeout: 300_000 },
    );
    expect(cli.status, cli.stderr).toBe(0);
    const run = JSON.parse(readFileSync(join(bundle, 'run.json'), 'utf8')) as { dataset: { id: string; subsetHash: string } };
    expect(run.dataset.id).toBe('cifar10-lt');

    // --data-root: the extracted cifar-10-batches-bin/ folder's parent (the folder itself works too)
    const pyOut = join(dir, 'py.json');
    const py = spawnSync(PY, ['tools/pytorch/train.py', bundle, '--reproduce', '--data-root', root, '--out', pyOut], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    expect(py.status, py.stderr).toBe(0);
    const res = JSON.parse(readFileSync(pyOut, 'utf8')) as {
      dataset: { subsetHash: string; testImages: number };
      steps: { step: number; loss: number; appLoss: number }[];
      epochs: { trainLoss: number }[];
    };
    expect(res.dataset.subsetHash).toBe(run.dataset.subsetHash);
    expect(res.dataset.testImages).toBe(10_000);
    expect(res.steps.length).toBeGreaterThanOrEqual(8);
    for (const s of res.steps.slice(0, 10)) expect(Math.abs(s.loss - s.appLoss) / s.appLoss, `step ${s.step}`).toBeLessThan(1e-4);
    const ref = JSON.parse(readFileSync(cliOut, 'utf8')) as { epochs: { trainLoss: number }[] };
    expect(Math.abs(res.epochs[0].trainLoss - ref.epochs[0].trainLoss) / ref.epochs[0].trainLoss).toBeLessThan(1e-3);

    // the folder itself as the root; a root without the batches is refused by name
    const inner = spawnSync(
      PY,
      ['tools/pytorch/train.py', bundle, '--reproduce', '--epochs', '1', '--data-root', join(root, 'cifar-10-batches-bin')],
      {
        encoding: 'utf8',
        timeout: 300_000,
      },
    );
    expect(inner.status, inner.stderr).toBe(0);
    const none = spawnSync(PY, ['tools/pytorch/train.py', bundle, '--reproduce', '--data-root', dir], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(none.status).not.toBe(0);
    expect(none.stderr).toMatch(/data_batch_1\.bin/);
  }, 400_000);

  it('reads CIFAR-100 records with the fine label (the second label byte) and planar RGB as NHWC', () => {
    const root = join(dir, 'c100', 'cifar-100-binary');
    mkdirSync(root, { recursive: true });
    // record r: coarse label 90 + r, fine label 7·r, pixel p of plane k = (r + 3·k + p) mod 251
    const records = (n: number) => {
      const out = Buffer.alloc(n * 3074);
      for (let r = 0; r < n; r++) {
        out[r * 3074] = 90 + r;
        out[r * 3074 + 1] = 7 * r;
        for (let k = 0; k < 3; k++) for (let p = 0; p < 1024; p++) out[r * 3074 + 2 + k * 1024 + p] = (r + 3 * k + p) % 251;
      }
      return out;
    };
    writeFileSync(join(root, 'train.bin'), records(3));
    writeFileSync(join(root, 'test.bin'), records(2));
    const script = [
      'import sys, json',
      "sys.path.insert(0, 'tools/pytorch')",
      'import train',
      `tr, trl, te, tel = train.load_official('cifar100-lt', ${JSON.stringify(join(dir, 'c100'))})`,
      'print(json.dumps({"shape": list(tr.shape), "labels": trl.tolist(), "test": tel.tolist(), "px": tr[2, 1, 3].tolist()}))',
    ].join('\n');
    const py = spawnSync(PY, ['-c', script], { encoding: 'utf8', timeout: 60_000 });
    expect(py.status, py.stderr).toBe(0);
    const got = JSON.parse(py.stdout) as { shape: number[]; labels: number[]; test: number[]; px: number[] };
    expect(got.shape).toEqual([3, 32, 32, 3]);
    expect(got.labels).toEqual([0, 7, 14]);
    expect(got.test).toEqual([0, 7]);
    // record 2, row 1, column 3: p = 35
    expect(got.px).toEqual([37, 40, 43]);
  });
});
