/** Save comparison → Open comparison on the real engine (in-process worker, cpu, tiny data): real JSON, real validator. */
import { describe, expect, it } from 'vitest';
import type { TrainConfig } from '../../../src/core/train/config';
import { PlaygroundSession } from '../../../src/state/session/session';
import { createPlaygroundStore } from '../../../src/state/session/store';
import { pinnedCount, type RunRecord } from '../../../src/state/session/slices/metrics';
import { planSweep } from '../../../src/core/train/sweep';
import { SweepRunner } from '../../../src/state/runs/sweep-runner';
import { trainConfigOf } from '../../../src/state/settings/settings';
import { COMPARISON_KIND, comparisonJson, comparisonOf, openComparison, parseComparison } from '../../../src/state/runs/comparison-file';
import { inProcessClients, tinySettings as baseSettings, until } from '../../helpers/in-process-worker';

const tinySettings = (over: Partial<TrainConfig> = {}) =>
  baseSettings({ batchSize: 32, epochs: 2, evalPerClass: 3, seed: 3, lr: 0.05, loss: 'gcl', head: 'cosine', ...over });

function page(settings = tinySettings()) {
  const store = createPlaygroundStore(settings);
  const session = new PlaygroundSession(store, {
    createClient: inProcessClients().createClient,
    schedule: (cb) => setTimeout(cb, 5),
    flushIntervalMs: 0,
  });
  return { store, session, s: () => store.getState() };
}

/** What a run shows (charts, table): everything but the feature-space projection, which the file leaves out. */
const shown = (r: RunRecord) => ({
  label: r.label,
  color: r.color,
  dataKey: r.dataKey,
  settings: r.settings,
  changes: r.changes ?? [],
  batches: r.batches,
  epochs: r.epochs.map(({ featureSpace: _f, ...e }) => e),
});

describe('saved comparison (real engine, cpu, tiny data)', () => {
  it('save → JSON → open in another page gives the same pinned runs; bad files are refused with why and change nothing', async () => {
    const a = page();
    await a.session.start();
    const plan = planSweep(trainConfigOf(a.s().settings), 'lr', [0.02, 0.05]);
    if (!plan.ok) throw new Error(plan.why);
    expect(await new SweepRunner(a.session).start(plan.value, a.s().settings, [3, 4])).toBe('done');
    const pinned = a.s().archived.filter((r) => r.pinned);
    expect(pinned).toHaveLength(4);
    // the form's run after the sweep has trained nothing: not part of the file
    expect(a.s().current!.epochs).toHaveLength(0);
    // a change log travels with its run
    pinned[3] = { ...pinned[3], changes: [{ stage: 1, epoch: 2, step: 5, key: 'lr', from: 0.05, to: 0.02 }] };
    const file = comparisonOf({ archived: pinned, current: a.s().current });
    expect(file.kind).toBe(COMPARISON_KIND);
    expect(file.runs).toHaveLength(4);
    expect(file.seeds).toEqual([3, 4]);
    const text = comparisonJson(file);
    expect(text).not.toMatch(/"weights"|"featureSpace"/);
    const saved = pinned.map(shown);
    a.session.dispose();

    const b = page();
    await b.session.start();
    const before = structuredClone(b.s().archived);
    const why = async (t: string) => {
      const r = await openComparison(b.store.getState, t);
      expect(b.s().archived).toEqual(before);
      return r.ok ? '' : r.why;
    };
    expect(await why('{"kind":')).toMatch(/^it is not JSON/);
    expect(await why('[]')).toMatch(/not a saved comparison/);
    expect(await why(JSON.stringify({ ...file, kind: 'x' }))).toMatch(/not a saved comparison/);
    expect(await why(JSON.stringify({ ...file, version: 2 }))).toMatch(/version 2: it was saved by a newer version/);
    expect(await why(JSON.stringify({ ...file, runs: [] }))).toMatch(/runs is empty/);
    const broken = JSON.parse(text);
    broken.runs[1].epochs[0].testAccuracy = 'high';
    expect(await why(JSON.stringify(broken))).toMatch(/^runs\[1\]\.epochs\[0\]\.testAccuracy is "high", expected a number/);
    const badConfig = JSON.parse(text);
    badConfig.runs[0].settings.config.lr = -1;
    expect(await why(JSON.stringify(badConfig))).toMatch(/^runs\[0\]\.settings\.config\.lr/);
    const badChange = JSON.parse(text);
    badChange.runs[3].changes[0].epoch = -1;
    expect(await why(JSON.stringify(badChange))).toMatch(/^runs\[3\]\.changes\[0\]\.epoch/);

    const opened = await openComparison(b.store.getState, text);
    expect(opened).toEqual({ ok: true, opened: 4 });
    const back = b.s().archived.filter((r) => r.pinned);
    expect(back.map(shown)).toEqual(saved);
    expect(back.map((r) => r.id)).toEqual(file.runs.map((r) => r.id));
    expect(pinnedCount(b.s())).toBe(2); // two configurations of two seeds each
    // opening it again adds nothing
    expect(await openComparison(b.store.getState, text)).toEqual({ ok: true, opened: 0 });
    expect(parseComparison(comparisonJson(comparisonOf({ archived: back, current: null }))).ok).toBe(true);
    await until(() => b.s().phase !== 'starting');
    b.session.dispose();
  }, 120_000);
});
