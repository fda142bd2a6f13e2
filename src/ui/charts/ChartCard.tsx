/**
 * Building blocks shared by the charts: the card (title, text alternative, "Show data" table, caption), the legend
 * content, the tooltip body, time markers, memo comparators and the class-axis layout.
 */
import { createContext, useContext, useEffect, useId, useRef, useState, type ReactNode, type RefObject } from 'react';
import type { ChartProps, RunSeries } from './types';
import { chartMeta, type ChartId } from '../../state/session/chart-catalog';
import type { TimeMarker } from './PlotLayers';
import type { DataTable } from './text-alternatives';
import { CLASS_LINK, CLASS_LINK_GROUP, classLinkHandlers, classLinkName } from './class-link';

export const DEFAULT_HEIGHT = 300;
/** Per-epoch series are thinned to this many points (200 epochs stay cheap to draw; they are smooth). */
export const MAX_EPOCH_POINTS = 100;

// ---------------------------------------------------------------- legend

export interface LegendItem {
  label: string;
  color: string;
  /** SVG dash pattern of a line sample. */
  dash?: string;
  shape?: 'line' | 'square' | 'band' | 'box' | 'dot' | 'triangle';
  /** The item stands for this class: its label is a link to the class' training images (`name`: full class name). */
  cls?: { index: number; name: string };
}

/**
 * An HTML class name as a link to the class' training images (class-link.ts). `named`: the button's accessible name
 * is "Show training images of …" (else its text, e.g. a table's row name, with that as the tooltip).
 */
function ClassLinkButton(p: { cls: number; name: string; first: boolean; kind: string; named?: boolean; children: ReactNode }) {
  return (
    <button
      type="button"
      className={`${CLASS_LINK} ${p.kind}`}
      data-class={p.cls}
      aria-label={p.named ? classLinkName(p.name) : undefined}
      title={classLinkName(p.name)}
      tabIndex={p.first ? 0 : -1}
      {...classLinkHandlers}
    >
      {p.children}
    </button>
  );
}

/** The legend list (rendered by recharts' <Legend> as its content, above the plot). */
export function ChartLegend({ items }: { items: readonly LegendItem[] }) {
  if (!items.length) return null;
  const firstLink = items.find((it) => it.cls);
  return (
    <ul className="ltc-legend" aria-label="Legend" {...{ [CLASS_LINK_GROUP]: '' }}>
      {items.map((it, i) => (
        <li key={i}>
          <svg width="26" height="14" aria-hidden="true" focusable="false">
            {it.shape === 'square' && <rect x="6" y="1" width="13" height="12" fill={it.color} />}
            {it.shape === 'dot' && <circle cx="13" cy="7" r="5" fill={it.color} />}
            {it.shape === 'triangle' && <path d="M7 12L13 2L19 12Z" fill={it.color} />}
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
          {it.cls ? (
            <ClassLinkButton cls={it.cls.index} name={it.cls.name} first={it === firstLink} kind="ltc-legend-link" named>
              {it.label}
            </ClassLinkButton>
          ) : (
            <span>{it.label}</span>
          )}
        </li>
      ))}
    </ul>
  );
}

/**
 * Height the legend will take at `width` (px): recharts measures the real one and shrinks the plot by it, so the
 * chart is made taller by about as much to keep the plot's height. Items are laid out like the CSS (flex-wrap).
 */
export function legendHeight(items: readonly LegendItem[] | undefined, width: number): number {
  if (!items?.length || width <= 0) return 0;
  let rows = 1;
  let x = 0;
  for (const it of items) {
    const w = 26 + 6 + it.label.length * 7.6 + 16;
    if (x > 0 && x + w > width) {
      rows++;
      x = 0;
    }
    x += w;
  }
  return rows * 22 + 8;
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
  /** Ids of the runs drawn (→ data-runs, a test hook like data-points). */
  runs?: readonly string[];
  /** Title instead of the chart's default one (e.g. the feature-norm chart with an FBL run). */
  title?: string;
  empty?: ReactNode;
  controls?: ReactNode;
  note?: ReactNode;
  /** Text alternative: one or two sentences with the latest values (read by screen readers; shown with the data). */
  summary?: string;
  /** The chart's numbers as a table, built only when "Show data" is open. */
  table?: () => DataTable | null;
  children?: ReactNode;
}

