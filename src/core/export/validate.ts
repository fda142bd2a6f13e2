/**
 * Checks the Long-Tail Playground metadata of a model zip (model.json → userDefinedMetadata.longTailPlayground)
 * before anything in it is used: every field typed and range-checked, the training configuration through the same
 * `validateConfig` the CLI and the page use (with the loss and stage-2 hyperparameters that will actually be in
 * force merged in), loss hyperparameters within their schema's range, class names cleaned. Errors are DataErrors
 * naming the file and the field: "run.tfjs.zip: model.json: info.epoch is -3, expected an integer in [0, 10]".
 */
import type { SettingChange } from '../train/change-log';
import { DataError } from '../data/errors';
import { PACK_LIMITS } from '../data/pack';
import { classDisplayNames, cleanName } from '../data/names';
import { LOSSES, isLossId } from '../losses/registry';
import type { HyperParamSpec, LossParams } from '../losses/types';
import type { HeadKind, ModelConfig, ModelKind } from '../models/types';
import { ConfigError, validateConfig, type Stage2Config, type TrainConfig } from '../train/config';
import { MAX_SEED } from '../train/config-limits';
import type { ExportInfo } from './info';

const MODEL_KINDS: readonly ModelKind[] = ['convnet', 'resnet8', 'resnet20', 'resnet32'];
const HEADS: readonly HeadKind[] = ['linear', 'cosine'];

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(cleanName(v, 40));
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return Array.isArray(v) ? 'a list' : 'an object';
}

/** A checker bound to one file: every failure is "<file>: model.json: <field> …". */
class Fields {
  constructor(readonly file: string) {}

  fail(field: string, detail: string): never {
    throw new DataError(this.file, `model.json: ${field} ${detail}`);
  }

  obj(v: unknown, field: string): Obj {
    if (!isObj(v)) this.fail(field, `is ${show(v)}, expected an object`);
    return v as Obj;
  }

  int(v: unknown, field: string, min: number, max: number, why = ''): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.fail(field, `is ${show(v)}, expected an integer in [${min}, ${max}]${why}`);
    }
    return v as number;
  }

  num(v: unknown, field: string, min: number, max: number, open = ''): number {
    const ok = typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max && !(open === 'min' && v === min);
    if (!ok) this.fail(field, `is ${show(v)}, expected a finite number in ${open === 'min' ? '(' : '['}${min}, ${max}]`);
    return v as number;
  }

  str(v: unknown, field: string): string {
    if (typeof v !== 'string') this.fail(field, `is ${show(v)}, expected a string`);
    return v as string;
  }

  oneOf<T extends string>(v: unknown, field: string, allowed: readonly T[]): T {
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v))
      this.fail(field, `is ${show(v)}, expected ${allowed.join(' | ')}`);
    return v as T;
  }

  list(v: unknown, field: string, length?: number): unknown[] {
    if (!Array.isArray(v)) this.fail(field, `is ${show(v)}, expected a list`);
    const a = v as unknown[];
    if (length !== undefined && a.length !== length) this.fail(field, `has ${a.length} entries, expected ${length}`);
    return a;
  }

  /** Loss hyperparameters: finite numbers, and within the schema's [min, max] for the keys the schema knows. */
  params(v: unknown, field: string, schema: readonly HyperParamSpec[]): LossParams {
    const o = this.obj(v, field);
    const out: LossParams = {};
    for (const [k, x] of Object.entries(o)) {
      const spec = schema.find((s) => s.key === k);
      out[k] = spec ? this.num(x, `${field}.${k}`, spec.min, spec.max) : this.num(x, `${field}.${k}`, -Number.MAX_VALUE, Number.MAX_VALUE);
    }
    return out;
  }
}

export interface CheckedMetadata {
  config: ModelConfig;
  inputShape: [number, number, number];
  mean: number[];
  std: number[];
  bnBatchesTracked: Record<string, number>;
  weightNames: Record<string, string>;
  info: ExportInfo;
}

/**
 * Validates the metadata (already known to carry the app's format tag). Returns the checked values (class names
 * cleaned); throws DataError naming `file` and the field otherwise.
 */
