/**
 * The classroom link: a header button opens a dialog where the teacher ticks the controls to hide (the table in
 * src/state/settings/classroom.ts) and copies a URL with the current settings plus `hide=…`. Opened, that URL renders the page
 * without those controls and with a small line offering "Show all controls" (which drops `hide` from the URL).
 */
import { PanelBoundary } from './PanelBoundary';
import { useId, useMemo, useRef, useState } from 'react';
import { useModalDialog } from './use-modal-dialog';
import { HIDEABLE, HIDE_AREAS, controlShown, type HideId, type SettingControl } from '../state/settings/classroom';
import { EMBEDDED } from '../state/settings/settings';
import { switchDataset } from '../state/settings/rules';
import { serialiseUrl } from '../state/settings/url-schema';
import { lessonShown, withLesson } from '../state/session/lesson';
import { useLesson } from './Lesson';
import { usePg, usePlayground } from './context';
import './classroom.css';

/** The hidden controls as a set (a new set only when the list changes). */
export function useHidden(): ReadonlySet<HideId> {
  const hidden = usePg((s) => s.hidden);
  return useMemo(() => new Set(hidden), [hidden]);
}

/** False when a classroom link hides this control (then it is not rendered). */
export function useShown(id: HideId): boolean {
  return usePg((s) => !s.hidden.includes(id));
}

/** False when a classroom link hides a setting this control would change (the map in src/state/settings/classroom.ts). */
export function useControlShown(control: SettingControl): boolean {
  return usePg((s) => controlShown(control, s.hidden));
}

/** The absolute link for these settings and hidden controls. */
function linkFor(query: string): string {
  if (typeof window === 'undefined') return `?${query}`;
  return `${window.location.origin}${window.location.pathname}?${query}`;
}

type Status = { text: string; level: 'info' | 'error' };

