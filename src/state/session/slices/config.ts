/** Config slice: the settings the controls show, and the ones the worker is training with. */
import type { StateCreator } from 'zustand';
import { defaultSettings, type Settings } from '../../settings/settings';

export interface ConfigSlice {
  /** What the controls show (committed settings). */
  settings: Settings;
  /** What the worker's run was configured with (null before the first configure). */
  runSettings: Settings | null;
  setSettings(s: Settings): void;
  setRunSettings(s: Settings | null): void;
}

export const createConfigSlice =
  (initial?: Settings): StateCreator<ConfigSlice> =>
  (set) => ({
    settings: initial ?? defaultSettings(),
    runSettings: null,
    setSettings: (settings) => set({ settings }),
    setRunSettings: (runSettings) => set({ runSettings }),
  });
