/**
 * Chart 7: confusion matrix of the last epoch, each row normalised by the test images of its true class, classes
 * ordered by training count (head top/left, tail bottom/right). On recharts: a <ComposedChart> whose two numeric
 * axes (predicted class on top, true class on the left, reversed) carry the class names as ticks; the heat-map is a
 * memoised layer in that coordinate system (one <rect> with a <title> per cell up to TITLE_MAX classes, above that
 * one <path> per colour level), the colour scale another. Hover, keyboard focus and clicks are resolved from
 * coordinates, so moving the pointer re-renders only the highlight and the tooltip.
 *
 * Keyboard: with a click handler and up to TITLE_MAX classes every cell is a focusable button (one Tab stop, the
 * arrow keys move between cells, Enter / Space activate; named "true X, predicted Y: 12.0 % (6 of 50 test
 * images)") in a transparent overlay that lets the pointer through. Above TITLE_MAX the matrix itself is the Tab
 * stop, the arrow keys move a highlighted cell (announced in a live region) and Enter / Space activate it. Either
 * way the last cell is remembered, so focus coming back (after a dialog) lands on it again.
 */
import {
  memo,
  useCallback,
  useId,
  useMemo,
  useRef,
  useState,
  type FocusEvent,
  type KeyboardEvent,
  type MouseEvent,
  type ReactNode,
} from 'react';
import { ComposedChart, XAxis, YAxis, type XAxisTickContentProps, type YAxisTickContentProps } from 'recharts';
import type { ChartProps, ConfusionCellInfo } from './types';
import { ChartCard, TooltipBox, epochPropsEqual } from './ChartCard';
import { AXIS_LABEL_STYLE } from './PlotLayers';
import { useWidth } from './use-width';
import { useMountTurn } from './mount-queue';
import { HEAT_STOPS, ellipsize, heatColor, lastEpochWhere, normaliseConfusion, sortByCount, type NormalisedConfusion } from './chart-data';
import { confusionTable, confusionText } from './text-alternatives';
import { CLASS_LINK_GROUP, classLinkProps } from './class-link';

const TITLE_MAX = 20; // per-cell <title> and focusable cell buttons up to this many classes
const VALUES_MAX = 12; // percentages written in the cells up to this many classes
const LEGEND_H = 86;
const MAX_CELL = 44;
/** recharts' data (none: the cells are a layer); a constant, since a new array would be re-dispatched on every render. */
const NO_DATA: never[] = [];
const MARGIN = { top: 24, left: 24, right: 12, bottom: LEGEND_H };

export interface Layout {
  C: number;
  /** Cell size (px, may be fractional). */
  cell: number;
  /** Top-left corner of the matrix. */
  x0: number;
  y0: number;
  /** Chart size. */
  w: number;
  h: number;
  labelSpace: number;
  labelEvery: number;
  maxChars: number;
  fontSize: number;
}

/** Matrix geometry for C classes in `avail` px of width (cells between 2 and 44 px, square). */
export function layoutFor(C: number, avail: number): Layout {
  const fontSize = C > 40 ? 10 : 12;
  const maxChars = C > 40 ? 8 : 12;
  const labelSpace = Math.round(maxChars * fontSize * 0.62 + 12);
  const x0 = 24 + labelSpace;
  const y0 = 24 + labelSpace;
  const room = (avail > 0 ? avail : 560 + x0 + 12) - x0 - 12;
  const cell = Math.max(2, Math.min(MAX_CELL, room / Math.max(1, C)));
  const labelEvery = Math.max(1, Math.ceil((fontSize + 2) / cell));
  return {
    C,
    cell,
    x0,
    y0,
    w: Math.ceil(x0 + C * cell + 12),
    h: Math.ceil(y0 + C * cell + LEGEND_H),
    labelSpace,
    labelEvery,
    maxChars,
    fontSize,
  };
}

const pctText = (r: number) => `${(r * 100).toFixed(1)} %`;

