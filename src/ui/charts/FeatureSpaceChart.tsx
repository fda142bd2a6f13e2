/**
 * Chart 8: the feature space of the test images after an epoch. A recharts <ComposedChart> with the
 * two principal components as axes (equal scales, so angles are true to the plane); the points are drawn on a
 * <canvas> inside recharts' coordinate system (a <foreignObject> over the plot area: thousands of points cost a few
 * ms, as SVG they would cost one element each), one colour per class, dot size by feature norm. For cosine heads the
 * class weight directions are arrows from the feature-space origin, and a second chart shows per class the
 * distribution of the cosine between a feature and its own class weight (box and whiskers). One run at a time (a
 * run picker, not overlays). The data is `FeatureSpace` (src/core/metrics/feature-space.ts) on the epoch metrics.
 */
import { memo, useCallback, useLayoutEffect, useMemo, useRef, useState, type MouseEvent } from 'react';
import { CartesianGrid, ComposedChart, Legend, XAxis, YAxis, usePlotArea } from 'recharts';
import type { EpochMetrics } from '../../core/train/trainer';
import type { FeatureSpace } from '../../core/metrics/feature-space';
import type { ChartProps, RunSeries } from './types';
import { ChartCard, ChartLegend, TooltipBox, classAxis, epochPropsEqual, legendHeight, type LegendItem } from './ChartCard';
import { ClassChart, type ClassChartProps } from './ClassChart';
import { useScheduled } from './schedule';
import { AXIS_STROKE, AxisTitles, BoxPaths, GRID_STROKE, valueTick, xValueTick, type ClassScales } from './PlotLayers';
import { niceScale, type AxisSpec } from './scale';
import { useWidth } from './use-width';
import { useMountTurn } from './mount-queue';
import { GROUP_LABELS, classColors, classRows, ellipsize, fmt, lastEpochWhere, sortByCount, type ClassRow } from './chart-data';
import { chartMeta } from '../../state/session/chart-catalog';
import { featureSpaceTable, featureSpaceText } from './text-alternatives';
import { dotRaster, drawDot, rgb01, toRgba8 } from './raster';
import { percent } from '../../core/format';

/** The feature space an epoch carries (the trainer adds `featureSpace` to its epoch metrics). */
export const featureSpaceOf = (e: EpochMetrics | undefined): FeatureSpace | undefined =>
  (e as (EpochMetrics & { featureSpace?: FeatureSpace }) | undefined)?.featureSpace;

const hasFs = (e: EpochMetrics) => !!featureSpaceOf(e);
const TITLE = chartMeta('feature-space').title;
const MARGIN = { top: 8, right: 16, bottom: 24, left: 12 };
const X_AXIS_H = 30;
const AXIS_W = 56;
const MAX_PLOT = 460;
/** recharts' data of the charts drawn from a layer (a constant: a new array would re-dispatch it on every render). */
const NO_DATA: never[] = [];
const COS_AXIS: AxisSpec = { label: 'cos(f, w_y)', width: 56, domain: ['auto', 'auto'], format: (v) => fmt(v) };

interface Geometry {
  /** Data domain of both axes (equal scales). */
  x: { lo: number; hi: number; ticks: number[] };
  y: { lo: number; hi: number; ticks: number[] };
  maxNorm: number;
  /** Length (data units) of an arrow whose projected direction has length 1. */
  arrowLen: number;
}

