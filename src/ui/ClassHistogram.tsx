/**
 * Training images per class (head first) as SVG bars, coloured many / medium / few, with a log-scale option. With
 * `onBar` it is one focusable chart like the others: the arrow keys (Home / End) pick a bar, said in a live line,
 * and Enter / Space opens it; a click opens a bar directly.
 */
import { useId, useState, type KeyboardEvent } from 'react';
import type { Group } from '../core/data/types';

import { GROUP_COLORS, GROUP_LABELS } from './charts/chart-data';

export interface ClassHistogramProps {
  counts: number[];
  groups: Group[];
  classNames: string[];
  /** data-testid of the SVG (default 'class-histogram'). */
  testId?: string;
  /** Makes the bars open something (click, or the arrow keys then Enter / Space): called with the bar's index. */
  onBar?: (i: number) => void;
}

export function ClassHistogram({ counts, groups, classNames, testId = 'class-histogram', onBar }: ClassHistogramProps) {
  const [log, setLog] = useState(true);
  // the bar the keyboard is on (shown while the chart has focus)
  const [active, setActive] = useState(0);
  const [focused, setFocused] = useState(false);
  const id = useId();
  const W = 320;
  const H = 150;
  const left = 40;
  const bottom = 46;
  const top = 8;
  const plotH = H - bottom - top;
  const max = Math.max(1, ...counts);
  const y = (n: number) => {
    const f = log ? Math.log10(Math.max(1, n)) / Math.log10(Math.max(10, max)) : n / max;
    return top + plotH * (1 - f);
  };
  const bw = (W - left - 4) / Math.max(1, counts.length);
  const ticks = log ? [1, 10, 100, 1000, 10000].filter((t) => t <= Math.max(10, max)) : [0, Math.round(max / 2), max];
  const total = counts.reduce((a, b) => a + b, 0);
  const present = (['many', 'medium', 'few'] as const).filter((g) => groups.includes(g));
  const at = Math.min(active, Math.max(0, counts.length - 1));
  const name = (i: number) => classNames[i] ?? `class ${i}`;
  const onKey = (e: KeyboardEvent<SVGSVGElement>) => {
    if (!onBar || !counts.length) return;
    const move: Record<string, number> = {
      ArrowRight: at + 1,
      ArrowDown: at + 1,
      ArrowLeft: at - 1,
      ArrowUp: at - 1,
      Home: 0,
      End: counts.length - 1,
    };
    if (e.key in move) {
      e.preventDefault();
      setActive(Math.max(0, Math.min(counts.length - 1, move[e.key])));
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      onBar(at);
    }
  };
  return (
    <figure className="histogram" aria-labelledby={`${id}-cap`}>
      <figcaption id={`${id}-cap`}>
        Training images per class ({total.toLocaleString('en')} in all){' '}
        <label className="inline-check">
          <input type="checkbox" checked={log} onChange={(e) => setLog(e.target.checked)} /> log scale
        </label>
      </figcaption>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        width="100%"
        role={onBar ? 'group' : 'img'}
        aria-label={`Class histogram${onBar ? ' (arrow keys pick a class, Enter shows its training images)' : ''}: ${counts.map((n, i) => `${classNames[i] ?? i} ${n}`).join(', ')}`}
        aria-describedby={onBar ? `${id}-active` : undefined}
        data-testid={testId}
        {...(onBar ? { tabIndex: 0, onKeyDown: onKey, onFocus: () => setFocused(true), onBlur: () => setFocused(false) } : {})}
        data-active={onBar ? at : undefined}
      >
        {ticks.map((t) => (
          <g key={t}>
            <line x1={left} x2={W - 2} y1={y(t)} y2={y(t)} stroke="#e5e7eb" />
            <text x={left - 4} y={y(t) + 4} textAnchor="end" fontSize="10" fill="#374151">
              {t >= 1000 ? `${t / 1000}k` : t}
            </text>
          </g>
        ))}
        {counts.map((n, i) => (
          <g key={i}>
            <rect
              x={left + i * bw + 2}
              y={y(n)}
              width={bw - 4}
              height={Math.max(0, top + plotH - y(n))}
              fill={GROUP_COLORS[groups[i] ?? 'many']}
              data-count={n}
              stroke={onBar && focused && i === at ? '#111827' : undefined}
              strokeWidth={onBar && focused && i === at ? 2 : undefined}
              {...(onBar ? { className: 'histogram-bar', onClick: () => onBar(i) } : {})}
            >
              <title>{`${classNames[i] ?? `class ${i}`}: ${n} images (${groups[i]})`}</title>
            </rect>
            <text
              x={left + i * bw + bw / 2}
              y={H - bottom + 10}
              fontSize="9"
              textAnchor="end"
              fill="#374151"
              transform={`rotate(-40 ${left + i * bw + bw / 2} ${H - bottom + 10})`}
            >
              {(classNames[i] ?? String(i)).slice(0, 11)}
            </text>
          </g>
        ))}
        <line x1={left} x2={left} y1={top} y2={top + plotH} stroke="#6b7280" />
      </svg>
      {onBar && (
        <p id={`${id}-active`} className="histogram-active" aria-live="polite" data-testid={`${testId}-active`}>
          {focused && counts.length
            ? `${name(at)}: ${counts[at]} training images (${groups[at]}) — Enter shows them`
            : 'Click a bar, or focus the chart and use the arrow keys, to see a class’ training images.'}
        </p>
      )}
      <ul className="group-legend" aria-label="Groups">
        {present.map((g) => (
          <li key={g}>
            <span className="swatch" style={{ background: GROUP_COLORS[g] }} aria-hidden="true" /> {GROUP_LABELS[g]}:{' '}
            {groups.filter((x) => x === g).length}
          </li>
        ))}
      </ul>
    </figure>
  );
}
