/**
 * Validates a stored saved run in full before anything uses it (a small hand-written validator, no schema
 * library): the record's version and stamp, the settings and both copies of the training config through the one
 * config validator (`firstLimitProblem`), the trainer checkpoint (stage, epoch within the stage's epochs, weights
 * and momentum as Float32Arrays, random-stream states), every epoch's metrics and batch record the page reads, the
 * upload recipe and the pinned runs; every weight and momentum tensor has the length the model spec gives it and
 * only finite values (a record that would only fail at Resume is set aside before it is offered). A record of an earlier shape is migrated (the head-class cap in
 * `checkpoint.spec.data.nMax` → `config.headImages`, as for model zips); one of another version is reported.
 * Never throws: the answer is the run (a copy, migrated) or the reason it cannot be used.
 */
import { buildSpec } from '../../core/models/spec';
import type { ModelKind } from '../../core/models/types';
import { firstLimitProblem } from '../../core/train/config-limits';
import { legacyHeadCap } from '../../core/train/legacy';
import type { SavedRun } from './run-store';
import { isUploadRecipe } from '../uploads/upload-recipe';

export type SavedRunCheck = { ok: true; run: SavedRun; migrated: string[] } | { ok: false; why: string };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number';
const isInt = (v: unknown, min = 0, max = Number.MAX_SAFE_INTEGER): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const BACKENDS = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'];
/** The only record version this page reads (run-store.ts AUTOSAVE_VERSION). */
const VERSION = 1;

class Bad extends Error {}

function fail(field: string, detail: string): never {
  throw new Bad(`${field} ${detail}`);
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return Array.isArray(v) ? 'a list' : `a ${typeof v}`;
}

function obj(v: unknown, field: string): Obj {
  if (!isObj(v)) fail(field, `is ${show(v)}, expected an object`);
  return v;
}

function list(v: unknown, field: string, max = 1_000_000): unknown[] {
  if (!Array.isArray(v)) fail(field, `is ${show(v)}, expected a list`);
  if (v.length > max) fail(field, `has ${v.length} entries, more than ${max}`);
  return v;
}

function int(v: unknown, field: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (!isInt(v, min, max)) fail(field, `is ${show(v)}, expected an integer in [${min}, ${max}]`);
  return v;
}

function numbers(v: unknown, field: string, length?: number, nullable = false): void {
  const a = list(v, field);
  if (length !== undefined && a.length !== length) fail(field, `has ${a.length} entries, expected ${length}`);
  a.forEach((x, i) => {
    if (!isNum(x) && !(nullable && x === null)) fail(`${field}[${i}]`, `is ${show(x)}, expected a number`);
  });
}

function config(v: unknown, field: string): void {
  obj(v, field);
  const p = firstLimitProblem(v);
  if (p) fail(p.field ? `${field}.${p.field}` : field, p.detail);
}

function float32s(v: unknown, field: string): void {
  for (const [k, x] of Object.entries(obj(v, field)))
    if (!(x instanceof Float32Array)) fail(`${field}.${k}`, `is ${show(x)}, expected a Float32Array`);
}

/** Input channels and classes of the embedded data set (uploads: read from the record's own tensors and metrics). */
const EMBEDDED_SHAPE: Record<string, { channels: number; classes: number }> = { 'fmnist-lt': { channels: 1, classes: 10 } };

/** The first non-finite value of `a`, as "NaN at index 3" (null: all finite). */
function nonFinite(a: Float32Array): string | null {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return `${a[i]} at index ${i}`;
  return null;
}

/**
 * Checks a checkpoint's tensors against the spec of its model: the same names, each of the spec's length, finite.
 * The parameter shapes depend only on the input channels and the classes (every model ends in a global average
 * pool), so the spec is built for a nominal 32×32 input. `classes`: from the metrics history when it has epochs.
 */
