/**
 * Chart 3: many / medium / few test accuracy over epochs. One run: colour = group; several runs: colour = run.
 * The dash pattern always encodes the group (many solid, medium dashed, few dotted). Groups without classes are omitted.
 */
import { memo, useMemo } from 'react';
import type { ChartProps } from './types';
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
import type { SeriesLine } from './PlotLayers';
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
  thinRows,
  timeMax,
} from './chart-data';
import { chartMeta } from '../../state/chart-catalog';
import { groupsSummary, groupsTable } from './text-alternatives';

const ACC_AXIS: AxisSpec = { label: 'test accuracy (%)', width: 56, domain: [0, 100] };
const MARGIN = { top: 8, right: 24, bottom: 24, left: 12 };
const tipFormat = (v: number) => fmtPct(v);
const TITLE = chartMeta('groups').title;

function GroupAccuracyChartImpl(p: ChartProps) {
  const { runs, groups, totalEpochs, gaStartEpoch } = p;
  const gs = useMemo(() => presentGroups(groups), [groups]);
  const shaped = useMemo(() => {
    const series = runs.flatMap((r, i) => {
      const s = groupAccuracySeries(r.epochs, r.stage1Epochs ?? totalEpochs);
      return gs.map((g) => ({ key: `r${i}${g}`, points: s.map((row) => ({ x: row.x, y: row[g] ?? NaN })) }));
    });
    const rows = thinRows(mergeByX(series), MAX_EPOCH_POINTS);
    let points = 0;
    for (const row of rows) for (const s of series) if (row[s.key] !== undefined && row[s.key] !== null) points++;
    return { rows, points, xMax: timeMax(runs, totalEpochs), stage2: hasStage2(runs) };
  }, [runs, gs, totalEpochs]);

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
    () =>
      runs.flatMap((r, i) =>
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
    [runs, gs, single, showDots],
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
