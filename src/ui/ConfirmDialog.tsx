/** The in-page confirm dialog (a modal <dialog>: focus moves into it, Escape cancels). */
import { useModalDialog } from './use-modal-dialog';
import { usePg } from './context';

export function ConfirmDialog() {
  const confirm = usePg((s) => s.confirm);
  const answer = usePg((s) => s.answerConfirm);
  const ref = useModalDialog(!!confirm);
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
