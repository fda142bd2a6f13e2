/**
 * The step block (see kernels.ts `stepLayout`): validation of one step's loss inputs and their encoding into the
 * block the head/loss kernels read. Shared by the executor and the golden-file probe of the loss kernel.
 */
import type { LogitForm } from '../losses/logit-form';
import { STEP_HEADER, stepLayout } from './kernels';

export interface LossInputs {
  n: number;
  labels: Int32Array;
  form: LogitForm;
  /** ε before |·| (n×C row-major) when form.usesNoise. */
  noise?: Float32Array;
  /** Mixup: L = λ·L(labels, noise) + (1 − λ)·L(mix.labels, mix.noise). */
  mix?: { labels: Int32Array; lambda: number; noise?: Float32Array };
}

export function fail(msg: string): never {
  throw new Error(`FusedExecutor: ${msg}`);
}

function checkVector(v: unknown, C: number, what: string): number[] {
  if (!Array.isArray(v) || v.length !== C) fail(`form.${what} must have ${C} numbers`);
  for (const x of v) if (typeof x !== 'number' || !Number.isFinite(x)) fail(`form.${what} contains a non-finite value`);
  return v as number[];
}

function checkLabels(l: Int32Array, n: number, C: number, what: string): void {
  if (!(l instanceof Int32Array) || l.length < n) fail(`${what} must be an Int32Array with at least ${n} labels`);
  for (let i = 0; i < n; i++) if (!(l[i] >= 0 && l[i] < C)) fail(`${what}[${i}] = ${l[i]} is not a class in [0, ${C})`);
}

/** Throws a clear error for inputs the loss kernel cannot use; returns the form's seven per-class vectors. */
export function checkLossInputs(a: LossInputs, C: number, who: string): (number[] | null)[] {
  const { n } = a;
  checkLabels(a.labels, n, C, `${who}: labels`);
  const f = a.form;
  if (!f) fail(`${who}: form is required`);
  const vecs = [
    checkVector(f.outScale, C, 'outScale'),
    checkVector(f.sampleScale, C, 'sampleScale'),
    checkVector(f.noiseAmp, C, 'noiseAmp'),
    checkVector(f.targetMargin, C, 'targetMargin'),
    checkVector(f.logitBias, C, 'logitBias'),
    checkVector(f.featureStimulus, C, 'featureStimulus'),
    f.classWeight === null ? null : checkVector(f.classWeight, C, 'classWeight'),
  ];
  if (!Number.isFinite(f.focalGamma) || f.focalGamma < 0) fail(`${who}: form.focalGamma must be ≥ 0, got ${f.focalGamma}`);
  const checkNoise = (e: Float32Array | undefined, what: string) => {
    if (!f.usesNoise) return;
    if (!(e instanceof Float32Array) || e.length < n * C) fail(`${who}: this loss needs ${what} (n×C = ${n * C} values)`);
  };
  checkNoise(a.noise, 'noise');
  if (a.mix) {
    if (!(a.mix.lambda >= 0 && a.mix.lambda <= 1)) fail(`${who}: mix.lambda must be in [0, 1], got ${a.mix.lambda}`);
    checkLabels(a.mix.labels, n, C, `${who}: mix.labels`);
    checkNoise(a.mix.noise, 'mix.noise');
  }
  return vecs;
}

/**
 * Writes the step block into `f32`/`i32` (two views of the same words, block at word 0): header (n, lr, weight
 * decay, momentum, terms, λ, γ, class weights on, maxBatch, C, D, frozen), labels, noise and per-class vectors.
 */
export function writeStepBlock(
  f32: Float32Array,
  i32: Int32Array,
  dims: { maxBatch: number; C: number; D: number },
  a: LossInputs & { lr: number; weightDecay: number; momentum: number; frozen: boolean },
  vecs: (number[] | null)[],
): void {
  const { maxBatch: B, C, D } = dims;
  const sl = stepLayout(B, C);
  const { n, form: f } = a;
  f32.fill(0, 0, STEP_HEADER);
  i32[0] = n;
  f32[1] = a.lr;
  f32[2] = a.weightDecay;
  f32[3] = a.momentum;
  i32[4] = a.mix ? 2 : 1;
  f32[5] = a.mix ? a.mix.lambda : 1;
  f32[6] = f.focalGamma;
  i32[7] = f.classWeight ? 1 : 0;
  i32[8] = B;
  i32[9] = C;
  i32[10] = D;
  i32[11] = a.frozen ? 1 : 0;
  for (let i = 0; i < n; i++) i32[sl.labels + i] = a.labels[i];
  if (a.mix) for (let i = 0; i < n; i++) i32[sl.labels + B + i] = a.mix.labels[i];
  if (f.usesNoise) {
    f32.set(a.noise!.subarray(0, n * C), sl.noise);
    if (a.mix) f32.set(a.mix.noise!.subarray(0, n * C), sl.noise + B * C);
  } else f32.fill(0, sl.noise, sl.noise + 2 * B * C);
  const offs = [sl.outScale, sl.sampleScale, sl.noiseAmp, sl.targetMargin, sl.logitBias, sl.featureStimulus, sl.classWeight];
  vecs.forEach((v, k) => {
    if (v) f32.set(v, offs[k]);
    else f32.fill(1, offs[k], offs[k] + C);
  });
}