/** The numbers behind a chart as an HTML table in a horizontally scrollable, focusable region. */
export function DataTableView({ table, id, label }: { table: DataTable; id: string; label: string }) {
  return (
    <div className="ltc-data" id={id} role="region" aria-label={label} tabIndex={0}>
      <table>
        <caption>{table.caption}</caption>
        <thead>
          <tr>
            {table.columns.map((c, i) => (
              <th key={i} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody {...(table.rowClasses ? { [CLASS_LINK_GROUP]: '' } : {})}>
          {table.rows.map((r, i) => (
            <tr key={i}>
              {r.map((v, j) =>
                j === 0 ? (
                  <th key={j} scope="row">
                    {table.rowClasses?.[i] !== undefined ? (
                      <ClassLinkButton cls={table.rowClasses[i]} name={v} first={i === 0} kind="ltc-table-link">
                        {v}
                      </ClassLinkButton>
                    ) : (
                      v
                    )}
                  </th>
                ) : (
                  <td key={j}>{v}</td>
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {table.note && <p className="ltc-note">{table.note}</p>}
    </div>
  );
}

/** What a full-window chart shows above it (the page's compact header); nothing on a bare chart page. */
export const PresenterBar = createContext<ReactNode>(null);

/** Makes everything outside `el` inert (each ancestor's other children, dialogs aside); returns the undo. */
function inertOutside(el: HTMLElement): () => void {
  const made: HTMLElement[] = [];
  for (let n: HTMLElement | null = el; n?.parentElement; n = n.parentElement) {
    for (const sib of Array.from(n.parentElement.children)) {
      // dialogs stay live: one opened from the card (a confusion cell's images) shows above it, modal itself
      if (sib !== n && sib instanceof HTMLElement && !sib.inert && sib.tagName !== 'DIALOG') {
        sib.inert = true;
        made.push(sib);
      }
    }
    if (n.parentElement === document.body) break;
  }
  return () => made.forEach((m) => (m.inert = false));
}

/**
 * Presenter mode of one card: full window (the rest of the page inert), Escape or Close returns, and focus goes
 * back to the button that opened it.
 */
function usePresenter(
  on: boolean,
  card: RefObject<HTMLElement | null>,
  close: RefObject<HTMLButtonElement | null>,
  opener: RefObject<HTMLButtonElement | null>,
  leave: () => void,
) {
  const was = useRef(false);
  useEffect(() => {
    if (!on) {
      if (was.current) opener.current?.focus();
      was.current = false;
      return;
    }
    was.current = true;
    const undo = card.current ? inertOutside(card.current) : () => undefined;
    close.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (document.querySelector('dialog[open]')) return; // that dialog's Escape, Tab and focus
      if (e.key === 'Escape' && !e.defaultPrevented) {
        e.preventDefault();
        leave();
      } else if (e.key === 'Tab' && card.current) {
        // Tab wraps inside the card (past its last control it would leave the page for the browser's bar)
        const stops = Array.from(card.current.querySelectorAll<HTMLElement>('a[href], button, input, select, textarea, [tabindex]')).filter(
          (el) => el.tabIndex >= 0 && !(el as HTMLButtonElement).disabled && el.getClientRects().length > 0 && !el.closest('[inert]'),
        );
        if (!stops.length) return;
        const first = stops[0];
        const last = stops[stops.length - 1];
        const at = document.activeElement;
        if (e.shiftKey && (at === first || !card.current.contains(at))) {
          e.preventDefault();
          last.focus();
        } else if (!e.shiftKey && (at === last || !card.current.contains(at))) {
          e.preventDefault();
          first.focus();
        }
      }
    };
    document.addEventListener('keydown', onKey);
    document.documentElement.classList.add('ltc-presenting-page');
    return () => {
      document.removeEventListener('keydown', onKey);
      document.documentElement.classList.remove('ltc-presenting-page');
      undo();
    };
  }, [on, card, close, opener, leave]);
}

export function ChartCard({ id, points, runs, title, empty, controls, note, summary, table, children }: ChartCardProps) {
  const meta = chartMeta(id);
  const hid = useId();
  const sid = useId();
  const tid = useId();
  const [open, setOpen] = useState(false);
  const [presenting, setPresenting] = useState(false);
  const cardRef = useRef<HTMLElement>(null);
  const closeRef = useRef<HTMLButtonElement>(null);
  const openerRef = useRef<HTMLButtonElement>(null);
  const [leave] = useState(() => () => setPresenting(false));
  usePresenter(presenting, cardRef, closeRef, openerRef, leave);
  const bar = useContext(PresenterBar);
  const heading = title ?? meta.title;
  const has = points > 0;
  const data = has && open && table ? table() : null;
  return (
    <section
      ref={cardRef}
      className={presenting ? 'ltc-card ltc-presenting' : 'ltc-card'}
      data-testid={`chart-${id}`}
      data-points={points}
      data-runs={runs?.join(' ')}
      data-presenting={presenting || undefined}
      role={presenting ? 'dialog' : undefined}
      aria-modal={presenting || undefined}
      aria-labelledby={hid}
      aria-describedby={has && summary ? sid : undefined}
    >
      {presenting && bar && <div className="ltc-present-bar">{bar}</div>}
      <div className="ltc-card-head">
        <h3 id={hid}>{heading}</h3>
        {presenting ? (
          <button ref={closeRef} type="button" className="ltc-present-close" onClick={leave} data-testid="present-close">
            Close full window (Esc)
          </button>
        ) : (
          <button
            ref={openerRef}
            type="button"
            className="ltc-present-open"
            onClick={() => setPresenting(true)}
            aria-label={`Present “${heading}” full window`}
            title="Full window, large (Escape returns)"
            data-testid="present-open"
          >
            <span aria-hidden="true">⛶</span> Present
          </button>
        )}
      </div>
      {controls && <div className="ltc-controls">{controls}</div>}
      {has ? (
        <>
          {summary && (
            <p id={sid} className={open ? 'ltc-summary' : 'ltc-summary ltc-sr-only'}>
              {summary}
            </p>
          )}
          <div className="ltc-plot">{children}</div>
          {note && <p className="ltc-note">{note}</p>}
          {table && (
            <div className="ltc-data-wrap">
              <button
                type="button"
                className="ltc-data-toggle"
                aria-expanded={open}
                aria-controls={open ? tid : undefined}
                onClick={() => setOpen((o) => !o)}
              >
                {open ? 'Hide data' : 'Show data'}
              </button>
              {data && <DataTableView table={data} id={tid} label={`${heading}: data`} />}
            </div>
          )}
        </>
      ) : (
        <>
          <p className="ltc-empty" role="status">
            {empty ?? 'No data yet — train for one epoch to fill this chart.'}
          </p>
          {/* the chart mounts while idle (mount-queue.ts), out of sight: the first data is then an update */}
          <div className="ltc-plot ltc-plot-idle" aria-hidden="true" inert>
            {children}
          </div>
        </>
      )}
      <p className="ltc-caption">
        <strong>What to look for:</strong> {meta.caption}
      </p>
    </section>
  );
}

// ---------------------------------------------------------------- time markers

/** GA switch, DRW switch and stage-2 start as vertical markers of the time charts. */
export function timeMarkers(opts: { gaStartEpoch?: number | null; drwStartEpoch?: number | null; stage2At?: number | null }): TimeMarker[] {
  const out: TimeMarker[] = [];
  const ok = (v: number | null | undefined): v is number => v !== null && v !== undefined && Number.isFinite(v);
  if (ok(opts.gaStartEpoch)) out.push({ x: opts.gaStartEpoch, label: 'GA on', color: '#444', dash: '6 3', align: 'left' });
  if (ok(opts.drwStartEpoch)) out.push({ x: opts.drwStartEpoch, label: 'DRW on', color: '#7a3b00', dash: '2 3', align: 'left' });
  if (ok(opts.stage2At)) out.push({ x: opts.stage2At, label: 'stage 2', color: '#666', align: 'right' });
  return out;
}

/**
 * The DRW switch of the runs drawn: the prop when given (from the run settings, so it shows before it happens),
 * else the first stage-1 epoch of any run whose metrics say DRW is on (its start on the time axis).
 */
export function drwMarkerEpoch(runs: readonly RunSeries[], given: number | null | undefined): number | null {
  if (given !== undefined) return given;
  for (const r of runs) for (const e of r.epochs) if (e.stage === 1 && e.drwActive) return e.epoch;
  return null;
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
    a.drwStartEpoch === b.drwStartEpoch &&
    a.width === b.width &&
    a.height === b.height &&
    a.onCellClick === b.onCellClick &&
    a.maxPoints === b.maxPoints &&
    a.perSeed === b.perSeed
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

/**
 * Charts that draw only the runs satisfying `pred` (the KPS chart: KPS runs; the GCL chart: GCL runs): an epoch of
 * another run does not re-render them (only whether any run has epochs, for the empty state's text).
 */
export function runsWherePropsEqual(pred: (r: RunSeries) => boolean) {
  const pick = (runs: readonly RunSeries[]) => {
    const out: Array<[number, RunSeries]> = [];
    runs.forEach((r, i) => {
      if (pred(r)) out.push([i, r]);
    });
    return out;
  };
  return (a: ChartProps, b: ChartProps): boolean => {
    if (!sameBase(a, b)) return false;
    if (a.runs === b.runs) return true;
    if (a.runs.some((r) => r.epochs.length > 0) !== b.runs.some((r) => r.epochs.length > 0)) return false;
    const x = pick(a.runs);
    const y = pick(b.runs);
    return x.length === y.length && x.every(([i, r], k) => i === y[k][0] && sameRuns([r], [y[k][1]], false));
  };
}

/** Charts that only read epochs: a new batch (new `batches` array) does not re-render them. */
export const epochPropsEqual = (a: ChartProps, b: ChartProps): boolean => sameBase(a, b) && sameRuns(a.runs, b.runs, false);
export const batchPropsEqual = (a: ChartProps, b: ChartProps): boolean => sameBase(a, b) && sameRuns(a.runs, b.runs, true);

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
