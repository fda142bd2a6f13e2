/**
 * Chart 7: confusion matrix of the last epoch, each row normalised by the test images of its true class, classes
 * ordered by training count (head top/left, tail bottom/right). Plain SVG: the cells are a memoised layer (only
 * non-zero cells are drawn); hover, keyboard focus and clicks are resolved from coordinates, so moving the pointer
 * re-renders only the highlight and the tooltip.
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
import type { ChartProps, ConfusionCellInfo } from './types';
import { ChartCard, TooltipBox, epochPropsEqual } from './ChartCard';
import {
  HEAT_STOPS,
  confusionSummary,
  ellipsize,
  heatColor,
  lastEpochWhere,
  normaliseConfusion,
  sortByCount,
  topConfusion,
  type NormalisedConfusion,
} from './chart-data';

const TITLE_MAX = 20; // per-cell <title> and the hidden table up to this many classes
const VALUES_MAX = 12; // percentages written in the cells up to this many classes

interface Layout {
  C: number;
  cell: number;
  x0: number;
  y0: number;
  vbW: number;
  vbH: number;
  labelEvery: number;
  maxChars: number;
  fontSize: number;
}

function layoutFor(C: number): Layout {
  const cell = Math.max(5, Math.min(44, Math.floor(560 / Math.max(1, C))));
  const fontSize = C > 40 ? 10 : 12;
  const labelEvery = Math.max(1, Math.ceil((fontSize + 2) / cell));
  const maxChars = C > 40 ? 8 : 12;
  const labelSpace = maxChars * fontSize * 0.62 + 12;
  const x0 = 24 + labelSpace;
  const y0 = 24 + labelSpace;
  const legendH = 72;
  return { C, cell, x0, y0, vbW: x0 + C * cell + 12, vbH: y0 + C * cell + legendH, labelEvery, maxChars, fontSize };
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
  if (C > TITLE_MAX) {
    const paths: string[][] = Array.from({ length: LEVELS + 1 }, () => []);
    for (let r = 0; r < C; r++) {
      const row = norm.rates[order[r]] ?? [];
      for (let c = 0; c < C; c++) {
        const rate = row[order[c]] ?? 0;
        if (!(rate > 0)) continue;
        paths[Math.max(1, Math.round(rate * LEVELS))].push(`M${x0 + c * cell} ${y0 + r * cell}h${cell}v${cell}h${-cell}z`);
      }
    }
    return (
      <g>
        {paths.map((p, lv) => (p.length ? <path key={lv} d={p.join('')} fill={heatColor(lv / LEVELS)} /> : null))}
        {Array.from({ length: C }, (_, i) =>
          cell >= 8 ? (
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
          ) : null,
        )}
      </g>
    );
  }
  const values = C <= VALUES_MAX;
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
  return <g>{out}</g>;
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

/** Class-name labels along both axes (text nodes only). */
const Labels = memo(function Labels({ order, names, L }: { order: readonly number[]; names: readonly string[]; L: Layout }) {
  const { C, cell, x0, y0, labelEvery, maxChars, fontSize } = L;
  const items: ReactNode[] = [];
  for (let i = 0; i < C; i += labelEvery) {
    const name = ellipsize(names[order[i]] ?? `class ${order[i]}`, maxChars);
    items.push(
      <text key={`y${i}`} x={x0 - 6} y={y0 + i * cell + cell / 2 + fontSize / 3} textAnchor="end" fontSize={fontSize} fill="#222">
        {name}
      </text>,
      <text
        key={`x${i}`}
        x={0}
        y={0}
        textAnchor="start"
        fontSize={fontSize}
        fill="#222"
        transform={`translate(${x0 + i * cell + cell / 2 + fontSize / 3}, ${y0 - 6}) rotate(-90)`}
      >
        {name}
      </text>,
    );
  }
  return (
    <g>
      {items}
      <text x={x0 + (C * cell) / 2} y={14} textAnchor="middle" fontSize={13} fontWeight={600} fill="#222">
        predicted class
      </text>
      <text
        x={0}
        y={0}
        textAnchor="middle"
        fontSize={13}
        fontWeight={600}
        fill="#222"
        transform={`translate(14, ${y0 + (C * cell) / 2}) rotate(-90)`}
      >
        true class
      </text>
    </g>
  );
});

function ColourScale({ L, gid }: { L: Layout; gid: string }) {
  const w = Math.min(260, L.C * L.cell);
  const y = L.y0 + L.C * L.cell + 16;
  return (
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
        colour: share of the true class’ test images
      </text>
    </g>
  );
}

export interface ConfusionMatrixProps extends ChartProps {
  /** Id of the run to show first (default: the first run with data). */
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
  const C = confusion?.length ?? 0;
  const order = useMemo(() => {
    const o = sortByCount(counts);
    return o.length === C ? o : Array.from({ length: C }, (_, i) => i);
  }, [counts, C]);
  const norm = useMemo(() => (confusion ? normaliseConfusion(confusion) : null), [confusion]);
  const summary = useMemo(() => (norm ? confusionSummary(norm) : null), [norm]);
  const L = useMemo(() => layoutFor(C), [C]);
  const [active, setActive] = useState<{ r: number; c: number } | null>(null);
  // the cell in the Tab order / the one focus returns to (kept across blur)
  const [roveAt, setRove] = useState<{ r: number; c: number }>({ r: 0, c: 0 });
  const rove = roveAt.r < C && roveAt.c < C ? roveAt : { r: 0, c: 0 };
  const buttons = !!onCellClick && C > 0 && C <= TITLE_MAX;
  const svgRef = useRef<SVGSVGElement>(null);
  const keysRef = useRef<SVGSVGElement>(null);
  const gid = useId().replace(/[^a-zA-Z0-9_-]/g, '');
  const nameOf = (c: number) => classNames[c] ?? `class ${c}`;

