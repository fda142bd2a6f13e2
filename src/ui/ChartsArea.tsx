/** The live charts of the current run (and earlier runs on the same data, for comparison). */
import { useMemo } from 'react';
import { ChartsPanel, type RunSeries } from './charts';
import { FMNIST_CLASS_NAMES } from '../state/settings';
import { gaStartFor } from '../state/session';
import { LOSSES } from '../core/losses/registry';
import { MODEL_KINDS } from '../core/models/spec';
import { usePg } from './context';

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
      <strong>{LOSSES[c.loss].label}</strong> on {model}, {summary.head} head · {summary.datasetTitle} {c.profile === 'asis' ? 'as is' : `IF ${c.imbalance} (${c.profile})`},{' '}
      {summary.trainImages.toLocaleString('en')} training images, {summary.batchesPerEpoch} batches of {summary.stage === 2 ? c.stage2.batchSize : c.batchSize} per epoch,{' '}
      {summary.testImages.toLocaleString('en')} test images per evaluation · {backend?.backend ?? '?'}{stage2}
    </p>
  );
}

export function ChartsArea() {
  const current = usePg((s) => s.current);
  const archived = usePg((s) => s.archived);
  const summary = usePg((s) => s.summary);
  const run = usePg((s) => s.runSettings);
  const runs: RunSeries[] = useMemo(() => (current ? [...archived, current] : archived), [archived, current]);
  const counts = summary?.counts ?? [];
  const groups = summary?.groups ?? [];
  const classNames = summary?.classNames ?? FMNIST_CLASS_NAMES;
  return (
    <main className="charts-area" aria-label="Live charts">
      <RunningLine />
      {summary ? (
        <ChartsPanel
          runs={runs}
          counts={counts}
          groups={groups}
          classNames={classNames}
          totalEpochs={run?.config.epochs ?? 1}
          gaStartEpoch={run ? (gaStartFor(run) ?? null) : null}
        />
      ) : (
        <p className="charts-placeholder">The charts appear once the data is loaded.</p>
      )}
    </main>
  );
}
