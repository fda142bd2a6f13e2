/**
 * "Compare runs": the Pin run button, the "CE vs KPS vs FBL vs GCL" preset (progress, Cancel), and the runs table
 * (last-epoch and best-epoch overall / many / medium / few test accuracy per run; sortable column headers with
 * aria-sort; Download CSV of the same rows in the same order). Logic in src/state/runs/compare.ts.
 *
 * The table fits its box: when it would be wider, the secondary columns (loss, epochs, the best epoch, then the
 * last epoch's groups) fold into a line under the run's name, so the status and its actions stay in view.
 */
import { useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { BatchInfo } from '../worker/protocol';
import { usePg, usePlayground } from './context';
import { downloadFile } from './chart-png';
import {
  compareCsv,
  groupedRows,
  PRESET_LOSSES,
  PRESET_NAME,
  sortRows,
  onlyDiffering,
  type AccuracyCell,
  type CompareRow,
  type SortDir,
  type SortKey,
} from '../state/runs/compare';
import { MAX_PINNED, pinnedCount } from '../state/session/slices/metrics';
import { SweepPanel } from './SweepPanel';
import { ComparisonFileBar } from './ComparisonFile';
import { RunHistory } from './RunHistory';
import { useControlShown, useHidden } from './ClassroomLink';
import { sweepShown as sweepOffered } from '../state/settings/classroom';
import { MAX_SEEDS, parseSeeds, type Summary } from '../core/train/groups';
import { useSyncExternalStore } from 'react';
import './compare.css';
import { percent, percentMeanStd } from '../core/format';

const pct = (v: number | null | undefined) => percent(v);
const epochText = (c: AccuracyCell | null) => (c ? `${c.stage === 2 ? 's2 ' : ''}e${c.epoch}` : '—');

const epochsText = (r: CompareRow) => (r.epochs2 ? `${r.epochs1} + ${r.epochs2} s2` : String(r.epochs1));
const accText = (c: CompareRow['last'], groups: boolean) =>
  groups ? `many ${pct(c?.many)}, medium ${pct(c?.medium)}, few ${pct(c?.few)}` : `overall ${pct(c?.overall)}`;

/** The folded columns of a row as one line (fold 1: loss, epochs, best epoch; 2: also the last epoch's groups). */
function foldedText(r: CompareRow, fold: number): string {
  const parts = [`${r.lossName}, ${epochsText(r)} epoch${r.epochs1 === 1 && !r.epochs2 ? '' : 's'}`];
  if (fold > 1) parts.push(`last: ${accText(r.last, true)}`);
  const on = r.bestOn ? (r.bestOn === 'validation' ? ' on val' : ' on test') : '';
  parts.push(`best ${epochText(r.best)}${on}: ${accText(r.best, false)}, ${accText(r.best, true)}`);
  return parts.join(' · ');
}

const STATUS_TEXT: Record<CompareRow['status'], string> = {
  ready: 'not trained',
  running: 'running',
  paused: 'paused',
  finished: 'finished',
  stopped: 'stopped early',
  failed: 'failed',
};

function statusText(r: CompareRow): string {
  const parts = [STATUS_TEXT[r.status]];
  if (r.pinned) parts.push('pinned');
  else if (r.earlier) parts.push('earlier, not pinned');
  else if (r.current) parts.push('current');
  return parts.join(' · ');
}

interface Column {
  key: SortKey;
  label: string;
  /** Full header text for screen readers when `label` is short. */
  title?: string;
  value(r: CompareRow): string;
}

/** A seed group's cell: "52.0 ± 3.6%" (mean ± sample std over its seeds). */
const meanStd = (s: Summary) => percentMeanStd(s);

const ACC_COLUMNS = (which: 'last' | 'best'): Column[] => {
  const W = which === 'last' ? 'Last epoch' : 'Best epoch';
  const get = (r: CompareRow) => (which === 'last' ? r.last : r.best);
  const k = (s: string) => `${which}${s}` as SortKey;
  const cell = (g: 'overall' | 'many' | 'medium' | 'few') => (r: CompareRow) => (r.group ? meanStd(r.group[which][g]) : pct(get(r)?.[g]));
  return [
    { key: k('Overall'), label: 'overall', title: `${W}: overall test accuracy`, value: cell('overall') },
    { key: k('Many'), label: 'many', title: `${W}: many-shot accuracy`, value: cell('many') },
    { key: k('Medium'), label: 'medium', title: `${W}: medium-shot accuracy`, value: cell('medium') },
    { key: k('Few'), label: 'few', title: `${W}: few-shot accuracy`, value: cell('few') },
  ];
};

function SortHeader({
  col,
  sort,
  onSort,
  rowSpan,
}: {
  col: Column;
  sort: { key: SortKey | null; dir: SortDir };
  onSort(k: SortKey): void;
  rowSpan?: number;
}) {
  const active = sort.key === col.key;
  return (
    <th scope="col" aria-sort={active ? sort.dir : 'none'} data-col={col.key} rowSpan={rowSpan}>
      <button
        type="button"
        className="runs-sort"
        onClick={() => onSort(col.key)}
        title={col.title ? `Sort by ${col.title.toLowerCase()}` : undefined}
      >
        {col.title ? (
          <>
            <span aria-hidden="true">{col.label}</span>
            <span className="ltc-sr-only">{col.title}</span>
          </>
        ) : (
          col.label
        )}
        {active && (
          <span className="runs-sort-mark" aria-hidden="true">
            {sort.dir === 'ascending' ? '▲' : '▼'}
          </span>
        )}
      </button>
    </th>
  );
}

function PresetBar({ seeds }: { seeds: number[] | null }) {
  const { services } = usePlayground();
  const preset = usePg((s) => s.preset);
  const phase = usePg((s) => s.phase);
  const busy = usePg((s) => s.busy);
  const pinned = usePg((s) => pinnedCount(s));
  const runner = services.preset;
  // blocker() reads the store: the selections above re-render this bar when its answer can change
  const blocked = preset ? null : runner.blocker();
  void [phase, busy, pinned];
  return (
    <div className="compare-preset">
      <button
        type="button"
        disabled={!!preset || !!blocked}
        onClick={() => void runner.start(seeds ?? undefined)}
        title={
          blocked ??
          `Trains ${PRESET_LOSSES.length} runs${seeds && seeds.length > 1 ? ` × ${seeds.length} seeds` : ''} one after the other on the current data, model, epochs, seed, batch and lr, and pins each`
        }
      >
        Preset: {PRESET_NAME}
      </button>
      {preset && (
        <>
          <span role="status" className="compare-progress" data-testid="preset-progress" data-index={preset.index}>
            Preset: run {preset.index + 1} of {preset.total} — {preset.name}
          </span>
          <button type="button" onClick={() => runner.cancel()}>
            Cancel preset
          </button>
        </>
      )}
    </div>
  );
}

/** The Seeds setting (a count from the form's seed, or a list) and its queue: progress, Cancel. */
function SeedsBar({ text, setText, seeds, why }: { text: string; setText(t: string): void; seeds: number[] | null; why: string | null }) {
  const { session, services } = usePlayground();
  const runner = services.seeds;
  const status = useSyncExternalStore(runner.subscribe, runner.getStatus, runner.getStatus);
  const preset = usePg((s) => s.preset);
  const phase = usePg((s) => s.phase);
  const busy = usePg((s) => s.busy);
  void [preset, phase, busy];
  const running = status?.state === 'running';
  const blocked = running ? null : runner.blocker();
  return (
    <div className="compare-preset compare-seeds">
      <label>
        Seeds{' '}
        <input
          type="text"
          inputMode="numeric"
          size={8}
          value={text}
          aria-invalid={!!why}
          aria-describedby="seeds-help"
          data-testid="seeds-input"
          onChange={(e) => setText(e.target.value)}
        />
      </label>
      <span id="seeds-help" className="ltc-sr-only">
        A count from the form's seed (1, 3, 5; at most {MAX_SEEDS}) or a list of seeds such as 1,2,3. Each seed redraws the data subset and
        the initial weights; the preset uses the same seeds.
      </span>
      <button
        type="button"
        data-testid="seeds-train"
        disabled={running || !!blocked || !seeds || seeds.length < 2}
        title={why ?? blocked ?? 'Trains the current settings once per seed and pins each: the charts show the mean ± std'}
        onClick={() => void runner.start(session.store.getState().settings, seeds ?? [])}
      >
        Train {seeds && seeds.length > 1 ? `${seeds.length} seeds` : 'seeds'}
      </button>
      {why && <span className="compare-progress">{why}</span>}
      {running && status && (
        <>
          <span role="status" className="compare-progress" data-testid="seeds-progress">
            seed {status.index + 1} of {status.seeds.length} (seed {status.seeds[status.index]})
          </span>
          <button type="button" onClick={() => runner.cancel()}>
            Cancel seeds
          </button>
        </>
      )}
      {!running && status?.state === 'failed' && <span className="compare-progress">Seeds stopped: {status.message}</span>}
    </div>
  );
}

/** Column sets from all (0) to the fewest (2): 1 folds loss, epochs and the best epoch; 2 also many / medium / few. */
const FOLD_MAX = 2;

/**
 * How far the table folds: starts at 0 whenever its box changes width, then folds one step per layout while the
 * table is wider than its box (each step is a layout effect: no frame shows the wider table).
 */
function useFold(rowsKey: string) {
  const box = useRef<HTMLDivElement>(null);
  const table = useRef<HTMLTableElement>(null);
  const [fold, setFold] = useState(0);
  const [boxWidth, setBoxWidth] = useState(0);
  const hasRows = rowsKey !== '';
  useLayoutEffect(() => {
    const el = box.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver((entries) => {
      const e = entries[entries.length - 1];
      if (e) setBoxWidth(Math.floor(e.contentRect.width));
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [hasRows]);
  const seen = useRef('');
  useLayoutEffect(() => {
    const key = `${boxWidth}|${rowsKey}`;
    if (key !== seen.current) {
      seen.current = key;
      if (fold > 0) {
        setFold(0);
        return;
      }
    }
    const b = box.current;
    const t = table.current;
    if (b && t && fold < FOLD_MAX && t.offsetWidth > b.clientWidth + 1) setFold(fold + 1);
  }, [fold, boxWidth, rowsKey]);
  return { box, table, fold };
}

/** Stands for "some batches ran" in the table's view of the current run (the rows only test the length). */
const PLACEHOLDER_BATCH: BatchInfo[] = [{ stage: 1, epoch: 0, batch: 0, batchesPerEpoch: 1, step: 1, loss: 0, lr: 0 }];

export function CompareRuns({ perSeed, setPerSeed }: { perSeed?: boolean; setPerSeed?(on: boolean): void } = {}) {
  const { store } = usePlayground();
  // a classroom link takes away what would change a hidden setting: the preset (other losses), the sweep (when no
  // parameter it could vary is left)
  const sweepShown = sweepOffered(useHidden());
  const presetShown = useControlShown('preset');
  const seedsShown = useControlShown('seeds');
  const current = usePg((s) => s.current);
  const archived = usePg((s) => s.archived);
  const phase = usePg((s) => s.phase);
  const [sort, setSort] = useState<{ key: SortKey | null; dir: SortDir }>({ key: null, dir: 'descending' });
  // the current run object changes with every batch; the table needs its epochs, a few fields and whether any batch
  // ran: a view of the run that only changes with those
  const tableRun = usePg(
    useShallow((s) => {
      const c = s.current;
      if (!c) return null;
      const { batches, ...rest } = c;
      return { ...rest, trained: batches.length > 0 };
    }),
  );
  const seedsText = usePg((s) => s.seedsText);
  const setSeedsText = usePg((s) => s.setSeedsText);
  const formSeed = usePg((s) => s.settings.config.seed);
  const parsedSeeds = useMemo(() => parseSeeds(seedsText, formSeed), [seedsText, formSeed]);
  const seeds = seedsShown && parsedSeeds.ok ? parsedSeeds.seeds : null;
  const rows = useMemo(
    () => groupedRows({ current: tableRun && { ...tableRun, batches: tableRun.trained ? PLACEHOLDER_BATCH : [] }, archived, phase }),
    [archived, phase, tableRun],
  );
  const sorted = useMemo(() => sortRows(rows, sort.key, sort.dir), [rows, sort]);
  const onSort = (key: SortKey) =>
    setSort((s) => ({
      key,
      dir:
        s.key === key
          ? s.dir === 'descending'
            ? 'ascending'
            : 'descending'
          : key === 'label' || key === 'loss' || key === 'status'
            ? 'ascending'
            : 'descending',
    }));
  const nPinned = pinnedCount({ current, archived });
  const full = nPinned >= MAX_PINNED && !current?.pinned;
  const other = rows.some((r) => !r.sameData);
  const [differOnly, setDifferOnly] = useState(false);
  const settings = useMemo(() => {
    const parts = sorted.map((r) => (r.training ? r.training.split(', ') : []));
    const shown = differOnly ? onlyDiffering(parts) : parts;
    return new Map(sorted.map((r, i) => [r.id, shown[i].join(', ')]));
  }, [sorted, differOnly]);
  const { box, table, fold } = useFold(rows.length ? sorted.map((r) => `${r.id}${r.label}${settings.get(r.id)}`).join('|') : '');

  const columns: { lead: Column[]; last: Column[]; best: Column[] } = {
    lead: [
      { key: 'label', label: 'Run', value: (r) => r.label },
      { key: 'loss', label: 'Loss', value: (r) => r.lossName },
      { key: 'epochs', label: 'Epochs', value: epochsText },
    ],
    last: ACC_COLUMNS('last'),
    best: ACC_COLUMNS('best'),
  };
  const lead = fold > 0 ? columns.lead.slice(0, 1) : columns.lead;
  const last = fold > 1 ? columns.last.slice(0, 1) : columns.last;
  const showBest = fold === 0;

  return (
    <section className="compare" aria-labelledby="compare-title" data-testid="compare-runs">
      <div className="compare-bar">
        <h2 id="compare-title">Compare runs</h2>
        <button
          type="button"
          aria-pressed={!!current?.pinned}
          disabled={!current || full}
          onClick={() => {
            const s = store.getState();
            if (s.current?.pinned) s.unpinRun(s.current.id);
            else s.pinCurrent();
          }}
          title={
            full
              ? `At most ${MAX_PINNED} pinned runs: unpin one first`
              : current?.pinned
                ? 'Unpin the current run'
                : 'Keep the current run on the charts when the next run starts'
          }
        >
          Pin run
        </button>
        <span className="compare-count" data-testid="pinned-count">
          {nPinned} of {MAX_PINNED} pinned
        </span>
        {presetShown && <PresetBar seeds={seeds} />}
        {seedsShown && <SeedsBar text={seedsText} setText={setSeedsText} seeds={seeds} why={parsedSeeds.ok ? null : parsedSeeds.why} />}
        {setPerSeed && rows.some((r) => r.group) && (
          <label className="runs-differ">
            <input type="checkbox" checked={!!perSeed} onChange={(e) => setPerSeed(e.target.checked)} data-testid="per-seed" />
            Per-seed lines
          </label>
        )}
        {/* one row with the comparison file's buttons (a phone keeps the charts high) */}
        <span className="compare-preset">
          <button
            type="button"
            disabled={rows.length === 0}
            onClick={() => downloadFile(compareCsv(sorted), 'ltpg-compare-runs.csv', 'text/csv')}
          >
            Download CSV
          </button>
          <ComparisonFileBar />
        </span>
      </div>
      {sweepShown && <SweepPanel seeds={seeds} />}
      <RunHistory />
      <details className="compare-note">
        <summary>How pinned runs compare</summary>
        Pin a run to keep its curves on every chart while you change the loss, model or data and train the next one. With the same seed,
        runs train on the same data subset and start from the same initial backbone weights (same model); the classifier head can differ —
        KPS, GCL and LDAM-DRW need the cosine head, FBL the linear one, and CE in the preset uses the linear one — and its initial weights
        differ with it.
      </details>
      {other && (
        <p className="compare-note">
          Runs marked “other data” trained on another subset: they are drawn on the loss / accuracy and many / medium / few charts only.
        </p>
      )}
      {rows.length > 1 && (
        <label className="runs-differ">
          <input type="checkbox" checked={differOnly} onChange={(e) => setDifferOnly(e.target.checked)} />
          Show only settings that differ
        </label>
      )}
      {rows.length > 0 && (
        <div className="runs-scroll" tabIndex={0} role="region" aria-label="Runs table" ref={box}>
          <table className="runs-table" data-testid="runs-table" data-fold={fold} ref={table}>
            <caption className="ltc-sr-only">Runs: test accuracy of the last epoch and of the epoch with the best overall accuracy</caption>
            <thead>
              <tr>
                {lead.map((c) => (
                  <SortHeader key={c.key} col={c} sort={sort} onSort={onSort} rowSpan={2} />
                ))}
                <th scope="colgroup" colSpan={last.length} className="runs-group">
                  Last epoch
                </th>
                {showBest && (
                  <th scope="colgroup" colSpan={5} className="runs-group">
                    Best epoch (by test accuracy, or validation when the run holds one out)
                  </th>
                )}
                <SortHeader col={{ key: 'status', label: 'Status', value: statusText }} sort={sort} onSort={onSort} rowSpan={2} />
              </tr>
              <tr>
                {last.map((c) => (
                  <SortHeader key={c.key} col={c} sort={sort} onSort={onSort} />
                ))}
                {showBest && <th scope="col">epoch</th>}
                {showBest && columns.best.map((c) => <SortHeader key={c.key} col={c} sort={sort} onSort={onSort} />)}
              </tr>
            </thead>
            <tbody>
              {sorted.map((r) => (
                <tr
                  key={r.id}
                  data-testid={r.group ? 'group-row' : 'run-row'}
                  data-run-id={r.id}
                  data-seeds={r.group ? r.group.members.map((m) => m.seed).join(',') : undefined}
                  data-color={r.color}
                  className={r.sameData ? undefined : 'runs-other'}
                >
                  <th scope="row" className="runs-label">
                    <span className="runs-name">
                      <span className="runs-swatch" style={{ background: r.color }} aria-hidden="true" />
                      {r.label}
                    </span>
                    {settings.get(r.id) && (
                      <span className="runs-detail" data-testid="run-settings">
                        {settings.get(r.id)}
                      </span>
                    )}
                    {fold > 0 && (
                      <span className="runs-detail runs-folded" data-testid="run-folded">
                        {foldedText(r, fold)}
                      </span>
                    )}
                    {r.changes.length > 0 && (
                      <span className="runs-detail runs-changes" data-testid="run-changes">
                        changed live: {r.changes.join('; ')}
                      </span>
                    )}
                    {!r.sameData && <span className="runs-detail runs-other-mark">other data: {r.data}</span>}
                  </th>
                  <td hidden={fold > 0}>{r.lossName}</td>
                  <td
                    className="num"
                    data-col="epochs"
                    hidden={fold > 0}
                    title={r.epochs2 ? `${r.epochs1} epochs of stage 1, ${r.epochs2} of stage 2` : undefined}
                  >
                    {epochsText(r)}
                  </td>
                  {columns.last.map((c, k) => (
                    <td key={c.key} className="num" data-col={c.key} hidden={fold > 1 && k > 0}>
                      {c.value(r)}
                    </td>
                  ))}
                  <td className="num" hidden={!showBest} title={r.bestOn ? `best epoch chosen on the ${r.bestOn} set` : undefined}>
                    <span data-col="bestEpoch">{epochText(r.best)}</span>
                    {r.bestOn && (
                      <span className="runs-detail" data-col="bestOn">
                        {r.bestOn === 'validation' ? 'on val' : 'on test'}
                      </span>
                    )}
                  </td>
                  {columns.best.map((c) => (
                    <td key={c.key} className="num" data-col={c.key} hidden={!showBest}>
                      {c.value(r)}
                    </td>
                  ))}
                  <td className="runs-status">
                    <span data-col="status">{statusText(r)}</span>
                    {r.group ? (
                      <button
                        type="button"
                        className="runs-action"
                        aria-label={`Remove ${r.label}`}
                        onClick={() => {
                          for (const m of r.group!.members) store.getState().unpinRun(m.id);
                        }}
                      >
                        Remove
                      </button>
                    ) : r.pinned ? (
                      <button
                        type="button"
                        className="runs-action"
                        aria-label={`${r.current ? 'Unpin' : 'Remove'} ${r.label}`}
                        onClick={() => store.getState().unpinRun(r.id)}
                      >
                        {r.current ? 'Unpin' : 'Remove'}
                      </button>
                    ) : r.earlier ? (
                      <>
                        <button
                          type="button"
                          className="runs-action"
                          aria-label={`Pin ${r.label}`}
                          disabled={nPinned >= MAX_PINNED}
                          onClick={() => store.getState().pinRun(r.id)}
                        >
                          Pin
                        </button>
                        <button
                          type="button"
                          className="runs-action"
                          aria-label={`Remove ${r.label}`}
                          onClick={() => store.getState().unpinRun(r.id)}
                        >
                          Remove
                        </button>
                      </>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