export function ClassroomDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { store } = usePlayground();
  const settings = usePg((s) => s.settings);
  const uploads = usePg((s) => s.uploads);
  const inputRef = useRef<HTMLInputElement>(null);
  const [picked, setPicked] = useState<ReadonlySet<HideId>>(new Set());
  const [status, setStatus] = useState<Status | null>(null);
  const uid = useId();

  const ref = useModalDialog(open, {
    onOpen: () => {
      // start from what this page hides (a teacher refining a link)
      setPicked(new Set(store.getState().hidden));
      setStatus(null);
    },
  });

  // uploaded data lives in this tab only: the link carries the embedded data set (as the Data set menu would switch)
  const uploaded = settings.config.dataset !== EMBEDDED.id;
  const linkSettings = useMemo(() => {
    if (!uploaded) return settings;
    return switchDataset(settings, EMBEDDED.id, uploads);
  }, [settings, uploads, uploaded]);
  // a link copied during the lesson opens it at this step (unless it hides what the lesson changes)
  const lesson = useLesson();
  const query = serialiseUrl(linkSettings, picked);
  const url = linkFor(lessonShown(picked) ? withLesson(query, lesson) : query);
  const toggle = (id: HideId, on: boolean) => {
    setStatus(null);
    setPicked((p) => {
      const n = new Set(p);
      if (on) n.add(id);
      else n.delete(id);
      return n;
    });
  };

  async function copy(): Promise<void> {
    let why = 'the clipboard is not available here';
    try {
      if (navigator.clipboard?.writeText) {
        await navigator.clipboard.writeText(url);
        setStatus({ text: 'Copied', level: 'info' });
        return;
      }
    } catch (e) {
      why = e instanceof Error ? e.message : String(e);
    }
    // fallback: select the text (so Ctrl+C works) and try the old copy command
    const input = inputRef.current;
    input?.focus();
    input?.select();
    let ok: boolean;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    if (ok) setStatus({ text: 'Copied', level: 'info' });
    else setStatus({ text: `Could not copy (${why}). The link is selected: press Ctrl+C (⌘C on a Mac).`, level: 'error' });
  }

  return (
    <dialog
      ref={ref}
      className="classroom-dialog"
      aria-labelledby={`${uid}-title`}
      data-testid="classroom-dialog"
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      {open && (
        <div className="classroom-body">
          <div className="classroom-head">
            <h2 id={`${uid}-title`}>Classroom link</h2>
            <button type="button" className="dismiss" aria-label="Close the classroom link dialog" onClick={onClose}>
              ×
            </button>
          </div>
          <p className="classroom-note">
            The link opens the app with the current settings and without the controls ticked below; hidden settings keep the values in the
            link. Students see a “Show all controls” button.
          </p>
          {uploaded && (
            <p className="classroom-note classroom-warn" data-testid="classroom-upload-note">
              Uploaded data stays in this tab: the link opens the embedded {EMBEDDED.title} instead.
            </p>
          )}
          <div className="classroom-groups">
            {HIDE_AREAS.map(({ area, title }) => (
              <fieldset key={area} className="classroom-group">
                <legend>{title}</legend>
                {HIDEABLE.filter((h) => h.area === area).map((h) => (
                  <label key={h.id} className="classroom-check">
                    <input
                      type="checkbox"
                      checked={picked.has(h.id)}
                      data-hide-id={h.id}
                      onChange={(e) => toggle(h.id, e.currentTarget.checked)}
                    />{' '}
                    {h.label}
                  </label>
                ))}
              </fieldset>
            ))}
          </div>
          <div className="classroom-pick-buttons">
            <button
              type="button"
              onClick={() => {
                setStatus(null);
                setPicked(new Set(HIDEABLE.filter((h) => h.area.startsWith('config-')).map((h) => h.id)));
              }}
            >
              Tick every setting
            </button>
            <button
              type="button"
              onClick={() => {
                setStatus(null);
                setPicked(new Set());
              }}
            >
              Untick all
            </button>
          </div>
          <label className="classroom-url-label" htmlFor={`${uid}-url`}>
            Link
          </label>
          <div className="classroom-url-row">
            <input
              id={`${uid}-url`}
              ref={inputRef}
              type="text"
              readOnly
              value={url}
              data-testid="classroom-url"
              onFocus={(e) => e.currentTarget.select()}
            />
            <button type="button" className="primary" onClick={() => void copy()}>
              Copy link
            </button>
            <a href={url} target="_blank" rel="noopener noreferrer" data-testid="classroom-open">
              Open in a new tab
            </a>
          </div>
          <p
            className={`classroom-status${status?.level === 'error' ? ' error' : ''}`}
            role={status?.level === 'error' ? 'alert' : 'status'}
            data-testid="classroom-status"
          >
            {status?.text ?? ''}
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

/** The header's "Classroom link…" button and its dialog. */
export function ClassroomButton() {
  const [open, setOpen] = useState(false);
  return (
    <>
      {/* a phone shows the short word (the name stays whole) */}
      <button type="button" className="classroom-open" onClick={() => setOpen(true)} aria-haspopup="dialog" aria-label="Classroom link…">
        <span className="label-long">Classroom link…</span>
        <span className="label-short">Link…</span>
      </button>
      <PanelBoundary name="classroom-link dialog" onDismiss={() => setOpen(false)}>
        <ClassroomDialog open={open} onClose={() => setOpen(false)} />
      </PanelBoundary>
    </>
  );
}

/** The small line shown while a classroom link hides controls, with the escape hatch. */
export function HiddenControlsLine() {
  const hidden = usePg((s) => s.hidden);
  const setHidden = usePg((s) => s.setHidden);
  if (!hidden.length) return null;
  const labels = HIDEABLE.filter((h) => hidden.includes(h.id)).map((h) => h.label);
  return (
    <p className="classroom-line" data-testid="classroom-line" title={`Hidden: ${labels.join('; ')}`}>
      Some controls are hidden by this classroom link.{' '}
      <button type="button" className="classroom-show-all" onClick={() => setHidden([])}>
        Show all controls
      </button>
    </p>
  );
}
