/**
 * Metrics slice: the batch and epoch history of the current run and of the earlier runs kept for comparison.
 *
 * - **Pinned** runs (`pinCurrent`, the "Pin run" button) stay, whatever changes next (loss, model, data), until they
 *   are unpinned / removed. A pinned run that is still training keeps receiving its metrics until a new run starts;
 *   then it is frozen. At most MAX_PINNED runs are pinned.
 * - The **previous** run, when it was not pinned, trained at least one epoch and was on the same data, stays as
 *   "… (earlier)" until the next run starts (so a quick CE → KPS switch is compared without pinning).
 * Every run shown has its own colour from RUN_COLORS.
 */
import type { StateCreator } from 'zustand';
import type { BatchInfo, EpochMetrics } from '../../../worker/protocol';
import type { Settings } from '../../settings/settings';
import type { SettingChange } from '../../../core/train/change-log';
import { groupKeyOf } from '../../runs/seed-groups';

export interface RunRecord {
  id: string;
  label: string;
  color: string;
  /** Identifies the data subset; runs with different keys are not compared on the per-class charts. */
  dataKey: string;
  batches: BatchInfo[];
  epochs: EpochMetrics[];
  /** The settings the run started with; `changes` lists every live change since (what really ran). */
  settings?: Settings | null;
  /** Live changes, in order, each stamped with the stage, epoch and step where it took effect. */
  changes?: SettingChange[];
  /** Kept for comparison when the next run starts. */
  pinned?: boolean;
  /** Stage-1 epochs of the run: where its stage-2 epochs start on the time axes. */
  stage1Epochs?: number;
}

/**
 * Most pinned configurations at once (plus the current run and the previous unpinned one: 10 colours on the charts).
 * Pins count seed groups: the runs of one configuration with different seeds are one pin, one colour.
 */
export const MAX_PINNED = 8;
/** Most pinned runs, seeds included (a 4-loss × 5-seed comparison is 20). */
export const MAX_PINNED_RUNS = 40;
/** One colour per run on the charts (distinct hues; 10 = MAX_PINNED + current + previous). */
export const RUN_COLORS = ['#2563eb', '#d97706', '#059669', '#9333ea', '#dc2626', '#0891b2', '#db2777', '#65a30d', '#57534e', '#92400e'];

/** The comparison preset in progress (src/state/runs/compare.ts). */
export interface PresetStatus {
  /** 0-based index of the run being trained. */
  index: number;
  total: number;
  /** Name of the run being trained ("KPS"). */
  name: string;
  names: string[];
}

export interface MetricsSlice {
  current: RunRecord | null;
  /** Earlier runs still shown: pinned runs (oldest first), then the previous unpinned run if any. */
  archived: RunRecord[];
  preset: PresetStatus | null;
  /** Starts a new current run: a pinned current run is frozen and kept, an unpinned one becomes "earlier". */
  beginRun(label: string, dataKey: string, settings?: Settings | null): void;
  appendMetrics(batches: BatchInfo[], epochs: EpochMetrics[]): void;
  /** Replaces the current run's history (a resumed run brings its own). */
  setCurrentHistory(batches: readonly BatchInfo[], epochs: readonly EpochMetrics[]): void;
  /** Drops the current run's metrics after global step `step` (an epoch lost in a crash). */
  truncateCurrent(step: number): void;
  /** New label (kept unique) and optionally settings of the current run (stage 2). */
  relabelCurrent(label: string, settings?: Settings | null): void;
  /** The current run's change log (as the worker stamped it). */
  setCurrentChanges(changes: readonly SettingChange[]): void;
  /** Pins the current run; false when there is none or MAX_PINNED runs are pinned already. */
  pinCurrent(): boolean;
  /** Pins the current run or the previous ("earlier") one; false when MAX_PINNED runs are pinned already. */
  pinRun(id: string): boolean;
  /** Unpins the current run, or removes a frozen earlier run. */
  unpinRun(id: string): void;
  /**
   * Adds a finished run from elsewhere (train.py's results) as the newest pinned run, with a label and colour of its
   * own; false when MAX_PINNED runs are pinned already.
   */
  addPinnedRun(run: RunRecord): boolean;
  /** Puts back pinned runs (autosave resume); their ids and colours are kept unless they clash. */
  restoreRuns(runs: readonly RunRecord[], currentPinned?: boolean): void;
  clearArchive(): void;
  setPreset(p: PresetStatus | null): void;
}