  const cellAt = useCallback(
    (e: MouseEvent<SVGSVGElement>) => {
      const svg = svgRef.current;
      if (!svg) return null;
      const b = svg.getBoundingClientRect();
      if (b.width === 0) return null;
      const k = L.vbW / b.width;
      const x = (e.clientX - b.left) * k;
      const y = (e.clientY - b.top) * k;
      const c = Math.floor((x - L.x0) / L.cell);
      const r = Math.floor((y - L.y0) / L.cell);
      return r >= 0 && r < L.C && c >= 0 && c < L.C ? { r, c } : null;
    },
    [L],
  );

  const onMove = (e: MouseEvent<SVGSVGElement>) => {
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
  const onClick = (e: MouseEvent<SVGSVGElement>) => {
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

  const label =
    summary && run
      ? `Confusion matrix of ${C} classes for ${run.label}, rows normalised per true class, classes ordered by training count. ` +
        `Mean per-class accuracy (diagonal) ${summary.meanDiagonal === null ? 'unknown' : pctText(summary.meanDiagonal)}` +
        (summary.worst
          ? `; largest confusion: true ${nameOf(summary.worst.t)} predicted as ${nameOf(summary.worst.p)} ${pctText(summary.worst.rate)}.`
          : '.')
      : 'Confusion matrix: no data yet.';

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

  let tooltip: ReactNode = null;
  if (active && norm && confusion && svgRef.current) {
    const b = svgRef.current.getBoundingClientRect();
    const k = b.width > 0 ? b.width / L.vbW : 1;
    const t = order[active.r];
    const pc = order[active.c];
    const left = (L.x0 + (active.c + 1) * L.cell) * k + 8;
    const top = (L.y0 + active.r * L.cell) * k;
    const flip = left > b.width * 0.6;
    tooltip = (
      <div className="ltc-cm-tip" style={flip ? { right: b.width - (L.x0 + active.c * L.cell) * k + 8, top } : { left, top }}>
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
      points={C * C}
      controls={controls}
      note={
        onCellClick ? 'Click a cell (or Tab to the matrix, move with the arrow keys and press Enter) to see its test images.' : undefined
      }
    >
      {norm && confusion && (
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
          <svg
            ref={svgRef}
            role="img"
            aria-label={label}
            viewBox={`0 0 ${L.vbW} ${L.vbH}`}
            width={p.width ? Math.min(p.width, Math.round(L.vbW * 1.3)) : '100%'}
            style={{ maxWidth: Math.round(L.vbW * 1.3), cursor: onCellClick ? 'pointer' : 'default' }}
            onMouseMove={onMove}
            onMouseLeave={() => setActive(null)}
            onClick={onClick}
          >
            <rect x={L.x0} y={L.y0} width={C * L.cell} height={C * L.cell} fill={heatColor(0)} stroke="#999" strokeWidth={0.5} />
            <Cells norm={norm} confusion={confusion} order={order} names={classNames} L={L} />
            <Labels order={order} names={classNames} L={L} />
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
            <ColourScale L={L} gid={`cm${gid}`} />
          </svg>
          {buttons && (
            <svg
              ref={keysRef}
              className="ltc-cm-keys"
              role="group"
              viewBox={`0 0 ${L.vbW} ${L.vbH}`}
              aria-label="Confusion matrix cells: the arrow keys move between cells, Enter shows a cell's test images"
              width={p.width ? Math.min(p.width, Math.round(L.vbW * 1.3)) : '100%'}
              style={{ maxWidth: Math.round(L.vbW * 1.3) }}
            >
              <FocusCells norm={norm} confusion={confusion} order={order} names={classNames} L={L} rove={rove} onFocusCell={onFocusCell} />
            </svg>
          )}
          {tooltip}
          <p className="ltc-sr-only" aria-live="polite">
            {active && !buttons ? describe(active.r, active.c) : ''}
          </p>
          {C <= TITLE_MAX ? (
            <table className="ltc-sr-only">
              <caption>Confusion matrix, share of each true class (rows) predicted as each class (columns)</caption>
              <thead>
                <tr>
                  <th scope="col">true \ predicted</th>
                  {order.map((c) => (
                    <th key={c} scope="col">
                      {nameOf(c)}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {order.map((t) => (
                  <tr key={t}>
                    <th scope="row">{nameOf(t)}</th>
                    {order.map((pc) => (
                      <td key={pc}>{`${pctText(norm.rates[t]?.[pc] ?? 0)} (${confusion[t]?.[pc] ?? 0})`}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <ul className="ltc-sr-only">
              {order.map((t) => {
                const top = topConfusion(norm.rates[t] ?? [], t);
                return (
                  <li key={t}>
                    {`${nameOf(t)}: ${pctText(norm.rates[t]?.[t] ?? 0)} correct`}
                    {top ? `, most often predicted as ${nameOf(top.p)} (${pctText(top.rate)})` : ''}
                  </li>
                );
              })}
            </ul>
          )}
        </div>
      )}
    </ChartCard>
  );
}

export const ConfusionMatrixChart = memo(ConfusionMatrixChartImpl, (a, b) => a.initialRunId === b.initialRunId && epochPropsEqual(a, b));
ConfusionMatrixChart.displayName = 'ConfusionMatrixChart';
