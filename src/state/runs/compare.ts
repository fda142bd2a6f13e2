/**
 * Compare runs: the runs table (one row per shown run: last-epoch and best-epoch overall / many / medium / few test
 * accuracy), its sorting and CSV, and the "CE vs KPS vs FBL vs GCL" preset, which trains four runs one after the
 * other on the same data subset and initial backbone weights (same settings and seed, only the loss — and the head
 * it needs — change), pins each when it is done (GCL after its stage 2) and starts the next.
 * No React here: the page (src/ui/RunsTable.tsx) renders what these functions return; Node tests drive them.
 */
import type { LossId } from '../../core/losses/types';
import { describeChange } from '../../core/train/change-log';
import type { EpochMetrics } from '../../worker/protocol';
import { fixed, toCsv } from './metrics-export';
import { dataText, LOSS_SHORT, modelName, runHead, trainText } from './run-label';
import { patchSettings, withLoss, type Settings } from '../settings/settings';
import { forcedHead } from '../../core/losses/registry';
import type { PlaygroundSession } from '../session/session';
import { MAX_PINNED, type RunRecord } from '../session/slices/metrics';
import { askRoomForPins } from './pin-room';
import type { Phase } from '../session/slices/run';
import type { PlaygroundState } from '../session/store';
import { trainQueuedRun, type WaitHooks, type WaitResult } from './run-wait';
import { summarize, type Summary } from '../../core/train/groups';
import { groupLabel, seedGroups } from './seed-groups';

// ---------------------------------------------------------------- the table

export interface AccuracyCell {
  stage: 1 | 2;
  /** 1-based epoch within the stage. */
  epoch: number;
  overall: number | null;
  many: number | null;
  medium: number | null;
  few: number | null;
}

export type RunStatus = 'ready' | 'running' | 'paused' | 'finished' | 'stopped' | 'failed';

export interface CompareRow {
  id: string;
  label: string;
  color: string;
  /** Loss id and short name. */
  loss: LossId | null;
  lossName: string;
  model: string;
  head: string;
  /** The run's data subset in words, and whether it is the current run's (only those are on the per-class charts). */
  data: string;
  sameData: boolean;
  /** Training settings in words (epochs, batch, lr, head, sampler; the engine(s) that trained its epochs). */
  training: string;
  /** The run's live changes in words, one sentence each (the settings above are the ones it started with). */
  changes: string[];
  current: boolean;
  pinned: boolean;
  /** The previous unpinned run ("earlier"), dropped when the next run starts. */
  earlier: boolean;
  status: RunStatus;
  /** Epochs finished in stage 1 and stage 2. */
  epochs1: number;
  epochs2: number;
  /** Last finished epoch, and the epoch with the best overall test accuracy (first one on ties). */
  last: AccuracyCell | null;
  best: AccuracyCell | null;
  /** What chose the best epoch: the validation split when the run had one, else the test set. */
  bestOn: 'validation' | 'test' | null;
  seed: number | null;
  /** A seed group's row: `last` and `best` hold the means over its seeds, `spread` their std; `members` the seeds' rows. */
  group?: { members: CompareRow[]; last: SpreadCell; best: SpreadCell };
}

export type SpreadCell = Record<'overall' | 'many' | 'medium' | 'few', Summary>;

const finite = (v: number | null | undefined): number | null => (v === null || v === undefined || !Number.isFinite(v) ? null : v);

function cell(e: EpochMetrics): AccuracyCell {
  return {
    stage: e.stage,
    epoch: e.epoch + 1,
    overall: finite(e.testAccuracy),
    many: finite(e.groupAccuracy.many),
    medium: finite(e.groupAccuracy.medium),
    few: finite(e.groupAccuracy.few),
  };
}

/** The epoch with the best selection score: validation accuracy when the run had a validation split, else test accuracy. */
export function bestEpoch(epochs: readonly EpochMetrics[]): EpochMetrics | null {
  const score = (e: EpochMetrics) => e.selectionScore ?? e.testAccuracy;
  let best: EpochMetrics | null = null;
  for (const e of epochs) {
    const a = finite(score(e));
    if (a !== null && (!best || a > (score(best) ?? -1))) best = e;
  }
  return best;
}

