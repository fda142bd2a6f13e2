/** The in-page confirm dialog (a modal <dialog>: focus moves into it, Escape cancels). */
import { useEffect, useRef } from 'react';
import { usePg } from './context';

export function ConfirmDialog() {
  const confirm = usePg((s) => s.confirm);
  const answer = usePg((s) => s.answerConfirm);
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (confirm && !d.open) {
      if (typeof d.showModal === 'function') d.showModal();
      else d.setAttribute('open', '');
    } else if (!confirm && d.open) d.close();
  }, [confirm]);
  return (
    <dialog
      ref={ref}
      className="confirm"
      aria-labelledby="confirm-title"
      aria-describedby="confirm-message"
      onCancel={(e) => {
        e.preventDefault();
        answer(false);
      }}
    >
      {confirm && (
        <form method="dialog" onSubmit={(e) => e.preventDefault()}>
          <h2 id="confirm-title">{confirm.title}</h2>
          <p id="confirm-message">{confirm.message}</p>
          <div className="dialog-buttons">
            <button type="button" onClick={() => answer(false)}>
              Cancel
            </button>
            <button type="button" className="primary" autoFocus onClick={() => answer(true)}>
              {confirm.confirmLabel}
            </button>
          </div>
        </form>
      )}
    </dialog>
  );
}
