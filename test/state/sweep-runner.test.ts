/** The page's sweep queue on the real engine (in-process worker, cpu, tiny data). */
import { describe, expect, it } from 'vitest';
import type { TrainConfig } from '../../src/core/train/config';
import { PlaygroundSession } from '../../src/state/session';
import { createPlaygroundStore } from '../../src/state/store';
import { MAX_PINNED } from '../../src/state/slices/metrics';
import { planSweep, sweepRows } from '../../src/state/sweep';
import { sweepFor } from '../../src/state/sweep-runner';
import { trainConfigOf } from '../../src/state/settings';
import { inProcessClients, tinySettings as baseSettings, until } from '../helpers/in-process-worker';

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
  it('trains one run per value on the same data, pins each, and reads the metric per value', async () => {
    const t = page();
    await t.session.start();
    const runner = sweepFor(t.session);
    expect(sweepFor(t.session)).toBe(runner);
    const plan = planSweep(trainConfigOf(t.s().settings), 'noiseMul', [0.1, 1]);
    if (!plan.ok) throw new Error(plan.why);
    expect(await runner.start(plan.value, t.s().settings)).toBe('done');
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

  it('Cancel keeps the finished runs; refuses to start without enough free pins', async () => {
    const t = page(tinySettings({ epochs: 1 }));
    await t.session.start();
    const runner = sweepFor(t.session);
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
    expect(runner.blocker(3)).toMatch(/unpin 2 of the 7 pinned runs/);
    expect(await runner.start(plan.value, t.s().settings)).toBe('failed');
    t.session.dispose();
  }, 120_000);
});