function geometryOf(fs: FeatureSpace): Geometry {
  let xlo = Infinity;
  let xhi = -Infinity;
  let ylo = Infinity;
  let yhi = -Infinity;
  let maxNorm = 0;
  for (let i = 0; i < fs.x.length; i++) {
    xlo = Math.min(xlo, fs.x[i]);
    xhi = Math.max(xhi, fs.x[i]);
    ylo = Math.min(ylo, fs.y[i]);
    yhi = Math.max(yhi, fs.y[i]);
    maxNorm = Math.max(maxNorm, fs.norms[i]);
  }
  const arrows = !!fs.arrows;
  if (arrows) {
    // the arrows start at the feature-space origin: keep it in view
    xlo = Math.min(xlo, fs.origin[0]);
    xhi = Math.max(xhi, fs.origin[0]);
    ylo = Math.min(ylo, fs.origin[1]);
    yhi = Math.max(yhi, fs.origin[1]);
  }
  if (!Number.isFinite(xlo)) [xlo, xhi, ylo, yhi] = [-1, 1, -1, 1];
  // equal scales: both axes span the larger range
  const span = Math.max(xhi - xlo, yhi - ylo, 1e-9) * 1.06;
  const cx = (xlo + xhi) / 2;
  const cy = (ylo + yhi) / 2;
  const x = niceScale(cx - span / 2, cx + span / 2, { domain: ['auto', 'auto'] }, 6);
  const y = niceScale(cy - span / 2, cy + span / 2, { domain: ['auto', 'auto'] }, 6);
  const half = Math.max(x.hi - x.lo, y.hi - y.lo) / 2;
  const xs = { lo: (x.lo + x.hi) / 2 - half, hi: (x.lo + x.hi) / 2 + half, ticks: x.ticks };
  const ys = { lo: (y.lo + y.hi) / 2 - half, hi: (y.lo + y.hi) / 2 + half, ticks: y.ticks };
  // arrows reach as far as the typical point from the origin
  let dist = 0;
  if (arrows) {
    const d = new Float64Array(fs.x.length);
    for (let i = 0; i < d.length; i++) {
      const dx = fs.x[i] - fs.origin[0];
      const dy = fs.y[i] - fs.origin[1];
      d[i] = Math.sqrt(dx * dx + dy * dy);
    }
    d.sort();
    dist = d[Math.floor(0.9 * (d.length - 1))] ?? 0;
  }
  return { x: xs, y: ys, maxNorm: maxNorm || 1, arrowLen: dist || half };
}

/** The axes before there is a feature space (the chart mounts while idle). */
const EMPTY_GEOMETRY: Geometry = {
  x: { lo: -1, hi: 1, ticks: [-1, 0, 1] },
  y: { lo: -1, hi: 1, ticks: [-1, 0, 1] },
  maxNorm: 1,
  arrowLen: 1,
};

/** Dot radius (CSS px) of a point with feature norm `norm`. */
export const dotRadius = (norm: number, maxNorm: number) => 1.2 + 3.3 * Math.max(0, Math.min(1, norm / maxNorm));

/** The points (and arrows) on a canvas over recharts' plot area. */
function PointsLayer({ fs, g, colors }: { fs: FeatureSpace; g: Geometry; colors: readonly string[] }) {
  const plot = usePlotArea();
  const ref = useRef<HTMLCanvasElement>(null);
  const px = plot?.x ?? 0;
  const py = plot?.y ?? 0;
  const pw = Math.max(1, Math.floor(plot?.width ?? 1));
  const ph = Math.max(1, Math.floor(plot?.height ?? 1));
  useLayoutEffect(() => {
    const cv = ref.current;
    const ctx = cv?.getContext('2d');
    if (!cv || !ctx) return;
    const dpr = Math.min(2, window.devicePixelRatio || 1);
    cv.width = Math.round(pw * dpr);
    cv.height = Math.round(ph * dpr);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, pw, ph);
    const sx = (v: number) => ((v - g.x.lo) / (g.x.hi - g.x.lo)) * pw;
    const sy = (v: number) => ph - ((v - g.y.lo) / (g.y.hi - g.y.lo)) * ph;
    // the dots rasterised in JavaScript (a few ms; canvas arcs cost 10–25 ms here), then the arrows on top
    const R = dotRaster(cv.width, cv.height);
    const rgb = colors.map(rgb01);
    const grey = rgb01('#888888');
    for (let i = 0; i < fs.x.length; i++)
      drawDot(R, sx(fs.x[i]) * dpr, sy(fs.y[i]) * dpr, dotRadius(fs.norms[i], g.maxNorm) * dpr, rgb[fs.labels[i]] ?? grey, 0.62);
    const img = ctx.createImageData(cv.width, cv.height);
    toRgba8(R, img.data);
    ctx.putImageData(img, 0, 0);
    if (fs.arrows) {
      const ox = sx(fs.origin[0]);
      const oy = sy(fs.origin[1]);
      const k = g.arrowLen;
      ctx.lineWidth = 2;
      fs.arrows.forEach(([ax, ay], c) => {
        const tx = sx(fs.origin[0] + ax * k);
        const ty = sy(fs.origin[1] + ay * k);
        const len = Math.hypot(tx - ox, ty - oy);
        ctx.strokeStyle = colors[c] ?? '#333';
        ctx.fillStyle = colors[c] ?? '#333';
        ctx.beginPath();
        ctx.moveTo(ox, oy);
        ctx.lineTo(tx, ty);
        ctx.stroke();
        if (len > 4) {
          const a = Math.atan2(ty - oy, tx - ox);
          ctx.beginPath();
          ctx.moveTo(tx, ty);
          ctx.lineTo(tx - 8 * Math.cos(a - 0.4), ty - 8 * Math.sin(a - 0.4));
          ctx.lineTo(tx - 8 * Math.cos(a + 0.4), ty - 8 * Math.sin(a + 0.4));
          ctx.closePath();
          ctx.fill();
        }
      });
      ctx.fillStyle = '#000';
      ctx.beginPath();
      ctx.arc(ox, oy, 3.5, 0, 2 * Math.PI);
      ctx.fill();
    }
  }, [fs, g, colors, pw, ph]);
  if (!plot) return null;
  return (
    <foreignObject x={px} y={py} width={pw} height={ph} className="ltc-fs-points">
      <canvas
        ref={ref}
        width={pw}
        height={ph}
        style={{ width: pw, height: ph, display: 'block' }}
        role="img"
        aria-label={`${fs.x.length} test images in the plane of the two principal components`}
      />
    </foreignObject>
  );
}

