/**
 * Parity check of the losses against a golden file of the documented shape (test/fixtures/golden/README.md):
 * the authors' PyTorch outputs and gradients. Shared by the Vitest parity test and `npm run golden`.
 *
 * For each case and loss entry the graph is rebuilt as
 *   features ─► classifier (cosine: normalize_rows(f)·normalize_cols(W), max(‖v‖, 1e-12); linear: f·W + b) ─► loss
 * and differentiated with tf.grads w.r.t. features, W (and b). gradInput is the authors' d loss / d input: the
 * loss differentiated w.r.t. the classifier output fed in directly, features held fixed (for FBL the features
 * still enter through ‖f‖ but as a constant; the full-graph gradFeatures includes the ‖f‖ path).
 *
 * Pure apart from tfjs (whatever backend the caller set): takes parsed JSON, returns numbers; no I/O.
 */
import { cbenWeights } from '../../data/samplers';
import * as tf from '@tensorflow/tfjs';
import type { LossContext, LossId, LossParams } from '../types';
import { getLoss, isLossId } from '../registry';
import { fixedNoise } from './noise';
import { computeLoss, type ComputeContext } from './index';

/** Tolerances of the golden README (float32). */
export const LOSS_REL_TOL = 1e-5;
export const GRAD_ABS_TOL = 1e-5;
export const GRAD_REL_TOL = 1e-5;
/** Per-class vectors are stored with 7 decimals; computed in double precision here. */
export const PERCLASS_ABS_TOL = 1e-6;
export const PERCLASS_REL_TOL = 1e-6;

type Matrix = number[][];

export interface GoldenEntry {
  spec: Record<string, unknown>;
  classifier: 'cosine' | 'linear';
  input: Matrix;
  loss: number;
  gradInput: Matrix;
  gradFeatures: Matrix;
  gradWeight: Matrix;
  gradBias?: number[];
}

export interface GoldenCase {
  name: string;
  counts: number[];
  batch?: number;
  featDim?: number;
  labels: number[];
  features: Matrix;
  cosWeight: Matrix;
  linearBias: number[];
  gclNoise?: Matrix;
  gclNoiseSecond?: Matrix;
  losses: Record<string, GoldenEntry>;
  perClass?: Record<string, number[]>;
  [key: string]: unknown;
}

export interface GoldenFile {
  cases: GoldenCase[];
  [key: string]: unknown;
}

/** The file is not of the documented shape. */
export class GoldenFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GoldenFormatError';
  }
}

export interface TensorCheck {
  name: 'input' | 'gradInput' | 'gradFeatures' | 'gradWeight' | 'gradBias';
  maxAbsErr: number;
  maxRef: number;
  tol: number;
  pass: boolean;
}

export interface EntryCheck {
  caseName: string;
  entry: string;
  lossId?: LossId;
  params?: LossParams;
  loss?: number;
  refLoss: number;
  lossRelErr: number;
  lossPass: boolean;
  tensors: TensorCheck[];
  pass: boolean;
  /** Set when the entry could not be evaluated (unknown spec, loss threw, shape mismatch). */
  error?: string;
}

export interface PerClassCheck {
  caseName: string;
  key: string;
  maxAbsErr: number;
  tol: number;
  pass: boolean;
  /** Set when the key is not a loss quantity (e.g. sampler probabilities) and was not checked. */
  skipped?: string;
  error?: string;
}

export interface GoldenReport {
  entries: EntryCheck[];
  perClass: PerClassCheck[];
  pass: boolean;
  worst: { lossRelErr: number; gradErrOverTol: number };
}

// ---------------------------------------------------------------------------------------------------------
// Validation

function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function checkVector(v: unknown, len: number | undefined, what: string): number[] {
  if (!Array.isArray(v) || !v.every(isNum)) throw new GoldenFormatError(`${what}: expected a list of numbers`);
  if (len !== undefined && v.length !== len) throw new GoldenFormatError(`${what}: expected length ${len}, got ${v.length}`);
  return v as number[];
}

