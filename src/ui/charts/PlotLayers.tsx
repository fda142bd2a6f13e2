/**
 * What the charts draw inside recharts' coordinate system. recharts lays out the chart (axes, grid, legend, tooltip,
 * keyboard layer) from explicit domains and ticks; these layers read its scales (useXAxisScale / useYAxisScale /
 * usePlotArea) and draw the dense marks as few elements: every series as one <path>, all bars of a series and colour
 * as one <path>, dots as one <path> — a recharts <Line> or <Bar> per series costs 1–5 ms per update each (measured:
 * 27 <Line>s of 100 points ≈ 20 ms more than one layer of 27 paths).
 */
import { useMemo, type ReactNode } from 'react';
import { useXAxisScale, useYAxisScale, usePlotArea, type XAxisTickContentProps, type YAxisTickContentProps } from 'recharts';
import type { TimeRow } from './chart-data';
import type { XY } from './decimate';

export const AXIS_STROKE = '#333';
export const GRID_STROKE = '#e3e3e3';
export const TICK_STYLE = { fontSize: 13, fill: '#222' } as const;
export const AXIS_LABEL_STYLE = { fontSize: 13, fill: '#222', fontWeight: 600 } as const;
/** The right value axis' id (the left one is recharts' default, 0). */
export const RIGHT = 'right';

