import { describe, expect, it, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeDataset } from '../../src/core/data/pack';
import { tinyDataset } from '../helpers/tiny-dataset';
import { initNodeWebGPU } from '../../src/core/backend';

const dawn = await initNodeWebGPU();
const CI = process.env.CI === 'true';
if (!dawn.ok && !CI) console.warn(`[train-cli.test] SKIPPING --engine fused: WebGPU (Dawn) could not start: ${dawn.reason}`);

const dir = mkdtempSync(join(tmpdir(), 'ltp-cli-'));
const pack = join(dir, 'tiny.ltpg');

function cli(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/train.ts', ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    cwd: process.cwd(),
  });
}

beforeAll(() => {
  writeFileSync(pack, encodeDataset(tinyDataset({ classes: 4, poolPerClass: 60 })));
});

describe('npm run train (CLI)', () => {
  it('trains stage 1 and GCL stage 2 on a tiny pack and writes one JSON document', () => {
    const out = join(dir, 'run.json');
    const r = cli([
      '--dataset',
      'fmnist-lt',
      '--data',
      pack,
      '--imbalance',
      '10',
      '--model',
      'convnet',
      '--loss',
      'gcl',
      '--epochs',
      '2',
      '--batch',
      '16',
      '--seed',
      '3',
      '--stage2',
      '--stage2-epochs',
      '1',
      '--stage2-batch',
      '16',
      '--param',
      'noiseMul=0.4',
      '--backend',
      'cpu',
      '--out',
      out,
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/backend: cpu/);
    expect(r.stderr).toMatch(/stage 1 epoch 2\/2/);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect(doc.backend.name).toBe('cpu');
    expect(doc.config.loss).toBe('gcl');
    expect(doc.lossParams.noiseMul).toBe(0.4);
    expect(doc.dataset.counts).toEqual([60, 46, 35, 27].map((_, i) => Math.floor(60 * 10 ** (-i / 3))));
    expect(doc.epochs).toHaveLength(2);
    expect(doc.stage2Epochs).toHaveLength(1);
    expect(doc.final.stage).toBe(2);
    expect(doc.final.perClassAccuracy).toHaveLength(4);
    expect(doc.epochs[1].lossPerClass.cloudAmplitude).toHaveLength(4);
  });

  it('rejects wrong flags with the usage and exit code 2', () => {
    for (const args of [
      ['--bogus'],
      ['--loss', 'nope'],
      ['--epochs', 'abc'],
      ['--loss', 'gcl', '--param', 'zzz=1'],
      ['--dataset', 'cifar10-lt'],
      ['--engine', 'cuda'],
    ]) {
      const r = cli(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/Usage: npm run train/);
    }
  });

  it.skipIf(!dawn.ok && !CI)(
    '--engine fused trains on the fused WebGPU executor (own Dawn device) with the same losses as --engine tfjs',
    () => {
      const run = (engine: string) => {
        const out = join(dir, `engine-${engine}.json`);
        const args = ['--dataset', 'fmnist-lt', '--data', pack, '--imbalance', '10', '--model', 'convnet', '--loss', 'kps'];
        const r = cli([...args, '--epochs', '1', '--batch', '16', '--no-augment', '--backend', 'cpu', '--engine', engine, '--out', out]);
        expect(r.status, r.stderr).toBe(0);
        return { stderr: r.stderr, doc: JSON.parse(readFileSync(out, 'utf8')) };
      };
      const f = run('fused');
      const t = run('tfjs');
      expect(f.stderr).toMatch(/engine: fused WebGPU executor/);
      expect(f.doc.engine).toBe('fused');
      expect(f.doc.epochs[0].engine).toBe('fused');
      expect(t.doc.engine).toBe('tfjs');
      const [lf, lt] = [f.doc.epochs[0].trainLoss, t.doc.epochs[0].trainLoss];
      expect(Math.abs(lf - lt)).toBeLessThan(1e-3 * Math.max(1, Math.abs(lt)));
    },
  );

  it('names the file when the data is not a dataset', () => {
    const bad = join(dir, 'bad.ltpg');
    writeFileSync(bad, 'hello, not a pack');
    const r = cli(['--data', bad, '--backend', 'cpu', '--epochs', '1']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/bad\.ltpg/);
  });
});