/**
 * `old` followed by `added`, with the feature space (up to 2,000 points, the chart shows the latest) kept on the
 * newest epoch that has one only, so a long run's history stays small (memory, autosave).
 */
export function appendEpochs(old: readonly EpochMetrics[], added: readonly EpochMetrics[]): EpochMetrics[] {
  const all = old.concat(added);
  let keep = -1;
  for (let i = all.length - 1; i >= 0; i--)
    if (all[i].featureSpace) {
      keep = i;
      break;
    }
  for (let i = 0; i < keep; i++)
    if (all[i].featureSpace) {
      const { featureSpace: _drop, ...rest } = all[i];
      all[i] = rest;
    }
  return all;
}

let runCounter = 0;
/** Unique per page load, so restored runs (autosave) never share an id with new ones. */
const idPrefix = `run-${Date.now().toString(36)}`;

const pinnedRuns = (s: Pick<MetricsSlice, 'current' | 'archived'>): RunRecord[] => [
  ...s.archived.filter((r) => r.pinned),
  ...(s.current?.pinned ? [s.current] : []),
];

/** Pinned configurations: runs that differ only in their seed count once. */
export const pinnedCount = (s: Pick<MetricsSlice, 'current' | 'archived'>): number => new Set(pinnedRuns(s).map(groupKeyOf)).size;

/** Whether `run` can be pinned: its group is pinned already or there is room for one more, and the runs fit. */
function roomFor(s: Pick<MetricsSlice, 'current' | 'archived'>, run: RunRecord): boolean {
  const pinned = pinnedRuns(s);
  if (pinned.length >= MAX_PINNED_RUNS) return false;
  const k = groupKeyOf(run);
  return pinned.some((r) => groupKeyOf(r) === k) || pinnedCount(s) < MAX_PINNED;
}

