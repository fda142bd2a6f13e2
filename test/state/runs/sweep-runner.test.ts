/** The page's sweep queue on the real engine (in-process worker, cpu, tiny data). */
import { describe, expect, it } from 'vitest';
import type { TrainConfig } from '../../../src/core/train/config';
import { PlaygroundSession } from '../../../src/state/session/session';
import { createPlaygroundStore } from '../../../src/state/session/store';
import { MAX_PINNED, pinnedCount } from '../../../src/state/session/slices/metrics';
import { heatGrid, planSweep, sweepPoints, sweepRows } from '../../../src/core/train/sweep';
import { SweepRunner } from '../../../src/state/runs/sweep-runner';
import { trainConfigOf } from '../../../src/state/settings/settings';
import { inProcessClients, tinySettings as baseSettings, until } from '../../helpers/in-process-worker';

const tinySettings = (over: Partial<TrainConfig> = {}) =>
  baseSettings({ batchSize: 32, epochs: 1, evalPerClass: 3, seed: 3, lr: 0.05, loss: 'gcl', head: 'cosine', ...over });

function page(settings = tinySettings()) {
  const store = createPlaygroundStore(settings);
  const session = new PlaygroundSession(store, {
    createClient: inProcessClients().createClient,
    schedule: (cb) => setTimeout(cb, 5),
    flushIntervalMs: 0,
  });
  return { store, session, s: () => store.getState() };
}

