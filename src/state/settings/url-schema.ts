/**
 * Every setting ↔ one URL query parameter, read from the settings table (core/train/config-fields.ts: the parameter,
 * the range, the values). `parseSettings(search)` never throws:
 * a malformed or out-of-range value keeps the default and is listed in `problems` (shown as a notice, as text).
 * `serialiseSettings(settings)` writes every parameter, so a URL restores the same configuration even if the
 * defaults change later.
 *
 * Loss hyperparameters are `lp.<key>` with the range of the loss' own schema (only the chosen loss' keys).
 *
 * `hide=<id>,<id>…` (the "classroom link") is not a setting but the list of controls the page does not render; its
 * ids come from the table in ./classroom.ts (`parseHide` / `withHide`).
 */
import { LOSSES } from '../../core/losses/registry';
import type { HyperParamSpec, LossId } from '../../core/losses/types';
import {
  ALL_FIELDS,
  numberField,
  parseDecimal,
  readField,
  type ConfigField,
  type FieldPath,
  type NumberPath,
} from '../../core/train/config-fields';
import { EMBEDDED, PLAYGROUND_DEFAULTS, patchSettings, withLoss, type BackendChoice, type Settings } from './settings';
import { normalise } from './rules';
import { MAX_THREADS } from '../../core/wasm-threads';
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
      const v = parseDecimal(raw);
      if (v === null) return { ok: false, why: 'not a number' };
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

/** The embedded data's own ranges: a URL always means the embedded data, so its data-bound settings stay within them. */
const EMBEDDED_BOUNDS: Partial<Record<FieldPath, { min?: number; max?: number }>> = {
  imbalance: { min: EMBEDDED.minIF, max: EMBEDDED.maxIF },
  headImages: { max: EMBEDDED.poolMax },
};

/** The range a URL accepts for a number setting: the table's, within the embedded data's for a data-bound one. */
export function urlRange(path: NumberPath): { min: number; max: number } {
  const r = numberField(path).rule;
  const b = EMBEDDED_BOUNDS[path] ?? {};
  return { min: Math.max(r.min, b.min ?? -Infinity), max: Math.min(r.max, b.max ?? Infinity) };
}

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

/** The codec of a setting, from its row: a nullable number writes `all`, an enum accepts its settable values. */
function codecOf(path: FieldPath, f: ConfigField): Codec<unknown> {
  const r = f.rule;
  switch (r.kind) {
    case 'number': {
      const { min, max } = urlRange(path as NumberPath);
      const inner = numberCodec(min, max, { integer: r.integer });
      return (r.nullable && f.absent === undefined ? nullableCodec(inner) : inner) as Codec<unknown>;
    }
    case 'enum':
      return enumCodec(r.settable ?? r.values) as Codec<unknown>;
    case 'boolean':
      return boolCodec as Codec<unknown>;
    default:
      // the one string setting is the data set
      return datasetCodec as Codec<unknown>;
  }
}

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** A row of the settings table as a URL parameter; an optional field at its `absent` value is stored as absent. */
function tableField(path: FieldPath, f: ConfigField): Field<unknown> {
  const r = f.rule;
  const shown = f.absent ?? (r.kind === 'enum' && r.optional ? r.values[0] : null);
  const [a, b] = path.split('.');
  return field(f.url!, capitalise(f.label), codecOf(path, f), {
    get: (s) => readField(s.config, path) ?? shown,
    with: (s, v) => {
      const value = f.absent !== undefined && v === f.absent ? undefined : v;
      return patchSettings(s, b === undefined ? { config: { [a]: value } } : { stage2: { [b]: value } });
    },
  });
}

// after the loss (the recipe is per loss), before the fields it sets (so an edited value in the URL wins)
const RECIPE_FIELD = field('recipe', 'Authors’ recipe', enumCodec(['ours', 'authors'] as const), { get: recipeOf, with: withRecipe });
const BACKEND_FIELD = field('backend', 'Backend', enumCodec(BACKEND_CHOICES), {
  get: (s) => s.backend,
  with: (s, v) => patchSettings(s, { backend: v }),
});
// a page setting like the backend: the wasm backend's threads (core/wasm-threads.ts), after the backend
const THREADS_FIELD = field('threads', 'WASM threads', nullableCodec(numberCodec(1, MAX_THREADS, { integer: true }), 'auto'), {
  get: (s) => s.threads ?? null,
  with: (s, v) => patchSettings(s, { threads: v ?? 'auto' }),
});

/**
 * The table: the settings table's rows with a URL parameter, in its order, and the two page settings (the recipe
 * after the loss, the backend before the engine). Order = order in the URL. The loss parameters (`lp.*`) follow the
 * loss and are handled by lossParamFields(loss).
 */
export const URL_FIELDS: readonly Field<unknown>[] = ALL_FIELDS.flatMap(([path, f]) => [
  ...(path === 'engine' ? [BACKEND_FIELD as Field<unknown>, THREADS_FIELD as Field<unknown>] : []),
  ...(f.url ? [tableField(path, f)] : []),
  ...(path === 'loss' ? [RECIPE_FIELD as Field<unknown>] : []),
]);

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

/** The Seeds field's parameter: not a setting of a run but how many runs (or which seeds) Compare trains. */
const SEEDS_PARAM = 'seeds';

/** `seeds=` as the Seeds field's first text ('1', one seed, when absent). */
export function parseSeedsParam(search: string | URLSearchParams): string {
  const q = typeof search === 'string' ? new URLSearchParams(search) : search;
  return q.get(SEEDS_PARAM)?.trim() || '1';
}

/**
 * Appends `seeds=<text>` unless it is the default one seed. Only a count or a list of integers is written (what
 * the field accepts), its commas kept readable; a text the field rejects stays out of the URL.
 */
export function withSeeds(query: string, text: string): string {
  const t = text.replace(/\s+/g, '');
  if (t === '1' || !/^\d+(,\d+)*$/.test(t)) return query;
  return `${query}${query ? '&' : ''}${SEEDS_PARAM}=${t}`;
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
