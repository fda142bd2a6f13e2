/**
 * `npm run train -- --seeds 1,2,3` (or a count, `--seeds 3`): the same configuration once per seed, each seed
 * redrawing the subset and the initial weights exactly as `--seed` does, then one JSON document with every seed's
 * result and the group's mean and sample std (final and best epoch: overall, many, medium, few; per epoch: test
 * accuracy). With `--sweep`, every value runs with every seed and its summary row carries the same spread.
 */
import type { TrainConfig } from '../core/train/config';
import { summarizeFields, summarizeSeries, type Summary } from '../core/train/groups';
import type { EpochMetrics } from '../core/train/trainer';
import { percentMeanStd } from '../core/format';

export const SEEDS_USAGE = `Seeds (one run per seed, everything else equal)
  --seeds LIST          "1,2,3": one run per seed (each redraws the subset and the initial weights, as --seed); a
                        count "3" runs --seed, --seed + 1, --seed + 2. The JSON has every seed's result and the
                        group's mean and sample std. With --sweep: every value with every seed`;

/** What one seed's run returns that the group needs. */
export interface SeedResult {
  halted: string | null;
  epochs: EpochMetrics[];
  stage2Epochs: EpochMetrics[];
}

const KEYS = ['overall', 'many', 'medium', 'few'] as const;
type Key = (typeof KEYS)[number];
export type GroupSpread = Record<Key, Summary>;

/** The group's spread: final and best epoch (of the last stage trained), and test accuracy per epoch. */
export interface SeedGroup {
  n: number;
  final: GroupSpread;
  best: GroupSpread;
  /** Test accuracy per epoch of the last stage (index i: the seeds that reached epoch i + 1). */
  testAccuracy: Summary[];
}

const lastStage = (r: SeedResult) => (r.stage2Epochs.length ? r.stage2Epochs : r.epochs);

function cells(e: EpochMetrics | undefined): Partial<Record<Key, number | null>> {
  if (!e) return {};
  return { overall: e.testAccuracy, many: e.groupAccuracy.many, medium: e.groupAccuracy.medium, few: e.groupAccuracy.few };
}

/** The best epoch as the run chose it: validation score when it had a split, else test accuracy (first on ties). */
function best(epochs: readonly EpochMetrics[]): EpochMetrics | undefined {
  const score = (e: EpochMetrics) => e.selectionScore ?? e.testAccuracy ?? NaN;
  let b: EpochMetrics | undefined;
  for (const e of epochs) if (Number.isFinite(score(e)) && (!b || score(e) > score(b))) b = e;
  return b;
}

export function seedGroup(results: readonly SeedResult[]): SeedGroup {
  const epochs = results.map(lastStage);
  return {
    n: results.length,
    final: summarizeFields(
      epochs.map((es) => cells(es.at(-1))),
      KEYS,
    ),
    best: summarizeFields(
      epochs.map((es) => cells(best(es))),
      KEYS,
    ),
    testAccuracy: summarizeSeries(epochs.map((es) => es.map((e) => e.testAccuracy ?? NaN))),
  };
}

export interface SeedsDocument<R extends SeedResult> {
  tool: 'long-tail-playground seeds';
  version: 1;
  date: string;
  seeds: number[];
  runs: { seed: number; result: R }[];
  /** 'interrupted': a signal stopped the queue; `runs` holds the seeds it reached (the last one partial). */
  halted: 'interrupted' | null;
  group: SeedGroup;
}

/** The configuration of one seed's run: the same one with `seed` replaced. */
export const withSeed = (c: TrainConfig, seed: number): TrainConfig => ({ ...c, seed });

export async function runSeeds<R extends SeedResult>(
  config: TrainConfig,
  seeds: readonly number[],
  trainOnce: (config: TrainConfig, label: string) => Promise<R>,
  interrupted: () => boolean = () => false,
): Promise<SeedsDocument<R>> {
  const runs: SeedsDocument<R>['runs'] = [];
  for (let i = 0; i < seeds.length; i++) {
    if (interrupted()) break;
    runs.push({ seed: seeds[i], result: await trainOnce(withSeed(config, seeds[i]), `seed ${seeds[i]} (${i + 1} of ${seeds.length})`) });
  }
  return {
    tool: 'long-tail-playground seeds',
    version: 1,
    date: new Date().toISOString(),
    seeds: [...seeds],
    runs,
    halted: interrupted() ? 'interrupted' : null,
    group: seedGroup(runs.map((r) => r.result)),
  };
}

/** One line of the group: "overall 52.0 ± 3.6 % (n = 3), many …". */
export function groupLine(g: GroupSpread, n: number): string {
  const p = (s: Summary) => percentMeanStd(s, { unit: ' %' });
  return `${KEYS.map((k) => `${k} ${p(g[k])}`).join(', ')} (n = ${n})`;
}