/** Whether the run has trained every epoch of its last stage. */
function complete(r: RunRecord): boolean {
  const last = r.epochs[r.epochs.length - 1];
  return !!last && last.epoch + 1 >= last.epochsInStage;
}

/** The engines that trained the epochs, in order of first use ('' when the epochs do not say). */
function engineText(epochs: readonly EpochMetrics[]): string {
  const seen: string[] = [];
  for (const e of epochs) if (e.engine && !seen.includes(e.engine)) seen.push(e.engine);
  return seen.length ? `engine ${seen.join(' → ')}` : '';
}

export function rowOf(r: RunRecord, opts: { current: boolean; phase?: Phase; dataKey: string | null }): CompareRow {
  const s = r.settings ?? null;
  const last = r.epochs[r.epochs.length - 1];
  const best = bestEpoch(r.epochs);
  let status: RunStatus;
  if (opts.current) {
    const p = opts.phase;
    status =
      p === 'running'
        ? 'running'
        : p === 'stageDone'
          ? 'finished'
          : p === 'paused'
            ? 'paused'
            : p === 'crashed' || p === 'error'
              ? 'failed'
              : r.batches.length
                ? 'paused'
                : 'ready';
  } else status = complete(r) ? 'finished' : 'stopped';
  return {
    id: r.id,
    label: r.label,
    color: r.color,
    loss: s?.config.loss ?? null,
    lossName: s ? LOSS_SHORT[s.config.loss] : '',
    model: s ? modelName(s.config.model) : '',
    head: s ? runHead(s) : '',
    data: s ? dataText(s) : r.dataKey,
    sameData: opts.dataKey !== null && r.dataKey === opts.dataKey,
    training: [s ? trainText(s) : '', engineText(r.epochs)].filter(Boolean).join(', '),
    changes: (r.changes ?? []).map(describeChange),
    current: opts.current,
    pinned: !!r.pinned,
    earlier: !opts.current && !r.pinned,
    status,
    epochs1: r.epochs.filter((e) => e.stage === 1).length,
    epochs2: r.epochs.filter((e) => e.stage === 2).length,
    last: last ? cell(last) : null,
    best: best ? cell(best) : null,
    bestOn: best ? (best.selection ?? 'test') : null,
    seed: s?.config.seed ?? null,
  };
}

const SPREAD = ['overall', 'many', 'medium', 'few'] as const;

function spreadOf(cells: readonly (AccuracyCell | null)[]): SpreadCell {
  const out = {} as SpreadCell;
  for (const k of SPREAD) out[k] = summarize(cells.map((c) => c?.[k] ?? NaN));
  return out;
}

const meanCell = (first: AccuracyCell | null, s: SpreadCell): AccuracyCell | null =>
  first && { ...first, ...Object.fromEntries(SPREAD.map((k) => [k, s[k].n ? s[k].mean : null])) };

/** One row for the runs of a seed group: mean per column (what the table sorts on), the seeds' rows inside. */
function groupRow(members: CompareRow[]): CompareRow {
  const first = members[0];
  const last = spreadOf(members.map((m) => m.last));
  const best = spreadOf(members.map((m) => m.best));
  const running = members.find((m) => m.status !== 'finished');
  return {
    ...first,
    id: `group:${first.id}`,
    label: groupLabel(first.label, members.length),
    current: members.some((m) => m.current),
    pinned: members.every((m) => m.pinned),
    earlier: false,
    status: running?.status ?? 'finished',
    changes: members.flatMap((m) => m.changes.map((c) => `seed ${m.seed}: ${c}`)),
    epochs1: Math.min(...members.map((m) => m.epochs1)),
    epochs2: Math.min(...members.map((m) => m.epochs2)),
    last: meanCell(first.last, last),
    best: meanCell(first.best, best),
    seed: null,
    group: { members, last, best },
  };
}