export function checkPlaygroundMetadata(meta: Obj, file: string): CheckedMetadata {
  const f = new Fields(file);
  // the model
  const c = f.obj(meta.config, 'config');
  const L = PACK_LIMITS;
  const kind = f.oneOf(c.kind, 'config.kind', MODEL_KINDS);
  const head = f.oneOf(c.head, 'config.head', HEADS);
  const shape = f.list(c.inputShape, 'config.inputShape', 3);
  const inputShape: [number, number, number] = [
    f.int(shape[0], 'config.inputShape[0] (height)', L.minSide, L.maxSide),
    f.int(shape[1], 'config.inputShape[1] (width)', L.minSide, L.maxSide),
    f.int(shape[2], 'config.inputShape[2] (channels)', 1, 3),
  ];
  if (inputShape[2] === 2) f.fail('config.inputShape[2] (channels)', 'is 2, expected 1 or 3');
  const numClasses = f.int(c.numClasses, 'config.numClasses', 2, L.maxClasses);
  const config: ModelConfig = { kind, head, inputShape, numClasses };
  const top = f.list(meta.inputShape, 'inputShape', 3);
  if (top.some((d, i) => d !== inputShape[i]))
    f.fail('inputShape', `is [${top.map(show).join(', ')}], config.inputShape is [${inputShape.join(', ')}]`);
  const C = inputShape[2];
  const mean = f.list(meta.mean, 'mean', C).map((v, i) => f.num(v, `mean[${i}]`, -1e3, 1e3));
  const std = f.list(meta.std, 'std', C).map((v, i) => f.num(v, `std[${i}]`, 0, 1e3, 'min'));
  f.oneOf(meta.output, 'output', head === 'cosine' ? (['cosine'] as const) : (['logits'] as const));
  const bnBatchesTracked: Record<string, number> = {};
  if (meta.bnBatchesTracked !== undefined) {
    for (const [k, v] of Object.entries(f.obj(meta.bnBatchesTracked, 'bnBatchesTracked'))) {
      bnBatchesTracked[k] = f.int(v, `bnBatchesTracked.${cleanName(k, 40)}`, 0, Number.MAX_SAFE_INTEGER);
    }
  }
  const weightNames: Record<string, string> = {};
  if (meta.weightNames !== undefined) {
    for (const [k, v] of Object.entries(f.obj(meta.weightNames, 'weightNames')))
      weightNames[k] = f.str(v, `weightNames.${cleanName(k, 40)}`);
  }

  // the run
  const i = f.obj(meta.info, 'info');
  const stage = f.int(i.stage, 'info.stage', 1, 2);
  let trainConfig: TrainConfig | null = null;
  let stage2Config: Stage2Config | null = null;
  if (i.stage2Config !== null && i.stage2Config !== undefined) {
    const s2 = f.obj(i.stage2Config, 'info.stage2Config');
    const gcl = LOSSES.gcl.schema;
    for (const k of ['s', 'm', 'noiseMul', 'focalGamma'] as const) {
      const spec = gcl.find((s) => s.key === k)!;
      f.num(s2[k], `info.stage2Config.${k}`, spec.min, spec.max);
    }
    stage2Config = s2 as unknown as Stage2Config;
  }
  let lossParams: LossParams = {};
  if (i.trainConfig !== null && i.trainConfig !== undefined) {
    const tc = f.obj(i.trainConfig, 'info.trainConfig');
    f.str(tc.dataset, 'info.trainConfig.dataset');
    const loss =
      typeof tc.loss === 'string' && isLossId(tc.loss) ? tc.loss : f.fail('info.trainConfig.loss', `is ${show(tc.loss)}, not a known loss`);
    f.oneOf(tc.model, 'info.trainConfig.model', [kind]);
    f.oneOf(tc.head, 'info.trainConfig.head', [head]);
    const schema = LOSSES[loss].schema;
    const configured = f.params(tc.lossParams ?? {}, 'info.trainConfig.lossParams', schema);
    // stage 1: the live loss parameters at export time, which a continued run uses
    lossParams = i.lossParams === undefined ? {} : f.params(i.lossParams, 'info.lossParams', stage === 1 ? schema : []);
    f.obj(tc.stage2, 'info.trainConfig.stage2');
    const inForce: TrainConfig = {
      ...(tc as unknown as TrainConfig),
      lossParams: { ...configured, ...(stage === 1 ? lossParams : {}) },
      stage2: { ...(tc.stage2 as Stage2Config), ...(stage2Config ?? {}) },
    };
    try {
      validateConfig(inForce);
    } catch (e) {
      if (e instanceof ConfigError) f.fail(e.field ? `info.trainConfig.${e.field}` : 'info.trainConfig', e.detail);
      f.fail('info.trainConfig', `is incomplete (${e instanceof Error ? e.message : String(e)})`);
    }
    trainConfig = tc as unknown as TrainConfig;
  } else if (i.lossParams !== undefined) {
    lossParams = f.params(i.lossParams, 'info.lossParams', []);
  }
  const epochs = trainConfig ? (stage === 2 ? (stage2Config ?? trainConfig.stage2).epochs : trainConfig.epochs) : Number.MAX_SAFE_INTEGER;
  const epoch = f.int(i.epoch, 'info.epoch', 0, epochs, trainConfig ? ` (the run's ${stage === 2 ? 'stage-2 ' : ''}epochs)` : '');
  const globalStep = f.int(i.globalStep, 'info.globalStep', 0, Number.MAX_SAFE_INTEGER);
  const seed = i.seed === null || i.seed === undefined ? null : f.int(i.seed, 'info.seed', 0, MAX_SEED);
  const classNames = f.list(i.classNames, 'info.classNames', numClasses).map((v, k) => f.str(v, `info.classNames[${k}]`));
  const classCounts =
    i.classCounts === null || i.classCounts === undefined
      ? null
      : f.list(i.classCounts, 'info.classCounts', numClasses).map((v, k) => f.int(v, `info.classCounts[${k}]`, 0, Number.MAX_SAFE_INTEGER));
  const optStr = (v: unknown, field: string) => (v === null || v === undefined ? null : cleanName(f.str(v, field), 200));
  const changes = i.changes === undefined ? [] : settingChanges(f, i.changes);
  const info: ExportInfo = {
    loss: optStr(i.loss, 'info.loss'),
    lossParams,
    trainConfig,
    changes,
    stage2Config,
    stage,
    epoch,
    globalStep,
    seed,
    classCounts,
    classNames: classDisplayNames(classNames as string[]),
    datasetId: i.datasetId === null || i.datasetId === undefined ? null : f.str(i.datasetId, 'info.datasetId'),
    datasetTitle: optStr(i.datasetTitle, 'info.datasetTitle'),
    mean: i.mean === undefined ? mean : f.list(i.mean, 'info.mean', C).map((v, k) => f.num(v, `info.mean[${k}]`, -1e3, 1e3)),
    std: i.std === undefined ? std : f.list(i.std, 'info.std', C).map((v, k) => f.num(v, `info.std[${k}]`, 0, 1e3, 'min')),
    backend: typeof i.backend === 'string' ? cleanName(i.backend, 40) : '',
    tfjsVersion: typeof i.tfjsVersion === 'string' ? cleanName(i.tfjsVersion, 40) : '',
  };
  // keep fields this version does not know about (e.g. the worker's runSpec), untouched
  for (const [k, v] of Object.entries(i)) if (!(k in info)) (info as unknown as Obj)[k] = v;
  return { config, inputShape, mean, std, bnBatchesTracked, weightNames, info };
}

