/**
 * "Resume the run from <date> (epoch N of M)?" with Resume / Discard, when an autosaved run exists; or "A saved run
 * could not be read (…); it was set aside" with Discard, when the stored record failed its check.
 */
import { useStore } from 'zustand';
import { resumeQuestion } from '../state/autosave';
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
  const { offer, busy, unreadable } = useStore(autosave.offerStore);
  if (unreadable !== null) {
    return (
      <div className="notice notice-warning resume-banner" role="region" aria-label="Unreadable saved run" data-testid="unreadable-run">
        <strong>A saved run could not be read ({unreadable}); it was set aside.</strong>{' '}
        <span className="resume-detail">It stays in this browser until you discard it; new runs are saved as usual.</span>
        <span className="resume-buttons">
          <button type="button" onClick={() => void autosave.discardUnreadable()}>
            Discard
          </button>
        </span>
      </div>
    );
  }
  if (!offer) return null;
  return (
    <div className="notice notice-info resume-banner" role="region" aria-label="Saved run" data-testid="resume-banner">
      <strong id="resume-question">{resumeQuestion(offer)}</strong>{' '}
      <span className="resume-detail">
        {offer.label}, {offer.epochs.length} epoch{offer.epochs.length === 1 ? '' : 's'} of metrics saved in this browser.
      </span>
      <span className="resume-buttons">
        <button
          type="button"
          className="primary"
          disabled={busy}
          aria-describedby="resume-question"
          onClick={() => void autosave.resume(pg.session)}
        >
          {busy ? 'Resuming…' : 'Resume'}
        </button>
        <button type="button" disabled={busy} onClick={() => void autosave.discard()}>
          Discard
        </button>
      </span>
    </div>
  );
}
