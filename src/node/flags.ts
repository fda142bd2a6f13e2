/**
 * The CLI's flags, read from the settings table (core/train/config-fields.ts): each row with a flag becomes an
 * option whose value is checked against the row's rule, and a line of `--help`. Over node's parseArgs: a flag given
 * twice is an error naming it (not "the last one wins"), numbers are decimal only, and a negative number after a
 * flag (`--seed -1`) is read as its value, so it gets the range message instead of "argument is ambiguous".
 */
import { parseArgs } from 'node:util';
import type { TrainConfig } from '../core/train/config';
import {
  ALL_FIELDS,
  parseDecimal,
  readField,
  writeField,
  type ConfigField,
  type FieldGroup,
  type FieldPath,
} from '../core/train/config-fields';
import { describeRule, fieldProblem } from '../core/train/config-limits';
import type { HyperParamSpec } from '../core/losses/types';

/** A wrong flag or value; the message names the flag. */
export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

interface OptionSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
}
type Values<O extends Record<string, OptionSpec>> = {
  [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : O[K]['multiple'] extends true ? string[] : string;
};

const FLAGGED = ALL_FIELDS.filter((e): e is readonly [FieldPath, ConfigField & { flag: string }] => !!e[1].flag && e[0] !== 'lossParams');

/** The options of the config flags (`--param` is the caller's: the loss hyperparameters have their own schema). */
export const CONFIG_OPTIONS: Readonly<Record<string, OptionSpec>> = Object.fromEntries(
  FLAGGED.map(([, f]) => [f.flag, { type: f.rule.kind === 'boolean' ? 'boolean' : 'string' }]),
);

/** "-1", "-0.5", "-.5", "-1e3": a value, not a flag. */
const NEGATIVE = /^-(\d|\.\d)/;

/**
 * argv → values, as parseArgs (strict, no positionals), plus: every flag at most once (`multiple` ones excepted), and
 * `--flag -1` taken as `--flag=-1` for a flag that takes a value.
 */
export function readFlags<const O extends Record<string, OptionSpec>>(
  argv: readonly string[],
  options: O,
): Values<O> & Readonly<Record<string, string | boolean | string[] | undefined>> {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = argv[i + 1];
    if (a.startsWith('--') && !a.includes('=') && options[a.slice(2)]?.type === 'string' && next !== undefined && NEGATIVE.test(next)) {
      args.push(`${a}=${next}`);
      i++;
    } else args.push(a);
  }
  let parsed;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: false, tokens: true });
  } catch (e) {
    throw new FlagError((e as Error).message);
  }
  const seen = new Map<string, number>();
  for (const t of parsed.tokens) {
    if (t.kind !== 'option' || options[t.name]?.multiple) continue;
    const n = (seen.get(t.name) ?? 0) + 1;
    if (n === 2) throw new FlagError(`--${t.name} is given more than once; give it once`);
    seen.set(t.name, n);
  }
  return parsed.values as Values<O> & Readonly<Record<string, string | boolean | string[] | undefined>>;
}

/** One flag's text → the field's value (range included), or a FlagError naming the flag. */
function valueOf(path: FieldPath, f: ConfigField & { flag: string }, raw: string, choices?: readonly string[]): unknown {
  const r = f.rule;
  const flag = `--${f.flag}`;
  if (r.kind === 'number') {
    const v = parseDecimal(raw);
    if (v === null || (r.integer && !Number.isInteger(v)))
      throw new FlagError(`${flag} needs ${r.integer ? 'an integer' : 'a decimal number'}, got "${raw}"`);
    const p = fieldProblem(path, v);
    if (p) throw new FlagError(`${flag}: ${p.message}`);
    return v;
  }
  const allowed = choices ?? (r.kind === 'enum' ? (r.settable ?? r.values) : null);
  if (allowed && !allowed.includes(raw)) throw new FlagError(`${flag} must be one of ${allowed.join(', ')}; got "${raw}"`);
  return raw;
}

/**
 * Sets every config field whose flag was given (a boolean's flag turns it off). `choices` gives the values of a
 * field the CLI decides (the data sets it can load); `only` limits it to some fields.
 */
export function applyConfigFlags(
  c: TrainConfig,
  values: Readonly<Record<string, string | boolean | string[] | undefined>>,
  choices: Partial<Record<FieldPath, readonly string[]>> = {},
  only?: readonly FieldPath[],
): void {
  for (const [path, f] of FLAGGED) {
    if (only && !only.includes(path)) continue;
    const raw = values[f.flag];
    if (raw === undefined) continue;
    if (f.rule.kind === 'boolean') {
      if (raw === true) writeField(c, path, false);
    } else writeField(c, path, valueOf(path, f, raw as string, choices[path]));
  }
}

