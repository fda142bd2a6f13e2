/**
 * Confusion-matrix drill-down: clicking (or Enter / Space on) a cell opens a modal dialog with the test images of
 * that cell — true class X predicted as Y (the diagonal: X classified correctly) — from the worker's last
 * evaluation, drawn to small pixelated canvases from the raw pixels. Escape or Close shut it; focus goes back to
 * the cell. Class names are only ever rendered as text.
 */
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { useModalDialog } from './use-modal-dialog';
import { usePg, usePlayground } from './context';
import type { ConfusionCellInfo } from './charts';
import type { TestExample, TestExamplesResult } from '../worker/protocol';
import { FMNIST_CLASS_NAMES } from '../state/settings/settings';
import './drilldown.css';

/** Most images fetched and drawn per cell. */
export const DRILLDOWN_LIMIT = 60;

export interface DrillTarget {
  trueClass: number;
  predClass: number;
  /** The matrix the cell was clicked in (run, epoch, count). */
  cell?: ConfusionCellInfo;
}

type Loaded =
  | { kind: 'loading' }
  | { kind: 'error'; message: string }
  | { kind: 'other-run'; runLabel: string }
  | { kind: 'done'; result: TestExamplesResult };

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;

/** "after epoch 3" / "after stage-2 epoch 1" for a 0-based epoch of a stage. */
export function evaluationLabel(stage: 1 | 2, epoch: number): string {
  if (epoch < 0) return stage === 2 ? 'before the first stage-2 epoch' : 'before the first epoch';
  return `after ${stage === 2 ? 'stage-2 ' : ''}epoch ${epoch + 1}`;
}