function checkMatrix(v: unknown, rows: number | undefined, cols: number | undefined, what: string): Matrix {
  if (!Array.isArray(v) || v.length === 0) throw new GoldenFormatError(`${what}: expected a non-empty matrix`);
  if (rows !== undefined && v.length !== rows) throw new GoldenFormatError(`${what}: expected ${rows} rows, got ${v.length}`);
  const c = cols ?? (Array.isArray(v[0]) ? v[0].length : -1);
  v.forEach((row, i) => checkVector(row, c, `${what}[${i}]`));
  return v as Matrix;
}

/** Validate the documented shape (B, C, D derived from the data); throws GoldenFormatError. */
export function parseGoldenFile(data: unknown): GoldenFile {
  if (typeof data !== 'object' || data === null || !Array.isArray((data as GoldenFile).cases)) {
    throw new GoldenFormatError('golden file: expected an object with a "cases" list');
  }
  const file = data as GoldenFile;
  if (file.cases.length === 0) throw new GoldenFormatError('golden file: "cases" is empty');
  file.cases.forEach((c, k) => {
    const where = `case #${k}${typeof c?.name === 'string' ? ` (${c.name})` : ''}`;
    if (typeof c !== 'object' || c === null) throw new GoldenFormatError(`${where}: not an object`);
    if (typeof c.name !== 'string') throw new GoldenFormatError(`${where}: missing "name"`);
    const counts = checkVector(c.counts, undefined, `${where}.counts`);
    const C = counts.length;
    const labels = checkVector(c.labels, c.batch, `${where}.labels`);
    const B = labels.length;
    labels.forEach((y, i) => {
      if (!Number.isInteger(y) || y < 0 || y >= C)
        throw new GoldenFormatError(`${where}.labels[${i}] = ${y} is not a class index in [0, ${C})`);
    });
    const features = checkMatrix(c.features, B, c.featDim, `${where}.features`);
    const D = features[0].length;
    checkMatrix(c.cosWeight, D, C, `${where}.cosWeight`);
    checkVector(c.linearBias, C, `${where}.linearBias`);
    if (c.gclNoise !== undefined) checkMatrix(c.gclNoise, B, C, `${where}.gclNoise`);
    if (c.gclNoiseSecond !== undefined) checkMatrix(c.gclNoiseSecond, B, C, `${where}.gclNoiseSecond`);
    if (typeof c.losses !== 'object' || c.losses === null) throw new GoldenFormatError(`${where}: missing "losses"`);
    for (const [name, e] of Object.entries(c.losses)) {
      const w = `${where}.losses.${name}`;
      if (typeof e !== 'object' || e === null || typeof e.spec !== 'object' || e.spec === null) {
        throw new GoldenFormatError(`${w}: missing "spec"`);
      }
      if (e.classifier !== 'cosine' && e.classifier !== 'linear')
        throw new GoldenFormatError(`${w}: classifier must be "cosine" or "linear"`);
      if (!isNum(e.loss)) throw new GoldenFormatError(`${w}: "loss" must be a number`);
      checkMatrix(e.input, B, C, `${w}.input`);
      checkMatrix(e.gradInput, B, C, `${w}.gradInput`);
      checkMatrix(e.gradFeatures, B, D, `${w}.gradFeatures`);
      checkMatrix(e.gradWeight, D, C, `${w}.gradWeight`);
      if (e.gradBias !== undefined) checkVector(e.gradBias, C, `${w}.gradBias`);
    }
    if (c.perClass !== undefined) {
      if (typeof c.perClass !== 'object' || c.perClass === null) throw new GoldenFormatError(`${where}.perClass: not an object`);
      for (const [key, v] of Object.entries(c.perClass)) checkVector(v, undefined, `${where}.perClass.${key}`);
    }
  });
  return file;
}