/**
 * The flags that give `c` on the CLI (the inverse of applyConfigFlags + `--param`): every flagged field with a value
 * (a boolean only when off), the loss hyperparameters as `--param KEY=VALUE`. Fields without a value are left out.
 */
export function configToFlags(c: TrainConfig): string[] {
  const out: string[] = [];
  for (const [path, f] of FLAGGED) {
    const v = readField(c, path);
    if (v === undefined || v === null) continue;
    if (f.rule.kind === 'boolean') {
      if (v === false) out.push(`--${f.flag}`);
    } else out.push(`--${f.flag}`, String(v));
  }
  for (const [k, v] of Object.entries(c.lossParams)) if (v !== undefined) out.push('--param', `${k}=${v}`);
  return out;
}

/** `--param KEY=VALUE` → [key, value], checked against the loss' schema. */
export function lossParamFlag(kv: string, loss: string, schema: readonly HyperParamSpec[]): [string, number] {
  const m = /^([A-Za-z0-9_]+)=(.*)$/.exec(kv);
  if (!m) throw new FlagError(`--param needs KEY=VALUE, got "${kv}"`);
  const spec = schema.find((p) => p.key === m[1]);
  if (!spec) throw new FlagError(`loss ${loss} has no hyperparameter "${m[1]}" (it has: ${schema.map((p) => p.key).join(', ')})`);
  const v = parseDecimal(m[2]);
  if (v === null) throw new FlagError(`--param ${m[1]} needs a decimal number, got "${m[2]}"`);
  if (v < spec.min || v > spec.max) throw new FlagError(`--param ${m[1]}=${v} is outside [${spec.min}, ${spec.max}]`);
  return [m[1], v];
}

/** The flag that sets a config field path ("stage2.s" → "--stage2-s", "lossParams.s" → "--param"), or null. */
export function flagOf(path: string): string | null {
  const row = ALL_FIELDS.find(([p]) => p === path) ?? ALL_FIELDS.find(([p]) => p === path.split('.')[0]);
  return row?.[1].flag ? `--${row[1].flag}` : null;
}

const WIDTH = 118;
const COLUMN = 24;

function wrap(head: string, text: string): string {
  const lines: string[] = [];
  let line = head.length >= COLUMN - 1 ? (lines.push(head), ' '.repeat(COLUMN)) : head.padEnd(COLUMN);
  let fresh = true;
  for (const w of text.split(/\s+/).filter(Boolean)) {
    if (!fresh && line.length + 1 + w.length > WIDTH) {
      lines.push(line);
      line = ' '.repeat(COLUMN);
      fresh = true;
    }
    line += (fresh ? '' : ' ') + w;
    fresh = false;
  }
  lines.push(line);
  return lines.join('\n');
}

/**
 * The `--help` lines of a section: flag, value, meaning, accepted range or values, default. `choices` as in
 * applyConfigFlags, `notes` replaces the default's words for a field.
 */
export function flagHelp(
  group: FieldGroup,
  defaults: TrainConfig,
  choices: Partial<Record<FieldPath, readonly string[]>> = {},
  notes: Partial<Record<FieldPath, string>> = {},
): string {
  return FLAGGED.filter(([, f]) => f.group === group)
    .map(([path, f]) => {
      const r = f.rule;
      const [a, b] = path.split('.');
      const def = b === undefined ? defaults[a as keyof TrainConfig] : defaults.stage2[b as keyof TrainConfig['stage2']];
      const values = choices[path] ?? (r.kind === 'enum' ? (r.settable ?? r.values) : null);
      const accepts = r.kind === 'number' ? describeRule({ ...r, nullable: false }) : values ? values.join(' | ') : '';
      const shown = def ?? f.absent ?? (r.kind === 'enum' && r.optional ? r.values[0] : def);
      const dflt = notes[path] ?? (shown === undefined ? '' : shown === null ? 'default: all' : `default ${String(shown)}`);
      const text = f.help.replace(/\.$/, '');
      if (r.kind === 'boolean') return wrap(`  --${f.flag}`, `turn off the ${f.label}: ${text}.`);
      return wrap(`  --${f.flag} ${f.meta ?? 'VALUE'}`, `${text} (${[accepts, dflt].filter(Boolean).join('; ')}).`);
    })
    .join('\n');
}

/** `--self-check` / `--no-self-check` (the fused engine's check on this GPU; not a training setting). */
export const SELF_CHECK_OPTIONS = { 'self-check': { type: 'boolean' }, 'no-self-check': { type: 'boolean' } } as const;

/** true: asked for; false: turned off; null: the default (on for a hardware adapter). */
export function selfCheckFlag(v: Readonly<Record<string, unknown>>): boolean | null {
  if (v['self-check'] && v['no-self-check']) throw new FlagError('--self-check and --no-self-check contradict each other; give one');
  return v['self-check'] ? true : v['no-self-check'] ? false : null;
}
