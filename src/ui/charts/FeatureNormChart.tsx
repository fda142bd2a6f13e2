/**
 * Chart 4: mean feature norm over epochs (train and test). By default the mean per many/medium/few group with a
 * band from the group's smallest to its largest class norm (a line per class is unreadable past a few classes);
 * one run can show a line per class instead, coloured head → tail. Shown for every loss so CE can be compared
 * with FBL; the FBL curriculum α(t) (right axis) and the FBL title only when an FBL run is drawn, one α(t) curve
 * per FBL run, over that run's own epochs. A seed group's band is instead ± one std of the group's mean over its
 * seeds (each seed's line on the per-seed toggle): the class spread of a mean run would hide the seed spread.
 */
import { memo, useId, useMemo, useState } from 'react';
import { TimeChart } from './TimeChart';
import type { SeriesBand, SeriesLine } from './PlotLayers';
import type { AxisSpec } from './scale';
import type { ChartProps, RunSeries } from './types';
import type { Group } from '../../core/data/types';
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
import {
  GROUP_COLORS,
  GROUP_DASH,
  GROUP_LABELS,
  alphaKey,
  bandKeys,
  ellipsize,
  featureNormRows,
  fmt,
  hasStage2,
  isFblRun,
  normKey,
  presentGroups,
  rankOf,
  seedKey,
  seedMembers,
  sequentialColor,
  sortByCount,
  thinRows,
  timeMax,
  type NormMode,
  type NormSide,
} from './chart-data';
import { chartMeta } from '../../state/session/chart-catalog';
import { featureNormSummary, featureNormTable } from './text-alternatives';

/** Up to this many classes the per-class legend names every class; above, the head and the tail end. */
const LEGEND_CLASSES_MAX = 10;
/** Band opacity: one run; several runs (their bands overlap). */
const BAND_OPACITY = 0.16;
const BAND_OPACITY_MANY = 0.07;
const ALPHA_COLOR = '#000';
const ALPHA_DASH = '12 4 2 4';
const TEST_DASH = '7 4';
type View = 'both' | 'tr' | 'te';
const NORM_AXIS: AxisSpec = { label: 'mean ‖feature‖₂', width: 60, format: (v) => fmt(v) };
const ALPHA_AXIS: AxisSpec = { label: 'α(t)', width: 48, domain: [0, (max) => Math.max(1, Math.ceil(max * 10) / 10)] };
const tipFormat = (v: number) => fmt(v, 4);
/** Title when an FBL run is drawn. */
export const FBL_TITLE = 'Feature norm per class — FBL: tail norms rise as α(t) grows';

