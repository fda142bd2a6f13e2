/**
 * Chart 3: many / medium / few test accuracy over epochs. One run: colour = group; several runs: colour = run.
 * The dash pattern always encodes the group (many solid, medium dashed, few dotted). Groups without classes are omitted.
 */
import { memo, useMemo } from 'react';
import type { ChartProps, RunSeries } from './types';
import type { Group } from '../../core/data/types';
import type { XY } from './decimate';
import {
  ChartCard,
  DEFAULT_HEIGHT,
  MAX_EPOCH_POINTS,
  drwMarkerEpoch,
  epochLabel,
  epochPropsEqual,
  timeMarkers,
  type LegendItem,
} from './ChartCard';
import { TimeChart } from './TimeChart';
import type { SeriesBand, SeriesLine } from './PlotLayers';
import type { AxisSpec } from './scale';
import {
  GROUP_COLORS,
  GROUP_DASH,
  GROUP_LABELS,
  fmtPct,
  groupAccuracySeries,
  hasStage2,
  mergeByX,
  presentGroups,
  spreadPoints,
  thinRows,
  timeMax,
} from './chart-data';
import { chartMeta } from '../../state/session/chart-catalog';
import { groupsSummary, groupsTable } from './text-alternatives';

const ACC_AXIS: AxisSpec = { label: 'test accuracy (%)', width: 56, domain: [0, 100] };
const MARGIN = { top: 8, right: 24, bottom: 24, left: 12 };
const tipFormat = (v: number) => fmtPct(v);
const TITLE = chartMeta('groups').title;

function GroupAccuracyChartImpl(p: ChartProps) {
  const { runs, groups, totalEpochs, gaStartEpoch, perSeed } = p;
  const gs = useMemo(() => presentGroups(groups), [groups]);
  const shaped = useMemo(() => {
    const pts = (epochs: RunSeries['epochs'], t: number) => {
      const s = groupAccuracySeries(epochs, t);
      return (g: Group) => s.map((row) => ({ x: row.x, y: row[g] ?? NaN }));
    };
    const series: { key: string; points: XY[] }[] = [];
    const bands: SeriesBand[] = [];
    const seedLines: SeriesLine[] = [];
    runs.forEach((r, i) => {
      const t = r.stage1Epochs ?? totalEpochs;
      const mean = pts(r.epochs, t);
      const members = (r.seeds ?? []).map((m) => pts(m.epochs, m.stage1Epochs ?? t));
      for (const g of gs) {
        const key = `r${i}${g}`;
        series.push({ key, points: mean(g) });
        if (members.length < 2) continue;
        // the group's mean ± std over its seeds, and (on demand) each seed's line
        const band = spreadPoints(members.map((m) => m(g)));
        series.push({ key: `${key}lo`, points: band.lo }, { key: `${key}hi`, points: band.hi });
        bands.push({
          key,
          lo: `${key}lo`,
          hi: `${key}hi`,
          color: runs.length === 1 ? GROUP_COLORS[g] : r.color,
          axis: 'left',
          opacity: 0.18,
        });
        if (perSeed)
          members.forEach((m, k) => {
            series.push({ key: `${key}s${k}`, points: m(g) });
            seedLines.push({
              key: `${key}s${k}`,
              name: `${r.seeds![k].label} — ${g}`,
              color: r.color,
              axis: 'left',
              width: 1,
              dash: GROUP_DASH[g],
            });
          });
      }
    });
    const rows = thinRows(mergeByX(series), MAX_EPOCH_POINTS);
    let points = 0;
    for (const row of rows) for (const s of series) if (row[s.key] !== undefined && row[s.key] !== null) points++;
    return { rows, points, bands, seedLines, xMax: timeMax(runs, totalEpochs), stage2: hasStage2(runs) };
  }, [runs, gs, totalEpochs, perSeed]);

  const single = runs.length === 1;
  const legend: LegendItem[] = useMemo(
    () =>
      single
        ? gs.map((g) => ({ label: GROUP_LABELS[g], color: GROUP_COLORS[g], dash: GROUP_DASH[g] }))
        : [
            ...runs.map((r) => ({ label: r.label, color: r.color })),
            ...gs.map((g) => ({ label: GROUP_LABELS[g], color: '#333', dash: GROUP_DASH[g] })),
          ],
    [single, gs, runs],
  );
  const showDots = runs.every((r) => r.epochs.length <= 60) && runs.length * gs.length <= 9;
  const lines: SeriesLine[] = useMemo(
    () => [
      ...shaped.seedLines,
      ...runs.flatMap((r, i) =>
        gs.map((g): SeriesLine => ({
          key: `r${i}${g}`,
          name: single ? GROUP_LABELS[g] : `${r.label} — ${g}`,
          color: single ? GROUP_COLORS[g] : r.color,
          axis: 'left',
          width: 3,
          dash: GROUP_DASH[g],
          dot: showDots ? 3 : 0,
        })),
      ),
    ],
    [runs, gs, single, showDots, shaped.seedLines],
  );
  const drw = drwMarkerEpoch(runs, p.drwStartEpoch);
  const markers = useMemo(
    () => timeMarkers({ gaStartEpoch, drwStartEpoch: drw, stage2At: shaped.stage2 ? totalEpochs : null }),
    [gaStartEpoch, drw, shaped.stage2, totalEpochs],
  );
  const xMax = Math.max(shaped.xMax, ...markers.map((k) => Math.ceil(k.x)));

  return (
    <ChartCard
      id="groups"
      points={shaped.points}
      runs={runs.filter((r) => r.epochs.length).map((r) => r.id)}
      summary={groupsSummary(runs, groups)}
      table={() => groupsTable(runs, groups)}
    >
      <TimeChart
        rows={shaped.rows}
        lines={lines}
        bands={shaped.bands}
        xMax={xMax}
        left={ACC_AXIS}
        markers={markers}
        legend={legend}
        margin={MARGIN}
        width={p.width}
        height={p.height ?? DEFAULT_HEIGHT}
        tipTitle={epochLabel}
        tipFormat={tipFormat}
        title={TITLE}
      />
    </ChartCard>
  );
}

export const GroupAccuracyChart = memo(GroupAccuracyChartImpl, epochPropsEqual);
GroupAccuracyChart.displayName = 'GroupAccuracyChart';