/** Draws uint8 HWC pixels (1 channel: grey; 3+: RGB) onto a canvas of the image's own size. */
export function ExampleCanvas({
  ex,
  height,
  width,
  channels,
  scale,
  label,
}: {
  ex: Pick<TestExample, 'index' | 'pixels'>;
  height: number;
  width: number;
  channels: number;
  scale: number;
  label: string;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = ref.current?.getContext('2d');
    if (!ctx) return;
    const img = ctx.createImageData(width, height);
    const px = ex.pixels;
    for (let i = 0; i < width * height; i++) {
      const o = i * channels;
      const r = px[o];
      img.data[i * 4] = r;
      img.data[i * 4 + 1] = channels >= 3 ? px[o + 1] : r;
      img.data[i * 4 + 2] = channels >= 3 ? px[o + 2] : r;
      img.data[i * 4 + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }, [ex, height, width, channels]);
  return (
    <canvas
      ref={ref}
      width={width}
      height={height}
      role="img"
      aria-label={label}
      title={label}
      data-index={ex.index}
      style={{ width: width * scale, height: height * scale }}
    />
  );
}

export function ConfusionDrilldown({ target, onClose }: { target: DrillTarget | null; onClose: () => void }) {
  const { session, store } = usePlayground();
  const currentId = usePg((s) => s.current?.id ?? null);
  const classNames = usePg((s) => s.summary?.classNames ?? FMNIST_CLASS_NAMES);
  const [loaded, setLoaded] = useState<Loaded>({ kind: 'loading' });
  // open / close the modal; focus goes back to what had it (the clicked cell)
  const ref = useModalDialog(target !== null, { returnFocus: true });

  // fetch the cell's images from the worker (only for the run the worker holds)
  useEffect(() => {
    if (!target) return;
    let live = true;
    if (target.cell && target.cell.runId !== currentId) {
      setLoaded({ kind: 'other-run', runLabel: target.cell.runLabel });
      return;
    }
    setLoaded({ kind: 'loading' });
    session.testExamples({ trueClass: target.trueClass, predClass: target.predClass, limit: DRILLDOWN_LIMIT }).then(
      (result) => live && setLoaded({ kind: 'done', result }),
      (e: unknown) => live && setLoaded({ kind: 'error', message: e instanceof Error ? e.message : String(e) }),
    );
    return () => {
      live = false;
    };
    // currentId is read once per opening: a new run while the dialog is open does not refetch
  }, [target, session]); // eslint-disable-line react-hooks/exhaustive-deps

  const name = (c: number) => classNames[c] ?? `class ${c}`;
  const diagonal = target ? target.trueClass === target.predClass : false;
  const T = target ? name(target.trueClass) : '';
  const P = target ? name(target.predClass) : '';
  const title = diagonal ? `True ${T}, predicted correctly` : `True ${T} → predicted ${P}`;

  let body: ReactNode = null;
  if (target) {
    if (loaded.kind === 'loading') {
      body = (
        <p role="status" className="drill-status">
          Loading the test images…
        </p>
      );
    } else if (loaded.kind === 'error') {
      body = (
        <p role="alert" className="drill-status error">
          Could not load the test images: {loaded.message}
        </p>
      );
    } else if (loaded.kind === 'other-run') {
      body = (
        <p className="drill-status" data-testid="drill-summary">
          The test images are kept for the current run only; this matrix belongs to the earlier run “{loaded.runLabel}”. Pick the current
          run in the matrix’ Run menu to look at its images.
        </p>
      );
    } else {
      const r = loaded.result;
      const when = evaluationLabel(r.stage, r.epoch);
      const what = diagonal ? 'classified correctly' : `predicted as ${P}`;
      const summary =
        r.total === 0
          ? `None of the ${plural(r.classTotal, 'test image')} of class ${T} ${r.classTotal === 1 ? 'was' : 'were'} ${what} in the evaluation ${when}.`
          : `${r.total.toLocaleString('en')} of ${plural(r.classTotal, 'test image')} of class ${T} ${r.total === 1 ? 'was' : 'were'} ${what}, from the evaluation ${when}.`;
      const c = target.cell;
      const moved = c && (c.stage !== r.stage || c.epoch !== r.epoch);
      const scale = Math.max(1, Math.round(60 / Math.max(r.height, r.width)));
      body = (
        <>
          <p className="drill-summary" data-testid="drill-summary" data-total={r.total} data-shown={r.examples.length}>
            {summary}
          </p>
          {moved && (
            <p className="drill-note">
              The matrix you clicked showed the evaluation {evaluationLabel(c.stage, c.epoch)}; training has moved on, so these are from the
              latest one.
            </p>
          )}
          {r.examples.length < r.total && (
            <p className="drill-note">
              Showing the first {r.examples.length} of {r.total.toLocaleString('en')} (in test-set order).
            </p>
          )}
          {r.examples.length > 0 && (
            <ul className="drill-grid" aria-label={`Test images of class ${T} ${what}`}>
              {r.examples.map((ex) => {
                const conf = `${Math.round(ex.confidence * 100)} %`;
                const label = `Test image #${ex.index}: predicted ${name(ex.pred)} with ${conf} confidence`;
                return (
                  <li key={ex.index}>
                    <figure>
                      <button
                        type="button"
                        className="drill-try"
                        title={`${label} — show it to the model in “Try an image”`}
                        aria-label={`${label}. Show it to the model in Try an image`}
                        onClick={() => {
                          onClose();
                          store.getState().setTryImage({ pixels: ex.pixels, label: `test image #${ex.index} (a ${T})` });
                        }}
                      >
                        <ExampleCanvas ex={ex} height={r.height} width={r.width} channels={r.channels} scale={scale} label={label} />
                      </button>
                      <figcaption aria-hidden="true">
                        #{ex.index} · {conf}
                      </figcaption>
                    </figure>
                  </li>
                );
              })}
            </ul>
          )}
        </>
      );
    }
  }

  return (
    <dialog
      ref={ref}
      className="drill-dialog"
      aria-labelledby="drill-title"
      data-testid="drilldown"
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      {target && (
        <div className="drill-body">
          <div className="drill-head">
            <h2 id="drill-title">{title}</h2>
            <button type="button" onClick={onClose}>
              Close
            </button>
          </div>
          {body}
        </div>
      )}
    </dialog>
  );
}
