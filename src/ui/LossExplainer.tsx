/**
 * "About this loss" (why the chosen loss helps the tail): a modal dialog with the loss' equations (KaTeX, loaded on first open), its
 * intuition, the chart that shows its mechanism (a link that closes the dialog, scrolls to the chart and focuses
 * it), what each hyperparameter does and the paper. The text lives next to each loss' schema
 * (`explainer` in src/core/losses/<id>.ts). The native modal <dialog> keeps focus inside; focus returns to the
 * button that opened it.
 */
import { useEffect, useState } from 'react';
import { LOSSES } from '../core/losses/registry';
import type { LossId } from '../core/losses/types';
import { chartMeta, type ChartId } from '../state/session/chart-catalog';
import { useModalDialog } from './use-modal-dialog';
import './drilldown.css';
import './teach.css';

type Render = (tex: string) => string;
let texModule: Promise<Render> | null = null;
/** The KaTeX renderer (one dynamic import per page load). */
function loadTex(): Promise<Render> {
  texModule ??= import('./tex').then((m) => m.renderTex);
  return texModule;
}

function Equation({ tex, render }: { tex: string; render: Render | null }) {
  if (!render) return <code className="explainer-tex">{tex}</code>;
  let html: string;
  try {
    html = render(tex);
  } catch (e) {
    return (
      <p role="alert" className="explainer-error">
        Could not render the equation ({e instanceof Error ? e.message : String(e)}): <code>{tex}</code>
      </p>
    );
  }
  // KaTeX output of the loss descriptions' own TeX (no user input)
  return <div className="explainer-eq" dangerouslySetInnerHTML={{ __html: html }} />;
}

/** Scrolls to a chart card and focuses it; false when the chart is not on the page. */
export function focusChart(id: ChartId): boolean {
  const el = document.querySelector<HTMLElement>(`[data-testid="chart-${id}"]`);
  if (!el) return false;
  if (!el.hasAttribute('tabindex')) el.setAttribute('tabindex', '-1');
  el.scrollIntoView({ behavior: 'smooth', block: 'start' });
  el.focus({ preventScroll: true });
  return true;
}

export function LossExplainer({ loss, open, onClose }: { loss: LossId; open: boolean; onClose: () => void }) {
  const ref = useModalDialog(open, { returnFocus: true });
  const [render, setRender] = useState<Render | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [chartMissing, setChartMissing] = useState(false);
  useEffect(() => {
    if (!open || render) return;
    let live = true;
    loadTex().then(
      (r) => live && setRender(() => r),
      (e: unknown) => live && setLoadError(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      live = false;
    };
  }, [open, render]);
  useEffect(() => setChartMissing(false), [open, loss]);

  const def = LOSSES[loss];
  const ex = def.explainer;
  const chart = chartMeta(ex.chart);
  const goToChart = () => {
    onClose();
    // after the dialog closed (focus returned to the opener), move to the chart
    requestAnimationFrame(() => {
      if (!focusChart(ex.chart)) setChartMissing(true);
    });
  };
  return (
    <dialog
      ref={ref}
      className="drill-dialog explainer"
      aria-labelledby="explainer-title"
      data-testid="loss-explainer"
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      {open && (
        <>
          <div className="drill-head">
            <h2 id="explainer-title">About this loss: {def.label}</h2>
            <button type="button" onClick={onClose} autoFocus>
              Close
            </button>
          </div>
          {loadError && (
            <p role="alert" className="explainer-error">
              The equation renderer did not load ({loadError}); the equations are shown as TeX.
            </p>
          )}
          <div className="explainer-eqs" data-testid="explainer-equations" aria-busy={!render && !loadError}>
            {ex.equations.map((t) => (
              <Equation key={t} tex={t} render={render} />
            ))}
          </div>
          <p>{ex.intuition}</p>
          <h3>Where to see it</h3>
          <p>
            <button type="button" className="link-button" data-testid="explainer-chart-link" onClick={goToChart}>
              {chart.title}
            </button>
            : {ex.chartHint}
          </p>
          {chartMissing && <p className="drill-note">That chart is not on the page yet: it appears once a run has finished an epoch.</p>}
          {def.schema.length > 0 && (
            <>
              <h3>Hyperparameters</h3>
              <dl className="explainer-params">
                {def.schema.map((s) => (
                  <div key={s.key}>
                    <dt>
                      {s.label} <span className="explainer-default">(default {s.default})</span>
                    </dt>
                    <dd>{ex.params[s.key]}</dd>
                  </div>
                ))}
              </dl>
            </>
          )}
          {(ex.more ?? []).map((m) => (
            <section key={m.title} aria-label={m.title}>
              <h3>{m.title}</h3>
              <div className="explainer-eqs">
                {m.equations.map((t) => (
                  <Equation key={t} tex={t} render={render} />
                ))}
              </div>
              <p>{m.intuition}</p>
            </section>
          ))}
          <h3>Paper</h3>
          <p data-testid="explainer-paper">
            {ex.paper.authors}, “{ex.paper.title}”, {ex.paper.venue} {ex.paper.year}.
          </p>
        </>
      )}
    </dialog>
  );
}