/** The table's rows in display order: pinned runs (oldest first), the previous run, the current run. */
export function compareRows(s: Pick<PlaygroundState, 'current' | 'archived' | 'phase'>): CompareRow[] {
  const key = s.current?.dataKey ?? null;
  const rows = s.archived.map((r) => rowOf(r, { current: false, dataKey: key }));
  if (s.current) rows.push(rowOf(s.current, { current: true, phase: s.phase, dataKey: key }));
  return rows;
}

/** The rows with each seed group (runs of one configuration, distinct seeds) as one row in its first run's place. */
export function groupedRows(s: Pick<PlaygroundState, 'current' | 'archived' | 'phase'>): CompareRow[] {
  const rows = compareRows(s);
  const records = [...s.archived, ...(s.current ? [s.current] : [])];
  const byId = new Map(rows.map((r) => [r.id, r]));
  return seedGroups(records).map((g) => {
    const members = g.runs.map((r) => byId.get(r.id)!);
    if (members.length < 2) return members[0];
    // a seed on another subset is still this configuration: the group is on the current data when one seed is
    return { ...groupRow(members), sameData: members.some((m) => m.sameData) || members.some((m) => m.current) };
  });
}

export type SortKey =
  | 'label'
  | 'loss'
  | 'epochs'
  | 'lastOverall'
  | 'lastMany'
  | 'lastMedium'
  | 'lastFew'
  | 'bestOverall'
  | 'bestMany'
  | 'bestMedium'
  | 'bestFew'
  | 'status';
export type SortDir = 'ascending' | 'descending';

export const SORT_VALUE: Readonly<Record<SortKey, (r: CompareRow) => number | string | null>> = {
  label: (r) => r.label.toLowerCase(),
  loss: (r) => r.lossName.toLowerCase(),
  epochs: (r) => r.epochs1 + r.epochs2,
  lastOverall: (r) => r.last?.overall ?? null,
  lastMany: (r) => r.last?.many ?? null,
  lastMedium: (r) => r.last?.medium ?? null,
  lastFew: (r) => r.last?.few ?? null,
  bestOverall: (r) => r.best?.overall ?? null,
  bestMany: (r) => r.best?.many ?? null,
  bestMedium: (r) => r.best?.medium ?? null,
  bestFew: (r) => r.best?.few ?? null,
  status: (r) => r.status,
};

/** Rows sorted by a column (stable; rows without a value last in either direction). */
export function sortRows(rows: readonly CompareRow[], key: SortKey | null, dir: SortDir = 'descending'): CompareRow[] {
  if (!key) return rows.slice();
  const val = SORT_VALUE[key];
  const sign = dir === 'ascending' ? 1 : -1;
  return rows
    .map((r, i) => ({ r, i, v: val(r) }))
    .sort((a, b) => {
      if (a.v === null || b.v === null) return a.v === b.v ? a.i - b.i : a.v === null ? 1 : -1;
      const c = typeof a.v === 'number' && typeof b.v === 'number' ? a.v - b.v : String(a.v).localeCompare(String(b.v));
      return c !== 0 ? sign * c : a.i - b.i;
    })
    .map((x) => x.r);
}

export const CSV_COLUMNS = [
  'run',
  'loss',
  'model',
  'head',
  'data',
  'same_data',
  'training',
  'live_changes',
  'status',
  'pinned',
  'epochs_stage1',
  'epochs_stage2',
  'last_stage',
  'last_epoch',
  'last_overall_accuracy',
  'last_many_accuracy',
  'last_medium_accuracy',
  'last_few_accuracy',
  'best_stage',
  'best_epoch',
  'best_overall_accuracy',
  'best_many_accuracy',
  'best_medium_accuracy',
  'best_few_accuracy',
  'best_chosen_on',
  'color',
  'seed',
  /** Group rows: how many seeds, and the sample std of each accuracy over them (the accuracies are their means). */
  'group_seeds',
  'last_overall_std',
  'last_many_std',
  'last_medium_std',
  'last_few_std',
  'best_overall_std',
  'best_many_std',
  'best_medium_std',
  'best_few_std',
] as const;

