/**
 * "Open PyTorch results": the --out JSON of tools/pytorch/train.py (the CLI's schema; the CLI's own --out opens
 * too) as a run record the charts draw beside the browser run. What train.py does not measure (training-set
 * feature norms, the loss' per-class quantities) is left empty, and the record is checked as a saved run's
 * history before it is shown.
 */
import type { BatchInfo, EpochMetrics } from '../../core/train/trainer';
import type { TrainConfig } from '../../core/train/config';
import { dataKey } from '../settings/change-policy';
import { runHistoryProblem } from '../persistence/saved-run-check';
import type { RunRecord } from '../session/slices/metrics';

/** Batch points kept for the loss chart (a 200-epoch run logs tens of thousands of steps). */
export const MAX_RESULT_BATCHES = 5000;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What the file is, in a message (the page shows it). */
export class ResultsError extends Error {}

/**
 * The results document as a pinned run record (id, colour and label are the caller's to keep unique). Its data
 * key is the browser run's when it trained the same subset (same data set, long tail, cap and seed), so the
 * per-class charts compare them; a --full run is on data of its own.
 */
export function runFromResults(doc: unknown, fileName: string, id: string, color: string): RunRecord {
  if (!isObj(doc) || !Array.isArray(doc.epochs) || !isObj(doc.config))
    throw new ResultsError(`${fileName} is not the JSON of train.py --out or the CLI's --out (no "config" and "epochs")`);
  const config = doc.config as unknown as TrainConfig;
  const pytorch = doc.engine === 'pytorch';
  const mode = typeof doc.mode === 'string' ? doc.mode : null;
  const counts = isObj(doc.dataset) && Array.isArray(doc.dataset.counts) ? doc.dataset.counts.length : 0;
  const epochs = (doc.epochs as unknown[]).map((e) => {
    const m = (isObj(e) ? e : {}) as Partial<EpochMetrics> & Obj;
    const C = Array.isArray(m.perClassAccuracy) ? m.perClassAccuracy.length : counts;
    return {
      ...m,
      stage: m.stage ?? 1,
      featureNormTrain: m.featureNormTrain ?? new Array<null>(C).fill(null),
      lossPerClass: m.lossPerClass ?? {},
    } as EpochMetrics;
  });
  const batches = batchesOf(doc.steps, epochs);
  const key = mode === 'full' ? `${dataKey({ config })}|full` : dataKey({ config });
  const label = `${pytorch ? 'PyTorch' : 'CLI'}${mode ? ` ${mode}` : ''}: ${config.loss ?? '?'} ${config.model ?? ''}`.trim();
  const run: RunRecord = { id, label, color, dataKey: key, batches, epochs, settings: null, pinned: true };
  const problem = runHistoryProblem(run);
  if (problem) throw new ResultsError(`${fileName}: ${problem}`);
  return run;
}

/** The loss curve: train.py's per-step losses (every step, thinned to MAX_RESULT_BATCHES), lr from the epoch. */
function batchesOf(steps: unknown, epochs: readonly EpochMetrics[]): BatchInfo[] {
  if (!Array.isArray(steps) || epochs.length === 0) return [];
  const perEpoch = new Map<number, number>();
  const rows = steps.filter((s): s is Obj => isObj(s) && typeof s.loss === 'number' && Number.isFinite(s.loss));
  const epochOf = (s: Obj, i: number) =>
    typeof s.epoch === 'number' ? s.epoch : Math.min(epochs.length - 1, Math.floor((i * epochs.length) / rows.length));
  rows.forEach((s, i) => perEpoch.set(epochOf(s, i), (perEpoch.get(epochOf(s, i)) ?? 0) + 1));
  const every = Math.max(1, Math.ceil(rows.length / MAX_RESULT_BATCHES));
  const out: BatchInfo[] = [];
  const seen = new Map<number, number>();
  rows.forEach((s, i) => {
    const epoch = epochOf(s, i);
    const batch = seen.get(epoch) ?? 0;
    seen.set(epoch, batch + 1);
    if (i % every !== 0) return;
    const e = epochs.find((m) => m.epoch === epoch);
    const n = perEpoch.get(epoch) ?? 1;
    out.push({
      stage: 1,
      epoch,
      batch,
      batchesPerEpoch: n,
      // the global step after this one (the epoch's step is its last batch's)
      step: typeof s.step === 'number' ? s.step : e ? e.step - n + batch + 1 : i + 1,
      loss: s.loss as number,
      lr: e?.lr ?? 0,
    });
  });
  return out;
}
