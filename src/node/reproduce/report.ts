/**
 * The reproduction's files: table.md, summary.json and the per-class chart of one folder, and seeds.json /
 * seeds.md (and the Lesson's lesson.md) over several seeds.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { drwStartEpoch, gaStartEpoch, stage1Lr } from '../../core/train/schedules';
import { getLoss } from '../../core/losses/registry';
import { writeFileAtomic } from '../outputs';
import { renderGroupedBars, renderGroupedBarsSvg, type GroupedBarChart } from './charts';
import { groupBy, summarizeFields, type Summary } from '../../core/train/groups';
import { RunId, Profile, LESSON_RUNS, runFile, seedDir } from './runs';
import {
  ReproducedRun,
  ReproducedSummary,
  classesByCount,
  summarize,
  bestChosenOn,
  claimChecks,
  LESSON_CLAIMS,
  lessonClaimResults,
  LessonSeed,
  lessonSpread,
} from './summary';
import { MISSING, percent, percentMeanStd } from '../../core/format';

export const pc = (v: number | null | undefined) => percent(v, { unit: '' });

/** The markdown tables (final epoch; best epoch) plus the checks of the papers' orderings. */
export function markdownTable(sums: ReproducedSummary[], records: ReproducedRun[]): string {
  const lines: string[] = [];
  const r0 = records[0];
  const order = classesByCount(r0.counts);
  const k = Math.min(3, Math.floor(r0.counts.length / 2)) || 1;
  const tailNames = order
    .slice(-k)
    .map((c) => `${r0.classNames[c]} (${r0.counts[c]})`)
    .join(', ');
  const headNames = order
    .slice(0, k)
    .map((c) => `${r0.classNames[c]} (${r0.counts[c]})`)
    .join(', ');
  const groupsHave = (g: string) => r0.groups.some((x) => x === g);
  lines.push(selectionLine(sums, r0), '');
  lines.push('**Final epoch** (test accuracy %, the last epoch of each run):', '');
  lines.push(`| run | epochs | overall | many | medium | few | tail-${k} | head-${k} | tail/head feature norm |`);
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of sums) {
    const f = s.final;
    lines.push(
      `| ${s.label}${s.halted ? ' (halted)' : ''} | ${s.epochs} | ${pc(f.overall)} | ${pc(f.many)} | ${pc(f.medium)} | ${pc(f.few)} | ${pc(f.tail3)} | ${pc(f.head3)} | ${s.normRatioTail3Head3.toFixed(2)} |`,
    );
  }
  const onVal = sums.some((s) => s.bestOn === 'validation');
  lines.push(
    '',
    onVal
      ? '**Best epoch** (the epoch with the highest mean per-class accuracy on the held-out validation split of each run — the "chosen on" column says which; test accuracy of that epoch shown; the epoch is 1-based):'
      : '**Best epoch** (the epoch with the highest overall test accuracy of each run — selected on the test set, as the papers report; the epoch is 1-based):',
    '',
  );
  lines.push(`| run | best epoch | chosen on | overall | many | medium | few | tail-${k} | head-${k} |`);
  lines.push('|---|---:|---|---:|---:|---:|---:|---:|---:|');
  for (const s of sums) {
    const b = s.best;
    lines.push(
      `| ${s.label} | ${b.epoch + 1} | ${s.bestOn ?? 'test'} | ${pc(b.overall)} | ${pc(b.many)} | ${pc(b.medium)} | ${pc(b.few)} | ${pc(b.tail3)} | ${pc(b.head3)} |`,
    );
  }
  lines.push('');
  lines.push(
    `many / medium / few = classes with > 100 / 20–100 / < 20 training images (mean of per-class accuracies)${groupsHave('few') ? '' : '; **no class has < 20 images at IF 100 with n_max = 5000 (the smallest has 50), so "few" is empty (–)**'}. ` +
      `tail-${k} = the ${k} classes with the fewest training images: ${tailNames}; head-${k} = the ${k} with the most: ${headNames}. ` +
      `tail/head feature norm = mean test-set feature norm (L2 norm of the pooled feature, averaged per class, then over classes) of the tail-${k} classes divided by that of the head-${k} classes, at the final epoch (the (medium+few)/many ratio is in summary.json).`,
  );
  lines.push('');
  lines.push(...claimChecks(sums).map((c) => `- ${c.holds ? '✓' : '✗'} ${c.text}`));
  return lines.join('\n');
}

