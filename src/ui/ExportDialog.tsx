/**
 * The export dialog (everything happens in this tab, one click per file): the model as a TensorFlow.js zip or a
 * safetensors file with PyTorch names (made in the worker, which owns the model) plus the Python snippet that loads
 * it, the metrics as CSV / JSON, each chart as PNG, and loading an exported zip back (evaluate, continue training).
 */
import { PanelBoundary } from './PanelBoundary';
import { useEffect, useRef, useState } from 'react';
import { useModalDialog } from './use-modal-dialog';
import { PYTORCH_SNIPPET } from '../core/export/pytorch-snippet';
import { chartMeta, CHARTS, type ChartId } from '../state/session/chart-catalog';
import { chartCardToPng, downloadFile } from './chart-png';
import { usePg, usePlayground } from './context';
import { epochsCsv, metricsJson, metricsStem, perClassCsv, type MetricsInput } from '../state/runs/metrics-export';
import { FMNIST_CLASS_NAMES } from '../state/settings/settings';
import type { PlaygroundState } from '../state/session/store';
import './export.css';
import { PytorchHandoff } from './PytorchHandoff';
import type { ExportFormat } from '../state/session/worker-link';
import { useControlShown } from './ClassroomLink';
import { percent } from '../core/format';

const pct = (v: number | null) => percent(v);

function metricsInput(s: PlaygroundState): MetricsInput {
  const cur = s.current;
  return {
    label: cur?.label ?? '',
    // what the run started with, plus its live changes (not the settings after the changes)
    settings: cur?.settings ?? s.runSettings,
    changes: cur?.changes ?? [],
    classNames: s.summary?.classNames ?? FMNIST_CLASS_NAMES,
    counts: s.summary?.counts ?? [],
    groups: s.summary?.groups ?? [],
    epochs: cur?.epochs ?? [],
    batches: cur?.batches ?? [],
  };
}

type Status = { text: string; level: 'info' | 'error'; accuracy?: number | null };

