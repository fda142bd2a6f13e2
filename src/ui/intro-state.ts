/**
 * Whether the first-visit introduction is shown: shown until dismissed once, then never again
 * (localStorage), unless reopened from the header's "?" (then it closes again without resetting the dismissal).
 */
import { useSyncExternalStore } from 'react';

export const INTRO_KEY = 'ltpg:intro-dismissed';

function storedDismissed(): boolean {
  try {
    return localStorage.getItem(INTRO_KEY) === '1';
  } catch {
    return false; // storage blocked: show it (the page works without it)
  }
}

let open: boolean | null = null;
const listeners = new Set<() => void>();
const emit = () => listeners.forEach((l) => l());

function isOpen(): boolean {
  open ??= !storedDismissed();
  return open;
}

export function dismissIntro(): void {
  try {
    localStorage.setItem(INTRO_KEY, '1');
  } catch {
    // storage blocked: dismissed for this page load only
  }
  open = false;
  emit();
}

export function reopenIntro(): void {
  open = true;
  emit();
}

export function useIntroOpen(): boolean {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    isOpen,
    () => false,
  );
}
