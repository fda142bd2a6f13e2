/**
 * The live charts of the current run and of the runs kept for comparison (pinned runs, the previous run), with the
 * "Compare runs" section (RunsTable.tsx) above them. Runs on the current data subset are drawn on every chart; pinned
 * runs on another subset only on the time charts (loss / accuracy, many / medium / few: numbers of their own run),
 * not on the per-class charts, whose classes and counts are the current subset's.
 */
import { TryImagePhoneButton } from './TryImage';
import { useMemo, useState } from 'react';
import { ChartsPanel, type RunSeries } from './charts';
import { PresenterBar } from './charts/ChartCard';
import { PresenterHeader } from './Header';
import { LessonPresenterNote } from './Lesson';
import { FMNIST_CLASS_NAMES } from '../state/settings/settings';
import { switchEpochs } from '../state/settings/change-policy';
import { LOSSES } from '../core/losses/registry';
import { MODEL_KINDS } from '../core/models/spec';
import { usePg } from './context';
import { useHidden } from './ClassroomLink';
import { chartHideId } from '../state/settings/classroom';
import { CHARTS } from '../state/session/chart-catalog';
import { ConfusionDrilldown, type DrillTarget } from './ConfusionDrilldown';
import { CompareRuns } from './RunsTable';
import { PanelBoundary } from './PanelBoundary';
import type { RunRecord } from '../state/session/slices/metrics';
import { groupLabel, seedGroups, seedText } from '../state/runs/seed-groups';
import { seedGroupRun } from './charts/chart-data';

/** The data subset without its seed: the seeds of one group draw different subsets of the same shape. */
const shapeKey = (k: string | undefined) => k?.replace(/\|[^|]*$/, '');

/**
 * The shown runs with each seed group as one run: its mean, the seeds inside (band, per-seed lines). A group is
 * on the current data when the current run is one of its seeds or its subsets have the current one's shape.
 */
function withGroups(records: readonly RunRecord[], currentKey: string | undefined): { same: RunSeries[]; all: RunSeries[] } {
  const same: RunSeries[] = [];
  const all: RunSeries[] = [];
  for (const g of seedGroups(records)) {
    if (g.runs.length < 2) {
      const r = g.runs[0];
      all.push(r.dataKey === currentKey ? r : { ...r, label: `${r.label} (other data)` });
      if (r.dataKey === currentKey) same.push(r);
      continue;
    }
    const first = g.runs[0];
    const members = g.runs.map((r) => ({ ...r, label: `${groupLabel(first.label, 1).replace(/ · 1 seeds$/, '')} (${seedText(r)})` }));
    const run = seedGroupRun(`group:${first.id}`, groupLabel(first.label, g.runs.length), first.color, members);
    all.push(run);
    if (g.runs.some((r) => shapeKey(r.dataKey) === shapeKey(currentKey))) same.push(run);
  }
  return { same, all };
}

function RunningLine() {
  const run = usePg((s) => s.runSettings);
  const summary = usePg((s) => s.summary);
  const backend = usePg((s) => s.backend);
  if (!run || !summary) return null;
  const c = run.config;
  const model = MODEL_KINDS.find((m) => m.kind === c.model)?.label ?? c.model;
  const stage2 = summary.stage === 2 ? ` · stage 2 (${c.stage2.sampler}, ${summary.epochsInStage} epochs)` : '';
  return (
    <p className="running-line" data-testid="running-line">
      <strong>{LOSSES[c.loss].label}</strong> on {model}, {summary.head} head · {summary.datasetTitle}{' '}
      {c.profile === 'asis' ? 'as is' : `IF ${c.imbalance} (${c.profile})`}, {summary.trainImages.toLocaleString('en')} training images,{' '}
      {summary.batchesPerEpoch} batches of {summary.stage === 2 ? c.stage2.batchSize : c.batchSize} per epoch,{' '}
      {summary.testImages.toLocaleString('en')} test images per evaluation · {backend?.backend ?? '?'}
      {stage2}
    </p>
  );
}

export function ChartsArea() {
  const current = usePg((s) => s.current);
  const archived = usePg((s) => s.archived);
  const summary = usePg((s) => s.summary);
  const run = usePg((s) => s.runSettings);
  const [perSeed, setPerSeed] = useState(false);
  const { runs, charted, chartedTime } = useMemo(() => {
    const key = current?.dataKey;
    const records = current ? [...archived, current] : archived;
    const grouped = withGroups(records, key);
    const charted = grouped.same;
    const chartedTime = grouped.all.length === grouped.same.length ? grouped.same : grouped.all;
    const same = archived.filter((r) => r.dataKey === key);
    const runs: RunRecord[] = current ? [...same, current] : same;
    return { runs, charted, chartedTime };
  }, [archived, current]);
  // GA switch marker: the current run's, else the first shown KPS run's
  // schedule switch markers (KPS gradient adjustment, LDAM's deferred re-weighting): the current run's, else the
  // first shown run's with that switch
  const { gaStart, drwStart } = useMemo(() => {
    const shown = [run, ...runs.map((r) => r.settings)];
    const first = (k: 'ga' | 'drw') => {
      for (const s of shown) {
        const e = s ? switchEpochs(s.config)[k] : undefined;
        if (e !== undefined) return e;
      }
      return null;
    };
    return { gaStart: first('ga'), drwStart: first('drw') };
  }, [run, runs]);
  const counts = summary?.counts ?? [];
  const groups = summary?.groups ?? [];
  const classNames = summary?.classNames ?? FMNIST_CLASS_NAMES;
  // a classroom link may hide some charts (chart-<id> in hide=)
  const hidden = useHidden();
  const only = useMemo(() => CHARTS.map((c) => c.id).filter((id) => !hidden.has(chartHideId(id))), [hidden]);
  // confusion-matrix drill-down: the clicked cell's test images
  const [drill, setDrill] = useState<DrillTarget | null>(null);
  // one element for good: a new context value would re-render every memoised chart on each batch
  const presenterBar = useMemo(
    () => (
      <>
        <PresenterHeader />
        <LessonPresenterNote />
      </>
    ),
    [],
  );
  return (
    <main className="charts-area" aria-label="Live charts">
      <RunningLine />
      {!hidden.has('compare') && (
        <PanelBoundary name="runs table">
          <CompareRuns perSeed={perSeed} setPerSeed={setPerSeed} />
        </PanelBoundary>
      )}
      <TryImagePhoneButton />
      {/* the skip link's target: focus lands here, the next Tab on the first chart */}
      <div id="charts" className="charts-anchor" tabIndex={-1} aria-label="Charts" role="region">
        {summary ? (
          <PanelBoundary name="charts">
            <PresenterBar.Provider value={presenterBar}>
              <ChartsPanel
                runs={charted}
                timeRuns={chartedTime}
                perSeed={perSeed}
                counts={counts}
                groups={groups}
                classNames={classNames}
                totalEpochs={run?.config.epochs ?? 1}
                gaStartEpoch={gaStart}
                drwStartEpoch={drwStart}
                only={only}
                onCellClick={(trueClass, predClass, cell) => setDrill({ trueClass, predClass, cell })}
              />
            </PresenterBar.Provider>
          </PanelBoundary>
        ) : (
          <p className="charts-placeholder">The charts appear once the data is loaded.</p>
        )}
      </div>
      <PanelBoundary name="confusion drill-down" onDismiss={() => setDrill(null)}>
        <ConfusionDrilldown target={drill} onClose={() => setDrill(null)} />
      </PanelBoundary>
    </main>
  );
}
