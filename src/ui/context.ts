/** React access to the one store, session and session services of the page. */
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { PlaygroundSession } from '../state/session/session';
import type { Autosaver } from '../state/persistence/autosave';
import type { SessionServices } from '../state/session/services';
import type { PlaygroundState, PlaygroundStore } from '../state/session/store';

export interface Playground {
  store: PlaygroundStore;
  session: PlaygroundSession;
  /** The session's run queues and Lesson (src/state/session/services.ts). */
  services: SessionServices;
  /** Autosave / resume (absent in tests that do not need it). */
  autosave?: Autosaver;
}

export const PlaygroundContext = createContext<Playground | null>(null);

export function usePlayground(): Playground {
  const p = useContext(PlaygroundContext);
  if (!p) throw new Error('PlaygroundContext is missing');
  return p;
}

/** Selects from the store (re-renders only when the selected value changes). */
export function usePg<T>(selector: (s: PlaygroundState) => T): T {
  return useStore(usePlayground().store, selector);
}