export function ExportDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { session, store } = usePlayground();
  const phase = usePg((s) => s.phase);
  const busy = usePg((s) => s.busy);
  const epochs = usePg((s) => s.current?.epochs.length ?? 0);
  const hasRun = usePg((s) => s.summary !== null);
  // a loaded model replaces every setting: not offered while a classroom link hides one
  const loadShown = useControlShown('load-model');
  const ref = useModalDialog(open);
  const fileRef = useRef<HTMLInputElement>(null);
  const [working, setWorking] = useState<string | null>(null);
  const [status, setStatus] = useState<Status | null>(null);
  const [charts, setCharts] = useState<ChartId[]>([]);

  // the charts on the page with something drawn (charts update staggered: follow them while the dialog is open)
  useEffect(() => {
    if (!open) return;
    const scan = () => {
      const ids = CHARTS.map((c) => c.id).filter(
        (id) => Number(document.querySelector(`[data-testid="chart-${id}"]`)?.getAttribute('data-points') ?? 0) > 0,
      );
      setCharts((prev) => (prev.length === ids.length && prev.every((x, i) => x === ids[i]) ? prev : ids));
    };
    scan();
    if (typeof MutationObserver === 'undefined') return;
    const mo = new MutationObserver(scan);
    // the chart cards stay mounted and carry their point count: watching that one attribute is enough
    mo.observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-points'] });
    return () => mo.disconnect();
  }, [open, epochs]);

  const modelReady = hasRun && !busy && phase !== 'starting' && phase !== 'loading' && phase !== 'crashed' && phase !== 'error';

  async function act(what: string, f: () => Promise<string | Status | void>): Promise<void> {
    setWorking(what);
    setStatus(null);
    try {
      const r = await f();
      if (typeof r === 'string') setStatus({ text: r, level: 'info' });
      else if (r) setStatus(r);
    } catch (e) {
      setStatus({ text: `${what} failed: ${e instanceof Error ? e.message : String(e)}`, level: 'error' });
    } finally {
      setWorking(null);
    }
  }

  /** Model exports pause a running run (the weights must not change mid-read) and resume it after. */
  const exportModel = (format: ExportFormat, what: string): Promise<string | null> => {
    let name: string | null = null;
    return act(what, async () => {
      const f = await session.exportModel(format);
      downloadFile(f.bytes, f.fileName, f.mime);
      name = f.fileName;
      return `Saved ${f.fileName} (${(f.bytes.byteLength / 1024).toFixed(0)} KiB).`;
    }).then(() => name);
  };

  const exportMetrics = (kind: 'epochs' | 'per-class' | 'json') =>
    act('Metrics export', async () => {
      const s = store.getState();
      const m = metricsInput(s);
      const stem = metricsStem(s.runSettings, m.epochs);
      if (kind === 'json') downloadFile(metricsJson(m), `${stem}.metrics.json`, 'application/json');
      else if (kind === 'epochs') downloadFile(epochsCsv(m), `${stem}.epochs.csv`, 'text/csv');
      else downloadFile(perClassCsv(m), `${stem}.per-class.csv`, 'text/csv');
      return `Saved the metrics of ${m.epochs.length} epoch${m.epochs.length === 1 ? '' : 's'}.`;
    });

  const exportChart = (id: ChartId) =>
    act('Chart export', async () => {
      const card = document.querySelector<HTMLElement>(`[data-testid="chart-${id}"]`);
      if (!card) throw new Error('the chart is not on the page');
      const png = await chartCardToPng(card);
      const name = `${metricsStem(store.getState().runSettings, store.getState().current?.epochs ?? [])}.${id}.png`;
      downloadFile(png, name, 'image/png');
      return `Saved ${name}.`;
    });

  const loadZip = (file: File) =>
    act('Loading the model', async () => {
      const bytes = await file.arrayBuffer();
      const r = await session.loadModel(bytes, file.name);
      const ev = r.evaluation;
      const where = `stage ${r.summary.stage}, epoch ${r.summary.epoch} of ${r.summary.epochsInStage}`;
      const text = `Loaded ${file.name} (${where}): test accuracy ${pct(ev.testAccuracy)} on ${ev.testImages} test images. Train continues from here (momentum starts at zero).`;
      store.getState().patchRun({ announcement: text });
      return { text, level: 'info', accuracy: ev.testAccuracy };
    });

  const copySnippet = () =>
    act('Copy', async () => {
      await navigator.clipboard.writeText(PYTORCH_SNIPPET);
      return 'Copied the Python snippet.';
    });

  return (
    <dialog
      ref={ref}
      className="export-dialog"
      aria-labelledby="export-title"
      data-testid="export-dialog"
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      {open && (
        <div className="export-body">
          <div className="export-head">
            <h2 id="export-title">Export</h2>
            <button type="button" className="dismiss" aria-label="Close the export dialog" onClick={onClose}>
              ×
            </button>
          </div>
          <p className="export-note">Everything is made in this tab; nothing is uploaded.</p>

          <section aria-labelledby="export-model">
            <h3 id="export-model">Model</h3>
            <div className="export-buttons">
              <button type="button" disabled={!modelReady || !!working} onClick={() => void exportModel('tfjs', 'TensorFlow.js export')}>
                TensorFlow.js (.zip)
              </button>
              <button
                type="button"
                disabled={!modelReady || !!working}
                onClick={() => void exportModel('safetensors', 'safetensors export')}
              >
                PyTorch (.safetensors)
              </button>
            </div>
            <p className="export-hint">
              The .zip holds <code>model.json</code> + <code>weights.bin</code> (<code>tf.loadLayersModel</code> opens it; this app loads it
              back below). The .safetensors file uses the state-dict names of the authors&apos; <code>ResNet_s</code>, with the
              preprocessing and run in its metadata. Load it in PyTorch (the snippet defines the model, any model and head):
            </p>
            <div className="snippet">
              <pre data-testid="pytorch-snippet" tabIndex={0} aria-label="PyTorch code (scrolls)">
                <code>{PYTORCH_SNIPPET}</code>
              </pre>
              <button type="button" className="copy" onClick={() => void copySnippet()}>
                Copy
              </button>
            </div>
          </section>

          <PytorchHandoff bundle={{ save: () => exportModel('bundle', 'Run bundle export'), disabled: !modelReady || !!working }} />

          <section aria-labelledby="export-metrics">
            <h3 id="export-metrics">Metrics</h3>
            <div className="export-buttons">
              <button type="button" disabled={!epochs || !!working} onClick={() => void exportMetrics('epochs')}>
                Per-epoch CSV
              </button>
              <button type="button" disabled={!epochs || !!working} onClick={() => void exportMetrics('per-class')}>
                Per-class CSV
              </button>
              <button type="button" disabled={!epochs || !!working} onClick={() => void exportMetrics('json')}>
                All metrics (JSON)
              </button>
            </div>
            {!epochs && <p className="export-hint">Train for one epoch to export metrics.</p>}
          </section>

          <section aria-labelledby="export-charts">
            <h3 id="export-charts">Charts (PNG)</h3>
            {charts.length ? (
              <div className="export-buttons">
                {charts.map((id) => (
                  <button
                    key={id}
                    type="button"
                    disabled={!!working}
                    onClick={() => void exportChart(id)}
                    data-chart={id}
                    aria-label={`PNG: ${chartMeta(id).title}`}
                  >
                    {chartMeta(id).title.split(/[:—(]/)[0].trim()}
                  </button>
                ))}
              </div>
            ) : (
              <p className="export-hint">No chart has data yet.</p>
            )}
          </section>

          {loadShown && (
            <section aria-labelledby="export-load">
              <h3 id="export-load">Load a model</h3>
              <p className="export-hint">
                A TensorFlow.js .zip exported by this app: it replaces the current run, is evaluated on the test set, and can be trained
                further.
              </p>
              <input
                ref={fileRef}
                type="file"
                accept=".zip,application/zip"
                aria-label="Load a TensorFlow.js zip"
                disabled={!!working || phase === 'starting' || phase === 'loading'}
                onChange={(e) => {
                  const f = e.currentTarget.files?.[0];
                  e.currentTarget.value = '';
                  if (f) void loadZip(f);
                }}
              />
            </section>
          )}

          <p
            className={`export-status${status?.level === 'error' ? ' error' : ''}`}
            role={status?.level === 'error' ? 'alert' : 'status'}
            data-testid="export-status"
            data-accuracy={status?.accuracy ?? ''}
          >
            {working ? `${working}…` : (status?.text ?? '')}
          </p>
          <div className="dialog-buttons">
            <button type="button" onClick={onClose}>
              Close
            </button>
          </div>
        </div>
      )}
    </dialog>
  );
}

/** The header's "Export…" button and its dialog. */
export function ExportButton() {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className="export-open" onClick={() => setOpen(true)} aria-haspopup="dialog">
        Export…
      </button>
      <PanelBoundary name="export dialog" onDismiss={() => setOpen(false)}>
        <ExportDialog open={open} onClose={() => setOpen(false)} />
      </PanelBoundary>
    </>
  );
}
