/** Building blocks shared by the charts: the card, the HTML legend, the tooltip, time markers, memo comparators. */
import { useId, type ReactNode } from 'react';
import type { ChartProps, RunSeries } from './types';
import { chartMeta, type ChartId } from './meta';
import type { FastMarker } from './FastLineChart';

export const DEFAULT_HEIGHT = 300;
/** Per-epoch series are thinned to this many points (200 epochs stay cheap to draw; they are smooth). */
export const MAX_EPOCH_POINTS = 100;
export const AXIS_STROKE = '#333';
export const TICK_STYLE = { fontSize: 13, fill: '#222' } as const;
export const AXIS_LABEL_STYLE = { fontSize: 13, fill: '#222', fontWeight: 600 } as const;

// ---------------------------------------------------------------- legend

export interface LegendItem {
  label: string;
  color: string;
  /** SVG dash pattern of a line sample. */
  dash?: string;
  shape?: 'line' | 'square' | 'band' | 'box';
}

export function ChartLegend({ items }: { items: readonly LegendItem[] }) {
  if (!items.length) return null;
  return (
    <ul className="ltc-legend" aria-label="Legend">
      {items.map((it, i) => (
        <li key={i}>
          <svg width="26" height="14" aria-hidden="true" focusable="false">
            {it.shape === 'square' && <rect x="6" y="1" width="13" height="12" fill={it.color} />}
            {it.shape === 'band' && <rect x="1" y="1" width="24" height="12" fill={it.color} fillOpacity={0.3} stroke={it.color} />}
            {it.shape === 'box' && (
              <g stroke={it.color} fill={it.color} fillOpacity={0.3}>
                <line x1="13" x2="13" y1="0" y2="14" />
                <rect x="7" y="3" width="12" height="8" />
              </g>
            )}
            {(it.shape === undefined || it.shape === 'line') && (
              <line x1="1" x2="25" y1="7" y2="7" stroke={it.color} strokeWidth={3} strokeDasharray={it.dash} />
            )}
          </svg>
          <span>{it.label}</span>
        </li>
      ))}
    </ul>
  );
}

// ---------------------------------------------------------------- tooltip

/** Tooltip body: a heading and one "name: value" line per entry (all text, never HTML). */
export function TooltipBox({ title, lines }: { title: string; lines: ReadonlyArray<{ name: string; value: string; color?: string }> }) {
  return (
    <div className="ltc-tooltip">
      <div className="ltc-tooltip-title">{title}</div>
      {lines.map((l, i) => (
        <div key={i} className="ltc-tooltip-line">
          {l.color && <span className="ltc-swatch" style={{ background: l.color }} />}
          <span>{l.name}: </span>
          <strong>{l.value}</strong>
        </div>
      ))}
    </div>
  );
}

// ---------------------------------------------------------------- card

export interface ChartCardProps {
  id: ChartId;
  /** Number of data points plotted (0 → the empty state). */
  points: number;
  empty?: ReactNode;
  controls?: ReactNode;
  legend?: readonly LegendItem[];
  note?: ReactNode;
  children?: ReactNode;
}

export function ChartCard({ id, points, empty, controls, legend, note, children }: ChartCardProps) {
  const meta = chartMeta(id);
  const hid = useId();
  return (
    <section className="ltc-card" data-testid={`chart-${id}`} data-points={points} aria-labelledby={hid}>
      <h3 id={hid}>{meta.title}</h3>
      {controls && <div className="ltc-controls">{controls}</div>}
      {points > 0 ? (
        <>
          {legend && <ChartLegend items={legend} />}
          <div className="ltc-plot">{children}</div>
          {note && <p className="ltc-note">{note}</p>}
        </>
      ) : (
        <p className="ltc-empty" role="status">
          {empty ?? 'No data yet — train for one epoch to fill this chart.'}
        </p>
      )}
      <p className="ltc-caption">
        <strong>What to look for:</strong> {meta.caption}
      </p>
    </section>
  );
}

// ---------------------------------------------------------------- time markers

/** GA switch and stage-2 start as vertical markers of a FastLineChart. */
export function fastMarkers(opts: { gaStartEpoch?: number | null; stage2At?: number | null }): FastMarker[] {
  const out: FastMarker[] = [];
  if (opts.gaStartEpoch !== null && opts.gaStartEpoch !== undefined && Number.isFinite(opts.gaStartEpoch)) {
    out.push({ x: opts.gaStartEpoch, label: 'GA on', color: '#444', dash: '6 3', align: 'left' });
  }
  if (opts.stage2At !== null && opts.stage2At !== undefined)
    out.push({ x: opts.stage2At, label: 'stage 2', color: '#666', align: 'right' });
  return out;
}

export const epochLabel = (x: unknown): string => {
  const v = typeof x === 'number' ? x : Number(x);
  return Number.isFinite(v) ? `epoch ${Number(v.toFixed(2))}` : '';
};

// ---------------------------------------------------------------- memo comparators

function sameBase(a: ChartProps, b: ChartProps): boolean {
  return (
    a.counts === b.counts &&
    a.groups === b.groups &&
    a.classNames === b.classNames &&
    a.totalEpochs === b.totalEpochs &&
    a.gaStartEpoch === b.gaStartEpoch &&
    a.width === b.width &&
    a.height === b.height &&
    a.onCellClick === b.onCellClick &&
    a.maxPoints === b.maxPoints
  );
}

function sameRuns(a: readonly RunSeries[], b: readonly RunSeries[], withBatches: boolean): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x.id !== y.id || x.label !== y.label || x.color !== y.color || x.epochs !== y.epochs) return false;
    if (withBatches && x.batches !== y.batches) return false;
  }
  return true;
}

/** Charts that only read epochs: a new batch (new `batches` array) does not re-render them. */
export const epochPropsEqual = (a: ChartProps, b: ChartProps): boolean => sameBase(a, b) && sameRuns(a.runs, b.runs, false);
export const batchPropsEqual = (a: ChartProps, b: ChartProps): boolean => sameBase(a, b) && sameRuns(a.runs, b.runs, true);

// Derived data is memoised on the `runs` array itself: the memo comparators above decide when a chart re-renders,
// so `runs` only changes identity inside a chart when its data did (or the parent re-rendered with new data).

/** Tick settings for a category axis of class names (rotated and ellipsised when there are many). */
export function classAxis(names: readonly string[]) {
  const n = names.length;
  const rotate = n > 6;
  const maxChars = n > 40 ? 8 : n > 15 ? 10 : 14;
  const fontSize = n > 40 ? 10 : n > 15 ? 12 : 13;
  let longest = 0;
  for (const s of names) longest = Math.max(longest, Math.min(maxChars, s.length));
  // rotated by 50°: the vertical extent of the longest label
  const textH = rotate ? Math.ceil(longest * fontSize * 0.6 * Math.sin((50 * Math.PI) / 180) + fontSize) : fontSize;
  return {
    // a fixed interval: every (interval + 1)-th class is labelled (no text measuring)
    interval: n <= 40 ? 0 : Math.ceil(n / 34) - 1,
    angle: rotate ? -50 : 0,
    textAnchor: rotate ? ('end' as const) : ('middle' as const),
    /** Axis height: tick labels plus room for the axis title. */
    height: textH + 26,
    maxChars,
    fontSize,
  };
}
