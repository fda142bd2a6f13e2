/**
 * `npm run bench -- --device-only --test` prints the device benchmark's JSON (Dawn + SwiftShader), with GPU time per
 * kernel class on the fused rows. Must run under CI=true.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { initNodeWebGPU } from '../../../src/core/backend';

const dawn = await initNodeWebGPU();
const CI = process.env.CI === 'true';
if (!dawn.ok && !CI) console.warn(`[bench-device.test] SKIPPED: WebGPU (Dawn) could not start: ${dawn.reason}`);

describe.skipIf(!dawn.ok && !CI)('npm run bench -- --device-only', () => {
  it('prints the JSON with adapter, build and one row per target and model', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'tools/bench/bench.ts', '--device-only', '--test'], {
      encoding: 'utf8',
      timeout: 180_000,
      cwd: process.cwd(),
    });
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.tool).toBe('long-tail-playground device benchmark');
    expect(doc.build).toMatch(/^\d+\.\d+\.\d+/);
    expect(doc.adapter.architecture).toBe('swiftshader');
    // Dawn's SwiftShader adapter offers timestamp-query: the fused rows carry GPU ms per kernel class
    expect(doc.gpuTimePerKernelClass).toBe('gpu timestamps');
    expect(doc.rows).toHaveLength(6);
    for (const row of doc.rows) expect(row.msPerStep, `${row.target}/${row.model}: ${row.error}`).toBeGreaterThan(0);
    for (const row of doc.rows.filter((x: { target: string }) => x.target === 'fused')) {
      expect(Object.keys(row.gpuMsPerKernelClass).sort()).toEqual(['bn', 'conv', 'loss', 'pool', 'sgd']);
      for (const ms of Object.values(row.gpuMsPerKernelClass)) expect(ms).toBeGreaterThanOrEqual(0);
    }
  });
});
