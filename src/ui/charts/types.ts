import type { BatchInfo, EpochMetrics } from '../../core/train/trainer';
import type { Group } from '../../core/data/types';

/** One training run as the charts draw it. Arrays are treated as immutable: replace them (new reference) to update. */
export interface RunSeries {
  id: string;
  label: string;
  color: string;
  batches: BatchInfo[];
  epochs: EpochMetrics[];
}

export interface ChartsPanelProps {
  /** 1..N runs overlaid, one colour per run. */
  runs: RunSeries[];
  /** Training count per class of the (shared) data subset. */
  counts: number[];
  /** many / medium / few per class. */
  groups: Group[];
  classNames: string[];
  /** Stage-1 epochs (time axes). */
  totalEpochs: number;
  /** KPS: epoch where gradient adjustment switches on (marked on the time axes). */
  gaStartEpoch?: number | null;
  /** Fixed chart width in px (server rendering, tests); responsive to the card width when omitted. */
  width?: number;
  /** Chart height in px (default 300). */
  height?: number;
  /** Confusion matrix cell clicked (original class indices). */
  onCellClick?: (trueClass: number, predClass: number) => void;
  /** Max points per run for the per-batch loss series (default 320). */
  maxPoints?: number;
}

/** Props of every single chart (same as the panel's). */
export type ChartProps = ChartsPanelProps;
