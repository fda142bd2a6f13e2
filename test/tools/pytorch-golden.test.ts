/**
 * The PyTorch losses of tools/pytorch/train.py against the authors' golden outputs (the file the TypeScript losses
 * pass): every case and loss entry, outputs and gradients, within the golden README's tolerances. Needs Debian's
 * python3 with torch; skipped with a warning without it, except under CI=true.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PY, probeTorch } from '../core/export/helpers';

const FIXTURE = 'test/fixtures/golden/losses.json';
const hasTorch = probeTorch('train.py golden losses');

function check(file: string) {
  return spawnSync(PY, ['tools/pytorch/test_golden.py', file], { encoding: 'utf8', timeout: 120_000 });
}

describe.skipIf(!hasTorch)('train.py losses vs the golden outputs', () => {
  it('passes every case and loss', () => {
    const r = check(FIXTURE);
    expect(r.stdout).not.toContain('FAIL');
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { cases: { losses: object }[] };
    const entries = doc.cases.reduce((n, c) => n + Object.keys(c.losses).length, 0);
    expect(r.stdout).toContain(`${doc.cases.length} cases, ${entries} loss entries`);
  });

  it('fails on a loss or a gradient just outside the tolerance', () => {
    const doc = JSON.parse(readFileSync(FIXTURE, 'utf8')) as {
      cases: { losses: Record<string, { loss: number; gradFeatures: number[][] }> }[];
    };
    doc.cases[0].losses.kps_ga.loss *= 1 + 3e-5;
    const g = doc.cases[1].losses.fbl_alpha_1.gradFeatures;
    const big = Math.max(...g.flat().map(Math.abs));
    g[0][0] += 3e-5 + 3e-5 * big;
    const dir = mkdtempSync(join(tmpdir(), 'ltp-golden-py-'));
    try {
      const file = join(dir, 'perturbed.json');
      writeFileSync(file, JSON.stringify(doc));
      const r = check(file);
      expect(r.status).toBe(1);
      expect(r.stdout).toMatch(/FAIL c10_if100_b8\/kps_ga loss/);
      expect(r.stdout).toMatch(/FAIL c100_if100_b12\/fbl_alpha_1 gradFeatures/);
      expect(r.stdout).toContain('2 failures');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
