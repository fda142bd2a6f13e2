/**
 * Live long-tail charts on recharts (TimeChart, ClassChart, the confusion heat-map and the feature space; the dense
 * marks drawn as few paths or on a canvas inside recharts' coordinate system; decimated series).
 *
 * Usage: <ChartsPanel runs={[{ id, label, color, batches, epochs }]} counts groups classNames totalEpochs gaStartEpoch />.
 * Treat every array as immutable: append by creating a new array (a run's `epochs` only when an epoch ends), so the
 * memoised charts re-render only when their data changed — a new batch re-renders the loss chart alone.
 */
import './charts.css';

export type { RunSeries, ChartsPanelProps, ConfusionCellInfo } from './types';
export { ChartsPanel, type ChartsPanelExtraProps } from './ChartsPanel';
export { FeatureNormChart, FBL_TITLE } from './FeatureNormChart';
export { FeatureSpaceChart } from './FeatureSpaceChart';
export { ConfusionMatrixChart } from './ConfusionMatrixChart';
export { CHARTS, type ChartId } from '../../state/session/chart-catalog';
