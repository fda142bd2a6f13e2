import { describe, expect, it } from 'vitest';
import katex from 'katex';
import { LOSSES, LOSS_IDS } from '../../../src/core/losses/registry';
import { CHARTS } from '../../../src/state/session/chart-catalog';

const sentences = (s: string) => s.split(/(?<=[.!?])\s+(?=[^\sa-z])/).filter((x) => x.trim().length > 0);

describe('loss explainers', () => {
  it('covers every loss of the issue', () => {
    expect(LOSS_IDS.sort()).toEqual(['balancedSoftmax', 'cbce', 'ce', 'fbl', 'gcl', 'kps', 'ldam', 'logitAdjust']);
  });

  for (const id of LOSS_IDS) {
    describe(id, () => {
      const def = LOSSES[id];
      const ex = def.explainer;

      it('is complete: equations, 2–3 sentences, an existing chart, every hyperparameter, the paper', () => {
        expect(ex.equations.length).toBeGreaterThan(0);
        const n = sentences(ex.intuition).length;
        expect(n, ex.intuition).toBeGreaterThanOrEqual(2);
        expect(n, ex.intuition).toBeLessThanOrEqual(3);
        expect(CHARTS.map((c) => c.id)).toContain(ex.chart);
        expect(ex.chartHint.length).toBeGreaterThan(10);
        expect(Object.keys(ex.params).sort()).toEqual(def.schema.map((s) => s.key).sort());
        for (const text of Object.values(ex.params)) expect(text.length).toBeGreaterThan(15);
        expect(ex.paper.authors).toMatch(/\w/);
        expect(ex.paper.title).toMatch(/\w/);
        expect(ex.paper.venue).toMatch(/\w/);
        expect(ex.paper.year).toBeGreaterThanOrEqual(2016);
        expect(ex.paper.year).toBeLessThanOrEqual(2026);
      });

      it('renders every equation with KaTeX (throwOnError)', () => {
        const all = [...ex.equations, ...(ex.more ?? []).flatMap((m) => m.equations)];
        for (const tex of all) {
          const html = katex.renderToString(tex, { throwOnError: true, displayMode: true });
          expect(html).toContain('class="katex');
          expect(html).not.toContain('katex-error');
        }
      });
    });
  }

  it('GCL explains stage 2 (CBEN sampling on a frozen backbone)', () => {
    const more = LOSSES.gcl.explainer.more ?? [];
    expect(more.length).toBe(1);
    expect(more[0].title).toMatch(/Stage 2/);
    expect(more[0].intuition).toMatch(/CBEN/);
    expect(more[0].intuition).toMatch(/freezes the backbone/);
    expect(more[0].equations.join(' ')).toMatch(/beta_c/);
  });

  it('rejects invalid TeX (the render check can fail)', () => {
    expect(() => katex.renderToString(String.raw`\frac{1}{`, { throwOnError: true })).toThrow();
  });
});
