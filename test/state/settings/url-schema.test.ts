import { describe, expect, it } from 'vitest';
import { LOSSES, LOSS_IDS } from '../../../src/core/losses/registry';
import { PLAYGROUND_DEFAULTS, patchSettings } from '../../../src/state/settings/settings';
import { previewCountsFor as previewCounts } from '../../../src/state/settings/data-shape';
import {
  URL_FIELDS,
  describeProblems,
  lossParamFields,
  numberCodec,
  parseSettings,
  serialiseSettings,
} from '../../../src/state/settings/url-schema';
import { validateConfig } from '../../../src/core/train/config';

describe('URL schema', () => {
  it('an empty query gives the defaults without problems', () => {
    const r = parseSettings('');
    expect(r.problems).toEqual([]);
    expect(r.settings).toEqual(PLAYGROUND_DEFAULTS);
  });

  it('defaults are a valid trainer config whose subset has many, medium and few classes', () => {
    expect(() => validateConfig(PLAYGROUND_DEFAULTS.config)).not.toThrow();
    const counts = previewCounts(PLAYGROUND_DEFAULTS);
    expect(counts[0]).toBe(1000);
    expect(Math.min(...counts)).toBe(10);
  });

  it('round-trips every setting (serialise → parse)', () => {
    const s = patchSettings(PLAYGROUND_DEFAULTS, {
      config: {
        imbalance: 50,
        profile: 'step',
        stepMu: 0.3,
        seed: 7,
        model: 'resnet20',
        head: 'linear',
        loss: 'fbl',
        batchSize: 32,
        epochs: 12,
        lr: 0.05,
        momentum: 0.8,
        weightDecay: 0.0005,
        schedule: 'constant',
        warmup: false,
        sampler: 'cben',
        augment: false,
        hflip: false,
        evalPerClass: null,
        logEvery: 3,
        headImages: 500,
      },
      lossParams: { A: 42 },
      stage2: {
        epochs: 9,
        sampler: 'classBalanced',
        lrMax: 0.2,
        s: 25,
        m: 0.2,
        noiseMul: 0.7,
        focalGamma: 2,
        batchSize: 48,
      },
      backend: 'wasm',
    });
    const q = serialiseSettings(s);
    expect(q).toContain('lp.A=42');
    const back = parseSettings(q);
    expect(back.problems).toEqual([]);
    expect(back.settings).toEqual(s);
  });

  it('every table row writes a parameter, names are unique', () => {
    const q = new URLSearchParams(serialiseSettings(PLAYGROUND_DEFAULTS));
    const names = URL_FIELDS.map((f) => f.param);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(q.has(n)).toBe(true);
  });

  it('loss hyperparameter ranges come from each loss schema', () => {
    for (const id of LOSS_IDS) {
      const fields = lossParamFields(id);
      expect(fields.map((f) => f.param)).toEqual(LOSSES[id].schema.map((h) => `lp.${h.key}`));
      for (const spec of LOSSES[id].schema) {
        const f = fields.find((x) => x.param === `lp.${spec.key}`)!;
        expect(f.codec.parse(String(spec.default))).toEqual({ ok: true, value: spec.default });
        if (spec.kind === 'number') expect(f.codec.parse(String(spec.max + 1)).ok).toBe(false);
      }
    }
  });

  it('malformed and out-of-range values fall back to the defaults and are listed', () => {
    const r = parseSettings(
      '?if=5&lr=abc&model=vgg&seed=1.5&batch=100000&profile=<b>x</b>&eval=0&loss=kps&lp.maxM=7&lp.nope=1&warmup=maybe',
    );
    const params = r.problems.map((p) => p.param).sort();
    expect(params).toEqual(['batch', 'eval', 'if', 'lp.maxM', 'lp.nope', 'lr', 'model', 'profile', 'seed', 'warmup'].sort());
    const s = r.settings.config;
    expect(s.imbalance).toBe(PLAYGROUND_DEFAULTS.config.imbalance);
    expect(s.lr).toBe(PLAYGROUND_DEFAULTS.config.lr);
    expect(s.model).toBe(PLAYGROUND_DEFAULTS.config.model);
    expect(s.loss).toBe('kps');
    expect(s.lossParams.maxM).toBe(LOSSES.kps.schema.find((h) => h.key === 'maxM')!.default);
    const lines = describeProblems(r.problems);
    expect(lines.find((l) => l.startsWith('if=5'))).toMatch(/out of range 10–200/);
    expect(lines.find((l) => l.startsWith('profile='))).toContain('<b>x</b>'); // kept as text; React escapes it
    expect(() => validateConfig(s)).not.toThrow();
  });

  it('rejects numbers JavaScript would otherwise accept', () => {
    const c = numberCodec(0, 10);
    for (const bad of ['', ' ', '0x5', 'Infinity', '1e999', '5px', 'NaN', '--1']) expect(c.parse(bad).ok).toBe(false);
    expect(c.parse('1e0')).toEqual({ ok: true, value: 1 });
    expect(c.parse('.5')).toEqual({ ok: true, value: 0.5 });
  });

  it('very long values are clipped in the notice', () => {
    const r = parseSettings(`?lr=${'9'.repeat(500)}`);
    expect(r.problems[0].value.length).toBeLessThanOrEqual(41);
  });

  it('a loss that needs a head forces it (reported only when the URL asked for another)', () => {
    expect(parseSettings('?loss=fbl').problems).toEqual([]);
    expect(parseSettings('?loss=fbl').settings.config.head).toBe('linear');
    const r = parseSettings('?loss=gcl&head=linear');
    expect(r.settings.config.head).toBe('cosine');
    expect(r.problems.map((p) => p.param)).toEqual(['head']);
  });

  it('raises n_max when a class would get no image at this imbalance', () => {
    const r = parseSettings('?if=200&nmax=50');
    expect(r.settings.config.headImages).toBeGreaterThanOrEqual(200);
    expect(Math.min(...previewCounts(r.settings))).toBeGreaterThanOrEqual(1);
    expect(r.problems.map((p) => p.param)).toEqual(['nmax']);
  });

  it("'all' means the whole pool for n_max and the test set", () => {
    const r = parseSettings('?nmax=all&eval=all');
    expect(r.problems).toEqual([]);
    expect(r.settings.config.headImages).toBeNull();
    expect(r.settings.config.evalPerClass).toBeNull();
  });
});