function FeatureNormChartImpl(p: ChartProps) {
  const { runs, counts, groups, classNames, totalEpochs, gaStartEpoch, perSeed } = p;
  const single = runs.length === 1;
  const C = groups.length;
  const [perClass, setPerClass] = useState(false);
  const mode: NormMode = single && perClass ? 'class' : 'group';
  const [viewState, setView] = useState<View | null>(null);
  const view: View = viewState ?? (single ? 'both' : 'te');
  const effView: View = !single && view === 'both' ? 'te' : view;
  const gs = useMemo(() => presentGroups(groups), [groups]);
  const fbl = useMemo(() => runs.map((r, i) => ({ r, i })).filter(({ r }) => isFblRun(r)), [runs]);

  const shaped = useMemo(
    () => ({
      rows: thinRows(featureNormRows(runs, groups, totalEpochs, mode, !!perSeed), MAX_EPOCH_POINTS),
      xMax: timeMax(runs, totalEpochs),
      stage2: hasStage2(runs),
    }),
    [runs, groups, totalEpochs, mode, perSeed],
  );

  const { lines, legend, bands } = useMemo(() => {
    const sides: NormSide[] = effView === 'both' ? ['tr', 'te'] : [effView];
    const sideName = (s: NormSide) => (s === 'tr' ? 'train' : 'test');
    const lines: SeriesLine[] = [];
    const legend: LegendItem[] = [];
    const bands: SeriesBand[] = [];
    const band = (key: string, color: string) =>
      bands.push({ key, ...bandKeys(key), color, axis: 'left', opacity: single ? BAND_OPACITY : BAND_OPACITY_MANY });
    const showDots = runs.every((r) => r.epochs.length <= 30);
    // a seed group's own seeds, thin, behind its mean (group modes, on the per-seed toggle)
    const seedLines = (r: RunSeries, key: string, name: string, color: string, dash?: string) => {
      if (!perSeed) return;
      seedMembers(r).forEach((m, k) =>
        lines.push({ key: seedKey(key, k), name: `${m.label} — ${name}`, color, axis: 'left', width: 1, dash }),
      );
    };
    const line = (key: string, name: string, color: string, dash?: string): SeriesLine => ({
      key,
      name,
      color,
      axis: 'left',
      width: 2.5,
      dash,
      dot: showDots ? 2.5 : 0,
    });
    if (mode === 'class') {
      const order = sortByCount(counts);
      const rank = rankOf(order);
      order.forEach((c, k) => {
        const color = sequentialColor(C > 1 ? rank[c] / (C - 1) : 0);
        const nm = classNames[c] ?? `class ${c}`;
        if (C <= LEGEND_CLASSES_MAX) legend.push({ label: ellipsize(nm, 18), color, cls: { index: c, name: nm } });
        else if (k === 0 || k === C - 1)
          legend.push({ label: `${k === 0 ? 'most frequent' : 'rarest'}: ${ellipsize(nm, 18)}`, color, cls: { index: c, name: nm } });
        for (const s of sides) lines.push(line(normKey(0, s, c), `${nm} (${sideName(s)})`, color, s === 'te' ? TEST_DASH : undefined));
      });
    } else if (single) {
      for (const g of gs) {
        legend.push({ label: `${GROUP_LABELS[g]} (mean)`, color: GROUP_COLORS[g], shape: 'square' });
        for (const s of sides) {
          const nm = `${g} mean (${sideName(s)})`;
          seedLines(runs[0], normKey(0, s, g), nm, GROUP_COLORS[g], s === 'te' ? TEST_DASH : undefined);
          lines.push(line(normKey(0, s, g), nm, GROUP_COLORS[g], s === 'te' ? TEST_DASH : undefined));
          band(normKey(0, s, g), GROUP_COLORS[g]);
        }
      }
    } else {
      runs.forEach((r, i) => {
        legend.push({ label: r.label, color: r.color, shape: 'square' });
        for (const g of gs as Group[]) {
          seedLines(r, normKey(i, sides[0], g), `${g} mean (${sideName(sides[0])})`, r.color, GROUP_DASH[g]);
          lines.push(line(normKey(i, sides[0], g), `${r.label} — ${g} mean (${sideName(sides[0])})`, r.color, GROUP_DASH[g]));
          band(normKey(i, sides[0], g), r.color);
        }
      });
      for (const g of gs) legend.push({ label: `${GROUP_LABELS[g]} (mean)`, color: '#333', dash: GROUP_DASH[g] });
    }
    if (mode === 'group') {
      const grouped = runs.some((r) => seedMembers(r).length > 1);
      const plain = runs.some((r) => seedMembers(r).length < 2);
      if (plain) legend.push({ label: "band: the group's classes, min to max", color: '#333', shape: 'band' });
      if (grouped) legend.push({ label: 'band of a seed group: ± 1 std over its seeds', color: '#333', shape: 'band' });
    }
    if (single && effView === 'both') legend.push({ label: 'train', color: '#333' }, { label: 'test', color: '#333', dash: TEST_DASH });
    for (const { r, i } of fbl) {
      const color = single ? ALPHA_COLOR : r.color;
      legend.push({ label: `${single ? '' : `${r.label}: `}FBL curriculum α(t) (right axis)`, color, dash: ALPHA_DASH });
      lines.push({ key: alphaKey(i), name: single ? 'α(t)' : `${r.label} α(t)`, color, axis: 'right', width: 2.5, dash: ALPHA_DASH });
    }
    return { lines, legend, bands };
  }, [effView, mode, runs, counts, C, classNames, single, gs, fbl, perSeed]);

  let points = 0;
  for (const row of shaped.rows) for (const l of lines) if (l.axis === 'left' && row[l.key] !== undefined && row[l.key] !== null) points++;
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
    <>
      <fieldset className="ltc-toggle">
        <legend>Features of</legend>
        {options.map((o) => (
          <label key={o.v}>
            <input type="radio" name={name} value={o.v} checked={effView === o.v} onChange={() => setView(o.v)} />
            {o.label}
          </label>
        ))}
      </fieldset>
      {single && (
        <div className="ltc-toggle">
          <label>
            <input type="checkbox" checked={perClass} onChange={(e) => setPerClass(e.target.checked)} />
            One line per class
          </label>
        </div>
      )}
    </>
  );
  const drw = drwMarkerEpoch(runs, p.drwStartEpoch);
  const markers = useMemo(
    () => timeMarkers({ gaStartEpoch, drwStartEpoch: drw, stage2At: shaped.stage2 ? totalEpochs : null }),
    [gaStartEpoch, drw, shaped.stage2, totalEpochs],
  );
  const xMax = Math.max(shaped.xMax, ...markers.map((k) => Math.ceil(k.x)));
  const title = fbl.length ? FBL_TITLE : chartMeta('feature-norm').title;

  return (
    <ChartCard
      id="feature-norm"
      title={title}
      points={points}
      runs={runs.filter((r) => r.epochs.length).map((r) => r.id)}
      controls={controls}
      note={
        mode === 'group'
          ? "Lines are the mean feature norm over the classes of each group; the band spans the group's classes (smallest to largest)" +
            (runs.some((r) => seedMembers(r).length > 1) ? ', or for a seed group ± one std of that mean over its seeds.' : '.')
          : undefined
      }
      summary={featureNormSummary(runs, groups)}
      table={() => featureNormTable(runs, groups)}
    >
      <TimeChart
        rows={shaped.rows}
        lines={lines}
        bands={bands}
        xMax={xMax}
        left={NORM_AXIS}
        right={fbl.length ? ALPHA_AXIS : undefined}
        markers={markers}
        legend={legend}
        width={p.width}
        height={p.height ?? DEFAULT_HEIGHT}
        tipTitle={epochLabel}
        tipFormat={tipFormat}
        title={title}
      />
    </ChartCard>
  );
}

export const FeatureNormChart = memo(FeatureNormChartImpl, epochPropsEqual);
FeatureNormChart.displayName = 'FeatureNormChart';
