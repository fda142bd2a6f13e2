import type { BatchInfo, EpochMetrics } from '../../core/train/trainer';
import type { Group } from '../../core/data/types';

/** One training run as the charts draw it. Arrays are treated as immutable: replace them (new reference) to update. */
export interface RunSeries {
  id: string;
  label: string;
  color: string;
  batches: BatchInfo[];
  epochs: EpochMetrics[];
  /** Stage-1 epochs of this run, where its stage 2 starts on the time axes (default: the panel's totalEpochs). */
  stage1Epochs?: number;
  /**
   * A seed group (runs of one configuration, one per seed): its members. `epochs` and `batches` are then their
   * mean (seedGroupRun); the time charts draw a ± std band from the members, and their lines with `perSeed`.
   */
  seeds?: readonly RunSeries[];
}

/** The confusion matrix a clicked cell belongs to. */
export interface ConfusionCellInfo {
  runId: string;
  runLabel: string;
  /** Stage and 0-based epoch of the epoch whose matrix was shown. */
  stage: 1 | 2;
  epoch: number;
  /** Test images in the cell, and in its row (true class). */
  count: number;
  classTotal: number;
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
  /**
   * LDAM-DRW: epoch where the class re-weighting switches on (marked on the time axes). When absent, the first
   * epoch whose metrics say `drwActive` is marked.
   */
  drwStartEpoch?: number | null;
  /** Fixed chart width in px (server rendering, tests); responsive to the card width when omitted. */
  width?: number;
  /** Chart height in px (default 300). */
  height?: number;
  /** Confusion matrix cell clicked or activated with Enter / Space (original class indices; which matrix it was). */
  onCellClick?: (trueClass: number, predClass: number, cell?: ConfusionCellInfo) => void;
  /** Max points per run for the per-batch loss series (default 320). */
  maxPoints?: number;
  /** Seed groups: draw every seed's own line (thin) behind the mean and its band. */
  perSeed?: boolean;
}

/** Props of every single chart (same as the panel's). */
export type ChartProps = ChartsPanelProps;
