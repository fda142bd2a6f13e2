/** Class names as links to the dataset gallery: legend items and data-table row headers (server rendering). */
import { describe, expect, it } from 'vitest';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { ChartLegend, DataTableView } from '../../../src/ui/charts/ChartCard';
import { classLinkName, classLinkProps } from '../../../src/ui/charts/class-link';
import { confusionTable, perClassTable } from '../../../src/ui/charts/text-alternatives';
import { synthRun } from './synthetic';

const buttons = (html: string) => [...html.matchAll(/<button[^>]*>[^<]*<\/button>/g)].map((m) => m[0]);

describe('class links', () => {
  it('an SVG label becomes a named button; one of an axis in the Tab order', () => {
    const first = classLinkProps(3, 'Ankle boot', true);
    expect(first).toMatchObject({ role: 'button', tabIndex: 0, 'aria-label': 'Show training images of Ankle boot', 'data-class': 3 });
    expect(classLinkProps(4, 'Bag', false).tabIndex).toBe(-1);
    expect(classLinkName('<b>')).toBe('Show training images of <b>');
  });

  it('legend items that stand for a class are buttons, the others stay text', () => {
    const html = renderToString(
      createElement(ChartLegend, {
        items: [
          { label: 'most images: T-shirt/top', color: '#000', shape: 'dot', cls: { index: 0, name: 'T-shirt/top' } },
          { label: 'fewest: Ankle boot', color: '#111', shape: 'dot', cls: { index: 9, name: 'Ankle boot' } },
          { label: 'dot size: feature norm', color: '#666', shape: 'dot' },
        ],
      }),
    );
    const b = buttons(html);
    expect(b).toHaveLength(2);
    expect(b[0]).toMatch(/aria-label="Show training images of T-shirt\/top"[^>]*tabindex="0"/);
    expect(b[1]).toMatch(/data-class="9"/);
    expect(b[1]).toMatch(/tabindex="-1"/);
    expect(b[1]).toContain('>fewest: Ankle boot</button>');
    expect(html).toContain('<span>dot size: feature norm</span>');
    expect(html).toMatch(/<ul class="ltc-legend" aria-label="Legend" data-class-links="">/);
  });

  it('data tables keep their row headers (the class name is the button text) and link each class row', () => {
    const r = synthRun({ epochs: 2 });
    const table = perClassTable([r], r.counts, r.groups, r.classNames);
    const html = renderToString(createElement(DataTableView, { table, id: 't', label: 'Per-class: data' }));
    const rows = [...html.matchAll(/<th scope="row">(.*?)<\/th>/g)].map((m) => m[1]);
    expect(rows).toHaveLength(r.counts.length);
    rows.forEach((th, i) => {
      const cls = table.rowClasses![i];
      expect(th).toMatch(new RegExp(`^<button type="button" class="ltc-class-link ltc-table-link" data-class="${cls}"`));
      expect(th).toContain(`title="Show training images of ${r.classNames[cls]}"`);
      expect(th).toContain(`tabindex="${i === 0 ? 0 : -1}"`);
      expect(th).toMatch(new RegExp(`>${r.classNames[cls]}</button>$`));
    });
    // the confusion matrix' table: rows in training-count order, each a class
    const cm = confusionTable(r, r.counts, r.classNames)!;
    expect(cm.rowClasses).toHaveLength(r.counts.length);
    expect(cm.rows.map((row) => row[0])).toEqual(cm.rowClasses!.map((c) => r.classNames[c]));
  });
});
