/**
 * `npm run bench:charts` — the UI part of the benchmark for the charts alone: the chart fixture page (9 runs × 100
 * classes, production build) in headless Chromium, each chart's update cost from Chrome's trace. Writes
 * results/bench/charts-<date>.json and charts-latest.md and prints the table. `npm run bench` runs the same as part
 * of its UI measurement.
 *
 *   npm run bench:charts -- [--seconds 20] [--rounds 3] [--out results/bench]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chartsMarkdown, measureCharts } from './bench-browser';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seconds: { type: 'string' }, rounds: { type: 'string' }, out: { type: 'string' } },
  });
  const out = resolve(values.out ?? 'results/bench');
  const r = await measureCharts(Number(values.seconds ?? 20), (s) => process.stderr.write(`${s}\n`), Number(values.rounds ?? 3));
  mkdirSync(out, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const json = JSON.stringify({ tool: 'long-tail-playground bench:charts', date: new Date().toISOString(), charts: r }, null, 1);
  writeFileSync(join(out, `charts-${stamp}.json`), `${json}\n`);
  const md = chartsMarkdown(r);
  writeFileSync(join(out, 'charts-latest.md'), `${md}\n`);
  process.stdout.write(`${md}\n`);
  if (r.status !== 'measured') process.exitCode = 1;
}

main().catch((e) => {
  process.stderr.write(`error: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
