/**
 * A small line chart over epochs drawn as plain SVG: one <path> per series, axes with "nice" ticks, a grid,
 * vertical markers (GA switch, stage 2) and a hover tooltip. It replaces recharts where the charts update while
 * training: a recharts chart re-runs its internal store selectors for every tick, line and dot on each data change
 * (tens of ms per update and 100–500 ms to mount on a 2-core machine), this costs one string join per line.
 */
import { useLayoutEffect, useMemo, useRef, useState, type MouseEvent as ReactMouseEvent } from 'react';
import { AXIS_LABEL_STYLE, AXIS_STROKE, TICK_STYLE, TooltipBox } from './ChartCard';
import type { TimeRow } from './chart-data';

export interface FastLine {
  /** Key in the rows. */
  key: string;
  name: string;
  color: string;
  axis: 'left' | 'right';
  width?: number;
  dash?: string;
  /** Radius of a dot at every point (none when 0 / absent). */
  dot?: number;
}

export interface FastAxis {
  label: string;
  width: number;
  /** Fixed bounds; 'auto' → a nice bound around the data (recharts' default domain is [0, 'auto']). */
  domain?: [number | 'auto', number | 'auto' | ((dataMax: number) => number)];
  format?: (v: number) => string;
  /** Integer ticks only. */
  integer?: boolean;
}

export interface FastMarker {
  x: number;
  label: string;
  color: string;
  dash?: string;
  align: 'left' | 'right';
}

export interface FastLineChartProps {
  rows: readonly TimeRow[];
  lines: readonly FastLine[];
  xMax: number;
  left: FastAxis;
  right?: FastAxis;
  markers?: readonly FastMarker[];
  /** Fixed width; responsive to the card otherwise. */
  width?: number;
  height: number;
  margin?: { top: number; right: number; bottom: number; left: number };
  tipTitle: (x: number) => string;
  tipFormat: (v: number, line: FastLine) => string;
}

const X_AXIS_H = 30;

/** Nice step for `span / count` (1, 2, 2.5, 5 × 10^k). */
function niceStep(span: number, count: number, integer: boolean): number {
  const raw = span / Math.max(1, count - 1);
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  const step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * p;
  return integer ? Math.max(1, Math.ceil(step)) : step;
}

/** Domain and ticks of an axis: auto bounds are widened to a multiple of the tick step. */
export function niceScale(dataMin: number, dataMax: number, axis: Pick<FastAxis, 'domain' | 'integer'>, count = 5) {
  const [dLo, dHi] = axis.domain ?? [0, 'auto'];
  let lo = dLo === 'auto' ? (Number.isFinite(dataMin) ? dataMin : 0) : dLo;
  let hi =
    typeof dHi === 'function'
      ? dHi(Number.isFinite(dataMax) ? dataMax : 0)
      : dHi === 'auto'
        ? Number.isFinite(dataMax)
          ? dataMax
          : 1
        : dHi;
  if (!(hi > lo)) hi = lo + 1;
  const step = niceStep(hi - lo, count, !!axis.integer);
  if (dLo === 'auto') lo = Math.floor(lo / step) * step;
  if (dHi === 'auto') hi = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  const first = Math.ceil(lo / step - 1e-9) * step;
  for (let v = first, i = 0; v <= hi + step * 1e-9 && i < 50; v = first + ++i * step) ticks.push(Number(v.toPrecision(12)));
  return { lo, hi, ticks };
}

