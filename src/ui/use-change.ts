/** Builds the next settings from the current ones and hands them to the session (which may ask first). */
import { useCallback } from 'react';
import { cloneSettings, type Settings } from '../state/settings';
import { normalise } from '../state/url-schema';
import { usePlayground } from './context';

export function useChange(): (mutate: (s: Settings) => void) => Promise<boolean> {
  const { store, session } = usePlayground();
  return useCallback(
    (mutate) => {
      const next = cloneSettings(store.getState().settings);
      mutate(next);
      normalise(next);
      return session.changeSettings(next);
    },
    [store, session],
  );
}
