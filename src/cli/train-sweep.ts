/**
 * `npm run train -- --sweep KEY=VALUES …`: one run per value (src/state/sweep.ts plans them: same data, seed and
 * initial weights), then one JSON document with every run and the summary table (last or best epoch).
 */
import type { TrainConfig } from '../core/train/config';
import type { EpochMetrics, Trainer } from '../core/train/trainer';
import { sweepRows, sweepTable, type SweepPlan, type SweepRow, type SweepWhen } from '../state/sweep';

export const SWEEP_USAGE = `Sweep (one run per value, everything else equal: same data, seed and initial weights)
  --sweep KEY=VALUES    KEY: a loss hyperparameter that acts on this loss and head (e.g. noiseMul; not the
                        cosine scale on a linear head; GCL: stage-1 settings), lr, batch or if; VALUES: 2–8 values
                        "a,b,c" or a range and a count "from:to:count" (add "log" for geometric spacing, e.g.
                        0.01:0.1:3log)
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
  when: SweepWhen;
  /** The validation split of every run (0: none). */
  valFraction: number;
  /** What chooses each run's best epoch (the summary's "best" rows, and GCL stage 2's start when from best). */
  bestChosenOn: 'validation' | 'test';
  runs: { value: number; label: string; result: OneRun['result'] }[];
  /** 'interrupted': a signal stopped the sweep; `runs` holds the runs it reached (the last one partial). */
  halted: 'interrupted' | null;
  summary: SweepRow[];
  table: string;
}

export async function runSweep(
  plan: SweepPlan,
  when: SweepWhen,
  trainOnce: (config: TrainConfig, label: string) => Promise<OneRun>,
  interrupted: () => boolean = () => false,
): Promise<SweepDocument> {
  const runs: SweepDocument['runs'] = [];
  for (const spec of plan.runs) {
    if (interrupted()) break;
    const { result, trainer } = await trainOnce(spec.config, `${spec.label} (${spec.index + 1}/${plan.runs.length})`);
    trainer.dispose();
    runs.push({ value: spec.value, label: spec.label, result });
  }
  const summary = sweepRows(
    runs.map((r) => ({
      value: r.value,
      label: r.label,
      counts: r.result.dataset.counts,
      // a run with stage 2: its final stage is read
      epochs: r.result.stage2Epochs.length ? r.result.stage2Epochs : r.result.epochs,
    })),
    when,
  );
  return {
    tool: 'long-tail-playground sweep',
    version: 1,
    date: new Date().toISOString(),
    param: plan.param,
    values: plan.values,
    when,
    valFraction: plan.runs[0]?.config.valFraction ?? 0,
    bestChosenOn: (plan.runs[0]?.config.valFraction ?? 0) > 0 ? 'validation' : 'test',
    runs,
    halted: interrupted() ? 'interrupted' : null,
    summary,
    table: sweepTable(plan.param, summary, when),
  };
}
