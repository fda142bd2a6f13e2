/**
 * The dataset gallery (what the tail classes look like): one class' training images in the current long-tail subset — all of them for
 * a medium or few class, an evenly spaced sample for a head class — fetched from the worker (`trainExamples`) and
 * drawn to canvases, so "50 Ankle boots against 5,000 T-shirts" is something one sees. Works for uploaded data too
 * (the worker reads whatever data set the run uses).
 */
import { useEffect, useState, type ReactNode } from 'react';
import type { TrainExamplesResult } from '../worker/protocol';
import { usePg, usePlayground } from './context';
import { useModalDialog } from './use-modal-dialog';
import { ExampleCanvas } from './ConfusionDrilldown';
import { closeGallery, useGalleryClass } from './gallery-state';
import './drilldown.css';
import './teach.css';

type Loaded = { kind: 'loading' } | { kind: 'error'; message: string } | { kind: 'done'; result: TrainExamplesResult };

export function ClassGallery() {
  const cls = useGalleryClass();
  const { session } = usePlayground();
  const summary = usePg((s) => s.summary);
  const [loaded, setLoaded] = useState<Loaded>({ kind: 'loading' });
  const ref = useModalDialog(cls !== null, { returnFocus: true });
  useEffect(() => {
    if (cls === null) return;
    let live = true;
    setLoaded({ kind: 'loading' });
    session.trainExamples({ cls }).then(
      (result) => live && setLoaded({ kind: 'done', result }),
      (e: unknown) => live && setLoaded({ kind: 'error', message: e instanceof Error ? e.message : String(e) }),
    );
    return () => {
      live = false;
    };
  }, [cls, session]);

  const name = cls === null ? '' : (summary?.classNames[cls] ?? `class ${cls}`);
  let body: ReactNode = null;
  if (cls !== null) {
    if (loaded.kind === 'loading') body = <p role="status">Loading the training images…</p>;
    else if (loaded.kind === 'error')
      body = (
        <p role="alert" className="drill-status error">
          Could not load the training images: {loaded.message}
        </p>
      );
    else {
      const r = loaded.result;
      const scale = Math.max(1, Math.round(56 / Math.max(r.height, r.width)));
      const max = summary ? Math.max(...summary.counts) : 0;
      body = (
        <>
          <p className="drill-summary" data-testid="gallery-summary" data-total={r.classTotal} data-shown={r.examples.length}>
            {r.sampled
              ? `${r.classTotal.toLocaleString('en')} training images of ${name} in the current subset; showing an evenly spaced sample of ${r.examples.length}.`
              : `All ${r.classTotal.toLocaleString('en')} training images of ${name} in the current subset.`}
            {max > r.classTotal &&
              r.classTotal > 0 &&
              ` The largest class has ${max.toLocaleString('en')} (${Math.round(max / r.classTotal)}×).`}
          </p>
          {r.examples.length > 0 && (
            <ul className="drill-grid" aria-label={`Training images of ${name}`} data-testid="gallery-grid">
              {r.examples.map((ex) => (
                <li key={ex.index}>
                  <ExampleCanvas
                    ex={ex}
                    height={r.height}
                    width={r.width}
                    channels={r.channels}
                    scale={scale}
                    label={`${name}, training image #${ex.index}`}
                  />
                </li>
              ))}
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
      aria-labelledby="gallery-title"
      data-testid="gallery"
      onCancel={(e) => {
        e.preventDefault();
        closeGallery();
      }}
    >
      {cls !== null && (
        <>
          <div className="drill-head">
            <h2 id="gallery-title">Training images: {name}</h2>
            <button type="button" onClick={closeGallery} autoFocus>
              Close
            </button>
          </div>
          {body}
        </>
      )}
    </dialog>
  );
}
