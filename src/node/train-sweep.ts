/**
 * `npm run train -- --sweep KEY=VALUES [--sweep2 KEY=VALUES] …`: one run per value or pair of values
 * (src/core/train/sweep.ts plans them: same data, seed and initial weights), then one JSON document with every run and the summary table (last or best epoch).
 */
import type { TrainConfig } from '../core/train/config';
import type { EpochMetrics, Trainer } from '../core/train/trainer';
import { sweepRows, sweepTable, type SweepPlan, type SweepRow, type SweepWhen } from '../core/train/sweep';
import { groupBy, summarizeFields, type Summary } from '../core/train/groups';
import { withSeed } from './train-seeds';
import { percentMeanStd } from '../core/format';

export const SWEEP_USAGE = `Sweep (one run per value, everything else equal: same data, seed and initial weights)
  --sweep KEY=VALUES    KEY: a loss hyperparameter that acts on this loss and head (e.g. noiseMul; not the
                        cosine scale on a linear head; GCL: stage-1 settings), lr, batch or if; VALUES: 2–8 values
                        "a,b,c" or a range and a count "from:to:count" (add "log" for geometric spacing, e.g.
                        0.01:0.1:3log)
  --sweep2 KEY=VALUES   a second parameter (as --sweep): one run per pair of values, the grid
  --sweep-when W        last | best: the epoch the summary table reads (default last)
  --out FILE gets one JSON with every run and the table`;

/** What trainOnce returns that the sweep needs. */
interface OneRun {
  result: { halted: string | null; dataset: { counts: number[] }; epochs: EpochMetrics[]; stage2Epochs: EpochMetrics[] };
  trainer: Trainer;
}

export interface SweepDocument {
  tool: 'long-tail-playground sweep';
  version: 1;
  date: string;
  param: SweepPlan['param'];
  values: number[];
  /** The second parameter and its values (--sweep2), if any. */
  param2?: SweepPlan['param'];
  values2?: number[];
  when: SweepWhen;
  /** The validation split of every run (0: none). */
  valFraction: number;
  /** What chooses each run's best epoch (the summary's "best" rows, and GCL stage 2's start when from best). */
  bestChosenOn: 'validation' | 'test';
  /** The seeds every value ran with (one: the config's own seed). */
  seeds: number[];
  runs: { value: number; value2?: number; seed: number; label: string; result: OneRun['result'] }[];
  /** 'interrupted': a signal stopped the sweep; `runs` holds the runs it reached (the last one partial). */
  halted: 'interrupted' | null;
  /** One row per run (value × seed). */
  summary: SweepRow[];
  /** One row per value (pair of values): mean and sample std over its seeds (n = 1: std 0). */
  groups: SweepGroupRow[];
  table: string;
}

const SPREAD_KEYS = ['overall', 'many', 'medium', 'few', 'tail3'] as const;
export type SweepGroupRow = { value: number; value2?: number; n: number } & Record<(typeof SPREAD_KEYS)[number], Summary>;

/** The per-run rows grouped by value (pair of values), each group summarised. */
export function sweepGroups(rows: readonly SweepRow[]): SweepGroupRow[] {
  return groupBy(rows, (r) => `${r.value}|${r.value2 ?? ''}`).map((g) => ({
    value: g.items[0].value,
    ...(g.items[0].value2 !== undefined ? { value2: g.items[0].value2 } : {}),
    n: g.items.length,
    ...summarizeFields(g.items, SPREAD_KEYS),
  }));
}

/** The groups as markdown: mean ± std per column. */
function groupTable(param: SweepPlan['param'], groups: readonly SweepGroupRow[], param2?: SweepPlan['param']): string {
  const p = (s: Summary) => percentMeanStd(s, { unit: '' });
  return [
    `| ${param.id} |${param2 ? ` ${param2.id} |` : ''} seeds | overall | many | medium | few | tail-3 |`,
    `|---:|${param2 ? '---:|' : ''}---:|---:|---:|---:|---:|---:|`,
    ...groups.map((g) => `| ${g.value} |${param2 ? ` ${g.value2} |` : ''} ${g.n} | ${SPREAD_KEYS.map((k) => p(g[k])).join(' | ')} |`),
  ].join('\n');
}

export async function runSweep(
  plan: SweepPlan,
  when: SweepWhen,
  trainOnce: (config: TrainConfig, label: string) => Promise<OneRun>,
  interrupted: () => boolean = () => false,
  seeds: readonly number[] = [plan.runs[0]?.config.seed ?? 1],
): Promise<SweepDocument> {
  const runs: SweepDocument['runs'] = [];
  const total = plan.runs.length * seeds.length;
  const many = seeds.length > 1;
  outer: for (const spec of plan.runs) {
    for (let k = 0; k < seeds.length; k++) {
      if (interrupted()) break outer;
      const label = many ? `${spec.label} · seed ${seeds[k]}` : spec.label;
      const at = spec.index * seeds.length + k + 1;
      const seedText = many ? `, seed ${k + 1} of ${seeds.length}` : '';
      const { result, trainer } = await trainOnce(withSeed(spec.config, seeds[k]), `${spec.label} (${at}/${total}${seedText})`);
      trainer.dispose();
      runs.push({ value: spec.value, ...(spec.value2 !== undefined ? { value2: spec.value2 } : {}), seed: seeds[k], label, result });
    }
  }
  const summary = sweepRows(
    runs.map((r) => ({
      value: r.value,
      ...(r.value2 !== undefined ? { value2: r.value2 } : {}),
      label: r.label,
      counts: r.result.dataset.counts,
      // a run with stage 2: its final stage is read
      epochs: r.result.stage2Epochs.length ? r.result.stage2Epochs : r.result.epochs,
    })),
    when,
  );
  const groups = sweepGroups(summary);
  return {
    tool: 'long-tail-playground sweep',
    version: 1,
    date: new Date().toISOString(),
    param: plan.param,
    values: plan.values,
    ...(plan.param2 ? { param2: plan.param2, values2: plan.values2 } : {}),
    when,
    valFraction: plan.runs[0]?.config.valFraction ?? 0,
    bestChosenOn: (plan.runs[0]?.config.valFraction ?? 0) > 0 ? 'validation' : 'test',
    seeds: [...seeds],
    runs,
    halted: interrupted() ? 'interrupted' : null,
    summary,
    groups,
    table: many
      ? `${sweepTable(plan.param, summary, when, plan.param2)}\n\n${groupTable(plan.param, groups, plan.param2)}`
      : sweepTable(plan.param, summary, when, plan.param2),
  };
}
