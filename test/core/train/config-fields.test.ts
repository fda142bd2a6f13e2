/**
 * The settings table is the one definition of every setting: the CLI's flag parser, the URL decoder and the page's
 * number fields accept exactly the table's range for every number setting (values at the ends accepted, just
 * outside refused), and the same decimal syntax.
 */
import { describe, expect, it } from 'vitest';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { DEFAULT_CONFIG, type TrainConfig } from '../../../src/core/train/config';
import {
  ALL_FIELDS,
  CONFIG_FIELDS,
  STAGE2_FIELDS,
  fieldOf,
  numberField,
  parseDecimal,
  readField,
  type FieldPath,
  type NumberPath,
  type NumberRule,
} from '../../../src/core/train/config-fields';
import { CONFIG_LIMITS, STAGE2_LIMITS } from '../../../src/core/train/config-limits';
import { URL_FIELDS, parseSettings, urlRange } from '../../../src/state/settings/url-schema';
import { EMBEDDED, PLAYGROUND_DEFAULTS } from '../../../src/state/settings/settings';
import { FlagError, applyConfigFlags, readFlags, CONFIG_OPTIONS } from '../../../src/node/flags';
import { settingProps } from '../../../src/ui/Fields';
import { App } from '../../../src/ui/App';
import { createPlaygroundStore } from '../../../src/state/session/store';
import { PlaygroundSession } from '../../../src/state/session/session';
import { createSessionServices } from '../../../src/state/session/services';
import { TrainClient, type WorkerLike } from '../../../src/worker/client';

const NUMBERS = ALL_FIELDS.filter(([, f]) => f.rule.kind === 'number') as [
  NumberPath,
  (typeof ALL_FIELDS)[number][1] & { rule: NumberRule },
][];

/** The CLI parser on one flag: the value set, or the FlagError's message. */
function cli(args: string[]): { config: TrainConfig } | { error: string } {
  const c = structuredClone(DEFAULT_CONFIG);
  try {
    applyConfigFlags(c, readFlags(args, CONFIG_OPTIONS));
    return { config: c };
  } catch (e) {
    if (e instanceof FlagError) return { error: e.message };
    throw e;
  }
}

function urlCodec(param: string) {
  const f = URL_FIELDS.find((x) => x.param === param);
  if (!f) throw new Error(`no URL parameter ${param}`);
  return f.codec;
}

/** Values just outside [min, max]: one below and one above (a whole step for integers, half a step else). */
function outside(r: NumberRule, range: { min: number; max: number }): number[] {
  const d = r.integer ? 1 : Math.min(r.step / 2, range.min > 0 ? range.min / 2 : Infinity);
  return [range.min - d, range.max + (r.integer ? 1 : r.step / 2)];
}

/** The page's number inputs: name → [min, max, step] (server-rendered, as the page's first paint). */
function pageInputs(search: string): Map<string, [number, number, number]> {
  const idle: WorkerLike = { postMessage() {}, addEventListener() {}, terminate() {} };
  const store = createPlaygroundStore(parseSettings(search).settings);
  store.getInitialState = store.getState;
  const session = new PlaygroundSession(store, { createClient: () => new TrainClient(() => idle) });
  const html = renderToString(createElement(App, { pg: { store, session, services: createSessionServices(session) }, autoStart: false }));
  const out = new Map<string, [number, number, number]>();
  for (const m of html.matchAll(/<input[^>]*>/g)) {
    const attr = (k: string) => new RegExp(`\\s${k}="([^"]*)"`).exec(m[0])?.[1];
    const name = attr('name');
    if (!name || attr('min') === undefined) continue;
    const got: [number, number, number] = [Number(attr('min')), Number(attr('max')), Number(attr('step'))];
    const before = out.get(name);
    if (before) expect(got, `two inputs ${name} disagree`).toEqual(before);
    out.set(name, got);
  }
  return out;
}

