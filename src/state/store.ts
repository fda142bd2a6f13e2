/**
 * The playground store, composed of small slices (config, run, metrics, ui). `createPlaygroundStore()` returns a
 * vanilla store (tests use it in Node); the app shares one instance through `usePlayground(selector)`.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { useStore } from 'zustand';
import { createConfigSlice, type ConfigSlice } from './slices/config';
import { createRunSlice, type RunSlice } from './slices/run';
import { createMetricsSlice, type MetricsSlice } from './slices/metrics';
import { createUiSlice, type UiSlice } from './slices/ui';
import { createDataSlice, type DataSlice } from './slices/data';
import type { Settings } from './settings';

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
export type { Phase, Progress } from './slices/run';
export type { RunRecord } from './slices/metrics';
export type { Notice, NoticeLevel, ConfirmRequest } from './slices/ui';

/** React binding for a store instance. */
export function useStoreOf<T>(store: PlaygroundStore, selector: (s: PlaygroundState) => T): T {
  return useStore(store, selector);
}
