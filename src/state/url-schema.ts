/**
 * Every setting ↔ one URL query parameter, declared in one typed table. `parseSettings(search)` never throws:
 * a malformed or out-of-range value keeps the default and is listed in `problems` (shown as a notice, as text).
 * `serialiseSettings(settings)` writes every parameter, so a URL restores the same configuration even if the
 * defaults change later.
 *
 * Loss hyperparameters are `lp.<key>` with the range of the loss' own schema (only the chosen loss' keys).
 *
 * `hide=<id>,<id>…` (the "classroom link") is not a setting but the list of controls the page does not render; its
 * ids come from the table in ./classroom.ts (`parseHide` / `withHide`).
 */
import { LOSSES, LOSS_IDS } from '../core/losses/registry';
import type { HyperParamSpec, LossId } from '../core/losses/types';
import { MODEL_KINDS } from '../core/models/spec';
import { ENGINE_CHOICES, type TrainConfig } from '../core/train/config';
import { EMBEDDED, PLAYGROUND_DEFAULTS, patchSettings, withLoss, type BackendChoice, type Settings } from './settings';
import { normalise } from './rules';
import { recipeOf, withRecipe } from './recipe-settings';
import { HIDE_IDS, canonicalHide, isHideId, type HideId } from './classroom';

type Parsed<T> = { ok: true; value: T } | { ok: false; why: string };

/** A typed value codec with its constraints. */
export interface Codec<T> {
  /** Human description of what is accepted (for notices and the docs). */
  accepts: string;
  parse(raw: string): Parsed<T>;
  format(v: T): string;
}

export function numberCodec(min: number, max: number, opts: { integer?: boolean } = {}): Codec<number> {
  const integer = !!opts.integer;
  return {
    accepts: `${integer ? 'an integer' : 'a number'} from ${min} to ${max}`,
    parse(raw) {
      const t = raw.trim();
      if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return { ok: false, why: 'not a number' };
      const v = Number(t);
      if (!Number.isFinite(v)) return { ok: false, why: 'not a finite number' };
      if (integer && !Number.isInteger(v)) return { ok: false, why: 'not an integer' };
      if (v < min || v > max) return { ok: false, why: `out of range ${min}–${max}` };
      return { ok: true, value: v };
    },
    format: (v) => String(v),
  };
}

/** `all` (→ null) or a number in range. */
export function nullableCodec(inner: Codec<number>, nullWord = 'all'): Codec<number | null> {
  return {
    accepts: `'${nullWord}' or ${inner.accepts}`,
    parse(raw) {
      if (raw.trim() === nullWord) return { ok: true, value: null };
      return inner.parse(raw);
    },
    format: (v) => (v === null ? nullWord : inner.format(v)),
  };
}

export function enumCodec<T extends string>(values: readonly T[]): Codec<T> {
  return {
    accepts: `one of ${values.join(', ')}`,
    parse(raw) {
      const v = raw.trim();
      return (values as readonly string[]).includes(v)
        ? { ok: true, value: v as T }
        : { ok: false, why: `not one of ${values.join(', ')}` };
    },
    format: (v) => v,
  };
}

export const boolCodec: Codec<boolean> = {
  accepts: '0 or 1',
  parse(raw) {
    const v = raw.trim().toLowerCase();
    if (v === '1' || v === 'true') return { ok: true, value: true };
    if (v === '0' || v === 'false') return { ok: true, value: false };
    return { ok: false, why: 'not 0 or 1' };
  },
  format: (v) => (v ? '1' : '0'),
};

/** One row of the table: a URL parameter bound to one setting. */
export interface Field<T> {
  param: string;
  label: string;
  codec: Codec<T>;
  get(s: Settings): T;
  /** `s` with this setting at `v` (a new Settings). */
  with(s: Settings, v: T): Settings;
}

function field<T>(
  param: string,
  label: string,
  codec: Codec<T>,
  acc: { get: (s: Settings) => T; with: (s: Settings, v: T) => Settings },
): Field<T> {
  return { param, label, codec, get: acc.get, with: acc.with };
}