// ---------------------------------------------------------------------------------------------------------
// Spec → loss

export interface MappedSpec {
  id: LossId;
  params: LossParams;
  ctx: Pick<LossContext, 'alpha' | 'gaActive' | 'drwActive' | 'head'>;
  /** Case field holding the GCL noise (default 'gclNoise'). */
  noiseKey?: string;
}

function optNum(spec: Record<string, unknown>, key: string): number | undefined {
  const v = spec[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (!isNum(v)) throw new Error(`spec.${key} must be a number, got ${JSON.stringify(v)}`);
  return v;
}

/** Map a golden `spec` to one of the project's losses, its params and the context flags. */
export function mapSpec(spec: Record<string, unknown>, classifier: 'cosine' | 'linear'): MappedSpec {
  const loss = spec.loss;
  const cw = spec.classWeights;
  const ctx: MappedSpec['ctx'] = { alpha: 0, gaActive: false, drwActive: false, head: classifier };
  const params: LossParams = {};
  const set = (key: string, from: string = key) => {
    const v = optNum(spec, from);
    if (v !== undefined) params[key] = v;
  };
  if (cw !== undefined && cw !== null && cw !== 'drw' && cw !== 'cb') {
    throw new Error(`unsupported classWeights ${JSON.stringify(cw)} (expected "drw" or "cb")`);
  }
  switch (loss) {
    case 'ce':
      set('scale');
      if (cw === 'cb') {
        set('beta');
        return { id: 'cbce', params, ctx };
      }
      if (cw === 'drw') throw new Error('classWeights "drw" is only defined for ldam');
      return { id: 'ce', params, ctx };
    case 'ldam':
      set('maxM');
      set('s');
      set('beta');
      if (cw === 'drw' || cw === 'cb') ctx.drwActive = true;
      return { id: 'ldam', params, ctx };
    case 'kps': {
      set('maxM');
      set('s');
      const ga = optNum(spec, 'gradientAdjustment') ?? 0;
      params.ga = ga ? 1 : 0;
      ctx.gaActive = ga !== 0;
      return { id: 'kps', params, ctx };
    }
    case 'fbl':
      set('A', 'lambda');
      set('A', 'A');
      ctx.alpha = optNum(spec, 'alpha') ?? 0;
      return { id: 'fbl', params, ctx };
    case 'gcl': {
      set('s');
      set('m');
      set('noiseMul');
      params.focalGamma = optNum(spec, 'focalGamma') ?? 0;
      const nk = spec.noise;
      return { id: 'gcl', params, ctx, noiseKey: typeof nk === 'string' ? nk : 'gclNoise' };
    }
    case 'balancedSoftmax':
      set('scale');
      return { id: 'balancedSoftmax', params, ctx };
    case 'logitAdjust':
      set('tau');
      set('scale');
      return { id: 'logitAdjust', params, ctx };
    default:
      if (typeof loss === 'string' && isLossId(loss)) {
        for (const [k, v] of Object.entries(spec)) if (k !== 'loss' && isNum(v)) params[k] = v;
        return { id: loss, params, ctx };
      }
      throw new Error(`unknown loss in spec: ${JSON.stringify(loss)}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Numerics

function l2normalize(x: tf.Tensor2D, axis: 0 | 1): tf.Tensor2D {
  const n = tf.sqrt(tf.sum(tf.square(x), axis, true));
  return tf.div(x, tf.maximum(n, 1e-12)) as tf.Tensor2D;
}

/** The golden classifier: cosine (no bias) or linear. */
export function goldenClassifier(kind: 'cosine' | 'linear', f: tf.Tensor2D, W: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor2D {
  if (kind === 'cosine') return tf.matMul(l2normalize(f, 1), l2normalize(W, 0));
  if (!b) throw new Error('linear classifier needs a bias');
  return tf.add(tf.matMul(f, W), b) as tf.Tensor2D;
}

function flat(v: number[] | Matrix): number[] {
  return (v as unknown[]).flat(1) as number[];
}

function compareTensor(name: TensorCheck['name'], got: ArrayLike<number>, ref: number[] | Matrix): TensorCheck {
  const r = flat(ref);
  let maxRef = 0;
  for (const x of r) maxRef = Math.max(maxRef, Math.abs(x));
  const tol = GRAD_ABS_TOL + GRAD_REL_TOL * maxRef;
  let maxAbsErr = 0;
  if (got.length !== r.length) maxAbsErr = Infinity;
  else {
    for (let i = 0; i < r.length; i++) {
      const e = Math.abs(got[i] - r[i]);
      maxAbsErr = Number.isNaN(e) ? Infinity : Math.max(maxAbsErr, e);
    }
  }
  return { name, maxAbsErr, maxRef, tol, pass: maxAbsErr <= tol };
}

/** Evaluate one loss entry of one case and compare everything against the reference. */
export function checkEntry(c: GoldenCase, entryName: string): EntryCheck {
  const e = c.losses[entryName];
  const base: EntryCheck = {
    caseName: c.name,
    entry: entryName,
    refLoss: e.loss,
    lossRelErr: Infinity,
    lossPass: false,
    tensors: [],
    pass: false,
  };
  let mapped: MappedSpec;
  try {
    mapped = mapSpec(e.spec, e.classifier);
  } catch (err) {
    return { ...base, error: `spec: ${(err as Error).message}` };
  }
  const { id, params } = mapped;
  const linear = e.classifier === 'linear';
  const noiseMatrix = mapped.noiseKey !== undefined ? (c[mapped.noiseKey] as Matrix | undefined) : undefined;
  if (mapped.noiseKey !== undefined && !Array.isArray(noiseMatrix)) {
    return { ...base, lossId: id, params, error: `case has no noise matrix '${mapped.noiseKey}'` };
  }
  const makeCtx = (): ComputeContext => ({
    counts: c.counts,
    alpha: mapped.ctx.alpha,
    gaActive: mapped.ctx.gaActive,
    drwActive: mapped.ctx.drwActive,
    head: mapped.ctx.head,
    // Same matrix for every evaluation (full graph and input graph).
    noise: noiseMatrix
      ? fixedNoise([noiseMatrix])
      : () => {
          throw new Error('this loss unexpectedly asked for GCL noise');
        },
  });

  let out: { loss: number; input: Float32Array; gIn: Float32Array; gF: Float32Array; gW: Float32Array; gB?: Float32Array };
  try {
    const ts = tf.tidy(() => {
      const labels = tf.tensor1d(c.labels, 'int32');
      const f = tf.tensor2d(c.features);
      const W = tf.tensor2d(c.cosWeight);
      const b = tf.tensor1d(c.linearBias);
      const lossOf = (output: tf.Tensor2D, features: tf.Tensor2D): tf.Scalar =>
        computeLoss(id, { output, labels, features }, params, makeCtx());
      // Full graph: features → classifier → loss.
      const full = linear
        ? tf.valueAndGrads((ff: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
            lossOf(goldenClassifier('linear', ff as tf.Tensor2D, ww as tf.Tensor2D, bb as tf.Tensor1D), ff as tf.Tensor2D),
          )([f, W, b])
        : tf.valueAndGrads((ff: tf.Tensor, ww: tf.Tensor) =>
            lossOf(goldenClassifier('cosine', ff as tf.Tensor2D, ww as tf.Tensor2D), ff as tf.Tensor2D),
          )([f, W]);
      const z = goldenClassifier(e.classifier, f, W, b);
      // Authors' gradInput: d loss / d (classifier output), features held fixed.
      const gIn = tf.grad((zz: tf.Tensor) => lossOf(zz as tf.Tensor2D, f))(z);
      return { value: full.value, grads: full.grads, z, gIn };
    });
    out = {
      loss: ts.value.dataSync()[0],
      input: ts.z.dataSync() as Float32Array,
      gIn: ts.gIn.dataSync() as Float32Array,
      gF: ts.grads[0].dataSync() as Float32Array,
      gW: ts.grads[1].dataSync() as Float32Array,
      gB: linear ? (ts.grads[2].dataSync() as Float32Array) : undefined,
    };
    tf.dispose([ts.value, ts.z, ts.gIn, ...ts.grads]);
  } catch (err) {
    return { ...base, lossId: id, params, error: `${id}: ${(err as Error).message}` };
  }

  const lossRelErr = Math.abs(out.loss - e.loss) / Math.max(Math.abs(e.loss), 1e-30);
  const lossPass = lossRelErr <= LOSS_REL_TOL;
  const tensors: TensorCheck[] = [
    compareTensor('input', out.input, e.input),
    compareTensor('gradInput', out.gIn, e.gradInput),
    compareTensor('gradFeatures', out.gF, e.gradFeatures),
    compareTensor('gradWeight', out.gW, e.gradWeight),
  ];
  if (e.gradBias !== undefined) {
    if (out.gB) tensors.push(compareTensor('gradBias', out.gB, e.gradBias));
    else tensors.push({ name: 'gradBias', maxAbsErr: Infinity, maxRef: 0, tol: 0, pass: false });
  }
  return {
    ...base,
    lossId: id,
    params,
    loss: out.loss,
    lossRelErr,
    lossPass,
    tensors,
    pass: lossPass && tensors.every((t) => t.pass),
  };
}

/** Compute a golden perClass key with the project's per-class code, or null for keys that are not a loss's. */
export function computePerClass(key: string, counts: number[]): number[] | null {
  const ctx = { counts, alpha: 1, gaActive: true, drwActive: true };
  const num = (re: RegExp): number | undefined => {
    const m = re.exec(key);
    return m ? Number(m[1]) : undefined;
  };
  if (key === 'gclCloudSize') return getLoss('gcl').perClass({ noiseMul: 1 }, ctx).cloudAmplitude; // d̂
  if (key === 'fblStimulus') return getLoss('fbl').perClass({ A: 1 }, ctx).stimulus; // α·A·d̂ with α = A = 1
  if (key === 'kpsScale') return getLoss('kps').perClass({}, ctx).scale;
  let v: number | undefined;
  if ((v = num(/^kpsMargin_maxM([0-9.eE+-]+)$/)) !== undefined) return getLoss('kps').perClass({ maxM: v }, ctx).margin;
  if ((v = num(/^kpsGaScale_s([0-9.eE+-]+)$/)) !== undefined) return getLoss('kps').perClass({ s: v, ga: 1 }, ctx).gaScale;
  if ((v = num(/^ldamMargin_maxM([0-9.eE+-]+)$/)) !== undefined) return getLoss('ldam').perClass({ maxM: v }, ctx).margin;
  if ((v = num(/^cbWeights_beta([0-9.eE+-]+)$/)) !== undefined) return getLoss('cbce').perClass({ beta: v }, ctx).weights;
  // CBEN belongs to the sampler (data module); checked here too so one command covers the whole golden file
  if (key === 'cbenPerSampleWeight') return cbenWeights(counts).perSampleWeight;
  if (key === 'cbenClassProb') return cbenWeights(counts).classProb;
  return null;
}

/** Compare every perClass vector of a case that belongs to a loss. */
export function checkPerClass(c: GoldenCase): PerClassCheck[] {
  const res: PerClassCheck[] = [];
  for (const [key, ref] of Object.entries(c.perClass ?? {})) {
    const row: PerClassCheck = { caseName: c.name, key, maxAbsErr: Infinity, tol: 0, pass: false };
    let got: number[] | null;
    try {
      got = computePerClass(key, c.counts);
    } catch (err) {
      res.push({ ...row, error: (err as Error).message });
      continue;
    }
    if (got === null) {
      res.push({ ...row, maxAbsErr: 0, pass: true, skipped: 'not a loss quantity (sampler / other module)' });
      continue;
    }
    let maxRef = 0;
    for (const x of ref) maxRef = Math.max(maxRef, Math.abs(x));
    const tol = PERCLASS_ABS_TOL + PERCLASS_REL_TOL * maxRef;
    let err = got.length === ref.length ? 0 : Infinity;
    for (let i = 0; i < ref.length && err !== Infinity; i++) {
      const d = Math.abs(got[i] - ref[i]);
      err = Number.isNaN(d) ? Infinity : Math.max(err, d);
    }
    res.push({ ...row, maxAbsErr: err, tol, pass: err <= tol });
  }
  return res;
}

/** Run the whole check on parsed JSON. Throws GoldenFormatError if the file is not of the documented shape. */
export function checkGolden(data: unknown): GoldenReport {
  const file = parseGoldenFile(data);
  const entries: EntryCheck[] = [];
  const perClass: PerClassCheck[] = [];
  for (const c of file.cases) {
    for (const name of Object.keys(c.losses)) entries.push(checkEntry(c, name));
    perClass.push(...checkPerClass(c));
  }
  let worstLoss = 0;
  let worstGrad = 0;
  for (const e of entries) {
    worstLoss = Math.max(worstLoss, e.lossRelErr);
    for (const t of e.tensors) worstGrad = Math.max(worstGrad, t.tol > 0 ? t.maxAbsErr / t.tol : Infinity);
  }
  return {
    entries,
    perClass,
    pass: entries.every((e) => e.pass) && perClass.every((p) => p.pass),
    worst: { lossRelErr: worstLoss, gradErrOverTol: worstGrad },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Formatting

const fmt = (x: number): string => (Number.isFinite(x) ? x.toExponential(2) : String(x));

/** One line per entry: case/loss, loss rel. error vs tolerance, each tensor's max error vs its tolerance. */
export function formatEntry(e: EntryCheck): string {
  const head = `${e.pass ? 'PASS' : 'FAIL'}  ${e.caseName} / ${e.entry}${e.lossId ? ` [${e.lossId}]` : ''}`;
  if (e.error) return `${head}  ERROR: ${e.error}`;
  const parts = [`loss rel ${fmt(e.lossRelErr)} (tol ${fmt(LOSS_REL_TOL)})`];
  for (const t of e.tensors) parts.push(`${t.name} ${fmt(t.maxAbsErr)}/${fmt(t.tol)}${t.pass ? '' : ' !'}`);
  return `${head}  ${parts.join('  ')}`;
}

export function formatPerClass(p: PerClassCheck): string {
  const head = `${p.skipped ? 'SKIP' : p.pass ? 'PASS' : 'FAIL'}  ${p.caseName} / perClass.${p.key}`;
  if (p.error) return `${head}  ERROR: ${p.error}`;
  if (p.skipped) return `${head}  (${p.skipped})`;
  return `${head}  max abs ${fmt(p.maxAbsErr)} (tol ${fmt(p.tol)})`;
}

export function formatReport(r: GoldenReport): string[] {
  const lines = [...r.entries.map(formatEntry), ...r.perClass.map(formatPerClass)];
  const nFail = r.entries.filter((e) => !e.pass).length + r.perClass.filter((p) => !p.pass).length;
  lines.push(
    `${r.pass ? 'ALL PASS' : `${nFail} FAILED`}: ${r.entries.length} loss entries, ` +
      `${r.perClass.filter((p) => !p.skipped).length} per-class vectors; worst loss rel ${fmt(r.worst.lossRelErr)}, ` +
      `worst gradient error ${r.worst.gradErrOverTol.toFixed(3)}× tolerance`,
  );
  return lines;
}
