/** The page's seed queue on the real engine (in-process worker, cpu, tiny data): groups, table rows, CSV, pins. */
import { describe, expect, it } from 'vitest';
import type { TrainConfig } from '../../../src/core/train/config';
import { PlaygroundSession } from '../../../src/state/session/session';
import { createPlaygroundStore } from '../../../src/state/session/store';
import { pinnedCount } from '../../../src/state/session/slices/metrics';
import { SeedRunner } from '../../../src/state/runs/seed-runner';
import { CSV_COLUMNS, compareCsv, groupedRows, sortRows } from '../../../src/state/runs/compare';
import { summarize } from '../../../src/core/train/groups';
import { inProcessClients, tinySettings as baseSettings, until } from '../../helpers/in-process-worker';

const tinySettings = (over: Partial<TrainConfig> = {}) =>
  baseSettings({ batchSize: 32, epochs: 1, evalPerClass: 3, seed: 3, lr: 0.05, loss: 'ce', head: 'linear', ...over });

function page(settings = tinySettings()) {
  const store = createPlaygroundStore(settings);
  const session = new PlaygroundSession(store, {
    createClient: inProcessClients().createClient,
    schedule: (cb) => setTimeout(cb, 5),
    flushIntervalMs: 0,
  });
  return { store, session, s: () => store.getState() };
}

describe('seed queue (real engine, cpu, tiny data)', () => {
  it('trains the form once per seed, pins one group, the table row is the mean ± std and the CSV has the seeds and the group', async () => {
    const t = page();
    await t.session.start();
    const form = structuredClone(t.s().settings);
    const runner = new SeedRunner(t.session);
    const seen: number[] = [];
    const off = runner.subscribe(() => {
      const st = runner.getStatus();
      if (st?.state === 'running' && seen.at(-1) !== st.index) seen.push(st.index);
    });
    expect(await runner.start(t.s().settings, [3, 4, 5])).toBe('done');
    off();
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(t.s().settings).toEqual(form);
    const pinned = [...t.s().archived, t.s().current!].filter((r) => r.pinned);
    expect(pinned.map((r) => r.settings?.config.seed)).toEqual([3, 4, 5]);
    // each seed draws its own subset; one configuration: one pin, one colour
    expect(new Set(pinned.map((r) => r.dataKey)).size).toBe(3);
    expect(pinnedCount(t.s())).toBe(1);
    expect(new Set(pinned.map((r) => r.color)).size).toBe(1);
    const rows = groupedRows(t.s());
    const g = rows.find((r) => r.group)!;
    expect(g.label).toMatch(/ · 3 seeds$/);
    expect(g.group!.members.map((m) => m.seed)).toEqual([3, 4, 5]);
    const accs = pinned.map((r) => r.epochs.at(-1)!.testAccuracy!);
    const s = summarize(accs);
    expect(g.last!.overall).toBeCloseTo(s.mean, 12);
    expect(g.group!.last.overall.std).toBeCloseTo(s.std, 12);
    // sorting reads the group's mean
    expect(sortRows(rows, 'lastOverall').find((r) => r.group)!.last!.overall).toBe(g.last!.overall);
    const lines = compareCsv(rows).trimEnd().split('\r\n');
    // a tiny RFC 4180 reader
    const parse = (l: string) =>
      [...l.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)].slice(0, -1).map((m) => m[1].replace(/^"|"$/g, '').replace(/""/g, '"'));
    const recs = lines.slice(1).map((l) => Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, parse(l)[i]])));
    // the seeds' rows, then the group's (the next run of the form, seed 3 again, is a row of its own after them)
    expect(recs.map((r) => [r.seed, r.group_seeds])).toEqual([
      ['3', ''],
      ['4', ''],
      ['5', ''],
      ['', '3'],
      ['3', ''],
    ]);
    const groupRec = recs[3];
    expect(Number(groupRec.last_overall_std)).toBeCloseTo(s.std, 3);
    expect(Number(groupRec.last_overall_accuracy)).toBeCloseTo(s.mean, 3);
    t.session.dispose();
  }, 180_000);

  it('Cancel keeps the finished seeds pinned', async () => {
    const t = page();
    await t.session.start();
    const runner = new SeedRunner(t.session);
    const p = runner.start(t.s().settings, [1, 2, 3]);
    await until(() => runner.getStatus()?.index === 1);
    runner.cancel();
    expect(await p).toBe('cancelled');
    expect([...t.s().archived, t.s().current!].filter((r) => r.pinned).map((r) => r.settings?.config.seed)).toEqual([1]);
    t.session.dispose();
  }, 120_000);
});