/** Bound for one TrainConfig number: [min, max] and integer-ness (the UI sliders use the same numbers). */
export const RANGES = {
  imbalance: { min: EMBEDDED.minIF, max: EMBEDDED.maxIF, step: 1 },
  stepMu: { min: 0.1, max: 0.9, step: 0.1 },
  headImages: { min: 20, max: EMBEDDED.poolMax, step: 1 },
  seed: { min: 0, max: 2 ** 31 - 1, step: 1 },
  batchSize: { min: 2, max: 512, step: 1 },
  epochs: { min: 1, max: 400, step: 1 },
  lr: { min: 1e-4, max: 1, step: 1e-4 },
  momentum: { min: 0, max: 0.99, step: 0.01 },
  weightDecay: { min: 0, max: 0.01, step: 1e-5 },
  evalPerClass: { min: 1, max: 1000, step: 1 },
  logEvery: { min: 1, max: 1000, step: 1 },
  s2epochs: { min: 1, max: 200, step: 1 },
  s2lr: { min: 1e-4, max: 1, step: 1e-4 },
  s2s: { min: 1, max: 64, step: 1 },
  s2m: { min: 0, max: 0.5, step: 0.01 },
  s2noise: { min: 0, max: 2, step: 0.05 },
  s2gamma: { min: 0, max: 5, step: 0.5 },
  mixupAlpha: { min: 0, max: 10, step: 0.1 },
  valFraction: { min: 0, max: 0.5, step: 0.05 },
} as const;

const r = (k: keyof typeof RANGES, integer = false) => numberCodec(RANGES[k].min, RANGES[k].max, { integer });
type PlainKey = Exclude<keyof TrainConfig, 'stage2' | 'lossParams'>;
const cfg = <K extends PlainKey>(k: K) => ({
  get: (s: Settings): TrainConfig[K] => s.config[k],
  with: (s: Settings, v: TrainConfig[K]) => patchSettings(s, { config: { [k]: v } as Partial<Pick<TrainConfig, K>> }),
});
const s2 = <K extends keyof TrainConfig['stage2']>(k: K) => ({
  get: (s: Settings): TrainConfig['stage2'][K] => s.config.stage2[k],
  with: (s: Settings, v: TrainConfig['stage2'][K]) => patchSettings(s, { stage2: { [k]: v } as Partial<TrainConfig['stage2']> }),
});

const MODEL_IDS = MODEL_KINDS.map((m) => m.kind);

/** Only the embedded data set can come from a URL: uploaded data lives in the tab (worker) that loaded it. */
export const datasetCodec: Codec<string> = {
  accepts: EMBEDDED.id,
  parse(raw) {
    const v = raw.trim();
    if (v === EMBEDDED.id) return { ok: true, value: v };
    if (/^(cifar10-lt|cifar100-lt|folder)(@\d+)?$/.test(v)) {
      return {
        ok: false,
        why: `uploaded data is not loaded in this tab, so the embedded ${EMBEDDED.title} is used — upload the file again under Data → Your own data`,
      };
    }
    return { ok: false, why: `unknown data set` };
  },
  format: (v) => v,
};
const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'];

/**
 * The table. Order = order in the URL. The loss parameters (`lp.*`) follow the loss and are handled by
 * lossParamFields(loss).
 */
