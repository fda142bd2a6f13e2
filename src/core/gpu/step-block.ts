/**
 * The blocks the CPU and the kernels share: the step block the CPU writes before each step (its header words by
 * name, then labels, noise and the loss' per-class numbers), the head/loss scratch ("tail") and the result block
 * read back after it; the validation of one step's loss inputs and their encoding. Shared by the executor, the
 * WGSL builders and the golden-file probe of the loss kernel.
 */
import type { LogitForm } from '../losses/logit-form';

/** Header words of the step block (i32 words: n, terms, classWeights, maxBatch, classes, featureDim, frozen). */
export const STEP_WORD = {
  /** The batch size of this step. */
  n: 0,
  lr: 1,
  weightDecay: 2,
  momentum: 3,
  /** 1, or 2 with mixup. */
  terms: 4,
  /** λ: the weight of term 0. */
  lambda: 5,
  focalGamma: 6,
  /** 1 when the loss has per-class weights. */
  classWeights: 7,
  maxBatch: 8,
  classes: 9,
  featureDim: 10,
  /** 1 on a frozen-backbone step (no feature gradient). */
  frozen: 11,
} as const;

/** Words of the step block's header (room to spare after STEP_WORD). */
export const STEP_HEADER = 16;

/** Offsets (floats) in the step block after its header: labels [2][maxB], noise [2][maxB·C], per-class vectors. */
export interface StepLayout {
  labels: number;
  noise: number;
  outScale: number;
  sampleScale: number;
  noiseAmp: number;
  targetMargin: number;
  logitBias: number;
  featureStimulus: number;
  classWeight: number;
  total: number;
}

export function stepLayout(maxB: number, C: number): StepLayout {
  const labels = STEP_HEADER;
  const noise = labels + 2 * maxB;
  const outScale = noise + 2 * maxB * C;
  const sampleScale = outScale + C;
  const noiseAmp = sampleScale + C;
  const targetMargin = noiseAmp + C;
  const logitBias = targetMargin + C;
  const featureStimulus = logitBias + C;
  const classWeight = featureStimulus + C;
  const total = classWeight + C;
  return { labels, noise, outScale, sampleScale, noiseAmp, targetMargin, logitBias, featureStimulus, classWeight, total };
}

/** Offsets (floats) inside the tail scratch region. */
export interface TailLayout {
  o: number;
  dO: number;
  nf: number;
  nw: number;
  gn: number;
  nr: number;
  lse: number;
  coef: number;
  total: number;
}

export function tailLayout(maxB: number, C: number): TailLayout {
  const o = 0;
  const dO = o + maxB * C;
  const nf = dO + maxB * C;
  const nw = nf + maxB;
  const gn = nw + C;
  const nr = gn + maxB;
  const lse = nr + maxB;
  const coef = lse + 2 * maxB;
  const total = coef + 2 * maxB;
  return { o, dO, nf, nw, gn, nr, lse, coef, total };
}

/** Header words of the result block; 1 in `finite` when the loss and every gradient are finite (else 0). */
export const RESULT_WORD = { loss: 0, gradientSum: 1, finite: 2 } as const;

/** Words of the result block's header; then the feature norms [maxB] and the predictions [maxB]. */
export const RESULT_HEADER = 4;

/** Offsets (floats) of the result block that is read back after each step. */
export function resultLayout(maxB: number): { norms: number; preds: number; total: number } {
  return { norms: RESULT_HEADER, preds: RESULT_HEADER + maxB, total: RESULT_HEADER + 2 * maxB };
}

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

/** Writes the step block into `f32`/`i32` (two views of the same words, block at word 0). */
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
  const W = STEP_WORD;
  i32[W.n] = n;
  f32[W.lr] = a.lr;
  f32[W.weightDecay] = a.weightDecay;
  f32[W.momentum] = a.momentum;
  i32[W.terms] = a.mix ? 2 : 1;
  f32[W.lambda] = a.mix ? a.mix.lambda : 1;
  f32[W.focalGamma] = f.focalGamma;
  i32[W.classWeights] = f.classWeight ? 1 : 0;
  i32[W.maxBatch] = B;
  i32[W.classes] = C;
  i32[W.featureDim] = D;
  i32[W.frozen] = a.frozen ? 1 : 0;
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