interface CellsProps {
  norm: NormalisedConfusion;
  confusion: readonly (readonly number[])[];
  order: readonly number[];
  names: readonly string[];
  L: Layout;
}

/** Colour levels of the large-matrix rendering (one <path> per level). */
const LEVELS = 48;

/**
 * The heat-map cells (memoised: re-drawn only when the matrix changes). Up to TITLE_MAX classes every cell is a
 * <rect> with its own <title>; above, the non-zero cells are merged into one <path> per colour level (LEVELS
 * levels, visually identical), so 100 classes cost a few dozen elements instead of 10 000.
 */
const Cells = memo(function Cells({ norm, confusion, order, names, L }: CellsProps) {
  const { C, cell, x0, y0 } = L;
  const f = (v: number) => Number(v.toFixed(2));
  if (C > TITLE_MAX) {
    const paths: string[][] = Array.from({ length: LEVELS + 1 }, () => []);
    for (let r = 0; r < C; r++) {
      const row = norm.rates[order[r]] ?? [];
      for (let c = 0; c < C; c++) {
        const rate = row[order[c]] ?? 0;
        if (!(rate > 0)) continue;
        paths[Math.max(1, Math.round(rate * LEVELS))].push(`M${f(x0 + c * cell)} ${f(y0 + r * cell)}h${f(cell)}v${f(cell)}h${f(-cell)}z`);
      }
    }
    return (
      <g className="ltc-cm-cells">
        {paths.map((p, lv) => (p.length ? <path key={lv} d={p.join('')} fill={heatColor(lv / LEVELS)} /> : null))}
        {cell >= 8 &&
          Array.from({ length: C }, (_, i) => (
            <rect
              key={`d${i}`}
              x={x0 + i * cell}
              y={y0 + i * cell}
              width={cell}
              height={cell}
              fill="none"
              stroke="#000"
              strokeWidth={0.4}
            />
          ))}
      </g>
    );
  }
  const values = C <= VALUES_MAX && cell >= 18;
  const out: ReactNode[] = [];
  for (let r = 0; r < C; r++) {
    const t = order[r];
    const row = norm.rates[t] ?? [];
    for (let c = 0; c < C; c++) {
      const pc = order[c];
      const rate = row[pc] ?? 0;
      out.push(
        <g key={`${r}-${c}`}>
          <rect
            x={x0 + c * cell}
            y={y0 + r * cell}
            width={cell}
            height={cell}
            fill={heatColor(rate)}
            stroke={r === c ? '#000' : 'none'}
            strokeWidth={r === c ? 0.6 : 0}
          >
            <title>{`true ${names[t] ?? t} → predicted ${names[pc] ?? pc}: ${pctText(rate)} (${confusion[t]?.[pc] ?? 0} of ${norm.totals[t]})`}</title>
          </rect>
          {values && rate >= 0.005 && (
            <text
              x={x0 + c * cell + cell / 2}
              y={y0 + r * cell + cell / 2 + 4}
              textAnchor="middle"
              fontSize={11}
              fill={rate > 0.5 ? '#fff' : '#111'}
              pointerEvents="none"
            >
              {Math.round(rate * 100)}
            </text>
          )}
        </g>,
      );
    }
  }
  return <g className="ltc-cm-cells">{out}</g>;
});

interface FocusCellsProps extends CellsProps {
  /** The cell in the Tab order (roving tabindex). */
  rove: { r: number; c: number };
  onFocusCell: (r: number, c: number) => void;
}

