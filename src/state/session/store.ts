/**
 * The playground store, composed of five small slices (config, run, metrics, ui, data). `createPlaygroundStore()` returns a
 * vanilla store (tests use it in Node); the app shares one instance through `usePlayground(selector)`. Each slice is
 * typed over its own part only (none reads or sets another's), so no slice imports this module.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { createConfigSlice, type ConfigSlice } from './slices/config';
import { createRunSlice, type RunSlice } from './slices/run';
import { createMetricsSlice, type MetricsSlice } from './slices/metrics';
import { createUiSlice, type UiSlice } from './slices/ui';
import { createDataSlice, type DataSlice } from './slices/data';
import type { Settings } from '../settings/settings';

export type PlaygroundState = ConfigSlice & RunSlice & MetricsSlice & UiSlice & DataSlice;
export type PlaygroundStore = StoreApi<PlaygroundState>;

export function createPlaygroundStore(initial?: Settings): PlaygroundStore {
  return createStore<PlaygroundState>()((...a) => ({
    ...createConfigSlice(initial)(...a),
    ...createRunSlice(...a),
    ...createMetricsSlice(...a),
    ...createUiSlice(...a),
    ...createDataSlice(...a),
  }));
}

export type { ConfigSlice, RunSlice, MetricsSlice, UiSlice };
