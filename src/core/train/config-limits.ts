/**
 * The limits of every training-config field, read from the one settings table (config-fields.ts): `validateConfig`
 * (config.ts) checks a TrainConfig against them, and through it the CLI flags, the URL (after its codecs), saved
 * runs and model-zip metadata.
 */
import type { TrainConfig, Stage2Config } from './config-types';
import { CONFIG_FIELDS, STAGE2_FIELDS, fieldOf, type FieldRule, type NumberRule } from './config-fields';
import { LOSSES, isLossId } from '../losses/registry';

export { MAX_SEED, type FieldRule, type NumberRule } from './config-fields';

const rulesOf = <K extends string>(table: Readonly<Record<K, { rule: FieldRule }>>): Readonly<Record<K, FieldRule>> =>
  Object.fromEntries((Object.keys(table) as K[]).map((k) => [k, table[k].rule])) as Record<K, FieldRule>;

export const CONFIG_LIMITS: Readonly<Record<keyof TrainConfig, FieldRule>> = rulesOf(CONFIG_FIELDS);
export const STAGE2_LIMITS: Readonly<Record<keyof Stage2Config, FieldRule>> = rulesOf(STAGE2_FIELDS);

const num = (min: number, max: number): NumberRule => ({ kind: 'number', min, max, step: 0 });

/** One failed check: the field's path ("lr", "stage2.s", "lossParams.tau") and a sentence naming it. */
export interface LimitProblem {
  field: string;
  /** "is 1e+300, expected a number in [0.00001, 10]". */
  detail: string;
  /** "learning rate (lr) is 1e+300, expected a number in [0.00001, 10]". */
  message: string;
}

const problem = (field: string, label: string, detail: string): LimitProblem => ({
  field,
  detail,
  message: `${label} (${field}) ${detail}`,
});

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return Array.isArray(v) ? 'a list' : `a ${typeof v}`;
}

/** "an integer in [1, 1000]", "a number in [0, 1]". */
export function describeRule(r: NumberRule): string {
  return `${r.integer ? 'an integer' : 'a number'} in [${r.min}, ${r.max}]${r.nullable ? ' (or none)' : ''}`;
}

/** Whether `v` satisfies a number rule. */
export function numberOk(r: NumberRule, v: unknown): boolean {
  if (v === null || v === undefined) return !!r.nullable;
  if (typeof v !== 'number' || !Number.isFinite(v)) return false;
  if (r.integer && !Number.isInteger(v)) return false;
  return v >= r.min && v <= r.max;
}

function checkRule(rule: FieldRule, v: unknown, field: string, label: string, loss: unknown): LimitProblem | null {
  const bad = (expected: string): LimitProblem => problem(field, label, `is ${show(v)}, expected ${expected}`);
  switch (rule.kind) {
    case 'number':
      return numberOk(rule, v) ? null : bad(describeRule(rule));
    case 'enum':
      if (v === undefined && rule.optional) return null;
      return typeof v === 'string' && rule.values.includes(v) ? null : bad(`one of ${rule.values.join(', ')}`);
    case 'boolean':
      return typeof v === 'boolean' ? null : bad('true or false');
    case 'string':
      return typeof v === 'string' && v.length > 0 && v.length <= 200 ? null : bad('a name of 1 to 200 characters');
    case 'lossParams': {
      if (!v || typeof v !== 'object' || Array.isArray(v)) return bad('an object of numbers');
      const schema = typeof loss === 'string' && isLossId(loss) ? LOSSES[loss].schema : [];
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        const spec = schema.find((p) => p.key === k);
        const r = spec ? num(spec.min, spec.max) : num(-Number.MAX_VALUE, Number.MAX_VALUE);
        if (!numberOk(r, x)) {
          const expected = spec ? describeRule(r) : 'a finite number';
          return problem(`lossParams.${k}`, spec ? spec.label : 'loss hyperparameter', `is ${show(x)}, expected ${expected}`);
        }
      }
      return null;
    }
    case 'stage2': {
      if (!v || typeof v !== 'object' || Array.isArray(v)) return bad('an object');
      const s2 = v as Record<string, unknown>;
      for (const k of Object.keys(STAGE2_LIMITS) as (keyof Stage2Config)[]) {
        const p = checkRule(STAGE2_LIMITS[k], s2[k], `stage2.${k}`, STAGE2_FIELDS[k].label, loss);
        if (p) return p;
      }
      return null;
    }
  }
}

/** The first field of `c` outside its limits (null: all within). Never throws, whatever `c` holds. */
export function firstLimitProblem(c: unknown): LimitProblem | null {
  if (!c || typeof c !== 'object' || Array.isArray(c))
    return { field: '', detail: `is ${show(c)}`, message: `the training configuration is ${show(c)}` };
  const o = c as Record<string, unknown>;
  for (const k of Object.keys(CONFIG_LIMITS) as (keyof TrainConfig)[]) {
    const p = checkRule(CONFIG_LIMITS[k], o[k], k, CONFIG_FIELDS[k].label, o.loss);
    if (p) return p;
  }
  return null;
}

/** The rule of a field path ("lr", "stage2.s"), for codecs and flags that check one value. */
export function ruleOf(field: string): FieldRule | undefined {
  return fieldOf(field)?.rule;
}

/** One value of a field (a flag, a URL parameter) against its limits: the same sentence as `firstLimitProblem`. */
export function fieldProblem(path: string, v: unknown, loss?: string): LimitProblem | null {
  const f = fieldOf(path);
  return f ? checkRule(f.rule, v, path, f.label, loss) : null;
}
