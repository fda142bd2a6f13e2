/**
 * "Resume the run from <date> (epoch N of M)?" with Resume / Discard for each autosaved run (newest first, with the
 * tab that saved it); and "A saved run could not be read (…); it was set aside" with Discard, when a stored record
 * failed its check.
 */
import { useStore } from 'zustand';
import { offerLabel, resumeQuestion } from '../state/persistence/autosave';
import { usePlayground } from './context';
import { useControlShown } from './ClassroomLink';
import './export.css';

export function ResumeBanner() {
  const pg = usePlayground();
  const autosave = pg.autosave;
  // resuming restores the saved run's settings: not offered while a classroom link hides one
  const shown = useControlShown('resume');
  if (!autosave || !shown) return null;
  return <ResumeBannerOf pg={pg} autosave={autosave} />;
}

function ResumeBannerOf({
  pg,
  autosave,
}: {
  pg: ReturnType<typeof usePlayground>;
  autosave: NonNullable<ReturnType<typeof usePlayground>['autosave']>;
}) {
  const { offers, busy, unreadable } = useStore(autosave.offerStore);
  const aside =
    unreadable !== null ? (
      <div className="notice notice-warning resume-banner" role="region" aria-label="Unreadable saved run" data-testid="unreadable-run">
        <strong>A saved run could not be read ({unreadable}); it was set aside.</strong>{' '}
        <span className="resume-detail">It stays in this browser until you discard it; new runs are saved as usual.</span>
        <span className="resume-buttons">
          <button type="button" onClick={() => void autosave.discardUnreadable()}>
            Discard
          </button>
        </span>
      </div>
    ) : null;
  if (!offers.length) return aside;
  const many = offers.length > 1;
  return (
    <>
      {aside}
      <div className="notice notice-info resume-banner" role="region" aria-label="Saved runs" data-testid="resume-banner">
        {many && <strong>{offers.length} saved runs in this browser, newest first:</strong>}
        {offers.map((o, i) => {
          const id = `resume-question-${i}`;
          return (
            <div key={o.key} className="resume-offer" data-testid="resume-offer" data-key={o.key}>
              <strong id={id}>{resumeQuestion(o.run)}</strong>{' '}
              <span className="resume-detail">
                {offerLabel(o)}, {o.run.epochs.length} epoch{o.run.epochs.length === 1 ? '' : 's'} of metrics saved in this browser.
              </span>
              <span className="resume-buttons">
                <button
                  type="button"
                  className="primary"
                  disabled={busy}
                  aria-describedby={id}
                  onClick={() => void autosave.resume(pg.session, o.key)}
                >
                  {busy ? 'Resuming…' : 'Resume'}
                </button>
                <button type="button" disabled={busy} aria-describedby={id} onClick={() => void autosave.discard(o.key)}>
                  Discard
                </button>
              </span>
            </div>
          );
        })}
      </div>
    </>
  );
}
