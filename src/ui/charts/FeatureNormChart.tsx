/**
 * Chart 4: mean feature norm per class over epochs (train and test) with the FBL curriculum α(t) on the right axis.
 * Up to PER_CLASS_MAX classes (one run): one line per class, coloured head → tail; otherwise the mean per
 * many/medium/few group. Shown for every loss so CE can be compared with FBL.
 */
import { memo, useId, useMemo, useState } from 'react';
import { FastLineChart, type FastAxis, type FastLine } from './FastLineChart';
import type { ChartProps } from './types';
import type { Group } from '../../core/data/types';
import { ChartCard, DEFAULT_HEIGHT, MAX_EPOCH_POINTS, epochLabel, epochPropsEqual, fastMarkers, type LegendItem } from './ChartCard';
import {
  GROUP_COLORS,
  GROUP_DASH,
  GROUP_LABELS,
  ellipsize,
  featureNormRows,
  fmt,
  hasStage2,
  normKey,
  presentGroups,
  rankOf,
  sequentialColor,
  sortByCount,
  thinRows,
  timeMax,
  type NormMode,
  type NormSide,
} from './chart-data';

export const PER_CLASS_MAX = 10;
const ALPHA_COLOR = '#000';
const ALPHA_DASH = '12 4 2 4';
const TEST_DASH = '7 4';
type View = 'both' | 'tr' | 'te';
const NORM_AXIS: FastAxis = { label: 'mean ‖feature‖₂', width: 60, format: (v) => fmt(v) };
const ALPHA_AXIS: FastAxis = { label: 'α(t)', width: 48, domain: [0, (max) => Math.max(1, Math.ceil(max * 10) / 10)] };
const tipFormat = (v: number) => fmt(v, 4);

interface LineSpec {
  key: string;
  name: string;
  color: string;
  dash?: string;
}

function FeatureNormChartImpl(p: ChartProps) {
  const { runs, counts, groups, classNames, totalEpochs, gaStartEpoch } = p;
  const single = runs.length === 1;
  const C = groups.length;
  const mode: NormMode = single && C <= PER_CLASS_MAX ? 'class' : 'group';
  const [viewState, setView] = useState<View | null>(null);
  const view: View = viewState ?? (single ? 'both' : 'te');
  const effView: View = !single && view === 'both' ? 'te' : view;
  const sides: NormSide[] = effView === 'both' ? ['tr', 'te'] : [effView];
  const gs = useMemo(() => presentGroups(groups), [groups]);
  const rank = useMemo(() => rankOf(sortByCount(counts)), [counts]);

  const shaped = useMemo(
    () => ({
      rows: thinRows(featureNormRows(runs, groups, totalEpochs, mode), MAX_EPOCH_POINTS),
      xMax: timeMax(runs, totalEpochs),
      stage2: hasStage2(runs),
    }),
    [runs, groups, totalEpochs, mode],
  );

  const sideName = (s: NormSide) => (s === 'tr' ? 'train' : 'test');
  const lines: LineSpec[] = [];
  const legend: LegendItem[] = [];
  if (mode === 'class') {
    const order = sortByCount(counts);
    for (const c of order) {
      const color = sequentialColor(C > 1 ? rank[c] / (C - 1) : 0);
      legend.push({ label: ellipsize(classNames[c] ?? `class ${c}`, 18), color });
      for (const s of sides) {
        lines.push({
          key: normKey(0, s, c),
          name: `${classNames[c] ?? `class ${c}`} (${sideName(s)})`,
          color,
          dash: s === 'te' ? TEST_DASH : undefined,
        });
      }
    }
  } else if (single) {
    for (const g of gs) {
      legend.push({ label: `${GROUP_LABELS[g]} (mean)`, color: GROUP_COLORS[g], shape: 'square' });
      for (const s of sides) {
        lines.push({
          key: normKey(0, s, g),
          name: `${g} mean (${sideName(s)})`,
          color: GROUP_COLORS[g],
          dash: s === 'te' ? TEST_DASH : undefined,
        });
      }
    }
  } else {
    runs.forEach((r, i) => {
      legend.push({ label: r.label, color: r.color, shape: 'square' });
      for (const g of gs as Group[]) {
        lines.push({
          key: normKey(i, sides[0], g),
          name: `${r.label} — ${g} mean (${sideName(sides[0])})`,
          color: r.color,
          dash: GROUP_DASH[g],
        });
      }
    });
    for (const g of gs) legend.push({ label: `${GROUP_LABELS[g]} (mean)`, color: '#333', dash: GROUP_DASH[g] });
  }
  if (single && effView === 'both') {
    legend.push({ label: 'train', color: '#333' }, { label: 'test', color: '#333', dash: TEST_DASH });
  }
  legend.push({ label: 'FBL curriculum α(t) (right axis)', color: ALPHA_COLOR, dash: ALPHA_DASH });

  let points = 0;
  for (const row of shaped.rows) for (const l of lines) if (row[l.key] !== undefined && row[l.key] !== null) points++;
  const name = useId();
  const options: Array<{ v: View; label: string }> = single
    ? [
        { v: 'both', label: 'train + test' },
        { v: 'tr', label: 'train' },
        { v: 'te', label: 'test' },
      ]
    : [
        { v: 'tr', label: 'train' },
        { v: 'te', label: 'test' },
      ];
  const controls = (
    <fieldset className="ltc-toggle">
      <legend>Features of</legend>
      {options.map((o) => (
        <label key={o.v}>
          <input type="radio" name={name} value={o.v} checked={effView === o.v} onChange={() => setView(o.v)} />
          {o.label}
        </label>
      ))}
    </fieldset>
  );
  const showDots = runs.every((r) => r.epochs.length <= 30);
  const fastLines: FastLine[] = [
    ...lines.map((l): FastLine => ({
      key: l.key,
      name: l.name,
      color: l.color,
      axis: 'left',
      width: 2.5,
      dash: l.dash,
      dot: showDots ? 2.5 : 0,
    })),
    { key: 'alpha', name: 'α(t)', color: ALPHA_COLOR, axis: 'right', width: 2.5, dash: ALPHA_DASH },
  ];
  const markers = fastMarkers({ gaStartEpoch, stage2At: shaped.stage2 ? totalEpochs : null });
  const xMax = Math.max(shaped.xMax, ...markers.map((k) => Math.ceil(k.x)));

  return (
    <ChartCard
      id="feature-norm"
      points={points}
      legend={legend}
      controls={controls}
      note={mode === 'group' ? 'Lines are the mean feature norm over the classes of each group.' : undefined}
    >
      <FastLineChart
        rows={shaped.rows}
        lines={fastLines}
        xMax={xMax}
        left={NORM_AXIS}
        right={ALPHA_AXIS}
        markers={markers}
        width={p.width}
        height={p.height ?? DEFAULT_HEIGHT}
        tipTitle={epochLabel}
        tipFormat={tipFormat}
      />
    </ChartCard>
  );
}

export const FeatureNormChart = memo(FeatureNormChartImpl, epochPropsEqual);
FeatureNormChart.displayName = 'FeatureNormChart';
