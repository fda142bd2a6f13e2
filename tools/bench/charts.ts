/**
 * `npm run bench:charts` — the UI part of the benchmark for the charts alone: the chart fixture page (9 runs × 100
 * classes, then 9 seed groups × 5 seeds × 100 classes drawn as mean ± std; production build) in headless Chromium,
 * each chart's update cost from Chrome's trace. Writes
 * results/bench/charts-<date>.json and charts-latest.md and prints the table. `npm run bench` runs the same as part
 * of its UI measurement.
 *
 *   npm run bench:charts -- [--seconds 20] [--rounds 3] [--out results/bench]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chartsMarkdown, measureCharts } from './browser';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seconds: { type: 'string' }, rounds: { type: 'string' }, out: { type: 'string' } },
  });
  const out = resolve(values.out ?? 'results/bench');
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const r = await measureCharts(Number(values.seconds ?? 20), log, Number(values.rounds ?? 3));
  const seeds = await measureCharts(Number(values.seconds ?? 20), log, Number(values.rounds ?? 3), 'seeds');
  mkdirSync(out, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const json = JSON.stringify({ tool: 'long-tail-playground bench:charts', date: new Date().toISOString(), charts: r, seeds }, null, 1);
  writeFileSync(join(out, `charts-${stamp}.json`), `${json}\n`);
  const worst = Math.max(...Object.values(seeds.perChart).map((c) => c.worstTaskMs));
  const md = `${chartsMarkdown(r)}\n\n${chartsMarkdown(seeds)}\n\nSeed groups: worst chart update ${worst} ms wall (target ≤ ${seeds.targetMs} ms).`;
  writeFileSync(join(out, 'charts-latest.md'), `${md}\n`);
  process.stdout.write(`${md}\n`);
  if (r.status !== 'measured' || seeds.status !== 'measured') process.exitCode = 1;
}

main().catch((e) => {
  process.stderr.write(`error: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