function modelTensors(t: Obj, field: string, classes: number | null): void {
  const tc = t.config as Obj;
  const w = t.weights as Record<string, Float32Array>;
  const known = EMBEDDED_SHAPE[String(tc.dataset)];
  // conv1.weight is [3, 3, inC, 16] and linear.weight [64, classes] in every model of the playground
  const stem = w['conv1.weight'];
  const channels = known?.channels ?? (stem ? stem.length / (9 * 16) : 0);
  const cls = classes ?? known?.classes ?? (w['linear.weight'] ? w['linear.weight'].length / 64 : 0);
  if (!Number.isInteger(channels) || channels < 1)
    fail(`${field}.weights.conv1.weight`, `has ${stem?.length ?? 'no'} values, which fits no input`);
  if (!Number.isInteger(cls) || cls < 2)
    fail(`${field}.weights.linear.weight`, `has ${w['linear.weight']?.length ?? 'no'} values, which fits no class count`);
  let spec;
  try {
    spec = buildSpec({
      kind: tc.model as ModelKind,
      head: tc.head as 'cosine' | 'linear',
      inputShape: [32, 32, channels],
      numClasses: cls,
    });
  } catch (e) {
    fail(`${field}.config`, `describes no model (${(e as Error).message})`);
  }
  const sizes = new Map(spec.params.map((p) => [p.name, p.shape.reduce((a, d) => a * d, 1)]));
  const what = `the ${String(tc.model)} model (${String(tc.head)} head, ${channels} input channel${channels === 1 ? '' : 's'}, ${cls} classes)`;
  const tensors = (rec: Record<string, Float32Array>, at: string, all: boolean) => {
    for (const [k, a] of Object.entries(rec)) {
      const n = sizes.get(k);
      if (n === undefined) fail(`${at}.${k}`, `is not a tensor of ${what}`);
      if (a.length !== n) fail(`${at}.${k}`, `has ${a.length} values, expected ${n} for ${what}`);
      const bad = nonFinite(a);
      if (bad) fail(`${at}.${k}`, `holds a non-finite value (${bad})`);
    }
    if (all) for (const k of sizes.keys()) if (!(k in rec)) fail(`${at}`, `has no ${k} (a tensor of ${what})`);
  };
  tensors(w, `${field}.weights`, true);
  tensors(t.momentum as Record<string, Float32Array>, `${field}.momentum`, false);
  if (t.best !== undefined) {
    const b = obj(t.best, `${field}.best`);
    float32s(b.weights, `${field}.best.weights`);
    // the best epoch keeps weights only where a stage 2 can follow (cosine head): none, or all of them
    const bw = b.weights as Record<string, Float32Array>;
    tensors(bw, `${field}.best.weights`, Object.keys(bw).length > 0);
  }
}

function rngState(v: unknown, field: string): void {
  const r = obj(v, field);
  const s = list(r.s, `${field}.s`);
  if (s.length !== 4 || !s.every((x) => isInt(x, -(2 ** 31), 2 ** 32 - 1))) fail(`${field}.s`, 'is not four 32-bit integers');
  if (r.spare !== null && !isNum(r.spare)) fail(`${field}.spare`, `is ${show(r.spare)}, expected a number or null`);
}

/** The fields of one epoch's metrics the page reads (charts, tables, exports); C = number of classes. */
function epochMetrics(v: unknown, field: string, C: number | null): number {
  const e = obj(v, field);
  if (e.stage !== 1 && e.stage !== 2) fail(`${field}.stage`, `is ${show(e.stage)}, expected 1 or 2`);
  int(e.epoch, `${field}.epoch`);
  int(e.epochsInStage, `${field}.epochsInStage`, 1);
  int(e.step, `${field}.step`);
  for (const k of ['lr', 'alpha', 'trainLoss', 'trainAccuracy', 'testLoss', 'seconds', 'imagesPerSecond'])
    if (!isNum(e[k])) fail(`${field}.${k}`, `is ${show(e[k])}, expected a number`);
  if (!isNum(e.testAccuracy) && e.testAccuracy !== null) fail(`${field}.testAccuracy`, `is ${show(e.testAccuracy)}, expected a number`);
  for (const k of ['gaActive', 'drwActive'])
    if (typeof e[k] !== 'boolean') fail(`${field}.${k}`, `is ${show(e[k])}, expected true or false`);
  const n = C ?? list(e.perClassAccuracy, `${field}.perClassAccuracy`).length;
  numbers(e.perClassAccuracy, `${field}.perClassAccuracy`, n, true);
  numbers(e.featureNormTrain, `${field}.featureNormTrain`, n, true);
  numbers(e.featureNormTest, `${field}.featureNormTest`, n, true);
  const g = obj(e.groupAccuracy, `${field}.groupAccuracy`);
  for (const k of ['many', 'medium', 'few']) if (!isNum(g[k]) && g[k] !== null) fail(`${field}.groupAccuracy.${k}`, `is ${show(g[k])}`);
  const cm = list(e.confusion, `${field}.confusion`);
  if (cm.length !== n) fail(`${field}.confusion`, `has ${cm.length} rows, expected ${n}`);
  cm.forEach((row, i) => numbers(row, `${field}.confusion[${i}]`, n));
  for (const [k, a] of Object.entries(obj(e.lossPerClass, `${field}.lossPerClass`))) numbers(a, `${field}.lossPerClass.${k}`, n, true);
  if (e.gclNoiseLastBatch !== undefined)
    list(e.gclNoiseLastBatch, `${field}.gclNoiseLastBatch`).forEach((r, i) => numbers(r, `${field}.gclNoiseLastBatch[${i}]`));
  return n;
}