describe('sweep queue (real engine, cpu, tiny data)', () => {
  it('trains one run per value on the same data, pins each, reads the metric per value, and leaves the form alone', async () => {
    const t = page();
    await t.session.start();
    const runner = new SweepRunner(t.session);
    const plan = planSweep(trainConfigOf(t.s().settings), 'noiseMul', [0.1, 1]);
    if (!plan.ok) throw new Error(plan.why);
    const form = structuredClone(t.s().settings);
    const seenForm: unknown[] = [];
    const off = t.store.subscribe((st) => {
      if (st.settings !== seenForm.at(-1)) seenForm.push(st.settings);
    });
    expect(await runner.start(plan.value, t.s().settings)).toBe('done');
    off();
    // the runs carried their own values: the form never changed, and the next run is the form's again
    expect(seenForm.every((f) => JSON.stringify(f) === JSON.stringify(form))).toBe(true);
    expect(t.s().settings).toEqual(form);
    expect(t.s().runSettings).toEqual(form);
    expect(t.s().current!.pinned).toBeFalsy();
    const runs = [...t.s().archived, t.s().current!].filter((r) => r.pinned);
    expect(runs.map((r) => r.settings?.config.lossParams.noiseMul)).toEqual([0.1, 1]);
    expect(new Set(runs.map((r) => r.dataKey)).size).toBe(1);
    const results = runner.results();
    expect(results.map((r) => r.value)).toEqual([0.1, 1]);
    expect(results[0].counts.length).toBe(4);
    const rows = sweepRows(results, 'last');
    expect(rows.map((r) => r.overall)).toEqual(runs.map((r) => r.epochs.at(-1)!.testAccuracy));
    expect(runner.getStatus()!.state).toBe('done');
    t.session.dispose();
  }, 120_000);

  it('Cancel keeps the finished runs; asks for free pins before it starts', async () => {
    const t = page(tinySettings({ epochs: 1 }));
    await t.session.start();
    const runner = new SweepRunner(t.session);
    const plan = planSweep(trainConfigOf(t.s().settings), 'lr', [0.01, 0.02, 0.03]);
    if (!plan.ok) throw new Error(plan.why);
    const p = runner.start(plan.value, t.s().settings);
    await until(() => (runner.getStatus()?.done.length ?? 0) === 1 && runner.getStatus()!.index === 1);
    runner.cancel();
    expect(await p).toBe('cancelled');
    expect(runner.getStatus()!.done).toHaveLength(1);
    expect(runner.results().map((r) => r.value)).toEqual([0.01]);
    expect([...t.s().archived, t.s().current!].filter((r) => r.pinned)).toHaveLength(1);
    await t.session.pause();
    const st = t.s();
    for (let i = 0; i < MAX_PINNED - 2; i++)
      st.restoreRuns([{ id: `p${i}`, label: `p${i}`, color: '#000', dataKey: 'x', batches: [], epochs: [] }]);
    expect(runner.blocker()).toBeNull();
    // room for 3 pins is asked for before the sweep starts: declined → nothing changes
    const declined = runner.start(plan.value, t.s().settings);
    await until(() => t.s().confirm !== null);
    expect(t.s().confirm!.title).toBe('The sweep pins 3 runs');
    expect(t.s().confirm!.message).toMatch(/7 of at most 8 runs are pinned\. Unpin the 2 oldest/);
    t.s().answerConfirm(false);
    expect(await declined).toBe('declined');
    expect(pinnedCount(t.s())).toBe(MAX_PINNED - 1);
    t.session.dispose();
  }, 120_000);

  it('two parameters: one pinned run per pair of values, the form untouched, the heat map full', async () => {
    const t = page();
    await t.session.start();
    const runner = new SweepRunner(t.session);
    const plan = planSweep(trainConfigOf(t.s().settings), 'noiseMul', [0.1, 1], { paramId: 'lr', values: [0.02, 0.05] });
    if (!plan.ok) throw new Error(plan.why);
    const form = structuredClone(t.s().settings);
    expect(await runner.start(plan.value, t.s().settings)).toBe('done');
    expect(t.s().settings).toEqual(form);
    const runs = [...t.s().archived, t.s().current!].filter((r) => r.pinned);
    expect(runs.map((r) => [r.settings?.config.lossParams.noiseMul, r.settings?.config.lr])).toEqual([
      [0.1, 0.02],
      [0.1, 0.05],
      [1, 0.02],
      [1, 0.05],
    ]);
    expect(pinnedCount(t.s())).toBe(4);
    const pts = sweepPoints(sweepRows(runner.results(), 'last'), 'overall');
    const grid = heatGrid(plan.value.values, plan.value.values2!, pts);
    expect(grid.rows.flatMap((r) => r.cells.map((c) => c.point?.mean))).toEqual(
      [0, 2, 1, 3].map((i) => runs[i].epochs.at(-1)!.testAccuracy),
    );
    t.session.dispose();
  }, 120_000);

  it('seeds: each point trains every seed, one pin per point, its mean ± std; a grid too big to pin is refused first', async () => {
    const t = page();
    await t.session.start();
    const runner = new SweepRunner(t.session);
    const plan = planSweep(trainConfigOf(t.s().settings), 'noiseMul', [0.1, 1]);
    if (!plan.ok) throw new Error(plan.why);
    const form = structuredClone(t.s().settings);
    expect(await runner.start(plan.value, t.s().settings, [5, 6])).toBe('done');
    expect(t.s().settings).toEqual(form);
    const runs = [...t.s().archived, t.s().current!].filter((r) => r.pinned);
    expect(runs.map((r) => [r.settings?.config.lossParams.noiseMul, r.settings?.config.seed])).toEqual([
      [0.1, 5],
      [0.1, 6],
      [1, 5],
      [1, 6],
    ]);
    // pins count points (a point's seeds are one group)
    expect(pinnedCount(t.s())).toBe(2);
    const pts = sweepPoints(sweepRows(runner.results(), 'last'), 'overall');
    expect(pts.map((p) => [p.value, p.each.length])).toEqual([
      [0.1, 2],
      [1, 2],
    ]);
    const acc = runs.map((r) => r.epochs.at(-1)!.testAccuracy!);
    expect(pts[0].mean).toBeCloseTo((acc[0] + acc[1]) / 2, 12);
    expect(pts[0].std).toBeCloseTo(Math.abs(acc[0] - acc[1]) / Math.SQRT2, 12);
    // 3 × 3 points cannot all be pinned: refused before anything trains or is unpinned
    const big = planSweep(trainConfigOf(t.s().settings), 'noiseMul', [0.1, 0.5, 1], { paramId: 'lr', values: [0.01, 0.02, 0.03] });
    if (!big.ok) throw new Error(big.why);
    const before = t.s().archived.length;
    expect(await runner.start(big.value, t.s().settings)).toBe('failed');
    expect(runner.getStatus()!.message).toMatch(/9 points, and at most 8 can be pinned/);
    expect(t.s().archived.length).toBe(before);
    t.session.dispose();
  }, 120_000);
});