export function useWidth(fixed: number | undefined) {
  const ref = useRef<HTMLDivElement>(null);
  const [measured, setMeasured] = useState(0);
  useLayoutEffect(() => {
    if (fixed || !ref.current) return;
    const el = ref.current;
    if (typeof ResizeObserver === 'undefined') {
      setMeasured(Math.floor(el.clientWidth));
      return;
    }
    // the observer reports the size after the next layout: no forced synchronous layout inside the commit
    const ro = new ResizeObserver((entries) => {
      const e = entries[entries.length - 1];
      if (e) setMeasured(Math.floor(e.contentRect.width));
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [fixed]);
  return { ref, width: fixed ?? measured };
}

export function FastLineChart(p: FastLineChartProps) {
  const { rows, lines, xMax, left, right, markers = [], height } = p;
  const m = p.margin ?? { top: 16, right: 16, bottom: 24, left: 12 };
  const { ref, width } = useWidth(p.width);
  const [hover, setHover] = useState<number | null>(null);

  const geo = useMemo(() => {
    const x0 = m.left + left.width;
    const x1 = Math.max(x0 + 10, width - m.right - (right ? right.width : 0));
    const y0 = m.top;
    const y1 = Math.max(y0 + 10, height - m.bottom - X_AXIS_H);
    const ext = { left: [Infinity, -Infinity], right: [Infinity, -Infinity] };
    for (const row of rows) {
      for (const l of lines) {
        const v = row[l.key];
        if (v === null || v === undefined || !Number.isFinite(v)) continue;
        const e = ext[l.axis];
        if (v < e[0]) e[0] = v;
        if (v > e[1]) e[1] = v;
      }
    }
    const xs = niceScale(0, xMax, { domain: [0, xMax], integer: true });
    const ls = niceScale(ext.left[0], ext.left[1], left);
    const rs = right ? niceScale(ext.right[0], ext.right[1], right) : null;
    const sx = (v: number) => x0 + ((v - xs.lo) / (xs.hi - xs.lo)) * (x1 - x0);
    const syL = (v: number) => y1 - ((v - ls.lo) / (ls.hi - ls.lo)) * (y1 - y0);
    const syR = rs ? (v: number) => y1 - ((v - rs.lo) / (rs.hi - rs.lo)) * (y1 - y0) : syL;
    const paths = lines.map((l) => {
      const sy = l.axis === 'right' ? syR : syL;
      let d = '';
      const dots: Array<[number, number]> = [];
      for (const row of rows) {
        const v = row[l.key];
        if (v === null || v === undefined || !Number.isFinite(v)) continue; // connects over gaps
        const px = sx(row.x);
        const py = sy(v);
        d += `${d ? 'L' : 'M'}${px.toFixed(1)} ${py.toFixed(1)}`;
        if (l.dot) dots.push([px, py]);
      }
      return { l, d, dots };
    });
    return { x0, x1, y0, y1, xs, ls, rs, sx, syL, syR, paths };
  }, [rows, lines, xMax, left, right, width, height, m.left, m.right, m.top, m.bottom]);

  const onMove = (e: ReactMouseEvent<SVGSVGElement>) => {
    if (!rows.length) return;
    const box = e.currentTarget.getBoundingClientRect();
    const px = e.clientX - box.left;
    if (px < geo.x0 - 4 || px > geo.x1 + 4) {
      setHover(null);
      return;
    }
    const x = geo.xs.lo + ((px - geo.x0) / (geo.x1 - geo.x0)) * (geo.xs.hi - geo.xs.lo);
    let lo = 0;
    let hi = rows.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (rows[mid].x < x) lo = mid;
      else hi = mid;
    }
    setHover(Math.abs(rows[lo].x - x) <= Math.abs(rows[hi].x - x) ? lo : hi);
  };

  const hovered = hover !== null && hover < rows.length ? rows[hover] : null;
  const tipLines = hovered
    ? lines.flatMap((l) => {
        const v = hovered[l.key];
        return typeof v === 'number' && Number.isFinite(v) ? [{ name: l.name, value: p.tipFormat(v, l), color: l.color }] : [];
      })
    : [];
  const { x0, x1, y0, y1 } = geo;
  const fmtL = left.format ?? String;
  const fmtR = right?.format ?? String;

  return (
    <div ref={ref} className="ltc-fast" style={{ position: 'relative', width: p.width ?? '100%', height }}>
      {width > 0 && (
        <svg
          width={width}
          height={height}
          role="img"
          aria-label="line chart"
          onMouseMove={onMove}
          onMouseLeave={() => setHover(null)}
          style={{ display: 'block', overflow: 'visible' }}
        >
          <g stroke="#e3e3e3" fill="none">
            <rect x={x0} y={y0} width={x1 - x0} height={y1 - y0} />
            {geo.ls.ticks.map((t) => (
              <line key={`h${t}`} x1={x0} x2={x1} y1={geo.syL(t)} y2={geo.syL(t)} />
            ))}
            {geo.xs.ticks.map((t) => (
              <line key={`v${t}`} x1={geo.sx(t)} x2={geo.sx(t)} y1={y0} y2={y1} />
            ))}
          </g>
          <g fontSize={TICK_STYLE.fontSize} fill={TICK_STYLE.fill}>
            <line x1={x0} x2={x1} y1={y1} y2={y1} stroke={AXIS_STROKE} />
            {geo.xs.ticks.map((t) => (
              <text key={`xt${t}`} x={geo.sx(t)} y={y1 + 20} textAnchor="middle">
                {t}
              </text>
            ))}
            <text x={(x0 + x1) / 2} y={y1 + X_AXIS_H + 12} textAnchor="middle" style={AXIS_LABEL_STYLE}>
              epoch
            </text>
            <line x1={x0} x2={x0} y1={y0} y2={y1} stroke={AXIS_STROKE} />
            {geo.ls.ticks.map((t) => (
              <text key={`lt${t}`} x={x0 - 8} y={geo.syL(t) + 4} textAnchor="end">
                {fmtL(t)}
              </text>
            ))}
            <text transform={`translate(${m.left + 8} ${(y0 + y1) / 2}) rotate(-90)`} textAnchor="middle" style={AXIS_LABEL_STYLE}>
              {left.label}
            </text>
            {right && geo.rs && (
              <>
                <line x1={x1} x2={x1} y1={y0} y2={y1} stroke={AXIS_STROKE} />
                {geo.rs.ticks.map((t) => (
                  <text key={`rt${t}`} x={x1 + 8} y={geo.syR(t) + 4} textAnchor="start">
                    {fmtR(t)}
                  </text>
                ))}
                <text
                  transform={`translate(${width - m.right - 8} ${(y0 + y1) / 2}) rotate(90)`}
                  textAnchor="middle"
                  style={AXIS_LABEL_STYLE}
                >
                  {right.label}
                </text>
              </>
            )}
          </g>
          {markers
            .filter((k) => k.x >= geo.xs.lo && k.x <= geo.xs.hi)
            .map((k) => (
              <g key={`m${k.label}`}>
                <line x1={geo.sx(k.x)} x2={geo.sx(k.x)} y1={y0} y2={y1} stroke={k.color} strokeWidth={2} strokeDasharray={k.dash} />
                <text
                  x={geo.sx(k.x) + (k.align === 'left' ? 5 : -5)}
                  y={y0 + 15}
                  textAnchor={k.align === 'left' ? 'start' : 'end'}
                  fontSize={13}
                  fill="#222"
                >
                  {k.label}
                </text>
              </g>
            ))}
          <g fill="none" pointerEvents="none">
            {geo.paths.map(
              ({ l, d }) =>
                d && (
                  <path key={l.key} d={d} stroke={l.color} strokeWidth={l.width ?? 1.5} strokeDasharray={l.dash} strokeLinejoin="round" />
                ),
            )}
          </g>
          {geo.paths.some((x) => x.dots.length) && (
            <g pointerEvents="none">
              {geo.paths.map(
                ({ l, dots }) =>
                  dots.length > 0 && (
                    <path
                      key={`d${l.key}`}
                      fill={l.color}
                      stroke="none"
                      d={dots
                        .map(
                          ([x, y]) =>
                            `M${(x - l.dot!).toFixed(1)} ${y.toFixed(1)}a${l.dot} ${l.dot} 0 1 0 ${2 * l.dot!} 0a${l.dot} ${l.dot} 0 1 0 ${-2 * l.dot!} 0`,
                        )
                        .join('')}
                    />
                  ),
              )}
            </g>
          )}
          {hovered && <line x1={geo.sx(hovered.x)} x2={geo.sx(hovered.x)} y1={y0} y2={y1} stroke="#999" pointerEvents="none" />}
        </svg>
      )}
      {hovered && tipLines.length > 0 && (
        <div
          className="ltc-fast-tip"
          style={{
            position: 'absolute',
            top: y0,
            pointerEvents: 'none',
            zIndex: 2,
            ...(geo.sx(hovered.x) > (x0 + x1) / 2 ? { right: width - geo.sx(hovered.x) + 12 } : { left: geo.sx(hovered.x) + 12 }),
          }}
        >
          <TooltipBox title={p.tipTitle(hovered.x)} lines={tipLines} />
        </div>
      )}
    </div>
  );
}
