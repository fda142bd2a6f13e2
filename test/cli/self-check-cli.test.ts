/**
 * `npm run train -- --engine fused --self-check` on Dawn + SwiftShader: the check passes and the run trains fused;
 * with the test-only wrong kernel it fails, the reason is printed and the run trains on tfjs. Must run under CI=true.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeDataset } from '../../src/core/data/pack';
import { initNodeWebGPU } from '../../src/core/backend';
import { tinyDataset } from '../helpers/tiny-dataset';

const dawn = await initNodeWebGPU();
const CI = process.env.CI === 'true';
if (!dawn.ok && !CI) console.warn(`[self-check-cli.test] SKIPPED: WebGPU (Dawn) could not start: ${dawn.reason}`);

const dir = mkdtempSync(join(tmpdir(), 'ltp-selfcheck-'));
const pack = join(dir, 'tiny.ltpg');

function run(name: string, extra: string[], env: Record<string, string> = {}) {
  const out = join(dir, `${name}.json`);
  const args = ['--dataset', 'fmnist-lt', '--data', pack, '--imbalance', '10', '--model', 'convnet', '--loss', 'ce', '--epochs', '1'];
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/train.ts',
      ...args,
      '--batch',
      '16',
      '--no-augment',
      '--backend',
      'cpu',
      '--engine',
      'fused',
      ...extra,
      '--out',
      out,
    ],
    { encoding: 'utf8', timeout: 120_000, cwd: process.cwd(), env: { ...process.env, ...env } },
  );
  expect(r.status, r.stderr).toBe(0);
  return { stderr: r.stderr, doc: JSON.parse(readFileSync(out, 'utf8')) };
}

beforeAll(() => {
  writeFileSync(pack, encodeDataset(tinyDataset({ classes: 4, poolPerClass: 30 })));
});

describe.skipIf(!dawn.ok && !CI)('npm run train -- --engine fused --self-check', () => {
  it('passes on SwiftShader and trains fused', () => {
    const { stderr, doc } = run('pass', ['--self-check']);
    expect(stderr).toMatch(/self-check passed on this GPU \(\d+ kernel variants/);
    expect(doc.engine).toBe('fused');
    expect(doc.selfCheck.ok).toBe(true);
    expect(doc.selfCheck.plan).toMatch(/^convnet\/linear\/8x8x1\/4\/b16$/);
  });

  it('a wrong kernel fails the check: the reason is printed and the run trains on tfjs', () => {
    const { stderr, doc } = run('fault', ['--self-check'], { LTPG_TEST_SELFCHECK_FAULT: 'scaled-gradient' });
    expect(stderr).toMatch(/fused engine disagreed with tfjs on this GPU: .*max gradient error .*; using tfjs/);
    expect(doc.engine).toBe('tfjs');
    expect(doc.epochs[0].engine).toBe('tfjs');
    expect(doc.selfCheck.ok).toBe(false);
  });

  it('is off by default on a software adapter', () => {
    const { stderr, doc } = run('default', []);
    expect(stderr).not.toMatch(/self-check/);
    expect(doc.selfCheck).toBeNull();
    expect(doc.engine).toBe('fused');
  });
});