function batchInfo(v: unknown, field: string): void {
  const b = obj(v, field);
  for (const k of ['stage', 'epoch', 'batch', 'batchesPerEpoch', 'step', 'loss', 'lr'])
    if (!isNum(b[k])) fail(`${field}.${k}`, `is ${show(b[k])}, expected a number`);
}

/** Checks the metrics history; returns the class count its epochs show (null: no epochs). */
function history(r: Obj, field: string): number | null {
  const epochs = list(r.epochs, `${field}epochs`);
  let C: number | null = null;
  epochs.forEach((e, i) => (C = epochMetrics(e, `${field}epochs[${i}]`, C)));
  list(r.batches, `${field}batches`).forEach((b, i) => batchInfo(b, `${field}batches[${i}]`));
  if (typeof r.label !== 'string') fail(`${field}label`, `is ${show(r.label)}, expected a string`);
  if (typeof r.dataKey !== 'string') fail(`${field}dataKey`, `is ${show(r.dataKey)}, expected a string`);
  return C;
}

/** Moves an old run spec's `data.nMax` into the configs (returns what was migrated). */
function migrate(r: Obj): string[] {
  const done: string[] = [];
  const ck = isObj(r.checkpoint) ? r.checkpoint : null;
  const spec = ck && isObj(ck.spec) ? ck.spec : null;
  if (spec && 'data' in spec) {
    let cap: number | null;
    try {
      cap = legacyHeadCap(spec);
    } catch (e) {
      fail('checkpoint.spec.data.nMax', (e as Error).message.replace(/^runSpec\.data\.nMax /, ''));
    }
    delete spec.data;
    if (cap !== null) {
      for (const c of [spec.config, isObj(ck!.trainer) ? ck!.trainer.config : null, isObj(r.settings) ? r.settings.config : null])
        if (isObj(c) && (c.headImages === undefined || c.headImages === null)) c.headImages = cap;
      done.push(`the head-class cap (checkpoint.spec.data.nMax = ${cap}) moved to config.headImages`);
    }
  }
  return done;
}

function checkRecord(v: unknown): { run: SavedRun; migrated: string[] } {
  const r = obj(v, 'the record');
  if (r.version !== VERSION) {
    fail(
      'version',
      `is ${show(r.version)}: it was saved by ${isInt(r.version) && r.version > VERSION ? 'a newer' : 'another'} version of the app, which this page cannot read`,
    );
  }
  if (!isNum(r.savedAt) || !Number.isFinite(r.savedAt) || r.savedAt < 0) fail('savedAt', `is ${show(r.savedAt)}, expected a time`);
  const copy = structuredClone(r);
  const migrated = migrate(copy);
  const settings = obj(copy.settings, 'settings');
  config(settings.config, 'settings.config');
  if (typeof settings.backend !== 'string' || !BACKENDS.includes(settings.backend))
    fail('settings.backend', `is ${show(settings.backend)}, expected one of ${BACKENDS.join(', ')}`);
  const classes = history(copy, '');
  if (typeof copy.stage1Done !== 'boolean') fail('stage1Done', `is ${show(copy.stage1Done)}, expected true or false`);

  const ck = obj(copy.checkpoint, 'checkpoint');
  const spec = obj(ck.spec, 'checkpoint.spec');
  config(spec.config, 'checkpoint.spec.config');
  const t = obj(ck.trainer, 'checkpoint.trainer');
  if (t.version !== 1) fail('checkpoint.trainer.version', `is ${show(t.version)}, expected 1`);
  config(t.config, 'checkpoint.trainer.config');
  const tc = t.config as Obj;
  if (t.stage !== 1 && t.stage !== 2) fail('checkpoint.trainer.stage', `is ${show(t.stage)}, expected 1 or 2`);
  config({ ...tc, stage2: t.stage2 }, 'checkpoint.trainer');
  const stageEpochs = (t.stage === 2 ? (t.stage2 as Obj).epochs : tc.epochs) as number;
  int(t.epoch, 'checkpoint.trainer.epoch', 0, stageEpochs);
  int(t.globalStep, 'checkpoint.trainer.globalStep');
  for (const [k, x] of Object.entries(obj(t.lossParams, 'checkpoint.trainer.lossParams')))
    if (!isNum(x) || !Number.isFinite(x)) fail(`checkpoint.trainer.lossParams.${k}`, `is ${show(x)}, expected a finite number`);
  float32s(t.weights, 'checkpoint.trainer.weights');
  if (Object.keys(t.weights as Obj).length === 0) fail('checkpoint.trainer.weights', 'is empty');
  float32s(t.momentum, 'checkpoint.trainer.momentum');
  for (const [k, x] of Object.entries(obj(t.bnBatchesTracked, 'checkpoint.trainer.bnBatchesTracked')))
    int(x, `checkpoint.trainer.bnBatchesTracked.${k}`);
  const rng = obj(t.rng, 'checkpoint.trainer.rng');
  for (const k of ['sampler', 'augment', 'noise']) rngState(rng[k], `checkpoint.trainer.rng.${k}`);
  modelTensors(t, 'checkpoint.trainer', classes);
  if (copy.tab !== undefined) {
    const tab = obj(copy.tab, 'tab');
    if (typeof tab.id !== 'string' || typeof tab.label !== 'string') fail('tab', 'has no id or label');
  }

  if (copy.upload !== undefined && !isUploadRecipe(copy.upload)) fail('upload', 'is not a list of uploaded files this page can read');
  if (copy.compare !== undefined) {
    const c = obj(copy.compare, 'compare');
    if (typeof c.currentPinned !== 'boolean') fail('compare.currentPinned', `is ${show(c.currentPinned)}, expected true or false`);
    list(c.runs, 'compare.runs', 100).forEach((run, i) => {
      const o = obj(run, `compare.runs[${i}]`);
      if (typeof o.id !== 'string' || typeof o.color !== 'string') fail(`compare.runs[${i}]`, 'has no id or colour');
      history(o, `compare.runs[${i}].`);
    });
  }
  return { run: copy as unknown as SavedRun, migrated };
}

