/** Which class the dataset gallery shows (null: closed); opened from the class histograms and class names. */
import { useSyncExternalStore } from 'react';

let shown: number | null = null;
const listeners = new Set<() => void>();

export function openGallery(cls: number): void {
  shown = cls;
  listeners.forEach((l) => l());
}

export function closeGallery(): void {
  shown = null;
  listeners.forEach((l) => l());
}

export function useGalleryClass(): number | null {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => shown,
    () => null,
  );
}
