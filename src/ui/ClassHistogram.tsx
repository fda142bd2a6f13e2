/** Training images per class (head first) as SVG bars, coloured many / medium / few, with a log-scale option. */
import { useId, useState, type KeyboardEvent } from 'react';
import type { Group } from '../core/data/types';

import { GROUP_COLORS, GROUP_LABELS } from './charts/chart-data';

export interface ClassHistogramProps {
  counts: number[];
  groups: Group[];
  classNames: string[];
  /** data-testid of the SVG (default 'class-histogram'). */
  testId?: string;
  /** Makes each bar a button (click, Enter, Space): called with the bar's index (e.g. to open the class' images). */
  onBar?: (i: number) => void;
}

export function ClassHistogram({ counts, groups, classNames, testId = 'class-histogram', onBar }: ClassHistogramProps) {
  const [log, setLog] = useState(true);
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
        aria-label={`Class histogram${onBar ? ' (press a bar to see its training images)' : ''}: ${counts.map((n, i) => `${classNames[i] ?? i} ${n}`).join(', ')}`}
        data-testid={testId}
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
              {...(onBar
                ? {
                    role: 'button',
                    tabIndex: 0,
                    'aria-label': `${classNames[i] ?? `class ${i}`}: ${n} training images (${groups[i]}); show them`,
                    className: 'histogram-bar',
                    onClick: () => onBar(i),
                    onKeyDown: (e: KeyboardEvent<SVGRectElement>) => {
                      if (e.key === 'Enter' || e.key === ' ') {
                        e.preventDefault();
                        onBar(i);
                      }
                    },
                  }
                : {})}
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
