/** Keyboard shortcuts, declared once: the handler, the buttons' aria-keyshortcuts and the help line use this table. */
import { useEffect } from 'react';
import type { PlaygroundSession } from '../state/session/session';
import { HIDEABLE, type HideId } from '../state/settings/classroom';

export type ShortcutAction = 'toggle' | 'step' | 'reset';

export interface Shortcut {
  /** KeyboardEvent.key (lower case for letters). */
  key: string;
  /** What the user sees / aria-keyshortcuts. */
  label: string;
  aria: string;
  action: ShortcutAction;
  description: string;
}

export const SHORTCUTS: readonly Shortcut[] = [
  { key: ' ', label: 'Space', aria: 'Space', action: 'toggle', description: 'train / pause' },
  { key: 's', label: 'S', aria: 'S', action: 'step', description: 'one batch' },
  { key: 'r', label: 'R', aria: 'R', action: 'reset', description: 'reset' },
];

export function shortcutFor(action: ShortcutAction): Shortcut | undefined {
  return SHORTCUTS.find((s) => s.action === action);
}

/** The shortcuts still on while a classroom link hides these controls (hiding "reset" also switches R off). */
export function activeShortcuts(hidden: readonly HideId[]): readonly Shortcut[] {
  const off = new Set<ShortcutAction>();
  for (const h of HIDEABLE) if (h.shortcut && hidden.includes(h.id)) off.add(h.shortcut);
  return off.size ? SHORTCUTS.filter((s) => !off.has(s.action)) : SHORTCUTS;
}

/** Elements whose keys are their own: typing, choosing, pressing (Space on a focused button presses it). */
const CONTROLS = [
  'input',
  'select',
  'textarea',
  'button',
  'a[href]',
  'summary',
  'details',
  '[contenteditable=""]',
  '[contenteditable="true"]',
  'dialog',
  '[role="dialog"]',
  '[role="button"]',
  '[role="slider"]',
  '[role="checkbox"]',
  '[role="radio"]',
  '[role="switch"]',
  '[role="tab"]',
  '[role="menuitem"]',
  '[role="option"]',
  '[role="listbox"]',
  '[role="combobox"]',
  '[role="spinbutton"]',
  '[role="textbox"]',
  '[role="grid"]',
  '[role="application"]',
].join(', ');

/** True when a key press belongs to the focused element (a control, a dialog) rather than to the shortcuts. */
export function isTypingTarget(t: EventTarget | null): boolean {
  if (!t || typeof (t as Element).closest !== 'function') return false;
  const el = t as HTMLElement;
  if (el.isContentEditable) return true;
  return !!el.closest(CONTROLS);
}

export function matchShortcut(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'target'>): Shortcut | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  if (isTypingTarget(e.target)) return null;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  return SHORTCUTS.find((s) => s.key === key) ?? null;
}

/** Installs the shortcuts on the window while mounted. */
export function useShortcuts(session: PlaygroundSession): void {
  useEffect(() => {
    const onDown = (e: KeyboardEvent) => {
      const sc = matchShortcut(e);
      if (!sc || !activeShortcuts(session.store.getState().hidden).includes(sc)) return;
      e.preventDefault(); // no page scroll (focus is on no control here)
      if (e.repeat) return;
      void session[sc.action]();
    };
    const onUp = (e: KeyboardEvent) => {
      if (e.key === ' ' && matchShortcut(e)) e.preventDefault();
    };
    window.addEventListener('keydown', onDown);
    window.addEventListener('keyup', onUp);
    return () => {
      window.removeEventListener('keydown', onDown);
      window.removeEventListener('keyup', onUp);
    };
  }, [session]);
}
