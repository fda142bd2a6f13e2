import { describe, expect, it } from 'vitest';
import { createPlaygroundStore } from '../../../src/state/session/store';
import { MAX_PINNED, type RunRecord } from '../../../src/state/session/slices/metrics';
import type { BatchInfo, EpochMetrics } from '../../../src/worker/protocol';

const batch = (step: number): BatchInfo => ({ stage: 1, epoch: 0, batch: step - 1, batchesPerEpoch: 10, step, loss: 1 / step, lr: 0.1 });
const epoch = { stage: 1, epoch: 0, step: 10 } as EpochMetrics;

describe('playground store slices', () => {
  it('metrics: appends immutably; the previous run on the same data stays as "earlier" until the next one starts', () => {
    const st = createPlaygroundStore();
    const s = () => st.getState();
    s().beginRun('CE', 'data-a');
    const before = s().current!;
    s().appendMetrics([batch(1), batch(2)], []);
    expect(s().current!.batches).toHaveLength(2);
    expect(s().current).not.toBe(before);
    expect(s().current!.epochs).toBe(before.epochs); // untouched arrays keep their identity
    s().beginRun('GCL', 'data-a'); // CE trained no epoch: not kept
    expect(s().archived).toHaveLength(0);
    s().appendMetrics([], [epoch]);
    s().beginRun('KPS', 'data-a');
    expect(s().archived.map((r) => r.label)).toEqual(['GCL (earlier)']);
    expect(s().current!.color).not.toBe(s().archived[0].color);
    for (let i = 0; i < 5; i++) {
      s().appendMetrics([], [epoch]);
      s().beginRun(`r${i}`, 'data-a');
    }
    // unpinned runs: only the previous one is kept (pinning keeps more: test/state/runs/compare.test.ts)
    expect(s().archived.map((r) => r.label)).toEqual(['r3 (earlier)']);
    s().appendMetrics([], [epoch]);
    s().beginRun('other data', 'data-b');
    expect(s().archived).toHaveLength(0);
  });

  it('metrics: addPinnedRun puts a finished run among the pinned ones, before the earlier run, with its own label and colour', () => {
    const st = createPlaygroundStore();
    const s = () => st.getState();
    s().beginRun('CE', 'data-a');
    s().appendMetrics([], [epoch]);
    s().beginRun('KPS', 'data-a'); // CE is the earlier run now
    const run = (id: string): RunRecord => ({ id, label: 'KPS', color: '', dataKey: 'data-a', batches: [], epochs: [epoch] });
    expect(s().addPinnedRun(run('py-1'))).toBe(true);
    expect(s().archived.map((r) => [r.label, !!r.pinned])).toEqual([
      ['KPS #2', true],
      ['CE (earlier)', false],
    ]);
    const colours = [...s().archived.map((r) => r.color), s().current!.color];
    expect(new Set(colours).size).toBe(3);
    for (let i = 2; i <= MAX_PINNED; i++) expect(s().addPinnedRun(run(`py-${i}`))).toBe(true);
    expect(s().addPinnedRun(run('one-too-many'))).toBe(false);
    expect(s().archived.filter((r) => r.pinned)).toHaveLength(MAX_PINNED);
  });

  it('run: applyBatch updates the counters', () => {
    const st = createPlaygroundStore();
    st.getState().patchRun({ summary: { epochsInStage: 4 } as never });
    st.getState().applyBatch(batch(10));
    expect(st.getState().progress).toMatchObject({ epoch: 0, batch: 9, step: 10, epochsDone: 1, epochsInStage: 4 });
  });

  it('ui: notices replace by id; confirm resolves once', async () => {
    const st = createPlaygroundStore();
    const s = () => st.getState();
    s().pushNotice({ id: 'url', level: 'warning', title: 'a', items: [] });
    s().pushNotice({ id: 'url', level: 'warning', title: 'b', items: [] });
    expect(s().notices.map((n) => n.title)).toEqual(['b']);
    s().dismissNotice('url');
    expect(s().notices).toEqual([]);
    const p1 = s().askConfirm('t', 'm');
    const p2 = s().askConfirm('t2', 'm2'); // replaces (cancels) the first
    await expect(p1).resolves.toBe(false);
    expect(s().confirm?.title).toBe('t2');
    s().answerConfirm(true);
    await expect(p2).resolves.toBe(true);
    expect(s().confirm).toBeNull();
  });
});
