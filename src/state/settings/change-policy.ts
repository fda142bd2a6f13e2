/**
 * The page's change policy (pure): how going from the run's settings to new ones can be applied — at the next
 * step (live), when stage 2 starts, or only with new weights (a reset, asked first once something was trained) —
 * read from the core table of config fields (CONFIG_FIELDS); plus the backend order of a choice and the key that
 * identifies a run's data subset.
 */
import type { BackendName } from '../../core/backend';
import { getLoss } from '../../core/losses/registry';
import { diffConfig, type LiveSettings } from '../../core/train/config-fields';
import type { TrainConfig } from '../../core/train/config';
import { drwStartEpoch, gaStartEpoch } from '../../core/train/schedules';
import { BACKEND_ORDER } from '../../worker/client';
import { toRunSpec, type BackendChoice, type Settings } from './settings';

export type ChangeKind = 'none' | 'live' | 'stage2' | 'reset' | 'backend';

export interface ChangePlan {
  kind: ChangeKind;
  /** Live settings to send (kind 'live'). */
  live: LiveSettings;
  /** Names of the settings that force a reset (for the confirm message). */
  resetBecause: string[];
}

/** How going from `from` (the run's settings) to `to` can be applied. */
export function planChange(from: Settings, to: Settings): ChangePlan {
  const d = diffConfig(toRunSpec(from).config, toRunSpec(to).config);
  // a worker's wasm module keeps the thread count it started with: another count is another worker, like a backend
  if (from.backend !== to.backend || from.threads !== to.threads) {
    const why = [...(from.backend !== to.backend ? ['backend'] : []), ...(from.threads !== to.threads ? ['wasm threads'] : [])];
    return { kind: 'backend', live: {}, resetBecause: [...why, ...d.reset] };
  }
  if (d.reset.length) return { kind: 'reset', live: {}, resetBecause: d.reset };
  if (Object.keys(d.live).length) return { kind: 'live', live: d.live, resetBecause: [] };
  return { kind: d.stage2 ? 'stage2' : 'none', live: {}, resetBecause: [] };
}

/** The tfjs backends to try for a choice, in order. */
export function backendOrder(choice: BackendChoice): BackendName[] {
  if (choice === 'auto') return BACKEND_ORDER.slice();
  // a forced backend still falls back to cpu so the page always works
  return choice === 'cpu' ? ['cpu'] : [choice, 'cpu'];
}

/** Identifies the training subset (runs on the same subset can be compared). */
export function dataKey(s: Pick<Settings, 'config'>): string {
  const c = s.config;
  return [c.dataset, c.imbalance, c.profile, c.profile === 'step' ? c.stepMu : '', c.headImages ?? 'all', c.seed].join('|');
}

/**
 * The 0-based epochs at which the loss of `c` switches something on (KPS gradient adjustment 'ga', LDAM's deferred
 * re-weighting 'drw'), for the markers of the time charts; empty when its loss has no switch or it is turned off.
 */
export function switchEpochs(c: Pick<TrainConfig, 'loss' | 'lossParams' | 'epochs'>): { ga?: number; drw?: number } {
  const sw = getLoss(c.loss).switch;
  if (!sw) return {};
  if (sw.param !== null && (c.lossParams[sw.param] ?? 1) < 0.5) return {};
  return sw.kind === 'ga' ? { ga: gaStartEpoch(c.epochs) } : { drw: drwStartEpoch(c.epochs) };
}