/**
 * The table as CSV, rows in the given (displayed) order; accuracies as fractions in [0, 1] (the table shows %). A
 * seed group gives its seeds' rows, then the group's row (means, with the std columns and group_seeds filled).
 */
export function compareCsv(rows: readonly CompareRow[]): string {
  const acc = (c: AccuracyCell | null) =>
    c ? [c.stage, c.epoch, ...[c.overall, c.many, c.medium, c.few].map((v) => fixed(v, 4))] : ['', '', '', '', '', ''];
  const std = (c: SpreadCell | undefined) => SPREAD.map((k) => (c && c[k].n ? fixed(c[k].std, 4) : ''));
  return toCsv(
    CSV_COLUMNS,
    rows
      .flatMap((r) => (r.group ? [...r.group.members, r] : [r]))
      .map((r) => [
        r.label,
        r.lossName,
        r.model,
        r.head,
        r.data,
        r.sameData,
        r.training,
        r.changes.join('; '),
        r.status,
        r.pinned,
        r.epochs1,
        r.epochs2,
        ...acc(r.last),
        ...acc(r.best),
        r.bestOn ?? '',
        r.color,
        r.seed ?? '',
        r.group ? r.group.members.length : '',
        ...std(r.group?.last),
        ...std(r.group?.best),
      ]),
  );
}

// ---------------------------------------------------------------- the preset

export const PRESET_LOSSES: readonly LossId[] = ['ce', 'kps', 'fbl', 'gcl'];
export const PRESET_NAME = 'CE vs KPS vs FBL vs GCL';
/** What each preset run is called in the progress line. */
export const PRESET_NAMES: Readonly<Record<string, string>> = { ce: 'CE', kps: 'KPS (+GA)', fbl: 'FBL', gcl: 'GCL (stage 1 + 2)' };

/**
 * The settings of one preset run: the base settings (data, model, epochs, seed, batch, lr, schedule, sampler…)
 * with `loss` at its default hyperparameters (KPS with gradient adjustment on). CE trains the usual linear head;
 * KPS and GCL need the cosine head and FBL the linear one (forced by the loss).
 */
export function presetSettings(base: Settings, loss: LossId): Settings {
  return patchSettings(withLoss(base, loss), { config: { head: forcedHead(loss)?.head ?? 'linear' } });
}

export type PresetOutcome = 'done' | 'cancelled' | 'declined' | 'failed' | 'busy';

/**
 * Runs the preset queue on a session. One per session (`createSessionServices`). `start()` resolves when the queue is done,
 * cancelled or failed; the progress is in the store (`preset`).
 */
export class PresetRunner {
  private active = false;
  private cancelled = false;
  private wake: (() => void) | null = null;
  private readonly waitHooks: WaitHooks = { cancelled: () => this.cancelled, setWake: (w) => (this.wake = w) };

  constructor(
    private readonly session: PlaygroundSession,
    readonly losses: readonly LossId[] = PRESET_LOSSES,
  ) {}

  private get st(): PlaygroundState {
    return this.session.store.getState();
  }

  get running(): boolean {
    return this.active;
  }

  /** Why the preset cannot start now (null: it can). */
  blocker(): string | null {
    const s = this.st;
    if (this.active) return 'The preset is running.';
    if (!s.runSettings || s.phase === 'starting' || s.phase === 'loading' || s.busy) return 'Wait until the data is loaded.';
    if (s.phase === 'crashed') return 'Continue after the crash first.';
    return null;
  }

