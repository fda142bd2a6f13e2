/** The live charts as a responsive grid of cards. Each chart is memoised: a new batch re-renders only chart 1. */
import { memo, useCallback, useEffect, useMemo, useRef, type ComponentType } from 'react';
import { useScheduled } from './schedule';
import type { ChartProps, ChartsPanelProps, ConfusionCellInfo, RunSeries } from './types';
import type { ChartId } from '../../state/session/chart-catalog';
import { LossAccuracyChart } from './LossAccuracyChart';
import { PerClassAccuracyChart } from './PerClassAccuracyChart';
import { GroupAccuracyChart } from './GroupAccuracyChart';
import { FeatureNormChart } from './FeatureNormChart';
import { FeatureSpaceChart } from './FeatureSpaceChart';
import { GclCloudChart } from './GclCloudChart';
import { KpsChart } from './KpsChart';
import { ConfusionMatrixChart } from './ConfusionMatrixChart';

export const CHART_COMPONENTS: Readonly<Record<ChartId, ComponentType<ChartProps>>> = {
  loss: LossAccuracyChart,
  'per-class': PerClassAccuracyChart,
  groups: GroupAccuracyChart,
  'feature-norm': FeatureNormChart,
  'feature-space': FeatureSpaceChart,
  'gcl-cloud': GclCloudChart,
  kps: KpsChart,
  confusion: ConfusionMatrixChart,
};

const ORDER: readonly ChartId[] = ['loss', 'per-class', 'groups', 'feature-norm', 'feature-space', 'gcl-cloud', 'kps', 'confusion'];
/** Charts of per-run numbers over epochs only (no per-class data): they may also show `timeRuns`. */
const TIME_CHARTS: ReadonlySet<ChartId> = new Set<ChartId>(['loss', 'groups']);

/** Default minimum time between two re-renders of one chart while training (ms). */
export const LIVE_INTERVAL_MS = 250;
/** Delay between the updates of consecutive charts (ms), so they land in separate tasks. */
const STAGGER_MS = 24;

/** One chart fed with a scheduled snapshot of the panel's props. */
const ScheduledChart = memo(function ScheduledChart({
  id,
  slot,
  interval,
  props,
}: {
  id: ChartId;
  slot: number;
  interval: number;
  props: ChartProps;
}) {
  const shown = useScheduled(props, slot * STAGGER_MS, interval, interval > 0, `ltpg:chart:${id}`);
  const Chart = CHART_COMPONENTS[id];
  return <Chart {...shown} />;
});

export interface ChartsPanelExtraProps {
  /** Show only these charts (in this order); all by default. */
  only?: readonly ChartId[];
  className?: string;
  /**
   * Minimum time between two re-renders of one chart (ms, default 250); updates are also staggered across the
   * charts. 0: every chart re-renders synchronously with its props.
   */
  liveIntervalMs?: number;
  /**
   * Runs for the time charts (training loss / test accuracy, many / medium / few) when they differ from `runs`:
   * e.g. pinned runs on another data subset, whose per-class numbers do not fit this subset's classes.
   */
  timeRuns?: RunSeries[];
}

export function ChartsPanel(props: ChartsPanelProps & ChartsPanelExtraProps) {
  const { only, className, onCellClick, liveIntervalMs, timeRuns, ...rest } = props;
  // A stable callback, so an inline `onCellClick` from the parent does not re-render the memoised charts.
  const latest = useRef(onCellClick);
  useEffect(() => {
    latest.current = onCellClick;
  });
  const stableClick = useCallback((t: number, p: number, cell?: ConfusionCellInfo) => latest.current?.(t, p, cell), []);
  const hasClick = !!onCellClick;
  const { runs, counts, groups, classNames, totalEpochs, gaStartEpoch, drwStartEpoch, width, height, maxPoints, perSeed } = rest;
  // one props object per change of an input, so the scheduled snapshots compare by identity
  const chartProps: ChartProps = useMemo(
    () => ({
      runs,
      counts,
      groups,
      classNames,
      totalEpochs,
      gaStartEpoch,
      drwStartEpoch,
      width,
      height,
      maxPoints,
      perSeed,
      onCellClick: hasClick ? stableClick : undefined,
    }),
    [runs, counts, groups, classNames, totalEpochs, gaStartEpoch, drwStartEpoch, width, height, maxPoints, perSeed, hasClick, stableClick],
  );
  const timeProps: ChartProps = useMemo(
    () => (timeRuns && timeRuns !== runs ? { ...chartProps, runs: timeRuns } : chartProps),
    [chartProps, timeRuns, runs],
  );
  const interval = liveIntervalMs ?? LIVE_INTERVAL_MS;
  const ids = only ?? ORDER;
  return (
    <div className={className ? `ltc-panel ${className}` : 'ltc-panel'} data-testid="charts-panel">
      {ids.map((id, slot) => (
        <ScheduledChart key={id} id={id} slot={slot} interval={interval} props={TIME_CHARTS.has(id) ? timeProps : chartProps} />
      ))}
    </div>
  );
}
