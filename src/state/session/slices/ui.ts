/** UI slice: notices (URL problems, errors, head notes) and the in-page confirm dialog. */
import type { StateCreator } from 'zustand';
import { canonicalHide, type HideId } from '../../settings/classroom';

export type NoticeLevel = 'info' | 'warning' | 'error';

export interface Notice {
  id: string;
  level: NoticeLevel;
  title: string;
  /** Plain text lines (rendered as React text, never as HTML). */
  items: string[];
}

export interface ConfirmRequest {
  title: string;
  message: string;
  confirmLabel: string;
  resolve(ok: boolean): void;
}

export interface UiSlice {
  notices: Notice[];
  confirm: ConfirmRequest | null;
  /** Controls hidden by a classroom link (`hide=` in the URL; src/state/settings/classroom.ts), in table order. */
  hidden: readonly HideId[];
  /** Replaces the hidden controls ([]: show everything); the page writes the change to the URL. */
  setHidden(ids: Iterable<HideId>): void;
  /** The Compare runs' Seeds field as typed (a count or a list; `seeds=` in the URL, '1' when absent). */
  seedsText: string;
  setSeedsText(text: string): void;
  /** Adds or replaces (same id) a notice. */
  pushNotice(n: Notice): void;
  dismissNotice(id: string): void;
  /** Opens the confirm dialog; resolves true on confirm, false on cancel (a pending one is cancelled). */
  askConfirm(title: string, message: string, confirmLabel?: string): Promise<boolean>;
  answerConfirm(ok: boolean): void;
  /** "Try an image" is open: with a test image to score at once (pixels at the data set's size), or to draw (null). */
  tryImage: { pixels: Uint8Array; label: string } | null | undefined;
  /** Opens "Try an image" (with an image, or empty to draw); undefined closes it. */
  setTryImage(t: { pixels: Uint8Array; label: string } | null | undefined): void;
}

export const createUiSlice: StateCreator<UiSlice> = (set, get) => ({
  notices: [],
  confirm: null,
  hidden: [],
  setHidden: (ids) => set({ hidden: canonicalHide(ids) }),
  seedsText: '1',
  setSeedsText: (seedsText) => set({ seedsText }),
  pushNotice: (n) => set((s) => ({ notices: [...s.notices.filter((o) => o.id !== n.id), n] })),
  dismissNotice: (id) => set((s) => ({ notices: s.notices.filter((n) => n.id !== id) })),
  askConfirm: (title, message, confirmLabel = 'Reset and apply') => {
    get().confirm?.resolve(false);
    return new Promise<boolean>((resolve) => set({ confirm: { title, message, confirmLabel, resolve } }));
  },
  tryImage: undefined,
  setTryImage: (tryImage) => set({ tryImage }),
  answerConfirm: (ok) => {
    const c = get().confirm;
    if (!c) return;
    set({ confirm: null });
    c.resolve(ok);
  },
});