export const URL_FIELDS = [
  field('dataset', 'Data set', datasetCodec, cfg('dataset')),
  field('if', 'Imbalance factor', r('imbalance'), cfg('imbalance')),
  field('profile', 'Profile', enumCodec(['exp', 'step'] as const), cfg('profile')),
  field('mu', 'Step tail fraction μ', r('stepMu'), cfg('stepMu')),
  field('nmax', 'Head-class images', nullableCodec(r('headImages', true)), {
    get: (s) => s.config.headImages ?? null,
    with: (s, v) => patchSettings(s, { config: { headImages: v } }),
  }),
  field('seed', 'Seed', r('seed', true), cfg('seed')),
  field('model', 'Model', enumCodec(MODEL_IDS), cfg('model')),
  field('head', 'Head', enumCodec(['cosine', 'linear'] as const), cfg('head')),
  field('loss', 'Loss', enumCodec(LOSS_IDS), cfg('loss')),
  // after the loss (the recipe is per loss), before the fields it sets (so an edited value in the URL wins)
  field('recipe', 'Authors’ recipe', enumCodec(['ours', 'authors'] as const), { get: recipeOf, with: withRecipe }),
  field('batch', 'Batch size', r('batchSize', true), cfg('batchSize')),
  field('epochs', 'Epochs', r('epochs', true), cfg('epochs')),
  field('lr', 'Learning rate', r('lr'), cfg('lr')),
  field('momentum', 'Momentum', r('momentum'), cfg('momentum')),
  field('wd', 'Weight decay', r('weightDecay'), cfg('weightDecay')),
  field('schedule', 'LR schedule', enumCodec(['auto', 'step01', 'step001', 'constant'] as const), cfg('schedule')),
  field('warmup', 'Warm-up', boolCodec, cfg('warmup')),
  field('sampler', 'Sampler', enumCodec(['instance', 'classBalanced', 'cben'] as const), cfg('sampler')),
  field('augment', 'Augmentation', boolCodec, cfg('augment')),
  field('hflip', 'Horizontal flips', boolCodec, cfg('hflip')),
  field('eval', 'Test images per class', nullableCodec(r('evalPerClass', true)), cfg('evalPerClass')),
  field('log', 'Log every N batches', r('logEvery', true), cfg('logEvery')),
  // the recipe options: absent = the default (so default settings round-trip unchanged)
  field('mixup', 'Mixup α', r('mixupAlpha'), {
    get: (s) => s.config.mixupAlpha ?? 0,
    with: (s, v) => patchSettings(s, { config: { mixupAlpha: v || undefined } }),
  }),
  field('linit', 'Linear-head init', enumCodec(['uniform', 'kaiming'] as const), {
    get: (s) => s.config.linearInit ?? 'uniform',
    with: (s, v) => patchSettings(s, { config: { linearInit: v === 'uniform' ? undefined : v } }),
  }),
  field('fblc', 'FBL curriculum', enumCodec(['scaled', 'official'] as const), {
    get: (s) => s.config.fblCurriculum ?? 'scaled',
    with: (s, v) => patchSettings(s, { config: { fblCurriculum: v === 'scaled' ? undefined : v } }),
  }),
  field('val', 'Validation split', r('valFraction'), {
    get: (s) => s.config.valFraction ?? 0,
    with: (s, v) => patchSettings(s, { config: { valFraction: v || undefined } }),
  }),
  field('s2.epochs', 'Stage-2 epochs', r('s2epochs', true), s2('epochs')),
  field('s2.sampler', 'Stage-2 sampler', enumCodec(['cben', 'classBalanced'] as const), s2('sampler')),
  field('s2.lr', 'Stage-2 max lr', r('s2lr'), s2('lrMax')),
  field('s2.s', 'Stage-2 scale s', r('s2s'), s2('s')),
  field('s2.m', 'Stage-2 margin m', r('s2m'), s2('m')),
  field('s2.noise', 'Stage-2 cloud size', r('s2noise'), s2('noiseMul')),
  field('s2.gamma', 'Stage-2 focal γ', r('s2gamma'), s2('focalGamma')),
  field('s2.batch', 'Stage-2 batch size', r('batchSize', true), s2('batchSize')),
  field('s2.from', 'Stage 2 starts from', enumCodec(['last', 'best'] as const), {
    get: (s) => s.config.stage2.from ?? 'last',
    with: (s, v) => patchSettings(s, { stage2: { from: v === 'last' ? undefined : v } }),
  }),
  field('backend', 'Backend', enumCodec(BACKEND_CHOICES), { get: (s) => s.backend, with: (s, v) => patchSettings(s, { backend: v }) }),
  field('engine', 'Engine', enumCodec(ENGINE_CHOICES), {
    get: (s) => s.config.engine ?? 'auto',
    with: (s, v) => patchSettings(s, { config: { engine: v } }),
  }),
] as const;

export const LOSS_PARAM_PREFIX = 'lp.';

/** Codec of one loss hyperparameter, from its schema. */
export function hyperParamCodec(spec: HyperParamSpec): Codec<number> {
  if (spec.kind === 'boolean') {
    return {
      accepts: '0 or 1',
      parse: (raw) => {
        const p = boolCodec.parse(raw);
        return p.ok ? { ok: true, value: p.value ? 1 : 0 } : p;
      },
      format: (v) => (v ? '1' : '0'),
    };
  }
  return numberCodec(spec.min, spec.max);
}

export function lossParamFields(loss: LossId): Field<number>[] {
  return LOSSES[loss].schema.map((spec) =>
    field(LOSS_PARAM_PREFIX + spec.key, `${LOSSES[loss].label}: ${spec.label}`, hyperParamCodec(spec), {
      get: (s) => s.config.lossParams[spec.key] ?? spec.default,
      with: (s, v) => patchSettings(s, { lossParams: { ...s.config.lossParams, [spec.key]: v } }),
    }),
  );
}

export interface UrlProblem {
  param: string;
  /** The raw value, shown as text only. Truncated. */
  value: string;
  why: string;
}

export interface ParsedSettings {
  settings: Settings;
  problems: UrlProblem[];
  /** Controls hidden by a classroom link (`hide=`), known ids only, in table order. */
  hidden: HideId[];
}

function clip(v: string): string {
  return v.length > 40 ? `${v.slice(0, 40)}…` : v;
}

/**
 * URL query → settings. Missing parameters keep the defaults silently; invalid ones keep the defaults and are
 * reported. The loss is read first so its hyperparameters are checked against its own schema.
 */