export interface PlotArea {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** recharts' scales as plain functions (null until recharts has laid the chart out). */
export function usePlotScales(hasRight: boolean) {
  const x = useXAxisScale();
  const yL = useYAxisScale();
  const yR = useYAxisScale(RIGHT);
  const plot = usePlotArea();
  if (!x || !yL || !plot || (hasRight && !yR)) return null;
  const num = (f: typeof x) => (v: unknown) => f(v) ?? NaN;
  return { x: num(x), yL: num(yL), yR: num(hasRight && yR ? yR : yL), plot: plot as PlotArea };
}

type PlotScales = NonNullable<ReturnType<typeof usePlotScales>>;

/**
 * What the scales map to, as a string: the plot area, two probes of the x scale and of each value scale. recharts
 * hands out new scale functions on every store update (a chart update is several), so layers memoise on this.
 */
function geometryKey(s: PlotScales | null, xProbe: readonly unknown[]): string {
  if (!s) return '';
  const { plot } = s;
  return [plot.x, plot.y, plot.width, plot.height, ...xProbe.map((v) => s.x(v)), s.yL(0), s.yL(1), s.yR(0), s.yR(1)].join(',');
}

// ---------------------------------------------------------------- series (time charts)

export interface SeriesLine {
  /** Key in the rows. */
  key: string;
  name: string;
  color: string;
  axis: 'left' | 'right';
  width?: number;
  dash?: string;
  /** Radius of a dot at every point (none when 0 / absent): only for short series. */
  dot?: number;
  /** In the tooltip only (drawn elsewhere, or not at all). */
  hidden?: boolean;
}

/** A filled band between two keys of the rows (e.g. a group's min and max over its classes). */
export interface SeriesBand {
  key: string;
  lo: string;
  hi: string;
  color: string;
  axis: 'left' | 'right';
  opacity?: number;
}

/** A series drawn from its own points (not from the chart's rows): the dense per-batch loss. */
export interface PointSeries {
  line: SeriesLine;
  points: readonly XY[];
  /** x of the points clipped at the top of the value axis: marked with a triangle on the top edge. */
  clipped?: readonly number[];
}

/** Upward triangles (one path) on the plot's top edge at the given x pixels. */
function clipMarksPath(xs: readonly number[], top: number, size = 5): string {
  let d = '';
  for (const x of xs) d += `M${r1(x - size)} ${r1(top + size * 1.6)}L${r1(x)} ${r1(top)}L${r1(x + size)} ${r1(top + size * 1.6)}Z`;
  return d;
}

/** One decimal, fast (toFixed is slow in a hot loop). */
export const r1 = (v: number): number => Math.round(v * 10) / 10;

/** Circles of radius r as one path. */
export function dotsPath(pts: ReadonlyArray<[number, number]>, r: number): string {
  let d = '';
  for (const [x, y] of pts) d += `M${r1(x - r)} ${r1(y)}a${r} ${r} 0 1 0 ${2 * r} 0a${r} ${r} 0 1 0 ${-2 * r} 0`;
  return d;
}

/**
 * Every line as one <path> (connecting over missing values), dots as one more path per line: the lines from the
 * chart's rows, plus `series` drawn from their own points.
 */
export function SeriesLayer({
  rows,
  lines,
  series,
  bands,
  hasRight,
}: {
  rows: readonly TimeRow[];
  lines: readonly SeriesLine[];
  series?: readonly PointSeries[];
  bands?: readonly SeriesBand[];
  hasRight: boolean;
}) {
  const s = usePlotScales(hasRight);
  const key = geometryKey(s, [0, 1]);
  // eslint-disable-next-line react-hooks/exhaustive-deps -- the scales are keyed by what they map to (geometryKey)
  return useMemo(() => (s ? drawSeries(s, rows, lines, series, bands) : null), [key, rows, lines, series, bands]);
}

/** One band as one path: a closed polygon per stretch of rows where both edges are finite. */
function bandPath(s: PlotScales, rows: readonly TimeRow[], b: SeriesBand): string {
  const sy = b.axis === 'right' ? s.yR : s.yL;
  let d = '';
  let top: string[] = [];
  let bottom: string[] = [];
  const flush = () => {
    if (top.length > 1) d += `M${top.join('L')}L${bottom.reverse().join('L')}Z`;
    top = [];
    bottom = [];
  };
  for (const row of rows) {
    const lo = row[b.lo];
    const hi = row[b.hi];
    if (typeof lo !== 'number' || typeof hi !== 'number' || !Number.isFinite(lo) || !Number.isFinite(hi)) {
      if (!(b.lo in row) && !(b.hi in row)) continue; // another run's row: not a gap of this band
      flush();
      continue;
    }
    const px = r1(s.x(row.x));
    top.push(`${px} ${r1(sy(hi))}`);
    bottom.push(`${px} ${r1(sy(lo))}`);
  }
  flush();
  return d;
}

function drawSeries(
  s: PlotScales,
  rows: readonly TimeRow[],
  lines: readonly SeriesLine[],
  series: readonly PointSeries[] | undefined,
  bands: readonly SeriesBand[] | undefined,
) {
  const fills: ReactNode[] = [];
  for (const b of bands ?? []) {
    const d = bandPath(s, rows, b);
    if (d) fills.push(<path key={`b${b.key}`} d={d} fill={b.color} fillOpacity={b.opacity ?? 0.15} stroke="none" data-band={b.key} />);
  }
  const out: ReactNode[] = [];
  const dots: ReactNode[] = [];
  const draw = (l: SeriesLine, n: number, xAt: (i: number) => number, yAt: (i: number) => number | null | undefined) => {
    const sy = l.axis === 'right' ? s.yR : s.yL;
    let d = '';
    const pts: Array<[number, number]> = [];
    for (let i = 0; i < n; i++) {
      const v = yAt(i);
      if (v === null || v === undefined || !Number.isFinite(v)) continue;
      const px = s.x(xAt(i));
      const py = sy(v);
      if (!Number.isFinite(py)) continue; // ≤ 0 on a log axis
      d += `${d ? 'L' : 'M'}${r1(px)} ${r1(py)}`;
      if (l.dot) pts.push([px, py]);
    }
    if (!d) return;
    out.push(
      <path
        key={l.key}
        d={d}
        fill="none"
        stroke={l.color}
        strokeWidth={l.width ?? 1.5}
        strokeDasharray={l.dash}
        strokeLinejoin="round"
        data-series={l.key}
      />,
    );
    if (l.dot && pts.length) dots.push(<path key={`d${l.key}`} d={dotsPath(pts, l.dot)} fill={l.color} stroke="none" />);
  };
  for (const p of series ?? []) {
    draw(
      p.line,
      p.points.length,
      (i) => p.points[i].x,
      (i) => p.points[i].y,
    );
    if (p.clipped?.length)
      dots.push(
        <path
          key={`c${p.line.key}`}
          d={clipMarksPath(
            p.clipped.map((x) => s.x(x)),
            s.plot.y,
          )}
          fill={p.line.color}
          stroke="#fff"
          strokeWidth={0.75}
          data-clipped={p.clipped.length}
        />,
      );
  }
  for (const l of lines) {
    if (l.hidden) continue;
    draw(
      l,
      rows.length,
      (i) => rows[i].x,
      (i) => rows[i][l.key],
    );
  }
  return (
    <g className="ltc-series" pointerEvents="none">
      {fills}
      {out}
      {dots}
    </g>
  );
}

// ---------------------------------------------------------------- time markers

export interface TimeMarker {
  x: number;
  label: string;
  color: string;
  dash?: string;
  align: 'left' | 'right';
}

/** Vertical markers (GA on, DRW on, stage 2) with their labels at the top of the plot. */
export function MarkersLayer({ markers }: { markers: readonly TimeMarker[] }) {
  const s = usePlotScales(false);
  if (!s || !markers.length) return null;
  const { plot } = s;
  return (
    <g className="ltc-markers" pointerEvents="none">
      {markers.map((k, i) => {
        const x = s.x(k.x);
        if (!Number.isFinite(x) || x < plot.x - 0.5 || x > plot.x + plot.width + 0.5) return null;
        return (
          <g key={`${k.label}${i}`} data-marker={k.label}>
            <line x1={x} x2={x} y1={plot.y} y2={plot.y + plot.height} stroke={k.color} strokeWidth={2} strokeDasharray={k.dash} />
            <text
              x={x + (k.align === 'left' ? 5 : -5)}
              y={plot.y + 15 + 16 * (i % 2)}
              textAnchor={k.align === 'left' ? 'start' : 'end'}
              fontSize={13}
              fill="#222"
              paintOrder="stroke"
              stroke="#fff"
              strokeWidth={3}
            >
              {k.label}
            </text>
          </g>
        );
      })}
    </g>
  );
}

// ---------------------------------------------------------------- axis titles and ticks

/** Axis titles: below the x axis (baseline `xTitleDy` px under the plot), and rotated beside the value axes. */
export function AxisTitles(p: { x?: string; xTitleDy: number; left?: string; leftWidth?: number; right?: string; rightWidth?: number }) {
  const plot = usePlotArea();
  if (!plot) return null;
  const cy = plot.y + plot.height / 2;
  return (
    <g className="ltc-axis-titles" style={AXIS_LABEL_STYLE} pointerEvents="none">
      {p.x && (
        <text x={plot.x + plot.width / 2} y={plot.y + plot.height + p.xTitleDy} textAnchor="middle" {...AXIS_LABEL_STYLE}>
          {p.x}
        </text>
      )}
      {p.left && (
        <text
          transform={`translate(${plot.x - (p.leftWidth ?? 60) + 8} ${cy}) rotate(-90)`}
          textAnchor="middle"
          dominantBaseline="central"
          {...AXIS_LABEL_STYLE}
        >
          {p.left}
        </text>
      )}
      {p.right && (
        <text
          transform={`translate(${plot.x + plot.width + (p.rightWidth ?? 60) - 8} ${cy}) rotate(90)`}
          textAnchor="middle"
          dominantBaseline="central"
          {...AXIS_LABEL_STYLE}
        >
          {p.right}
        </text>
      )}
    </g>
  );
}

/** A value-axis tick label as a plain <text> (recharts' <Text> would measure strings in the DOM). */
export function valueTick(format: (v: number) => string, side: 'left' | 'right') {
  const Tick = (t: YAxisTickContentProps) => (
    <text
      x={Number(t.x) + (side === 'left' ? -4 : 4)}
      y={Number(t.y)}
      dy="0.32em"
      textAnchor={side === 'left' ? 'end' : 'start'}
      {...TICK_STYLE}
    >
      {format(Number(t.payload.value))}
    </text>
  );
  return Tick;
}

/** A horizontal-axis tick label under the axis. */
export function xValueTick(format: (v: number) => string) {
  const Tick = (t: XAxisTickContentProps) => (
    <text x={Number(t.x)} y={Number(t.y)} dy="0.9em" textAnchor="middle" {...TICK_STYLE}>
      {format(Number(t.payload.value))}
    </text>
  );
  return Tick;
}

/** A time-axis tick label (whole epochs). */
export const epochTick = xValueTick(String);

// ---------------------------------------------------------------- category (per-class) charts

export interface ClassScales {
  /** Start and end (px) of the band of category i. */
  band(i: number): { a: number; b: number };
  yL(v: number): number;
  yR(v: number): number;
  plot: PlotArea;
}

/** The band scale of the category axis and the value scales, handed to `draw`. */
export function ClassLayer({ keys, hasRight, draw }: { keys: readonly string[]; hasRight: boolean; draw: (s: ClassScales) => ReactNode }) {
  const s = usePlotScales(hasRight);
  const x = useXAxisScale();
  const key = geometryKey(s, keys.length ? [keys[0], keys[keys.length - 1]] : []) + (x ? `,${x(keys[0], { position: 'middle' })}` : '');
  // eslint-disable-next-line react-hooks/exhaustive-deps -- the scales are keyed by what they map to (geometryKey)
  return useMemo(() => (s && x ? classLayer(s, x, keys, draw) : null), [key, keys, draw]);
}

function classLayer(
  s: PlotScales,
  x: (v: unknown, o?: { position?: 'start' | 'middle' | 'end' }) => number | undefined,
  keys: readonly string[],
  draw: (s: ClassScales) => ReactNode,
) {
  const bw = s.plot.width / Math.max(1, keys.length);
  const scales: ClassScales = {
    band: (i) => {
      const a = x(keys[i], { position: 'start' }) ?? s.plot.x + i * bw;
      const mid = x(keys[i], { position: 'middle' });
      return { a, b: mid !== undefined && mid > a ? a + 2 * (mid - a) : a + bw };
    },
    yL: s.yL,
    yR: s.yR,
    plot: s.plot,
  };
  return (
    <g className="ltc-class-layer" pointerEvents="none">
      {draw(scales)}
    </g>
  );
}

/** "M… L…" through the band centres of the finite values (gaps break the line). */
export function centreLine(
  values: ReadonlyArray<number | null | undefined>,
  s: ClassScales,
  y: (v: number) => number,
): { d: string; pts: Array<[number, number]> } {
  let d = '';
  let pen = false;
  const pts: Array<[number, number]> = [];
  values.forEach((v, i) => {
    if (v === null || v === undefined || !Number.isFinite(v)) {
      pen = false;
      return;
    }
    const { a, b } = s.band(i);
    const px = (a + b) / 2;
    const py = y(v);
    d += `${pen ? 'L' : 'M'}${r1(px)} ${r1(py)}`;
    pen = true;
    pts.push([px, py]);
  });
  return { d, pts };
}

export interface ClassBarSeries<R> {
  /** Key in row.v. */
  key: string;
  color: string;
  colorOf?: (row: R) => string;
  fillOpacity?: number;
  outline?: boolean;
}

/** Grouped bars (one slot per series in each band) as one <path> per series and colour, from the value 0. */
export function ClassBars<R extends { v: Record<string, number | null> }>({
  rows,
  series,
  s,
  axis = 'left',
  gap = 0.14,
}: {
  rows: readonly R[];
  series: ReadonlyArray<ClassBarSeries<R>>;
  s: ClassScales;
  axis?: 'left' | 'right';
  gap?: number;
}) {
  if (!series.length) return null;
  const y = axis === 'right' ? s.yR : s.yL;
  const base = y(0);
  const paths = new Map<string, { color: string; ser: ClassBarSeries<R>; d: string[] }>();
  rows.forEach((row, i) => {
    const { a, b } = s.band(i);
    const band = b - a;
    const w = (band * (1 - gap)) / series.length;
    const x0 = a + (band * gap) / 2;
    series.forEach((ser, k) => {
      const v = row.v[ser.key];
      if (v === null || v === undefined || !Number.isFinite(v)) return;
      const top = y(v);
      const color = ser.colorOf ? ser.colorOf(row) : ser.color;
      const id = `${k}|${color}`;
      let p = paths.get(id);
      if (!p) {
        p = { color, ser, d: [] };
        paths.set(id, p);
      }
      p.d.push(`M${r1(x0 + k * w)} ${r1(top)}H${r1(x0 + (k + 1) * w)}V${r1(base)}H${r1(x0 + k * w)}Z`);
    });
  });
  return (
    <g className="ltc-bars">
      {[...paths].map(([id, p]) => (
        <path
          key={id}
          d={p.d.join('')}
          fill={p.color}
          fillOpacity={p.ser.fillOpacity ?? 1}
          stroke={p.ser.outline ? p.color : 'none'}
          strokeWidth={p.ser.outline ? 1 : 0}
        />
      ))}
    </g>
  );
}

export interface ErrorBarSeries {
  /** Key in row.v of the bar; its error bar's ends are under `lo` and `hi`, its seeds' values under `seeds`. */
  key: string;
  lo: string;
  hi: string;
  seeds?: readonly string[];
  color: string;
  /** The bar slot it sits on (the series' index in the ClassBars). */
  slot: number;
}

/**
 * Error bars (whisker with caps) at the centre of each bar slot of `ClassBars` (same slots and gap), one path per
 * series, plus each seed's own value as a dot when `seeds` are given (a seed group's mean ± std and its seeds).
 */
export function ErrorBars<R extends { v: Record<string, number | null> }>({
  rows,
  series,
  slots,
  s,
  gap = 0.14,
}: {
  rows: readonly R[];
  series: readonly ErrorBarSeries[];
  /** Bar slots per class (the series count of the ClassBars these sit on). */
  slots: number;
  s: ClassScales;
  gap?: number;
}) {
  if (!series.length) return null;
  const f = r1;
  const out = series.map(() => ({ bar: '', dots: [] as Array<[number, number]> }));
  const ok = (v: number | null | undefined): v is number => v !== null && v !== undefined && Number.isFinite(v);
  rows.forEach((row, i) => {
    const { a, b } = s.band(i);
    const band = b - a;
    const w = (band * (1 - gap)) / Math.max(1, slots);
    series.forEach((ser, k) => {
      const cx = a + (band * gap) / 2 + (ser.slot + 0.5) * w;
      const cap = Math.max(1.5, Math.min(w * 0.3, 6));
      const lo = row.v[ser.lo];
      const hi = row.v[ser.hi];
      if (ok(lo) && ok(hi)) {
        const y0 = f(s.yL(lo));
        const y1 = f(s.yL(hi));
        out[k].bar += `M${f(cx)} ${y0}V${y1}M${f(cx - cap)} ${y0}H${f(cx + cap)}M${f(cx - cap)} ${y1}H${f(cx + cap)}`;
      }
      for (const sk of ser.seeds ?? []) {
        const v = row.v[sk];
        if (ok(v)) out[k].dots.push([cx, s.yL(v)]);
      }
    });
  });
  return (
    <g className="ltc-error-bars">
      {series.map((ser, k) => (
        <g key={ser.key}>
          <path d={out[k].bar} fill="none" stroke="#222" strokeWidth={1.5} data-error-bars={ser.key} />
          {out[k].dots.length > 0 && (
            <path d={dotsPath(out[k].dots, 2.5)} fill="#fff" stroke={ser.color} strokeWidth={1.5} data-seed-dots={ser.key} />
          )}
        </g>
      ))}
    </g>
  );
}

export interface BoxSeries {
  color: string;
  /** Statistics per row (same order as the rows), null where there are none. */
  stats: ReadonlyArray<{ min: number; q1: number; median: number; q3: number; max: number } | null>;
}

/**
 * Box-and-whisker glyphs of every row and series as three paths per series (whiskers and caps, boxes, medians):
 * one element per class would cost ~0.3 ms each to mount.
 */
export function BoxPaths({ series, s, gap = 0.14 }: { series: readonly BoxSeries[]; s: ClassScales; gap?: number }) {
  if (series.length === 0) return null;
  const f = r1;
  const y = s.yL;
  const out = series.map(() => ({ whisk: [] as string[], box: [] as string[], med: [] as string[] }));
  const n = series.reduce((m, x) => Math.max(m, x.stats.length), 0);
  for (let ri = 0; ri < n; ri++) {
    const { a, b } = s.band(ri);
    const band = b - a;
    const w = (band * (1 - gap)) / series.length;
    series.forEach((ser, k) => {
      const st = ser.stats[ri];
      if (!st) return;
      const cx = a + (band * gap) / 2 + (k + 0.5) * w;
      const bw = Math.max(2, Math.min(w * 0.8, 36));
      const cap = bw / 4;
      const o = out[k];
      o.whisk.push(
        `M${f(cx)} ${f(y(st.max))}V${f(y(st.q3))}M${f(cx)} ${f(y(st.q1))}V${f(y(st.min))}`,
        `M${f(cx - cap)} ${f(y(st.max))}H${f(cx + cap)}M${f(cx - cap)} ${f(y(st.min))}H${f(cx + cap)}`,
      );
      const top = y(st.q3);
      const bottom = Math.max(top + 1, y(st.q1));
      o.box.push(`M${f(cx - bw / 2)} ${f(top)}H${f(cx + bw / 2)}V${f(bottom)}H${f(cx - bw / 2)}Z`);
      o.med.push(`M${f(cx - bw / 2)} ${f(y(st.median))}H${f(cx + bw / 2)}`);
    });
  }
  return (
    <g className="ltc-boxes">
      {series.map((ser, k) => (
        <g key={k} stroke={ser.color}>
          <path d={out[k].box.join('')} fill={ser.color} fillOpacity={0.3} strokeWidth={1.5} />
          <path d={out[k].whisk.join('')} fill="none" strokeWidth={1.5} />
          <path d={out[k].med.join('')} fill="none" strokeWidth={3} />
        </g>
      ))}
    </g>
  );
}

/** Background bands over categories [from, to] (indices, inclusive). */
export function BandRects({
  bands,
  s,
}: {
  bands: ReadonlyArray<{ from: number; to: number; color: string; opacity: number }>;
  s: ClassScales;
}) {
  return (
    <g className="ltc-group-bands">
      {bands.map((b, k) => (
        <rect
          key={k}
          x={s.band(b.from).a}
          width={s.band(b.to).b - s.band(b.from).a}
          y={s.plot.y}
          height={s.plot.height}
          fill={b.color}
          fillOpacity={b.opacity}
        />
      ))}
    </g>
  );
}
