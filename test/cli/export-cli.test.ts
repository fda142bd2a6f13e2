/**
 * `npm run train -- --save-tfjs / --save-safetensors / --save-test-logits`: the files are written after training
 * and agree with each other (the saved test logits are what the exported weights compute in the app).
 */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { encodeDataset, decodeDataset } from '../../src/core/data/pack';
import { importSafetensors, loadPlaygroundModel, testLogits } from '../../src/core/export';
import { buildSpec, createModel, setWeights } from '../../src/core/models';
import { Rng } from '../../src/core/rng';
import { tinyDataset } from '../helpers/tiny-dataset';

const dir = mkdtempSync(join(tmpdir(), 'ltp-export-cli-'));
const pack = join(dir, 'tiny.ltpg');

function cli(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/train.ts', ...args], {
    encoding: 'utf8',
    timeout: 180_000,
    cwd: process.cwd(),
  });
}

function maxDiff(a: number[][], b: number[][]): number {
  let d = 0;
  a.forEach((r, i) =>
    r.forEach((v, j) => {
      d = Math.max(d, Math.abs(v - b[i][j]));
    }),
  );
  return d;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  // 70 test images per class: 280 > 256, so the logits file holds exactly the first 256
  writeFileSync(pack, encodeDataset(tinyDataset({ classes: 4, poolPerClass: 60, testPerClass: 70, channels: 3 })));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run train -- --save-…', () => {
  it('writes a tfjs zip, a safetensors file and the test logits, all consistent', async () => {
    const zip = join(dir, 'model.zip');
    const st = join(dir, 'model.safetensors');
    const lg = join(dir, 'logits.json');
    const r = cli([
      '--data',
      pack,
      '--imbalance',
      '10',
      '--model',
      'resnet8',
      '--loss',
      'ce',
      '--epochs',
      '1',
      '--batch',
      '16',
      '--seed',
      '2',
      '--backend',
      'cpu',
      '--quiet',
      '--out',
      join(dir, 'run.json'),
      '--save-tfjs',
      zip,
      '--save-safetensors',
      st,
      '--save-test-logits',
      lg,
    ]);
    expect(r.status, r.stderr).toBe(0);
    const logits = JSON.parse(readFileSync(lg, 'utf8')) as { indices: number[]; logits: number[][] };
    expect(Object.keys(logits).sort()).toEqual(['indices', 'logits']);
    expect(logits.indices).toEqual(Array.from({ length: 256 }, (_, i) => i));
    expect(logits.logits).toHaveLength(256);
    expect(logits.logits.every((row) => row.length === 4 && row.every(Number.isFinite))).toBe(true);

    const data = decodeDataset(new Uint8Array(readFileSync(pack)), pack);
    // safetensors → app model → the same outputs
    const imp = importSafetensors(new Uint8Array(readFileSync(st)));
    expect(imp.metadata.model).toBe('resnet8');
    expect(imp.metadata.loss).toBe('ce');
    expect(imp.metadata.backend).toBe('cpu');
    expect(imp.metadata.seed).toBe('2');
    expect(imp.metadata.epoch).toBe('1');
    expect(JSON.parse(imp.metadata.mean)).toHaveLength(3);
    expect(JSON.parse(imp.metadata.input_shape)).toEqual([3, 8, 8]);
    const m = createModel(buildSpec(imp.config), new Rng(0));
    setWeights(m, imp.weights);
    const fromSt = await testLogits(m, data, 256);
    expect(maxDiff(fromSt.logits, logits.logits)).toBeLessThan(1e-5);
    m.dispose();
    // tfjs zip → app model → the same outputs
    const loaded = loadPlaygroundModel(new Uint8Array(readFileSync(zip)));
    const fromZip = await testLogits(loaded.model, data, 256);
    expect(maxDiff(fromZip.logits, logits.logits)).toBeLessThan(1e-5);
    expect(loaded.metadata.info.trainConfig?.seed).toBe(2);
    loaded.model.dispose();
  });

  it('rejects an empty file name or a missing folder with the usage (exit 2), before training', () => {
    for (const [args, msg] of [
      [['--save-tfjs', ''], /--save-tfjs needs a file name/],
      [['--save-safetensors', join(dir, 'no', 'such', 'dir', 'x.safetensors')], /--save-safetensors: the folder of .* does not exist/],
    ] as const) {
      const r = cli(['--data', pack, '--backend', 'cpu', '--epochs', '1', ...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/backend: cpu/); // refused before any work
      // the usage lists the export flags
      expect(r.stderr).toMatch(/--save-tfjs FILE\.zip/);
      expect(r.stderr).toMatch(/--save-safetensors FILE/);
      expect(r.stderr).toMatch(/--save-test-logits FILE\.json/);
    }
    expect(existsSync(join(dir, 'no'))).toBe(false);
  });
});
