import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePlan, estimateMs, parseBenchArgs, markdown, type BenchReport } from '../../../tools/bench/bench';
import { configKey, median } from '../../../tools/bench/step';

describe('bench plans', () => {
  it('full mode covers every model × batch × input × loss on wasm and in PyTorch', () => {
    const plan = makePlan(parseBenchArgs([]));
    const wasm = new Set(plan.node.filter((p) => p.backend === 'wasm').map(configKey));
    expect(wasm.size).toBe(3 * 2 * 2 * 2);
    const torch = new Set(plan.torch.filter((t) => t.threads === 1).map(configKey));
    for (const k of wasm) expect(torch.has(k), k).toBe(true);
    // wasm twice: one thread and two (threaded wasm, compared with PyTorch at two threads)
    expect(plan.browser.map((b) => b.backend).sort()).toEqual(['cpu', 'wasm', 'wasm', 'webgl', 'webgpu']);
    expect(plan.browser.filter((b) => b.backend === 'wasm').map((b) => b.wasmThreads ?? 1)).toEqual([1, 2]);
    for (const p of plan.browser.find((b) => b.wasmThreads === 2)!.plans)
      expect(plan.torch.some((t) => t.threads === 2 && configKey(t) === configKey(p)) || p.model === 'resnet32', configKey(p)).toBe(true);
    expect(plan.browser.find((b) => b.backend === 'webgpu')!.plans.some((p) => p.profile)).toBe(true);
    expect(estimateMs(plan)).toBeGreaterThan(estimateMs(makePlan(parseBenchArgs(['--quick']))));
  });

  it('quick mode runs Dawn only on the smallest config', () => {
    const plan = makePlan(parseBenchArgs(['--quick']));
    expect(plan.dawn.map(configKey)).toEqual(['convnet/b64/28x28x1/ce']);
    expect(median([3, 1, 2, 10])).toBe(2.5);
  });
});

describe('npm run bench -- --dry', () => {
  it('writes a report of the documented shape', () => {
    const out = mkdtempSync(join(tmpdir(), 'ltp-bench-'));
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'tools/bench/bench.ts', '--dry', '--no-torch', '--out', out], {
      encoding: 'utf8',
      timeout: 120_000,
      cwd: process.cwd(),
    });
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(out, 'latest.md'))).toBe(true);
    const rep = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as BenchReport;
    expect(rep.tool).toBe('long-tail-playground bench');
    expect(rep.mode).toBe('dry');
    expect(rep.complete).toBe(true);
    expect(rep.host.cpus).toBeGreaterThan(0);
    expect(rep.node.results).toHaveLength(2);
    for (const x of rep.node.results) {
      expect('error' in x ? x.error : '').toBe('');
      if ('error' in x) continue;
      expect(x.backend).toBe('cpu');
      expect(x.stepsMs.length).toBeGreaterThan(0);
      expect(x.medianMs).toBeGreaterThan(0);
      expect(x.imgPerSec).toBeCloseTo((x.batch / x.medianMs) * 1000);
      expect(x.firstStepMs).toBeGreaterThan(0);
      expect(x.memory.numTensors).toBeGreaterThan(0);
      expect(x.memory.numBytes).toBeGreaterThan(0);
      expect(Number.isFinite(x.lastLoss)).toBe(true);
      expect(x.leakedTensors).toBe(0);
    }
    expect(rep.ui.status).toBe('skipped');
    expect(rep.browser.results).toEqual([]);
    expect(markdown(rep)).toMatch(/\| node \| cpu \| convnet\/b4\/8x8x1\/ce \|/);
  });
});
