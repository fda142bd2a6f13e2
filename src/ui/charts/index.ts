/**
 * Live long-tail charts on recharts (TimeChart, ClassChart, the confusion heat-map and the feature space; the dense
 * marks drawn as few paths or on a canvas inside recharts' coordinate system; decimated series).
 *
 * Usage: <ChartsPanel runs={[{ id, label, color, batches, epochs }]} counts groups classNames totalEpochs gaStartEpoch />.
 * Treat every array as immutable: append by creating a new array (a run's `epochs` only when an epoch ends), so the
 * memoised charts re-render only when their data changed — a new batch re-renders the loss chart alone.
 */
import './charts.css';

export type { RunSeries, ChartsPanelProps, ChartProps, ConfusionCellInfo } from './types';
export { ChartsPanel, CHART_COMPONENTS, type ChartsPanelExtraProps } from './ChartsPanel';
export { LossAccuracyChart } from './LossAccuracyChart';
export { PerClassAccuracyChart } from './PerClassAccuracyChart';
export { GroupAccuracyChart } from './GroupAccuracyChart';
export { FeatureNormChart, PER_CLASS_MAX, FBL_TITLE } from './FeatureNormChart';
export { FeatureSpaceChart, featureSpaceOf } from './FeatureSpaceChart';
export { GclCloudChart } from './GclCloudChart';
export { KpsChart } from './KpsChart';
export { ConfusionMatrixChart, type ConfusionMatrixProps } from './ConfusionMatrixChart';
export { CHARTS, chartMeta, type ChartId, type ChartMeta } from './meta';
export { decimate, type XY } from './decimate';
export { GROUPS, GROUP_COLORS, GROUP_LABELS, sequentialColor, heatColor, classColors } from './chart-data';
export type { DataTable } from './text-alternatives';
