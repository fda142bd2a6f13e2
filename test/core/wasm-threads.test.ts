import { describe, expect, it } from 'vitest';
import { MAX_AUTO_THREADS, MAX_THREADS, planWasmThreads } from '../../src/core/wasm-threads';

describe('planWasmThreads', () => {
  it('automatic: the cores less one (for the page), at most MAX_AUTO_THREADS, on an isolated page', () => {
    expect(planWasmThreads(undefined, 4, true)).toEqual({
      threads: 3,
      why: `3 threads (automatic: 4 cores, one kept for the page, at most ${MAX_AUTO_THREADS})`,
    });
    expect(planWasmThreads(undefined, 2, true).threads).toBe(1);
    expect(planWasmThreads(undefined, 32, true).threads).toBe(MAX_AUTO_THREADS);
    expect(planWasmThreads(undefined, undefined, true).threads).toBe(1);
    expect(planWasmThreads(undefined, 1, true).why).toMatch(/^1 thread \(automatic/);
  });

  it('a set count is kept (clamped to 1..MAX_THREADS)', () => {
    expect(planWasmThreads(2, 2, true)).toEqual({ threads: 2, why: '2 threads (set)' });
    expect(planWasmThreads(1, 8, true)).toEqual({ threads: 1, why: '1 thread (set)' });
    expect(planWasmThreads(99, 2, true).threads).toBe(MAX_THREADS);
    expect(planWasmThreads(0, 2, true).threads).toBe(1);
  });

  it('not cross-origin isolated: one thread, and says why', () => {
    const p = planWasmThreads(4, 8, false);
    expect(p.threads).toBe(1);
    expect(p.why).toMatch(/^not cross-origin isolated: 1 thread/);
    expect(planWasmThreads(undefined, 8, false).why).toMatch(/^not cross-origin isolated: 1 thread/);
  });
});
