/**
 * The record of what a run really ran: its initial settings plus every live change, each stamped with where it
 * took effect. Everything that describes a run (the runs table, run-config.json, the metrics export, the model
 * files' metadata, the PyTorch command) states the initial settings and lists these changes.
 */
import type { TrainConfig } from './config';
import { CONFIG_FIELDS } from './config-fields';

export interface SettingChange {
  /** Stage of the run when the change was made. */
  stage: 1 | 2;
  /** 1-based epoch in which the change took effect (the epoch in progress, or the next one at an epoch boundary). */
  epoch: number;
  /** Global steps trained before the change: step `step + 1` is the first with the new value. */
  step: number;
  /** The setting: a TrainConfig key, or `lossParams.<name>` for one loss hyperparameter. */
  key: string;
  from: unknown;
  to: unknown;
}

/** Where a change is made: the run's stage, the 0-based epoch of the last batch and whether that epoch ended. */
export interface ChangePoint {
  stage: 1 | 2;
  /** Global steps done. */
  step: number;
  /** 1-based epoch the next batch belongs to. */
  nextEpoch: number;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** The changes between `from` and `to` (one entry per setting; loss hyperparameters one entry each). */
export function changesBetween(from: TrainConfig, to: TrainConfig, at: ChangePoint): SettingChange[] {
  const out: SettingChange[] = [];
  const push = (key: string, a: unknown, b: unknown) =>
    out.push({
      stage: at.stage,
      epoch: at.nextEpoch,
      step: at.step,
      key,
      from: structuredClone(a ?? null),
      to: structuredClone(b ?? null),
    });
  for (const k of Object.keys(CONFIG_FIELDS) as (keyof TrainConfig)[]) {
    if (same(from[k], to[k])) continue;
    if (k === 'lossParams') {
      const a = from.lossParams ?? {};
      const b = to.lossParams ?? {};
      for (const p of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
        if (!same(a[p], b[p])) push(`lossParams.${p}`, a[p], b[p]);
      }
    } else push(k, from[k], to[k]);
  }
  return out;
}

/** The config as it was after every change before global step `step` (the changes in order). */
export function configAt(initial: TrainConfig, changes: readonly SettingChange[], step = Infinity): TrainConfig {
  const c: TrainConfig = structuredClone(initial);
  for (const ch of changes) {
    if (ch.step >= step) break;
    if (ch.key.startsWith('lossParams.')) {
      const p = ch.key.slice('lossParams.'.length);
      c.lossParams = { ...c.lossParams };
      if (ch.to === null) delete c.lossParams[p];
      else c.lossParams[p] = ch.to as number;
    } else (c as unknown as Record<string, unknown>)[ch.key] = structuredClone(ch.to);
  }
  return c;
}

const text = (v: unknown): string => (typeof v === 'string' ? v : v === null ? 'none' : JSON.stringify(v));

/** The setting's name for people ("learning rate", "loss hyperparameter tau"). */
export function changeName(key: string): string {
  if (key.startsWith('lossParams.')) return `loss hyperparameter ${key.slice('lossParams.'.length)}`;
  return (CONFIG_FIELDS as Record<string, { label: string } | undefined>)[key]?.label ?? key;
}

/** One sentence per change: "learning rate changed at epoch 2 (after step 37): 0.1 → 0.05". */
export function describeChange(c: SettingChange): string {
  const where = `${c.stage === 2 ? 'stage 2, ' : ''}epoch ${c.epoch} (after step ${c.step})`;
  return `${changeName(c.key)} changed at ${where}: ${text(c.from)} → ${text(c.to)}`;
}
