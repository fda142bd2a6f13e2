/** Notices (URL problems, errors, notes) and the crash banner; all text is React text, never HTML. */
import { usePg, usePlayground } from './context';

export function Notices() {
  const notices = usePg((s) => s.notices);
  const dismiss = usePg((s) => s.dismissNotice);
  if (!notices.length) return null;
  return (
    <div className="notices">
      {notices.map((n) => (
        <div
          key={n.id}
          className={`notice notice-${n.level}`}
          role={n.level === 'info' ? 'status' : 'alert'}
          data-testid={`notice-${n.id}`}
        >
          <strong>{n.title}</strong>
          {n.items.length === 1 ? (
            <span> {n.items[0]}</span>
          ) : (
            <ul>
              {n.items.map((it, i) => (
                <li key={i}>{it}</li>
              ))}
            </ul>
          )}
          <button type="button" className="dismiss" aria-label={`Dismiss: ${n.title}`} onClick={() => dismiss(n.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}

export function CrashBanner() {
  const crash = usePg((s) => s.crash);
  const phase = usePg((s) => s.phase);
  const busy = usePg((s) => s.busy);
  const { session } = usePlayground();
  if (!crash || phase !== 'crashed') return null;
  const next = crash.nextOrder[0];
  const from = crash.checkpoint
    ? `from the last finished epoch (stage ${crash.checkpoint.trainer.stage}, epoch ${crash.checkpoint.trainer.epoch})`
    : 'from the start (no epoch had finished)';
  return (
    <div className="notice notice-error crash" role="alert" data-testid="crash">
      <strong>Training stopped on {crash.backend ?? 'the backend'}:</strong> <span>{crash.message}</span>
      {next ? (
        <button type="button" className="primary" disabled={busy} onClick={() => void session.continueAfterCrash()}>
          Continue on {next} {from}
        </button>
      ) : (
        <span> No other backend is left; reload the page to try again.</span>
      )}
    </div>
  );
}