export function parseSettings(search: string | URLSearchParams, base: Settings = PLAYGROUND_DEFAULTS): ParsedSettings {
  const q = typeof search === 'string' ? new URLSearchParams(search) : search;
  let settings = base;
  const problems: UrlProblem[] = [];
  const apply = <T>(f: Field<T>): void => {
    const all = q.getAll(f.param);
    if (all.length === 0) return;
    const raw = all[all.length - 1];
    const p = f.codec.parse(raw);
    if (p.ok) settings = f.with(settings, p.value);
    else problems.push({ param: f.param, value: clip(raw), why: `${p.why} (expected ${f.codec.accepts})` });
  };
  const lossBefore = settings.config.loss;
  for (const f of URL_FIELDS) apply(f as Field<unknown>);
  const loss = settings.config.loss;
  if (loss !== lossBefore) settings = withLoss(settings, loss);
  for (const f of lossParamFields(loss)) apply(f);
  for (const key of new Set(q.keys())) {
    if (key.startsWith(LOSS_PARAM_PREFIX) && !LOSSES[loss].schema.some((h) => LOSS_PARAM_PREFIX + h.key === key)) {
      problems.push({ param: key, value: clip(q.get(key) ?? ''), why: `not a hyperparameter of ${LOSSES[loss].label}` });
    }
  }
  const norm = normalise(settings);
  settings = norm.settings;
  problems.push(...norm.changes.filter((p) => p.param !== 'head' || q.has('head')));
  const hide = parseHide(q.getAll(HIDE_PARAM));
  problems.push(...hide.problems);
  return { settings, problems, hidden: hide.ids };
}

/** The classroom link's parameter: comma-separated ids of the controls not to render. */
export const HIDE_PARAM = 'hide';
/** At most this many unknown ids are listed in the notice (the rest are counted). */
const MAX_HIDE_PROBLEMS = 5;

/**
 * `hide` values → known ids (deduplicated, in table order) and one problem per unknown id (ignored). Every
 * occurrence of the parameter counts (`hide=a&hide=b` = `hide=a,b`); ids are trimmed and lower-cased; empty items
 * (`hide=a,,b`, a trailing comma) are skipped silently.
 */
export function parseHide(values: readonly string[]): { ids: HideId[]; problems: UrlProblem[] } {
  const found: HideId[] = [];
  const unknown: string[] = [];
  for (const v of values) {
    for (const item of v.split(',')) {
      const raw = item.trim();
      const id = raw.toLowerCase();
      if (!id) continue;
      if (isHideId(id)) found.push(id);
      else if (!unknown.includes(raw)) unknown.push(raw);
    }
  }
  const why = `not a control that can be hidden, ignored (expected a comma-separated list of ${HIDE_IDS.join(', ')})`;
  const problems: UrlProblem[] = unknown.slice(0, MAX_HIDE_PROBLEMS).map((id) => ({ param: HIDE_PARAM, value: clip(id), why }));
  if (unknown.length > MAX_HIDE_PROBLEMS) {
    problems.push({ param: HIDE_PARAM, value: '…', why: `${unknown.length - MAX_HIDE_PROBLEMS} more unknown ids ignored` });
  }
  return { ids: canonicalHide(found), problems };
}

/**
 * Appends `hide=<ids>` to a query string (none when nothing is hidden). The ids come from the table (letters,
 * digits and '-'), so the commas stay readable instead of becoming %2C.
 */
export function withHide(query: string, hidden: Iterable<string>): string {
  const ids = canonicalHide(hidden);
  if (!ids.length) return query;
  return `${query}${query ? '&' : ''}${HIDE_PARAM}=${ids.join(',')}`;
}

/** Settings and hidden controls → query string (without '?'): what the address bar and the classroom link hold. */
export function serialiseUrl(s: Settings, hidden: Iterable<string> = []): string {
  return withHide(serialiseSettings(s), hidden);
}

/** Settings → query string (without '?'), every parameter in table order. */
export function serialiseSettings(s: Settings): string {
  const q = new URLSearchParams();
  for (const f of URL_FIELDS) {
    const ff = f as Field<unknown>;
    q.set(ff.param, ff.codec.format(ff.get(s)));
  }
  for (const f of lossParamFields(s.config.loss)) q.set(f.param, f.codec.format(f.get(s)));
  return q.toString();
}

/** One line per problem, for the notice. */
export function describeProblems(problems: UrlProblem[]): string[] {
  return problems.map((p) => `${p.param}=${p.value}: ${p.why}`);
}

export { LOSS_IDS };
