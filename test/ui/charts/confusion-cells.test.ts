/** Confusion matrix cells for the drill-down: focusable, named buttons (≤ 20 classes) or the matrix as one Tab stop. */
import { describe, expect, it } from 'vitest';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { ConfusionMatrixChart, type ChartsPanelProps } from '../../../src/ui/charts';
import { synthRun } from './synthetic';

function props(r: ReturnType<typeof synthRun>, extra: Partial<ChartsPanelProps> = {}): ChartsPanelProps {
  return { runs: [r], counts: r.counts, groups: r.groups, classNames: r.classNames, totalEpochs: 8, width: 640, height: 280, ...extra };
}

describe('confusion matrix cells', () => {
  it('with a click handler: one named button per cell, one of them in the Tab order, counts as data', () => {
    const r = synthRun({ epochs: 2 });
    const html = renderToString(createElement(ConfusionMatrixChart, props(r, { onCellClick: () => {} })));
    const cells = [...html.matchAll(/<rect[^>]*role="button"[^>]*>/g)].map((m) => m[0]);
    expect(cells).toHaveLength(100);
    expect(cells.filter((c) => c.includes('tabindex="0"'))).toHaveLength(1);
    expect(cells.filter((c) => c.includes('tabindex="-1"'))).toHaveLength(99);
    const confusion = r.epochs.at(-1)!.confusion;
    for (const c of cells) {
      const t = Number(/data-true="(\d+)"/.exec(c)![1]);
      const p = Number(/data-pred="(\d+)"/.exec(c)![1]);
      expect(Number(/data-count="(\d+)"/.exec(c)![1])).toBe(confusion[t][p]);
      const total = confusion[t].reduce((a, b) => a + b, 0);
      expect(c).toMatch(
        new RegExp(`aria-label="true class-${t}, predicted class-${p}: \\d+\\.\\d % \\(${confusion[t][p]} of ${total} test images\\)"`),
      );
    }
    // the cells sit in an overlay group (the picture keeps role="img"); the matrix itself is no extra Tab stop
    expect(html).toMatch(/<svg[^>]*class="ltc-cm-keys"[^>]*role="group"/);
    expect(html).not.toMatch(/class="ltc-cm-wrap"[^>]*tabindex/);
  });

  it('without a click handler, or above 20 classes: the matrix is the Tab stop (arrow keys, Enter)', () => {
    const plain = renderToString(createElement(ConfusionMatrixChart, props(synthRun({ epochs: 1 }))));
    expect(plain).not.toContain('role="button"');
    expect(plain).toMatch(/class="ltc-cm-wrap"[^>]*tabindex="0"/);
    const big = renderToString(createElement(ConfusionMatrixChart, props(synthRun({ C: 30, epochs: 1 }), { onCellClick: () => {} })));
    expect(big).not.toContain('role="button"');
    expect(big).toMatch(
      /class="ltc-cm-wrap"[^>]*tabindex="0"[^>]*aria-label="Confusion matrix cells: use the arrow keys to read cells, Enter to see their test images"/,
    );
  });

  it('never renders class names as markup in the cell names', () => {
    const r = synthRun({ epochs: 1 });
    r.classNames[1] = '<img src=x onerror=alert(1)>';
    const html = renderToString(createElement(ConfusionMatrixChart, props(r, { onCellClick: () => {} })));
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('predicted &lt;img src=x onerror=alert(1)&gt;');
  });
});
