/**
 * Learning-rate schedules, the FBL curriculum and the switch epochs of the reference recipe
 * (docs/losses.md, "Training schedule"), scaled to any epoch count T:
 *   warm-up: lr·E/W for E = epoch+1 ≤ W, W = 5 epochs at T = 200 (W = 5·T/200 otherwise, so short runs keep
 *   the same fraction); steps from epoch 0.8·T and 0.9·T (E > 160 and E > 180 when T = 200).
 *   GCL/KPS ('step01'): ×0.1 then ×0.01.  LDAM/FBL ('step001'): ×0.01 then ×0.0001.
 *   KPS gradient adjustment from epoch 0.6·T (120), LDAM DRW from epoch 0.8·T (160), 0-based.
 *   FBL α(t) = (t / (T − T/20))², t 0-based (T − 10 = 190 when T = 200), not clipped.
 *   GCL stage 2: lr(e) = 0.01·lrMax·(1 + cos(π·e/E2)).
 * The authors set the lr once per epoch; here the epoch may be fractional (epoch + batch / batchesPerEpoch, see
 * Trainer.currentLr), so the schedules switch at batch granularity: identical to the authors' at every epoch's first
 * batch, and a 3–4-epoch run still reaches its decay steps (at 0.8·T and 0.9·T, inside the last epoch).
 */

import type { LrSchedule } from '../losses/types';

export type { LrSchedule };

export const REFERENCE_EPOCHS = 200;

function frac(T: number, atRef: number): number {
  return (atRef * T) / REFERENCE_EPOCHS;
}

/** Learning rate at a 0-based, possibly fractional epoch (2.5 = half-way through the third epoch). */
export function stage1Lr(epoch: number, T: number, baseLr: number, schedule: LrSchedule, warmup = true): number {
  const E = epoch + 1;
  let lr = baseLr;
  const W = frac(T, 5);
  if (warmup && E <= W) lr = (baseLr * E) / W;
  if (schedule === 'constant') return lr;
  const [f1, f2] = schedule === 'step01' ? [0.1, 0.01] : [0.01, 0.0001];
  // epoch ≥ 0.9·T ⇔ E > 180 at T = 200 (at an epoch's first batch, as the authors); in between at the batch
  if (epoch >= frac(T, 180)) return baseLr * f2;
  if (epoch >= frac(T, 160)) return baseLr * f1;
  return lr;
}

export function gaStartEpoch(T: number): number {
  return Math.round(frac(T, 120));
}

export function drwStartEpoch(T: number): number {
  return Math.round(frac(T, 160));
}

/**
 * FBL curriculum factor α(t). 'scaled' (ours): (t / (T − T/20))². 'official': the official script's
 * `curr = (epoch / (args.epochs-10)) ** 2` (juyongjiang/FBL train.py line 226) taken at T = 200 and sampled at the
 * reference epoch where our epoch ends, t_ref = (t+1)·200/T − 1: α = (t_ref / 190)² — equal to the script at
 * T = 200, reaching (199/190)² ≈ 1.10 in the last epoch of any run (the literal formula is undefined at T = 10).
 */
export function fblAlpha(epoch: number, T: number, form: 'scaled' | 'official' = 'scaled'): number {
  if (form === 'official') {
    const tRef = ((epoch + 1) * REFERENCE_EPOCHS) / T - 1;
    return (Math.max(0, tRef) / (REFERENCE_EPOCHS - 10)) ** 2;
  }
  const denom = T - T / 20;
  if (denom <= 0) return 1;
  return (epoch / denom) ** 2;
}

/** GCL stage-2 cosine schedule (0-based, possibly fractional epoch e of E2). */
export function stage2Lr(epoch: number, E2: number, lrMax: number): number {
  return 0.01 * lrMax * (1 + Math.cos((Math.PI * epoch) / E2));
}