function selectionLine(sums: ReproducedSummary[], r0: ReproducedRun): string {
  const f = r0.config.valFraction ?? 0;
  const on = bestChosenOn(sums);
  if (on === 'test') return '"Best" epochs are chosen on **the test set** (no validation split), as the papers report.';
  const split = `a validation split of ${+(100 * f).toFixed(1)} % of each class's training images (seeded, held out of training)`;
  if (on === 'validation') return `"Best" epochs are chosen on **${split}**; every accuracy shown is test accuracy.`;
  return `"Best" epochs are chosen on **validation for some runs and on the test set for others** (see the "chosen on" column).`;
}

/** The per-seed table of the Lesson's runs and, per claim, whether it holds on every seed. */
export function lessonMarkdown(seeds: LessonSeed[]): string {
  const lines: string[] = [];
  lines.push('Test accuracy % at the final epoch; norm = tail-3 / head-3 mean test feature norm.', '');
  lines.push('| seed | run | overall | many | medium | few | norm |', '|---:|---|---:|---:|---:|---:|---:|');
  for (const s of seeds) {
    for (const r of s.sums) {
      const f = r.final;
      lines.push(
        `| ${s.seed} | ${r.label} | ${pc(f.overall)} | ${pc(f.many)} | ${pc(f.medium)} | ${pc(f.few)} | ${r.normRatioTail3Head3.toFixed(2)} |`,
      );
    }
  }
  lines.push('', '| claim | ' + seeds.map((s) => `seed ${s.seed}`).join(' | ') + ' | every seed |');
  lines.push('|---|' + seeds.map(() => ':-:|').join('') + ':-:|');
  const results = seeds.map((s) => lessonClaimResults(s.sums));
  for (const c of LESSON_CLAIMS) {
    const v = results.map((r) => r[c.id]);
    const mark = (x: boolean | null) => (x === null ? MISSING : x ? '✓' : '✗');
    lines.push(`| ${c.text} | ${v.map(mark).join(' | ')} | ${v.every((x) => x === true) ? 'yes' : 'NO'} |`);
  }
  lines.push('', 'Spread over the seeds (min–max, %):', '');
  for (const id of LESSON_RUNS) {
    const o = lessonSpread(seeds, id, 'overall');
    const f = lessonSpread(seeds, id, 'few');
    const label = seeds[0]?.sums.find((r) => r.id === id)?.label ?? id;
    if (o && f) lines.push(`- ${label}: overall ${o[0].toFixed(1)}–${o[1].toFixed(1)}, few ${f[0].toFixed(1)}–${f[1].toFixed(1)}`);
  }
  const secs = seeds.map((s) => s.seconds);
  if (secs.length) lines.push('', `Training seconds per seed (the whole Lesson): ${secs.map((x) => x.toFixed(0)).join(', ')}.`);
  return lines.join('\n');
}

export function perClassChart(sums: ReproducedSummary[], r0: ReproducedRun, title: string): GroupedBarChart {
  const order = classesByCount(r0.counts);
  return {
    title,
    groups: order.map((c) => `${shortName(r0.classNames[c])} ${r0.counts[c]}`),
    series: sums.map((s) => ({ label: s.label, values: order.map((c) => s.final.perClass[c]) })),
  };
}

function shortName(n: string): string {
  return n.split(/[\s/]+/)[0];
}

/** Reads the finished runs, writes table.md, summary.json and the per-class chart; returns the markdown. */
export function aggregate(
  outDir: string,
  runs: RunId[],
  png = true,
): { markdown: string; summaries: ReproducedSummary[]; missing: RunId[] } {
  const records: ReproducedRun[] = [];
  const missing: RunId[] = [];
  for (const id of runs) {
    const f = runFile(outDir, id);
    if (existsSync(f)) records.push(JSON.parse(readFileSync(f, 'utf8')) as ReproducedRun);
    else missing.push(id);
  }
  if (!records.length) return { markdown: '(no finished run)', summaries: [], missing };
  const sums = records.filter((r) => r.epochs.length).map(summarize);
  const r0 = records[0];
  const sameInit = records.every((r) => r.initHash === r0.initHash);
  const sameSubset = records.every((r) => r.subsetHash === r0.subsetHash);
  let md = markdownTable(sums, records);
  md += `\n\nSame training subset in every run: ${sameSubset ? 'yes' : 'NO'} (hash ${r0.subsetHash}); same initial backbone weights: ${sameInit ? 'yes' : 'NO'} (hash ${r0.initHash}).`;
  if (missing.length) md += `\n\nNot finished yet: ${missing.join(', ')}.`;
  const summary = {
    date: new Date().toISOString(),
    profile: r0.profile,
    backend: r0.backend,
    host: r0.host,
    model: r0.config.model,
    counts: r0.counts,
    groups: r0.groups,
    classNames: r0.classNames,
    testImages: r0.testImages,
    sameInit,
    sameSubset,
    valFraction: r0.config.valFraction ?? 0,
    bestChosenOn: bestChosenOn(sums),
    runs: sums,
    claims: claimChecks(sums),
    missing,
  };
  writeFileAtomic(join(outDir, 'summary.json'), JSON.stringify(summary, null, 1));
  writeFileAtomic(join(outDir, 'table.md'), `${md}\n`);
  if (png && sums.length) {
    const chart = perClassChart(
      sums,
      r0,
      `Per-class test accuracy, final epoch (FMNIST-LT IF ${r0.config.imbalance}, ${r0.config.model}, ${r0.profile})`,
    );
    writeFileAtomic(join(outDir, 'per-class.png'), renderGroupedBars(chart).toPng());
    writeFileAtomic(join(outDir, 'per-class.svg'), renderGroupedBarsSvg(chart));
  }
  return { markdown: md, summaries: sums, missing };
}