  /** `seeds`: every loss once per seed (the same settings with `seed` replaced); absent: the form's seed only. */
  async start(seeds?: readonly number[]): Promise<PresetOutcome> {
    if (this.active) return 'busy';
    const why = this.blocker();
    if (why) {
      this.st.pushNotice({ id: 'preset', level: 'warning', title: `${PRESET_NAME}:`, items: [why] });
      return 'failed';
    }
    this.st.dismissNotice('preset');
    const cur = this.st.current;
    if (cur && !cur.pinned && ((this.st.progress?.step ?? 0) > 0 || cur.epochs.length > 0)) {
      const ok = await this.st.askConfirm(
        `Run the preset ${PRESET_NAME}?`,
        `The current run “${cur.label}” is not pinned: the preset replaces it (it stays on the charts as “earlier” only until the preset's second run starts). Cancel and press “Pin run” to keep it.`,
        'Start the preset',
      );
      if (!ok) return 'declined';
    }
    if (!(await askRoomForPins(this.st, this.losses.length, 'The preset'))) return 'declined';
    this.active = true;
    this.cancelled = false;
    const base = this.st.settings;
    const names = this.losses.map((l) => PRESET_NAMES[l] ?? LOSS_SHORT[l]);
    try {
      const seedList = seeds?.length ? seeds : [base.config.seed];
      const total = this.losses.length * seedList.length;
      for (let j = 0; j < total; j++) {
        if (this.cancelled) return 'cancelled';
        const i = Math.floor(j / seedList.length);
        const k = j % seedList.length;
        const loss = this.losses[i];
        const name = seedList.length > 1 ? `${names[i]}, seed ${k + 1} of ${seedList.length}` : names[i];
        this.st.setPreset({ index: j, total, name, names });
        const settings = presetSettings(base, loss);
        const r = await this.trainOne(seedList.length > 1 ? patchSettings(settings, { config: { seed: seedList[k] } }) : settings);
        if (r === 'cancelled') return 'cancelled';
        if (r !== 'ok') {
          const why = r === 'replaced' ? 'the run was replaced by another one (settings changed)' : 'training failed';
          this.st.pushNotice({
            id: 'preset',
            level: 'warning',
            title: `${PRESET_NAME} stopped at run ${j + 1} of ${total}:`,
            items: [why],
          });
          return 'failed';
        }
        if (!this.st.pinCurrent()) {
          this.st.pushNotice({
            id: 'preset',
            level: 'warning',
            title: `${PRESET_NAME} stopped:`,
            items: [`run ${j + 1} could not be pinned (at most ${MAX_PINNED} pinned configurations)`],
          });
          return 'failed';
        }
      }
      this.st.patchRun({
        announcement: `Preset ${PRESET_NAME} finished: ${this.losses.length} ${seeds && seeds.length > 1 ? `configurations × ${seeds.length} seeds` : 'runs'} pinned.`,
      });
      return 'done';
    } catch (e) {
      this.st.pushNotice({
        id: 'preset',
        level: 'warning',
        title: `${PRESET_NAME} stopped:`,
        items: [e instanceof Error ? e.message : String(e)],
      });
      return 'failed';
    } finally {
      // the form was never touched: the next run is the user's own settings again
      await this.session.followForm().catch(() => undefined);
      this.active = false;
      this.st.setPreset(null);
    }
  }

  /** Stops the queue; the run in training stays on the charts as "earlier" (not pinned). */
  cancel(): void {
    if (!this.active) return;
    this.cancelled = true;
    this.st.setPreset(null);
    this.wake?.();
  }

  /** GCL is two-stage: the preset also re-trains its classifier on the frozen backbone (the panel's stage-2 settings). */
  private trainOne(settings: Settings): Promise<WaitResult> {
    return trainQueuedRun(this.session, settings, this.waitHooks, { stage2: settings.config.loss === 'gcl' });
  }
}

/**
 * The parts of each list that are not in every list (e.g. the settings of the runs, split at ", "): what tells the
 * runs apart. A single list is returned whole.
 */
export function onlyDiffering(lists: readonly (readonly string[])[]): string[][] {
  if (lists.length < 2) return lists.map((l) => [...l]);
  const common = lists[0].filter((p) => lists.every((l) => l.includes(p)));
  return lists.map((l) => l.filter((p) => !common.includes(p)));
}