/** Checks (and migrates) a stored record. */
export function checkSavedRun(v: unknown): SavedRunCheck {
  try {
    return { ok: true, ...checkRecord(v) };
  } catch (e) {
    if (e instanceof Bad) return { ok: false, why: e.message };
    // a getter that throws, a structuredClone of something uncloneable …: still a reason, never a crash
    return { ok: false, why: e instanceof Error ? e.message : String(e) };
  }
}

/** One run of a saved comparison: its history as for the pinned runs above, the settings it started with, its live changes. */
function comparisonRun(v: unknown, field: string): void {
  const o = obj(v, field);
  if (typeof o.id !== 'string' || typeof o.color !== 'string') fail(field, 'has no id or colour');
  history(o, `${field}.`);
  const settings = obj(o.settings, `${field}.settings`);
  config(settings.config, `${field}.settings.config`);
  if (typeof settings.backend !== 'string' || !BACKENDS.includes(settings.backend))
    fail(`${field}.settings.backend`, `is ${show(settings.backend)}, expected one of ${BACKENDS.join(', ')}`);
  if (o.stage1Epochs !== undefined) int(o.stage1Epochs, `${field}.stage1Epochs`, 1);
  if (o.changes !== undefined)
    list(o.changes, `${field}.changes`, 10_000).forEach((c, i) => {
      const ch = obj(c, `${field}.changes[${i}]`);
      if (ch.stage !== 1 && ch.stage !== 2) fail(`${field}.changes[${i}].stage`, `is ${show(ch.stage)}, expected 1 or 2`);
      int(ch.epoch, `${field}.changes[${i}].epoch`);
      int(ch.step, `${field}.changes[${i}].step`);
      if (typeof ch.key !== 'string') fail(`${field}.changes[${i}].key`, `is ${show(ch.key)}, expected a string`);
    });
}

/**
 * Checks the runs of a saved comparison (Save comparison's file: no checkpoint, no weights) with the checks the
 * pinned runs of a saved run get, plus each run's settings through the config validator. Never throws.
 */
export function checkComparisonRuns(v: unknown, max: number): { ok: true } | { ok: false; why: string } {
  try {
    const runs = list(v, 'runs', max);
    if (runs.length === 0) fail('runs', 'is empty: the file holds no run');
    runs.forEach((r, i) => comparisonRun(r, `runs[${i}]`));
    return { ok: true };
  } catch (e) {
    return { ok: false, why: e instanceof Error ? e.message : String(e) };
  }
}

/** A run's metrics history (epochs, batches, label, dataKey) checked as a saved run's is: the problem, or null. */
export function runHistoryProblem(v: unknown): string | null {
  try {
    history(obj(v, 'run'), '');
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
