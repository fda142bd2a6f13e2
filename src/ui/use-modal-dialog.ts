/**
 * Opens / closes a modal <dialog> with `open` (showModal where supported); `onOpen` runs just before it opens. Focus goes
 * back to the opener when it closes (Cancel, Escape, the action), unless `returnFocus: false`.
 */
import { useEffect, useRef, type RefObject } from 'react';

export function useModalDialog(
  open: boolean,
  opts: { onOpen?: () => void; returnFocus?: boolean } = {},
): RefObject<HTMLDialogElement | null> {
  const ref = useRef<HTMLDialogElement>(null);
  const returnTo = useRef<Element | null>(null);
  const onOpen = useRef(opts.onOpen);
  onOpen.current = opts.onOpen;
  const returnFocus = opts.returnFocus ?? true;
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      if (returnFocus) returnTo.current = document.activeElement;
      onOpen.current?.();
      if (typeof d.showModal === 'function') d.showModal();
      else d.setAttribute('open', '');
    } else if (!open && d.open) {
      d.close();
      // focus goes back to what had it before (e.g. the clicked cell)
      const el = returnTo.current;
      returnTo.current = null;
      if ((el instanceof HTMLElement || el instanceof SVGElement) && el.isConnected) el.focus({ preventScroll: true });
    }
  }, [open, returnFocus]);
  return ref;
}