/** Index of the point nearest to (x, y) in data units, within `maxDist` (null when none). */
export function nearestPoint(fs: FeatureSpace, x: number, y: number, maxDist: number): number | null {
  let best = -1;
  let bd = maxDist * maxDist;
  for (let i = 0; i < fs.x.length; i++) {
    const d = (fs.x[i] - x) ** 2 + (fs.y[i] - y) ** 2;
    if (d <= bd) {
      bd = d;
      best = i;
    }
  }
  return best >= 0 ? best : null;
}

const BOX_DELAY_MS = 40;

/** The per-class cosine boxes, drawn in their own task shortly after the scatter (they follow it with a delay). */
function CosineBoxes(props: ClassChartProps<ClassRow>) {
  const shown = useScheduled(props, BOX_DELAY_MS, 0, true, 'ltpg:chart:feature-space-cos');
  return <ClassChart {...shown} />;
}

function FeatureSpaceChartImpl(p: ChartProps) {
  const { runs, counts, groups, classNames } = p;
  const withFs = useMemo(() => runs.filter((r) => lastEpochWhere(r.epochs, hasFs)), [runs]);
  const [runId, setRunId] = useState<string | null>(null);
  const run: RunSeries | undefined = withFs.find((r) => r.id === runId) ?? withFs[withFs.length - 1];
  const epoch = run ? lastEpochWhere(run.epochs, hasFs) : undefined;
  const fs = featureSpaceOf(epoch);
  const { ref, width } = useWidth(p.width);
  const colors = useMemo(() => classColors(fs ? Array.from({ length: fs.numClasses }, (_, c) => counts[c] ?? 0) : counts), [counts, fs]);
  const g = useMemo(() => (fs ? geometryOf(fs) : EMPTY_GEOMETRY), [fs]);
  const turn = useMountTurn(TITLE);
  const [hover, setHover] = useState<{ i: number; left: number; top: number } | null>(null);
  const areaRef = useRef<HTMLDivElement>(null);

  const legend: LegendItem[] = useMemo(() => {
    if (!fs) return [];
    const order = sortByCount(counts).filter((c) => c < fs.numClasses);
    const full = (c: number) => classNames[c] ?? `class ${c}`;
    const name = (c: number) => ellipsize(full(c), 18);
    // each class item is a link to the class' training images (the dataset gallery)
    const item = (c: number, label: string): LegendItem => ({ label, color: colors[c], shape: 'dot', cls: { index: c, name: full(c) } });
    const items: LegendItem[] =
      order.length <= 12
        ? order.map((c) => item(c, name(c)))
        : [
            item(order[0], `most images: ${name(order[0])}`),
            item(order[Math.floor(order.length / 2)], `… ${name(order[Math.floor(order.length / 2)])} …`),
            item(order[order.length - 1], `fewest: ${name(order[order.length - 1])}`),
          ];
    items.push({ label: 'dot size: feature norm ‖f‖', color: '#666', shape: 'dot' });
    if (fs.arrows) items.push({ label: 'arrows: class weight directions (from the origin ●)', color: '#333' });
    return items;
  }, [fs, counts, classNames, colors]);
  const legendContent = useCallback(() => <ChartLegend items={legend} />, [legend]);

  const side = Math.min(MAX_PLOT, Math.max(120, width - MARGIN.left - MARGIN.right - AXIS_W));
  const lh = legendHeight(legend, width - MARGIN.left - MARGIN.right);
  const chartH = MARGIN.top + lh + side + X_AXIS_H + MARGIN.bottom;
  const chartW = Math.min(width, MARGIN.left + AXIS_W + side + MARGIN.right);
  const pct = (v: number) => percent(v, { unit: ' %' });
  const xLabel = fs ? `PC1 (${pct(fs.explained[0])} of the variance)` : 'PC1';
  const yLabel = fs ? `PC2 (${pct(fs.explained[1])})` : 'PC2';
  const tick = useMemo(() => valueTick((v) => fmt(v), 'left'), []);
  const xTick = useMemo(() => xValueTick((v) => fmt(v)), []);

  const onMove = (e: MouseEvent<HTMLDivElement>) => {
    const area = areaRef.current;
    if (!fs || !area) return;
    const b = area.getBoundingClientRect();
    const x0 = MARGIN.left + AXIS_W;
    const y0 = MARGIN.top + lh;
    const fx = (e.clientX - b.left - x0) / side;
    const fy = (e.clientY - b.top - y0) / side;
    if (fx < 0 || fx > 1 || fy < 0 || fy > 1) {
      setHover(null);
      return;
    }
    const i = nearestPoint(fs, g.x.lo + fx * (g.x.hi - g.x.lo), g.y.hi - fy * (g.y.hi - g.y.lo), (8 / side) * (g.x.hi - g.x.lo));
    setHover(i === null ? null : { i, left: e.clientX - b.left, top: e.clientY - b.top });
  };

  // per-class cosine boxes (cosine heads)
  const cosRows = useMemo(
    () => (fs?.cosine ? classRows(counts, groups, classNames).filter((r) => r.cls < fs.numClasses) : []),
    [fs, counts, groups, classNames],
  );
  const ax = useMemo(() => classAxis(cosRows.map((r) => r.name)), [cosRows]);
  const cosExt = useMemo((): [number, number] => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const r of cosRows) {
      const st = fs?.cosine?.[r.cls];
      if (st) [lo, hi] = [Math.min(lo, st.min), Math.max(hi, st.max)];
    }
    return [lo, hi];
  }, [cosRows, fs]);
  const tickLabel = useCallback((row: ClassRow) => ellipsize(row.name, ax.maxChars), [ax]);
  const drawBoxes = useCallback(
    (sc: ClassScales) => (
      <BoxPaths s={sc} series={[{ color: run?.color ?? '#333', stats: cosRows.map((r) => fs?.cosine?.[r.cls] ?? null) }]} />
    ),
    [cosRows, fs, run],
  );
  const boxTip = useCallback(
    (row: ClassRow) => {
      const st = fs?.cosine?.[row.cls];
      return (
        <TooltipBox
          title={`${row.name} — ${GROUP_LABELS[row.group]}, ${row.count} training images`}
          lines={
            st
              ? [
                  { name: 'median cos(f, w_y)', value: fmt(st.median, 4) },
                  { name: 'quartiles', value: `${fmt(st.q1, 4)} – ${fmt(st.q3, 4)}` },
                  { name: 'min – max', value: `${fmt(st.min, 4)} – ${fmt(st.max, 4)}` },
                  { name: 'test images', value: String(st.n) },
                ]
              : [{ name: 'test images', value: '0' }]
          }
        />
      );
    },
    [fs],
  );

  const controls =
    withFs.length > 1 ? (
      <label className="ltc-select">
        Run{' '}
        <select value={run?.id ?? ''} onChange={(e) => setRunId(e.target.value)}>
          {withFs.map((r) => (
            <option key={r.id} value={r.id}>
              {r.label}
            </option>
          ))}
        </select>
      </label>
    ) : undefined;

  const hovered = hover && fs ? hover.i : null;
  return (
    <ChartCard
      id="feature-space"
      points={fs ? fs.x.length : 0}
      runs={run && fs ? [run.id] : []}
      controls={controls}
      empty={
        runs.some((r) => r.epochs.length > 0)
          ? 'No feature space for these runs yet: it is computed from the test features after each epoch.'
          : 'No data yet — the feature space appears after the first epoch.'
      }
      note={
        fs
          ? `${fs.x.length === fs.n ? `All ${fs.n}` : `${fs.x.length} of ${fs.n}`} evaluated test images after ${epoch ? `epoch ${epoch.epoch + 1}${epoch.stage === 2 ? ' of stage 2' : ''}` : 'the last epoch'}, projected on the two principal components of their ${fs.dim}-dimensional features (centred).`
          : undefined
      }
      summary={featureSpaceText(run, epoch, fs, counts, classNames)}
      table={() => featureSpaceTable(run, fs, counts, groups, classNames)}
    >
      <div ref={ref} className="ltc-fs-outer">
        {width > 0 && turn && (
          <div
            ref={areaRef}
            className="ltc-fs-area"
            style={{ width: chartW, height: chartH }}
            onMouseMove={onMove}
            onMouseLeave={() => setHover(null)}
          >
            <ComposedChart width={chartW} height={chartH} data={NO_DATA} margin={MARGIN} title={TITLE} accessibilityLayer={false}>
              <CartesianGrid stroke={GRID_STROKE} horizontalValues={g.y.ticks} verticalValues={g.x.ticks} />
              <XAxis
                type="number"
                dataKey="x"
                domain={[g.x.lo, g.x.hi]}
                ticks={g.x.ticks.filter((t) => t >= g.x.lo && t <= g.x.hi)}
                interval={0}
                allowDataOverflow
                tick={xTick}
                stroke={AXIS_STROKE}
                height={X_AXIS_H}
              />
              <YAxis
                type="number"
                domain={[g.y.lo, g.y.hi]}
                ticks={g.y.ticks.filter((t) => t >= g.y.lo && t <= g.y.hi)}
                interval={0}
                allowDataOverflow
                width={AXIS_W}
                tick={tick}
                stroke={AXIS_STROKE}
              />
              <Legend verticalAlign="top" align="left" content={legendContent} />
              {fs && <PointsLayer fs={fs} g={g} colors={colors} />}
              <AxisTitles x={xLabel} xTitleDy={X_AXIS_H + 12} left={yLabel} leftWidth={AXIS_W} />
            </ComposedChart>
            {hovered !== null && hover && fs && (
              <div
                className="ltc-cm-tip"
                style={
                  hover.left > chartW * 0.6
                    ? { right: chartW - hover.left + 12, top: hover.top }
                    : { left: hover.left + 12, top: hover.top }
                }
              >
                <TooltipBox
                  title={classNames[fs.labels[hovered]] ?? `class ${fs.labels[hovered]}`}
                  lines={[
                    { name: 'feature norm ‖f‖', value: fmt(fs.norms[hovered], 4), color: colors[fs.labels[hovered]] },
                    { name: 'PC1, PC2', value: `${fmt(fs.x[hovered], 3)}, ${fmt(fs.y[hovered], 3)}` },
                    { name: 'training images of the class', value: String(counts[fs.labels[hovered]] ?? '—') },
                  ]}
                />
              </div>
            )}
          </div>
        )}
      </div>
      {fs?.cosine && cosRows.length > 0 && (
        <CosineBoxes
          rows={cosRows}
          ax={ax}
          xLabel="class (most training images → fewest)"
          tickLabel={tickLabel}
          left={COS_AXIS}
          leftExtent={cosExt}
          width={p.width}
          height={Math.round((p.height ?? 300) * 0.8) + ax.height - 50}
          tip={boxTip}
          draw={drawBoxes}
          title="Cosine between each test feature and its own class weight, per class"
        />
      )}
    </ChartCard>
  );
}

export const FeatureSpaceChart = memo(FeatureSpaceChartImpl, epochPropsEqual);
FeatureSpaceChart.displayName = 'FeatureSpaceChart';
