/**
 * Save comparison / Open comparison: the runs shown in Compare runs as one JSON file — each run's settings (its
 * config, so its seed), its change log and its batch and epoch metrics; no weights, no feature-space projection —
 * that another page opens back into the same pinned runs, charts and table. A file is checked in full (the
 * saved-run validator) before anything changes, so a bad one is refused with the reason and costs nothing.
 */
import type { BatchInfo, EpochMetrics } from '../../worker/protocol';
import type { SettingChange } from '../../core/train/change-log';
import type { Settings } from '../settings/settings';
import type { PlaygroundState } from '../session/store';
import { MAX_PINNED, MAX_PINNED_RUNS, type RunRecord } from '../session/slices/metrics';
import { checkComparisonRuns } from '../persistence/saved-run-check';
import { askRoomForPins } from './pin-room';
import { groupKeyOf } from './seed-groups';

export const COMPARISON_KIND = 'long-tail-playground comparison';
export const COMPARISON_VERSION = 1;

export interface ComparisonRun {
  id: string;
  label: string;
  color: string;
  dataKey: string;
  settings: Settings;
  changes: SettingChange[];
  stage1Epochs?: number;
  batches: BatchInfo[];
  epochs: EpochMetrics[];
}

export interface ComparisonFile {
  kind: typeof COMPARISON_KIND;
  version: typeof COMPARISON_VERSION;
  savedAt: string;
  /** Every seed among the runs (each run's own is in its config). */
  seeds: number[];
  runs: ComparisonRun[];
}

/** The shown runs that trained an epoch (pinned first, then the earlier and the current run), as a file. */
export function comparisonOf(s: Pick<PlaygroundState, 'archived' | 'current'>, savedAt = new Date()): ComparisonFile {
  const shown = [...s.archived, ...(s.current ? [s.current] : [])].filter((r) => r.epochs.length > 0 && r.settings);
  const runs = shown.map((r): ComparisonRun => ({
    id: r.id,
    label: r.label.replace(/ \(earlier\)$/, ''),
    color: r.color,
    dataKey: r.dataKey,
    settings: r.settings!,
    changes: r.changes ?? [],
    ...(r.stage1Epochs !== undefined ? { stage1Epochs: r.stage1Epochs } : {}),
    batches: r.batches,
    // the projection is large and only the newest epoch's is drawn: not part of the record
    epochs: r.epochs.map(({ featureSpace: _fs, ...e }) => e),
  }));
  return {
    kind: COMPARISON_KIND,
    version: COMPARISON_VERSION,
    savedAt: savedAt.toISOString(),
    seeds: [...new Set(runs.map((r) => r.settings.config.seed))],
    runs,
  };
}

export const comparisonJson = (f: ComparisonFile): string => JSON.stringify(f);

export type ComparisonParse = { ok: true; runs: RunRecord[] } | { ok: false; why: string };

/** The file's runs, or why it cannot be opened (not JSON, not a comparison, another version, a bad run). */
export function parseComparison(text: string): ComparisonParse {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { ok: false, why: `it is not JSON (${e instanceof Error ? e.message : String(e)})` };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, why: 'it is not a saved comparison (no object)' };
  const o = v as Record<string, unknown>;
  if (o.kind !== COMPARISON_KIND) return { ok: false, why: `it is not a saved comparison ("kind" is not "${COMPARISON_KIND}")` };
  if (o.version !== COMPARISON_VERSION)
    return {
      ok: false,
      why: `version ${JSON.stringify(o.version)}: it was saved by ${typeof o.version === 'number' && o.version > COMPARISON_VERSION ? 'a newer' : 'another'} version of the app, which this page cannot read`,
    };
  const checked = checkComparisonRuns(o.runs, MAX_PINNED_RUNS);
  if (!checked.ok) return { ok: false, why: checked.why };
  const runs = (o.runs as ComparisonRun[]).map((r): RunRecord => ({
    id: r.id,
    label: r.label,
    color: r.color,
    dataKey: r.dataKey,
    settings: r.settings,
    changes: r.changes ?? [],
    ...(r.stage1Epochs !== undefined ? { stage1Epochs: r.stage1Epochs } : {}),
    batches: r.batches,
    epochs: r.epochs,
  }));
  const groups = new Set(runs.map(groupKeyOf)).size;
  if (groups > MAX_PINNED) return { ok: false, why: `it holds ${groups} configurations, and at most ${MAX_PINNED} can be pinned` };
  return { ok: true, runs };
}

export type OpenResult = { ok: true; opened: number } | { ok: false; why: string };

/**
 * Opens a file's runs as pinned runs, asking first to unpin the oldest pinned runs it needs room for (declined:
 * nothing changes). Runs already shown (same id) are not added twice.
 */
export async function openComparison(get: () => PlaygroundState, text: string): Promise<OpenResult> {
  const p = parseComparison(text);
  if (!p.ok) return p;
  const s = get();
  const shown = new Set([...s.archived, ...(s.current ? [s.current] : [])].map((r) => r.id));
  const fresh = p.runs.filter((r) => !shown.has(r.id));
  if (fresh.length === 0) return { ok: true, opened: 0 };
  if (!(await askRoomForPins(s, new Set(fresh.map(groupKeyOf)).size, 'The comparison')))
    return { ok: false, why: 'the pinned runs were kept, so the comparison was not opened' };
  // the current run keeps its pin; an unpinned earlier run gives way, as when a new run starts
  const now = get();
  now.restoreRuns(fresh, !!now.current?.pinned);
  return { ok: true, opened: fresh.length };
}