/** Most live changes a file may record (a change a second for a day is far fewer than a run can make). */
const MAX_CHANGES = 10_000;

/** The change log: stage, epoch and step integers, a setting key, and plain JSON values (numbers, strings, flags). */
function settingChanges(f: Fields, v: unknown): SettingChange[] {
  const list = f.list(v, 'info.changes');
  if (list.length > MAX_CHANGES) f.fail('info.changes', `has ${list.length} entries, at most ${MAX_CHANGES}`);
  const plain = (x: unknown, field: string): unknown => {
    if (x === null || typeof x === 'string' || typeof x === 'boolean' || (typeof x === 'number' && Number.isFinite(x))) return x;
    if (isObj(x) && JSON.stringify(x).length <= 4096) return x;
    return f.fail(field, `is ${show(x)}, expected a number, string, flag or small object`);
  };
  return list.map((e, k) => {
    const o = f.obj(e, `info.changes[${k}]`);
    const key = f.str(o.key, `info.changes[${k}].key`);
    if (!/^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)?$/.test(key) || key.length > 64)
      f.fail(`info.changes[${k}].key`, `is ${show(cleanName(key, 64))}, expected a setting name`);
    return {
      stage: f.int(o.stage, `info.changes[${k}].stage`, 1, 2) as 1 | 2,
      epoch: f.int(o.epoch, `info.changes[${k}].epoch`, 1, Number.MAX_SAFE_INTEGER),
      step: f.int(o.step, `info.changes[${k}].step`, 0, Number.MAX_SAFE_INTEGER),
      key,
      from: plain(o.from, `info.changes[${k}].from`),
      to: plain(o.to, `info.changes[${k}].to`),
    };
  });
}