/** One focusable, named, transparent button per cell (overlay; the pointer goes through to the matrix). */
const FocusCells = memo(function FocusCells({ norm, confusion, order, names, L, rove, onFocusCell }: FocusCellsProps) {
  const { C, cell, x0, y0 } = L;
  const out: ReactNode[] = [];
  for (let r = 0; r < C; r++) {
    const t = order[r];
    for (let c = 0; c < C; c++) {
      const pc = order[c];
      const n = confusion[t]?.[pc] ?? 0;
      out.push(
        <rect
          key={`${r}-${c}`}
          className="ltc-cm-cell"
          x={x0 + c * cell}
          y={y0 + r * cell}
          width={cell}
          height={cell}
          fill="transparent"
          role="button"
          tabIndex={r === rove.r && c === rove.c ? 0 : -1}
          data-r={r}
          data-c={c}
          data-true={t}
          data-pred={pc}
          data-count={n}
          aria-label={`true ${names[t] ?? `class ${t}`}, predicted ${names[pc] ?? `class ${pc}`}: ${pctText(norm.rates[t]?.[pc] ?? 0)} (${n} of ${norm.totals[t]} test images)`}
          onFocus={() => onFocusCell(r, c)}
        />,
      );
    }
  }
  return <g>{out}</g>;
});

/**
 * The class names of both axes as links to the class' training images (the dataset gallery): one transparent hit
 * area per labelled class over recharts' tick text, in an overlay next to the picture (which keeps role="img", whose
 * children must not be focusable). One Tab stop per axis; the arrow keys move along it. Memoised: re-rendered only
 * when the layout, order or names change, never by an epoch.
 */
const ClassLabelLinks = memo(function ClassLabelLinks({
  L,
  order,
  names,
}: {
  L: Layout;
  order: readonly number[];
  names: readonly string[];
}) {
  const { C, cell, x0, y0, labelEvery, labelSpace, fontSize } = L;
  const band = fontSize + 4;
  const cols: ReactNode[] = [];
  const rows: ReactNode[] = [];
  for (let i = 0, k = 0; i < C; i += labelEvery, k++) {
    const cls = order[i] ?? i;
    const name = names[cls] ?? `class ${cls}`;
    const mid = (i + 0.5) * cell;
    cols.push(
      <rect
        key={i}
        x={x0 + mid - band / 2}
        y={MARGIN.top}
        width={band}
        height={labelSpace - 4}
        fill="transparent"
        {...classLinkProps(cls, name, k === 0)}
      />,
    );
    rows.push(
      <rect
        key={i}
        x={MARGIN.left}
        y={y0 + mid - band / 2}
        width={labelSpace - 4}
        height={band}
        fill="transparent"
        {...classLinkProps(cls, name, k === 0)}
      />,
    );
  }
  return (
    <svg className="ltc-cm-labels" width={L.w} height={L.h} role="group" aria-label="Class names: show a class' training images">
      <g {...{ [CLASS_LINK_GROUP]: 'predicted' }} role="group" aria-label="Predicted classes">
        {cols}
      </g>
      <g {...{ [CLASS_LINK_GROUP]: 'true' }} role="group" aria-label="True classes">
        {rows}
      </g>
    </svg>
  );
});

/** Axis titles and the colour scale (in the chart's coordinate system, below the matrix). */
function Furniture({ L, gid }: { L: Layout; gid: string }) {
  const w = Math.min(260, L.C * L.cell);
  const y = L.y0 + L.C * L.cell + 16;
  return (
    <g className="ltc-cm-furniture">
      <text x={L.x0 + (L.C * L.cell) / 2} y={14} textAnchor="middle" {...AXIS_LABEL_STYLE}>
        predicted class
      </text>
      <text x={0} y={0} textAnchor="middle" transform={`translate(14, ${L.y0 + (L.C * L.cell) / 2}) rotate(-90)`} {...AXIS_LABEL_STYLE}>
        true class
      </text>
      <g aria-hidden="true">
        <defs>
          <linearGradient id={gid} x1="0" x2="1" y1="0" y2="0">
            {HEAT_STOPS.map((s, i) => (
              <stop key={s} offset={i / (HEAT_STOPS.length - 1)} stopColor={s} />
            ))}
          </linearGradient>
        </defs>
        <rect x={L.x0} y={y} width={w} height={12} fill={`url(#${gid})`} stroke="#888" strokeWidth={0.5} />
        {[0, 0.5, 1].map((t) => (
          <text key={t} x={L.x0 + t * w} y={y + 28} textAnchor={t === 0 ? 'start' : t === 1 ? 'end' : 'middle'} fontSize={12} fill="#222">
            {`${t * 100} %`}
          </text>
        ))}
        <text x={L.x0} y={y + 46} fontSize={12} fill="#222">
          colour: share of the true
        </text>
        <text x={L.x0} y={y + 61} fontSize={12} fill="#222">
          class’ test images
        </text>
      </g>
    </g>
  );
}