const baseLabel = (l: string) => l.replace(/ \(earlier\)$/, '').replace(/ #\d+$/, '');

/** `label`, or `label #2`, `#3`… when another shown run has it already ("… (earlier)" differs anyway). */
export function uniqueLabel(label: string, others: readonly RunRecord[]): string {
  const base = baseLabel(label);
  const used = new Set(others.map((r) => r.label));
  if (!used.has(base)) return base;
  for (let n = 2; ; n++) if (!used.has(`${base} #${n}`)) return `${base} #${n}`;
}

function freeColor(used: Iterable<string>): string {
  const u = new Set(used);
  return RUN_COLORS.find((c) => !u.has(c)) ?? RUN_COLORS[runCounter % RUN_COLORS.length];
}

export const createMetricsSlice: StateCreator<MetricsSlice> = (set, get) => ({
  current: null,
  archived: [],
  preset: null,
  beginRun: (label, dataKey, settings = null) =>
    set((s) => {
      // the previous unpinned run is replaced by this one's predecessor
      const archived = s.archived.filter((r) => r.pinned);
      const cur = s.current;
      if (cur?.pinned && (cur.epochs.length > 0 || cur.batches.length > 0)) archived.push(cur);
      else if (cur && !cur.pinned && cur.epochs.length > 0 && cur.dataKey === dataKey) {
        archived.push({ ...cur, label: `${cur.label} (earlier)` });
      }
      // a seed of a shown configuration takes its group's colour
      const key = settings ? groupKeyOf({ id: '', settings }) : null;
      const color = archived.find((r) => key !== null && groupKeyOf(r) === key)?.color ?? freeColor(archived.map((r) => r.color));
      runCounter++;
      return {
        archived,
        current: {
          id: `${idPrefix}-${runCounter}`,
          label: uniqueLabel(label, archived),
          color,
          dataKey,
          batches: [],
          epochs: [],
          settings,
          pinned: false,
          stage1Epochs: settings?.config.epochs,
        },
      };
    }),
  appendMetrics: (batches, epochs) =>
    set((s) => {
      if (!s.current || (batches.length === 0 && epochs.length === 0)) return {};
      return {
        current: {
          ...s.current,
          batches: batches.length ? s.current.batches.concat(batches) : s.current.batches,
          epochs: epochs.length ? appendEpochs(s.current.epochs, epochs) : s.current.epochs,
        },
      };
    }),
  setCurrentHistory: (batches, epochs) =>
    set((s) => (s.current ? { current: { ...s.current, batches: batches.slice(), epochs: epochs.slice() } } : {})),
  truncateCurrent: (step) =>
    set((s) =>
      s.current
        ? {
            current: {
              ...s.current,
              batches: s.current.batches.filter((b) => b.step <= step),
              epochs: s.current.epochs.filter((m) => m.step <= step),
            },
          }
        : {},
    ),
  relabelCurrent: (label, settings) =>
    set((s) => {
      if (!s.current) return {};
      const next = { ...s.current, label: uniqueLabel(label, s.archived) };
      if (settings !== undefined) next.settings = settings;
      return { current: next };
    }),
  setCurrentChanges: (changes) => set((s) => (s.current ? { current: { ...s.current, changes: structuredClone([...changes]) } } : {})),
  pinCurrent: () => {
    const id = get().current?.id;
    return id ? get().pinRun(id) : false;
  },
  pinRun: (id) => {
    const s = get();
    const run = s.current?.id === id ? s.current : s.archived.find((r) => r.id === id);
    if (!run) return false;
    if (run.pinned) return true;
    if (!roomFor(s, run)) return false;
    if (run === s.current) set({ current: { ...run, pinned: true } });
    else {
      // the previous run: pinned runs come first, so it moves to the end of them (it is the newest)
      const label = uniqueLabel(run.label.replace(/ \(earlier\)$/, ''), [
        ...s.archived.filter((r) => r.id !== id),
        ...(s.current ? [s.current] : []),
      ]);
      set({ archived: [...s.archived.filter((r) => r.id !== id), { ...run, label, pinned: true }] });
    }
    return true;
  },
  unpinRun: (id) =>
    set((s) => {
      if (s.current?.id === id) return { current: { ...s.current, pinned: false } };
      return { archived: s.archived.filter((r) => r.id !== id) };
    }),
  addPinnedRun: (run) => {
    const s = get();
    if (pinnedCount(s) >= MAX_PINNED) return false;
    const shown = [...s.archived, ...(s.current ? [s.current] : [])];
    const pinned = s.archived.filter((r) => r.pinned);
    const added = { ...run, pinned: true, label: uniqueLabel(run.label, shown), color: freeColor(shown.map((r) => r.color)) };
    // pinned runs first (oldest first), then the previous unpinned run
    set({ archived: [...pinned, added, ...s.archived.filter((r) => !r.pinned)] });
    return true;
  },
  restoreRuns: (runs, currentPinned = false) =>
    set((s) => {
      const archived = s.archived.filter((r) => r.pinned);
      const ids = new Set(archived.map((r) => r.id));
      for (const r of runs) {
        if (ids.has(r.id) || !roomFor({ archived, current: currentPinned ? s.current : null }, r)) continue;
        const used = archived.map((a) => a.color);
        const mate = archived.find((a) => groupKeyOf(a) === groupKeyOf(r));
        ids.add(r.id);
        archived.push({ ...r, pinned: true, color: mate ? mate.color : used.includes(r.color) ? freeColor(used) : r.color });
      }
      let current = s.current;
      if (current) {
        const used = archived.map((r) => r.color);
        current = {
          ...current,
          color: used.includes(current.color) ? freeColor(used) : current.color,
          label: uniqueLabel(current.label, archived),
          pinned: currentPinned && archived.length < MAX_PINNED,
        };
      }
      return { archived, current };
    }),
  clearArchive: () => set({ archived: [] }),
  setPreset: (preset) => set({ preset }),
});