/** What the scaled schedule looks like (for the log and the README). */
export function scheduleNote(p: Profile): string {
  const T = p.epochs;
  const lrs = (loss: string) => Array.from({ length: T }, (_, e) => stage1Lr(e, T, 0.1, getLoss(loss).schedule, true).toPrecision(2));
  return [
    `T = ${T} epochs: warm-up epochs (E ≤ ${(5 * T) / 200}): ${Math.floor((5 * T) / 200)}; KPS GA from epoch ${gaStartEpoch(T) + 1}; LDAM DRW from epoch ${drwStartEpoch(T) + 1} (1-based)`,
    `lr GCL/KPS: ${lrs('gcl').join(' ')}`,
    `lr CE/LDAM/BS/FBL: ${lrs('ce').join(' ')}`,
  ].join('\n');
}
const SPREAD_KEYS = ['overall', 'many', 'medium', 'few', 'tail3'] as const;
type Spread = Record<(typeof SPREAD_KEYS)[number], Summary>;

export interface SeedsSummary {
  seeds: number[];
  /** Per run: the seeds that finished it, and the mean and sample std of its final and best epoch over them. */
  runs: { id: RunId; label: string; seeds: number[]; final: Spread; best: Spread }[];
  /** Each seed's own summary.json runs (per-seed rows). */
  perSeed: { seed: number; runs: ReproducedSummary[] }[];
  markdown: string;
}

/** Reads every seed's finished runs and writes seeds.json and seeds.md (mean ± std per run). */
export function aggregateSeeds(outDir: string, seeds: readonly number[], runs: readonly RunId[]): SeedsSummary {
  const perSeed = seeds.map((seed) => {
    const f = join(seedDir(outDir, seed), 'summary.json');
    const sums = existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as { runs: ReproducedSummary[] }).runs : [];
    return { seed, runs: sums.filter((r) => runs.includes(r.id)) };
  });
  const rows = perSeed.flatMap((p) => p.runs.map((r) => ({ seed: p.seed, r })));
  const groups = groupBy(rows, (x) => x.r.id).map((g) => ({
    id: g.items[0].r.id,
    label: g.items[0].r.label,
    seeds: g.items.map((x) => x.seed),
    final: summarizeFields(
      g.items.map((x) => x.r.final),
      SPREAD_KEYS,
    ),
    best: summarizeFields(
      g.items.map((x) => x.r.best),
      SPREAD_KEYS,
    ),
  }));
  groups.sort((a, b) => runs.indexOf(a.id) - runs.indexOf(b.id));
  const ms = (s: Summary) => percentMeanStd(s, { unit: '' });
  const table = (which: 'final' | 'best') => [
    `| run | seeds | overall | many | medium | few | tail-3 |`,
    '|---|---:|---:|---:|---:|---:|---:|',
    ...groups.map((g) => `| ${g.label} | ${g.seeds.length} | ${SPREAD_KEYS.map((k) => ms(g[which][k])).join(' | ')} |`),
  ];
  const markdown = [
    `Test accuracy (%), mean ± sample std over seeds ${seeds.join(', ')} (each seed: its own subset and initial weights).`,
    '',
    '**Final epoch**',
    '',
    ...table('final'),
    '',
    '**Best epoch**',
    '',
    ...table('best'),
  ].join('\n');
  const doc: SeedsSummary = { seeds: [...seeds], runs: groups, perSeed, markdown };
  writeFileAtomic(join(outDir, 'seeds.json'), JSON.stringify(doc, null, 1));
  writeFileAtomic(join(outDir, 'seeds.md'), `${markdown}\n`);
  return doc;
}