export interface ConfusionMatrixProps extends ChartProps {
  /** Id of the run to show first (default: the newest run with data). */
  initialRunId?: string;
}

function ConfusionMatrixChartImpl(p: ConfusionMatrixProps) {
  const { runs, counts, classNames, onCellClick } = p;
  const withData = runs.filter((r) => r.epochs.length > 0);
  const [runId, setRunId] = useState<string | null>(p.initialRunId ?? null);
  // by default the newest run with data (the current one: its cells can be drilled into)
  const run = withData.find((r) => r.id === runId) ?? withData[withData.length - 1];
  const last = run ? lastEpochWhere(run.epochs) : undefined;
  const confusion = last?.confusion;
  // before the first epoch: an empty matrix of the data's classes (so the chart mounts while idle)
  const C = confusion?.length ?? counts.length;
  const order = useMemo(() => {
    const o = sortByCount(counts);
    return o.length === C ? o : Array.from({ length: C }, (_, i) => i);
  }, [counts, C]);
  const norm = useMemo(() => (confusion ? normaliseConfusion(confusion) : null), [confusion]);
  const { ref, width } = useWidth(p.width);
  const turn = useMountTurn('Confusion matrix');
  const L = useMemo(() => layoutFor(C, width), [C, width]);
  const [active, setActive] = useState<{ r: number; c: number } | null>(null);
  // the cell in the Tab order / the one focus returns to (kept across blur)
  const [roveAt, setRove] = useState<{ r: number; c: number }>({ r: 0, c: 0 });
  const rove = roveAt.r < C && roveAt.c < C ? roveAt : { r: 0, c: 0 };
  const buttons = !!onCellClick && !!norm && C > 0 && C <= TITLE_MAX;
  const areaRef = useRef<HTMLDivElement>(null);
  const keysRef = useRef<SVGSVGElement>(null);
  const gid = useId().replace(/[^a-zA-Z0-9_-]/g, '');
  const nameOf = useCallback((c: number) => classNames[c] ?? `class ${c}`, [classNames]);

  const cellAt = (e: MouseEvent<HTMLDivElement>) => {
    const area = areaRef.current;
    if (!area) return null;
    const b = area.getBoundingClientRect();
    const c = Math.floor((e.clientX - b.left - L.x0) / L.cell);
    const r = Math.floor((e.clientY - b.top - L.y0) / L.cell);
    return r >= 0 && r < L.C && c >= 0 && c < L.C ? { r, c } : null;
  };

  const onMove = (e: MouseEvent<HTMLDivElement>) => {
    const at = cellAt(e);
    if (at?.r !== active?.r || at?.c !== active?.c) setActive(at);
  };
  const cellButton = (r: number, c: number) => keysRef.current?.querySelector<SVGRectElement>(`rect[data-r="${r}"][data-c="${c}"]`) ?? null;
  const onFocusCell = useCallback((r: number, c: number) => {
    setActive({ r, c });
    setRove({ r, c });
  }, []);
  const activate = (r: number, c: number) => {
    if (!onCellClick || !confusion || !norm || !run || !last) return;
    const t = order[r];
    const pc = order[c];
    const info: ConfusionCellInfo = {
      runId: run.id,
      runLabel: run.label,
      stage: last.stage,
      epoch: last.epoch,
      count: confusion[t]?.[pc] ?? 0,
      classTotal: norm.totals[t] ?? 0,
    };
    onCellClick(t, pc, info);
  };
  const onClick = (e: MouseEvent<HTMLDivElement>) => {
    const at = cellAt(e);
    if (!at || !onCellClick) return;
    setRove(at);
    // focus the clicked cell, so that focus comes back to it when a dialog it opens closes
    if (buttons) cellButton(at.r, at.c)?.focus({ preventScroll: true });
    activate(at.r, at.c);
  };
  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    if (!C) return;
    const cur = active ?? rove;
    const mv: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (mv[e.key]) {
      e.preventDefault();
      const [dr, dc] = mv[e.key];
      const next = active ? { r: Math.min(C - 1, Math.max(0, cur.r + dr)), c: Math.min(C - 1, Math.max(0, cur.c + dc)) } : cur;
      if (buttons) cellButton(next.r, next.c)?.focus({ preventScroll: true });
      setActive(next);
      setRove(next);
    } else if ((e.key === 'Enter' || e.key === ' ') && onCellClick) {
      e.preventDefault();
      e.stopPropagation(); // Space here opens the cell, it is not the page's train / pause shortcut
      setRove(cur);
      activate(cur.r, cur.c);
    } else if (e.key === 'Escape') setActive(null);
  };
  // the matrix as the Tab stop (no cell buttons): focus shows the remembered cell, so Enter works at once
  const onWrapFocus = (e: FocusEvent<HTMLDivElement>) => {
    if (!buttons && e.target === e.currentTarget && !active) setActive(rove);
  };

  const describe = (r: number, c: number) => {
    if (!norm || !confusion) return '';
    const t = order[r];
    const pc = order[c];
    return `true ${nameOf(t)} → predicted ${nameOf(pc)}: ${pctText(norm.rates[t]?.[pc] ?? 0)} (${confusion[t]?.[pc] ?? 0} of ${norm.totals[t]} test images)`;
  };

  const summary = confusionText(run, classNames);
  const controls =
    withData.length > 1 ? (
      <label className="ltc-select">
        Run{' '}
        <select
          value={run?.id ?? ''}
          onChange={(e) => {
            setRunId(e.target.value);
            setActive(null);
          }}
        >
          {withData.map((r) => (
            <option key={r.id} value={r.id}>
              {r.label}
            </option>
          ))}
        </select>
      </label>
    ) : undefined;

  // ticks at the cell centres, every labelEvery-th class named
  const ticks = useMemo(() => {
    const out: number[] = [];
    for (let i = 0; i < C; i += L.labelEvery) out.push(i + 0.5);
    return out;
  }, [C, L.labelEvery]);
  const tickName = useCallback(
    (v: unknown) => ellipsize(nameOf(order[Math.floor(Number(v))] ?? 0), L.maxChars),
    [nameOf, order, L.maxChars],
  );
  const xTick = useCallback(
    (t: XAxisTickContentProps) => (
      <text
        transform={`translate(${(Number(t.x) + L.fontSize / 3).toFixed(1)} ${Number(t.y) - 6}) rotate(-90)`}
        textAnchor="start"
        fontSize={L.fontSize}
        fill="#222"
      >
        {tickName(t.payload.value)}
      </text>
    ),
    [tickName, L.fontSize],
  );
  const yTick = useCallback(
    (t: YAxisTickContentProps) => (
      <text x={Number(t.x) - 6} y={Number(t.y)} dy="0.32em" textAnchor="end" fontSize={L.fontSize} fill="#222">
        {tickName(t.payload.value)}
      </text>
    ),
    [tickName, L.fontSize],
  );

  let tooltip: ReactNode = null;
  if (active && norm && confusion) {
    const t = order[active.r];
    const pc = order[active.c];
    const left = L.x0 + (active.c + 1) * L.cell + 8;
    const top = L.y0 + active.r * L.cell;
    const flip = left > L.w * 0.6;
    tooltip = (
      <div className="ltc-cm-tip" style={flip ? { right: L.w - (L.x0 + active.c * L.cell) + 8, top } : { left, top }}>
        <TooltipBox
          title={`true ${nameOf(t)} → predicted ${nameOf(pc)}`}
          lines={[
            { name: 'share of true class', value: pctText(norm.rates[t]?.[pc] ?? 0) },
            { name: 'images', value: `${confusion[t]?.[pc] ?? 0} of ${norm.totals[t]}` },
            { name: 'training images (true class)', value: String(counts[t] ?? '—') },
          ]}
        />
      </div>
    );
  }

  return (
    <ChartCard
      id="confusion"
      points={confusion ? C * C : 0}
      runs={run && confusion ? [run.id] : []}
      controls={controls}
      note={
        onCellClick ? 'Click a cell (or Tab to the matrix, move with the arrow keys and press Enter) to see its test images.' : undefined
      }
      summary={summary}
      table={() => confusionTable(run, counts, classNames)}
    >
      <div ref={ref} className="ltc-cm-outer">
        {C > 0 && (
          <div
            className="ltc-cm-wrap"
            tabIndex={buttons ? undefined : 0}
            onKeyDown={onKey}
            onFocus={onWrapFocus}
            onBlur={() => setActive(null)}
            role={buttons ? undefined : 'group'}
            aria-label={
              buttons
                ? undefined
                : `Confusion matrix cells: use the arrow keys to read cells${onCellClick ? ', Enter to see their test images' : ''}`
            }
          >
            <div
              ref={areaRef}
              className="ltc-cm-area"
              style={{ width: L.w, height: L.h, cursor: onCellClick ? 'pointer' : 'default' }}
              onMouseMove={onMove}
              onMouseLeave={() => setActive(null)}
              onClick={onClick}
            >
              {turn && (
                <ComposedChart
                  width={L.w}
                  height={L.h}
                  data={NO_DATA}
                  margin={MARGIN}
                  accessibilityLayer={false}
                  role="img"
                  aria-label={summary}
                >
                  <XAxis
                    dataKey="x"
                    type="number"
                    orientation="top"
                    domain={[0, C]}
                    ticks={ticks}
                    interval={0}
                    allowDataOverflow
                    height={L.labelSpace}
                    tick={xTick}
                    tickLine={false}
                    axisLine={false}
                  />
                  <YAxis
                    type="number"
                    domain={[0, C]}
                    reversed
                    ticks={ticks}
                    interval={0}
                    allowDataOverflow
                    width={L.labelSpace}
                    tick={yTick}
                    tickLine={false}
                    axisLine={false}
                  />
                  <rect x={L.x0} y={L.y0} width={C * L.cell} height={C * L.cell} fill={heatColor(0)} stroke="#999" strokeWidth={0.5} />
                  {norm && confusion && <Cells norm={norm} confusion={confusion} order={order} names={classNames} L={L} />}
                  {active && (
                    <rect
                      x={L.x0 + active.c * L.cell}
                      y={L.y0 + active.r * L.cell}
                      width={L.cell}
                      height={L.cell}
                      fill="none"
                      stroke="#D55E00"
                      strokeWidth={Math.max(1.5, L.cell / 12)}
                      pointerEvents="none"
                    />
                  )}
                  <Furniture L={L} gid={`cm${gid}`} />
                </ComposedChart>
              )}
              {buttons && norm && confusion && (
                <svg
                  ref={keysRef}
                  className="ltc-cm-keys"
                  role="group"
                  width={L.w}
                  height={L.h}
                  aria-label="Confusion matrix cells: the arrow keys move between cells, Enter shows a cell's test images"
                >
                  <FocusCells
                    norm={norm}
                    confusion={confusion}
                    order={order}
                    names={classNames}
                    L={L}
                    rove={rove}
                    onFocusCell={onFocusCell}
                  />
                </svg>
              )}
              {turn && <ClassLabelLinks L={L} order={order} names={classNames} />}
              {tooltip}
            </div>
            <p className="ltc-sr-only" aria-live="polite">
              {active && !buttons ? describe(active.r, active.c) : ''}
            </p>
          </div>
        )}
      </div>
    </ChartCard>
  );
}

export const ConfusionMatrixChart = memo(ConfusionMatrixChartImpl, (a, b) => a.initialRunId === b.initialRunId && epochPropsEqual(a, b));
ConfusionMatrixChart.displayName = 'ConfusionMatrixChart';
