/** Builds the next settings from the current ones (the cross-field rules applied) and hands them to the session. */
import { useCallback } from 'react';
import { patchSettings, type Settings, type SettingsPatch } from '../state/settings/settings';
import { normalise } from '../state/settings/rules';
import { EMBEDDED_SHAPE, shapeFor } from '../state/settings/data-shape';
import { usePlayground } from './context';

export type SettingsUpdate = SettingsPatch | ((s: Settings) => Settings);

export function useChange(): (update: SettingsUpdate) => Promise<boolean> {
  const { store, session } = usePlayground();
  return useCallback(
    (update) => {
      const st = store.getState();
      const next = typeof update === 'function' ? update(st.settings) : patchSettings(st.settings, update);
      const shape = shapeFor(next.config.dataset, st.uploads) ?? EMBEDDED_SHAPE;
      return session.changeSettings(normalise(next, shape).settings);
    },
    [store, session],
  );
}