describe('the settings table', () => {
  it('has a row per config and stage-2 field, with a unique URL parameter and CLI flag; the limits are its rules', () => {
    expect(Object.keys(CONFIG_LIMITS)).toEqual(Object.keys(CONFIG_FIELDS));
    expect(Object.keys(STAGE2_LIMITS)).toEqual(Object.keys(STAGE2_FIELDS));
    const urls = ALL_FIELDS.map(([, f]) => f.url).filter(Boolean);
    const flags = ALL_FIELDS.map(([, f]) => f.flag).filter(Boolean);
    expect(new Set(urls).size).toBe(urls.length);
    expect(new Set(flags).size).toBe(flags.length);
    // every setting but the loss hyperparameters (their own schema: lp.<key>, --param) is in the URL and on the CLI
    for (const [path, f] of ALL_FIELDS) {
      if (path === 'lossParams') continue;
      expect(f.url, path).toBeTruthy();
      expect(f.flag, path).toBeTruthy();
      expect(f.help.length, path).toBeGreaterThan(5);
    }
    // the URL's table is the settings table's rows (plus the recipe, the backend and its threads), in its order
    expect(URL_FIELDS.map((f) => f.param)).toEqual(
      ALL_FIELDS.flatMap(([p, f]) => [
        ...(p === 'engine' ? ['backend', 'threads'] : []),
        ...(f.url ? [f.url] : []),
        ...(p === 'loss' ? ['recipe'] : []),
      ]),
    );
  });

  it('the defaults of the CLI and of the page are inside every range', () => {
    for (const [path, f] of NUMBERS) {
      for (const c of [DEFAULT_CONFIG, PLAYGROUND_DEFAULTS.config as TrainConfig]) {
        const v = readField(c, path) ?? f.absent;
        if (v === undefined || v === null) continue;
        expect(v, path).toBeGreaterThanOrEqual(f.rule.min);
        expect(v, path).toBeLessThanOrEqual(f.rule.max);
      }
    }
  });

  it('the CLI accepts exactly [min, max] of the table for every number flag, with the range message outside', () => {
    expect(NUMBERS.length).toBeGreaterThanOrEqual(19);
    for (const [path, f] of NUMBERS) {
      const flag = `--${f.flag}`;
      for (const v of [f.rule.min, f.rule.max]) {
        const r = cli([flag, String(v)]);
        expect(r, `${flag} ${v}`).toHaveProperty('config');
        if ('config' in r) expect(readField(r.config, path), `${flag} ${v}`).toBe(v);
      }
      for (const v of outside(f.rule, f.rule)) {
        const r = cli([flag, String(v)]);
        expect(r, `${flag} ${v}`).toEqual({
          error: `${flag}: ${f.label} (${path}) is ${v}, expected ${f.rule.integer ? 'an integer' : 'a number'} in [${f.rule.min}, ${f.rule.max}]${f.rule.nullable ? ' (or none)' : ''}`,
        });
      }
    }
  });

  it('the URL decoder accepts exactly the same range (a data-bound one: within the embedded data’s)', () => {
    for (const [path, f] of NUMBERS) {
      const range = urlRange(path);
      if (f.dataBound) {
        expect(range.min).toBeGreaterThanOrEqual(f.rule.min);
        expect(range.max).toBeLessThanOrEqual(f.rule.max);
      } else expect(range, path).toEqual({ min: f.rule.min, max: f.rule.max });
      const codec = urlCodec(f.url!);
      for (const v of [range.min, range.max]) expect(codec.parse(String(v)), `${f.url}=${v}`).toEqual({ ok: true, value: v });
      for (const v of outside(f.rule, range)) expect(codec.parse(String(v)).ok, `${f.url}=${v}`).toBe(false);
      if (!f.rule.integer) continue;
      expect(codec.parse(String(range.min + 0.5)).ok, `${f.url} integer`).toBe(false);
    }
    expect(urlRange('imbalance')).toEqual({ min: EMBEDDED.minIF, max: EMBEDDED.maxIF });
    expect(urlRange('headImages')).toEqual({ min: numberField('headImages').rule.min, max: EMBEDDED.poolMax });
    // through the whole decoder: an end of a range loads without a notice
    const r = parseSettings('?lr=10&seed=4294967295&batch=1024&wd=1&epochs=1000&s2.lr=0.00001');
    expect(r.problems).toEqual([]);
    expect(r.settings.config).toMatchObject({ lr: 10, seed: 4294967295, batchSize: 1024, weightDecay: 1, epochs: 1000 });
    expect(r.settings.config.stage2.lrMax).toBe(1e-5);
    expect(parseSettings('?lr=10.001&batch=1025').problems.map((p) => p.param)).toEqual(['batch', 'lr']);
  });

  it('the page’s number fields get the same range and step from the table (the data’s range for a data-bound one)', () => {
    const rendered = pageInputs('?profile=step');
    const notInPage: FieldPath[] = ['headImages', 'logEvery', 'stage2.lrMax', 'stage2.noiseMul'];
    for (const [path, f] of NUMBERS) {
      const props = settingProps(path, f.dataBound ? urlRange(path) : undefined);
      const range = f.dataBound ? urlRange(path) : f.rule;
      expect([props.min, props.max, props.step, props.integer], path).toEqual([range.min, range.max, f.rule.step, !!f.rule.integer]);
      expect(props.name).toBe(f.url);
      if (notInPage.includes(path)) {
        expect(rendered.has(f.url!), `${path} is not a number field of the page`).toBe(false);
        continue;
      }
      expect(rendered.get(f.url!), `${path}: the page's input`).toEqual([range.min, range.max, f.rule.step]);
    }
  });

  it('the CLI and the URL read numbers the same way: decimal only, scientific notation allowed', () => {
    const lr = urlCodec('lr');
    for (const bad of ['0x10', '1e', '', ' ', 'Infinity', '1e999', '5px', '--1', '1_0', '0b1', 'NaN', '1,5']) {
      expect(parseDecimal(bad), bad).toBeNull();
      expect(lr.parse(bad).ok, `url lr=${bad}`).toBe(false);
      expect(cli([`--lr=${bad}`]), `--lr=${bad}`).toEqual({ error: `--lr needs a decimal number, got "${bad}"` });
    }
    for (const [good, v] of [
      ['1e-3', 0.001],
      ['.5', 0.5],
      ['+0.2', 0.2],
      ['1.', 1],
      ['2E-1', 0.2],
    ] as const) {
      expect(parseDecimal(good)).toBe(v);
      expect(lr.parse(good)).toEqual({ ok: true, value: v });
      expect(cli(['--lr', good])).toMatchObject({ config: { lr: v } });
    }
    expect(cli(['--epochs', '1e2'])).toMatchObject({ config: { epochs: 100 } });
    expect(cli(['--epochs', '2.5'])).toEqual({ error: '--epochs needs an integer, got "2.5"' });
  });

  it('fieldOf finds stage-2 rows by path', () => {
    expect(fieldOf('stage2.s')).toBe(STAGE2_FIELDS.s);
    expect(fieldOf('lr')).toBe(CONFIG_FIELDS.lr);
    expect(fieldOf('nope')).toBeUndefined();
  });
});
