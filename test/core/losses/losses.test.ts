/** Behaviour of the losses beyond golden parity: errors, class-order invariance, noise, focal factor, API. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { LOSSES, LOSS_IDS, getLoss, defaultParams } from '../../../src/core/losses/registry';
import type { LossDescription, LossParams } from '../../../src/core/losses/types';
import { drawClippedNormal } from '../../../src/core/losses/noise';
import { GCL_STAGE2_PARAMS } from '../../../src/core/losses/gcl';
import { countRankOrder, kpsGaScale, kpsMargin, kpsScale, mirrorByCountRank } from '../../../src/core/losses/perclass';
import { computeLoss, type ComputeContext as LossContext } from '../../../src/core/losses/compute';
import { detach, focalWeightNoGrad } from '../../../src/core/losses/compute/common';
import { fixedNoise, seededNoise } from '../../../src/core/losses/compute/noise';
import { Rng } from '../../../src/core/rng';
import type { GoldenFile } from '../../../src/core/losses/compute/golden-check';

const golden = JSON.parse(readFileSync(resolve(__dirname, '../../fixtures/golden/losses.json'), 'utf8')) as GoldenFile;

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

function ctxOf(counts: number[], extra: Partial<LossContext> = {}): LossContext {
  return {
    counts,
    alpha: 1,
    gaActive: false,
    drwActive: false,
    noise: seededNoise(1),
    head: 'cosine',
    ...extra,
  };
}

function randomInputs(B: number, C: number, D: number, seed: number) {
  const rng = new Rng(seed);
  const out = Array.from({ length: B }, () => Array.from({ length: C }, () => rng.next() * 2 - 1));
  const feat = Array.from({ length: B }, () => Array.from({ length: D }, () => rng.next()));
  const labels = Array.from({ length: B }, () => rng.int(C));
  return { out, feat, labels };
}

function evalLoss(def: LossDescription, out: number[][], feat: number[][], labels: number[], params: LossParams, ctx: LossContext): number {
  return tf.tidy(
    () =>
      computeLoss(
        def.id,
        { output: tf.tensor2d(out), labels: tf.tensor1d(labels, 'int32'), features: tf.tensor2d(feat) },
        params,
        ctx,
      ).dataSync()[0],
  );
}

describe('registry and schema', () => {
  it('has every loss id with a complete schema', () => {
    expect(LOSS_IDS.sort()).toEqual(['balancedSoftmax', 'cbce', 'ce', 'fbl', 'gcl', 'kps', 'ldam', 'logitAdjust']);
    for (const id of LOSS_IDS) {
      const def = LOSSES[id];
      expect(def.id).toBe(id);
      expect(getLoss(id)).toBe(def);
      expect(def.label.length).toBeGreaterThan(0);
      expect(def.summary.length).toBeGreaterThan(0);
      for (const s of def.schema) {
        expect(s.key && s.label && s.help, `${id}.${s.key}`).toBeTruthy();
        expect(s.min <= s.default && s.default <= s.max, `${id}.${s.key} default in range`).toBe(true);
        expect(s.step).toBeGreaterThan(0);
        if (s.kind === 'boolean') expect([s.min, s.max, s.step]).toEqual([0, 1, 1]);
      }
      expect(Object.keys(defaultParams(id))).toEqual(def.schema.map((s) => s.key));
    }
  });

  it('defaults follow the papers (docs/losses.md)', () => {
    expect(defaultParams('ce')).toEqual({ scale: 30 });
    expect(defaultParams('ldam')).toEqual({ maxM: 0.5, s: 30, beta: 0.9999 });
    expect(defaultParams('kps')).toMatchObject({ maxM: 0.2, s: 15 });
    expect(defaultParams('fbl')).toEqual({ A: 60 });
    expect(defaultParams('gcl')).toEqual({ s: 30, m: 0, noiseMul: 0.5, focalGamma: 0 });
    expect(GCL_STAGE2_PARAMS).toEqual({ s: 20, m: 0.1, noiseMul: 0.5, focalGamma: 1 });
    expect(defaultParams('logitAdjust')).toMatchObject({ tau: 1 });
    expect(defaultParams('cbce')).toMatchObject({ beta: 0.9999 });
  });

  it('unknown id throws a clear error', () => {
    expect(() => getLoss('nope')).toThrow(/Unknown loss 'nope'.*gcl/);
  });

  it('perClass exposes the chartable vectors actually in force', () => {
    const counts = [500, 200, 50, 10];
    const base = { counts, alpha: 0.5, gaActive: false, drwActive: false };
    const gcl = getLoss('gcl').perClass({}, base);
    const d = counts.map((n) => Math.log(500) - Math.log(n));
    gcl.cloudAmplitude.forEach((v, c) => expect(v).toBeCloseTo((0.5 * d[c]) / d[3], 12));
    expect(gcl.cloudAmplitude[0]).toBe(0);
    expect(gcl.cloudAmplitude[3]).toBeCloseTo(0.5, 12);
    expect(gcl.cloudLogit[3]).toBeCloseTo(15, 10);
    expect(getLoss('fbl').perClass({}, base).stimulus[3]).toBeCloseTo(0.5 * 60, 10);
    const kpsOff = getLoss('kps').perClass({ ga: 1 }, base);
    expect(Object.keys(kpsOff).sort()).toEqual(['margin', 'scale']);
    const kpsOn = getLoss('kps').perClass({ ga: 1 }, { ...base, gaActive: true });
    expect(Object.keys(kpsOn).sort()).toEqual(['gaScale', 'margin', 'scale']);
    expect(Object.keys(getLoss('kps').perClass({ ga: 0 }, { ...base, gaActive: true })).sort()).toEqual(['margin', 'scale']);
    expect(Object.keys(getLoss('ldam').perClass({}, base))).toEqual(['margin']);
    const drw = getLoss('ldam').perClass({}, { ...base, drwActive: true });
    expect(drw.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(4, 10);
    expect(
      getLoss('cbce')
        .perClass({}, base)
        .weights.reduce((a, b) => a + b, 0),
    ).toBeCloseTo(4, 10);
    expect(getLoss('ce').perClass({}, base)).toEqual({});
  });
});

describe('count validation', () => {
  const B = 4;
  const C = 4;
  const { out, feat, labels } = randomInputs(B, C, 3, 7);

  it('equal counts: GCL and FBL refuse with a clear message (no NaN)', () => {
    for (const id of ['gcl', 'fbl'] as const) {
      const def = getLoss(id);
      const ctx = ctxOf([100, 100, 100, 100]);
      expect(() => evalLoss(def, out, feat, labels, {}, ctx)).toThrow(
        new RegExp(`^${id.toUpperCase()}: all classes have the same training count`),
      );
      expect(() => def.perClass({}, ctx)).toThrow(/max d = 0/);
    }
  });

  it('equal counts are fine where the loss is defined (KPS, LDAM, CB, BS, LA)', () => {
    for (const id of ['kps', 'ldam', 'cbce', 'balancedSoftmax', 'logitAdjust'] as const) {
      const v = evalLoss(getLoss(id), out, feat, labels, {}, ctxOf([100, 100, 100, 100], { drwActive: true, gaActive: true }));
      expect(Number.isFinite(v), id).toBe(true);
    }
  });

  it('a zero-count class: every count-based loss refuses, naming itself and the class', () => {
    const names: Record<string, string> = {
      gcl: 'GCL',
      fbl: 'FBL',
      kps: 'KPS',
      ldam: 'LDAM',
      cbce: 'Class-balanced CE',
      balancedSoftmax: 'Balanced Softmax',
      logitAdjust: 'Logit adjustment',
    };
    for (const [id, name] of Object.entries(names)) {
      const ctx = ctxOf([100, 50, 0, 10], { drwActive: true });
      expect(() => evalLoss(getLoss(id), out, feat, labels, {}, ctx), id).toThrow(`${name}`);
      expect(() => evalLoss(getLoss(id), out, feat, labels, {}, ctx), id).toThrow(/class 2 has zero training samples/);
      expect(() => getLoss(id).perClass({}, ctx), id).toThrow(/zero training samples/);
    }
  });

  it('counts that do not match the classifier width are refused', () => {
    expect(() => evalLoss(getLoss('kps'), out, feat, labels, {}, ctxOf([100, 50, 10]))).toThrow(/3 classes.*4 columns/);
  });
});

describe('KPS is computed from the counts, not the class order', () => {
  function permuteCase(perm: number[], counts: number[], out: number[][], labels: number[]) {
    // new class j = old class perm[j]
    const inv = new Array<number>(perm.length);
    perm.forEach((old, j) => (inv[old] = j));
    return {
      counts: perm.map((old) => counts[old]),
      out: out.map((row) => perm.map((old) => row[old])),
      labels: labels.map((y) => inv[y]),
    };
  }

  for (const [caseIdx, ga] of [
    [0, false],
    [0, true],
    [2, true],
  ] as const) {
    it(`shuffled classes give the same loss and permuted gradients (${golden.cases[caseIdx].name}, GA ${ga ? 'on' : 'off'})`, () => {
      const c = golden.cases[caseIdx];
      const e = c.losses.kps;
      const C = c.counts.length;
      const perm = new Rng(123 + caseIdx).shuffle(Array.from({ length: C }, (_, i) => i));
      expect(perm).not.toEqual(Array.from({ length: C }, (_, i) => i));
      const p = permuteCase(perm, c.counts, e.input, c.labels);
      const def = getLoss('kps');
      const params = { maxM: 0.2, s: 15, ga: ga ? 1 : 0 };
      const run = (counts: number[], out: number[][], labels: number[]) =>
        tf.tidy(() => {
          const lab = tf.tensor1d(labels, 'int32');
          const f = tf.tensor2d(c.features);
          const { value, grad } = tf.valueAndGrad((o: tf.Tensor) =>
            computeLoss(def.id, { output: o as tf.Tensor2D, labels: lab, features: f }, params, ctxOf(counts, { gaActive: ga })),
          )(tf.tensor2d(out));
          return { v: value.dataSync()[0], g: grad.arraySync() as number[][] };
        });
      const a = run(c.counts, e.input, c.labels);
      const b = run(p.counts, p.out, p.labels);
      expect(Math.abs(a.v - b.v) / a.v).toBeLessThan(1e-6);
      const gPerm = a.g.map((row) => perm.map((old) => row[old]));
      b.g.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - gPerm[i][j])).toBeLessThan(1e-6)));
      const ref = ga ? c.losses.kps_ga.loss : e.loss;
      expect(Math.abs(b.v - ref) / ref).toBeLessThan(1e-5);
    });
  }

  it('per-class vectors permute with the classes (ties keep their relative order)', () => {
    const counts = golden.cases[1].counts; // CIFAR-100-LT with tied tail counts
    const C = counts.length;
    // A permutation that reverses the order of the classes but keeps tied classes in their relative order:
    // sort indices by ascending count, ties by ascending index.
    const perm = Array.from({ length: C }, (_, i) => i).sort((a, b) => counts[a] - counts[b] || a - b);
    const pc = perm.map((old) => counts[old]);
    const m0 = kpsMargin(counts, 0.2);
    const m1 = kpsMargin(pc, 0.2);
    const s0 = kpsScale(counts);
    const s1 = kpsScale(pc);
    const g0 = kpsGaScale(counts, 15);
    const g1 = kpsGaScale(pc, 15);
    perm.forEach((old, j) => {
      expect(m1[j]).toBeCloseTo(m0[old], 12);
      expect(s1[j]).toBeCloseTo(s0[old], 12);
      expect(g1[j]).toBeCloseTo(g0[old], 12);
    });
  });

  it("count-rank mirror equals the authors' index flip for head-first counts", () => {
    const counts = golden.cases[1].counts;
    const s = kpsScale(counts);
    expect(mirrorByCountRank(s, counts)).toEqual([...s].reverse());
    expect(countRankOrder([5, 9, 5, 7])).toEqual([1, 3, 0, 2]);
  });
});

describe('GCL noise', () => {
  it('default noise is seeded and reproducible, fresh on every call', () => {
    const a = seededNoise(42);
    const b = seededNoise(42);
    const a1 = a(8, 10).arraySync();
    const a2 = a(8, 10).arraySync();
    expect(b(8, 10).arraySync()).toEqual(a1);
    expect(b(8, 10).arraySync()).toEqual(a2);
    expect(a2).not.toEqual(a1);
    expect(seededNoise(43)(8, 10).arraySync()).not.toEqual(a1);
    // An Rng stream works the same way as its seed.
    expect(seededNoise(new Rng(42))(8, 10).arraySync()).toEqual(a1);
  });

  it('matches N(0, 1/3) clipped to [−1, 1] (before |·|) statistically', () => {
    const n = 200_000;
    const x = drawClippedNormal(new Rng(2024), new Float32Array(n));
    let sum = 0,
      sq = 0,
      abs = 0,
      clipped = 0,
      lo = Infinity,
      hi = -Infinity,
      neg = 0;
    for (const v of x) {
      sum += v;
      sq += v * v;
      abs += Math.abs(v);
      if (Math.abs(v) === 1) clipped++;
      if (v < 0) neg++;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const mean = sum / n;
    const std = Math.sqrt(sq / n - mean * mean);
    expect(Math.abs(mean)).toBeLessThan(0.004);
    expect(std).toBeGreaterThan(0.325);
    expect(std).toBeLessThan(0.336); // clipping at 3σ lowers σ = 0.3333 by ~0.5 %
    expect(abs / n).toBeCloseTo(Math.sqrt(2 / Math.PI) / 3, 2); // E|ε| = σ√(2/π) ≈ 0.266
    expect(lo).toBeGreaterThanOrEqual(-1);
    expect(hi).toBeLessThanOrEqual(1);
    expect(clipped / n).toBeGreaterThan(0.001); // P(|z| > 3) ≈ 0.0027
    expect(clipped / n).toBeLessThan(0.0045);
    expect(neg / n).toBeGreaterThan(0.49); // symmetric: GCL takes |ε| itself
  });

  it('GCL with the same seed gives the same loss; the cloud only lowers logits of non-head classes', () => {
    const { out, feat, labels } = randomInputs(6, 5, 3, 3);
    const counts = [1000, 300, 100, 30, 10];
    const l1 = evalLoss(getLoss('gcl'), out, feat, labels, {}, ctxOf(counts, { noise: seededNoise(9) }));
    const l2 = evalLoss(getLoss('gcl'), out, feat, labels, {}, ctxOf(counts, { noise: seededNoise(9) }));
    expect(l1).toBe(l2);
    const zero = fixedNoise([Array.from({ length: 6 }, () => new Array(5).fill(0))]);
    const l0 = evalLoss(getLoss('gcl'), out, feat, labels, {}, ctxOf(counts, { noise: zero }));
    const ce = evalLoss(getLoss('ce'), out, feat, labels, { scale: 30 }, ctxOf(counts));
    expect(l0).toBeCloseTo(ce, 4); // no noise, m = 0, s = 30 → scaled-cosine CE
  });

  it('fixedNoise replays in order, cycles, and rejects a wrong shape', () => {
    const m1 = [[0.1, -0.2]];
    const m2 = [[0.3, 0.4]];
    const src = fixedNoise([m1, m2]);
    expect(src(1, 2).arraySync()).toEqual([[0.1, -0.2].map(Math.fround)]);
    expect(src(1, 2).arraySync()).toEqual([[0.3, 0.4].map(Math.fround)]);
    expect(src(1, 2).arraySync()).toEqual([[0.1, -0.2].map(Math.fround)]);
    expect(() => src(2, 2)).toThrow(/fixedNoise: matrix #1 is \[1, 2\]/);
  });
});

describe('focal factor (GCL stage 2) has no gradient through p', () => {
  for (const gamma of [1, 2, 0.5]) {
    it(`gradient equals (1 − p_b)^γ · s · (softmax − onehot) / B, γ = ${gamma}`, () => {
      const { out, feat, labels } = randomInputs(5, 4, 3, 11);
      const counts = [400, 100, 40, 8];
      const noiseM = Array.from({ length: 5 }, (_, b) => Array.from({ length: 4 }, (_, c) => ((b * 4 + c) % 7) / 10 - 0.3));
      const params = { ...GCL_STAGE2_PARAMS, focalGamma: gamma };
      const def = getLoss('gcl');
      const g = tf.tidy(
        () =>
          tf
            .grad((o: tf.Tensor) =>
              computeLoss(
                def.id,
                { output: o as tf.Tensor2D, labels: tf.tensor1d(labels, 'int32'), features: tf.tensor2d(feat) },
                params,
                ctxOf(counts, { noise: fixedNoise([noiseM]) }),
              ),
            )(tf.tensor2d(out))
            .arraySync() as number[][],
      );
      // Analytic in double precision.
      const maxLog = Math.log(400);
      const d = counts.map((n) => maxLog - Math.log(n));
      const dh = d.map((v) => v / Math.max(...d));
      const B = out.length;
      let maxErr = 0;
      let maxWithP = 0;
      for (let b = 0; b < B; b++) {
        const o = out[b].map(
          (v, c) => params.s * (v - params.noiseMul * Math.abs(noiseM[b][c]) * dh[c] - (c === labels[b] ? params.m : 0)),
        );
        const mx = Math.max(...o);
        const ex = o.map((v) => Math.exp(v - mx));
        const Z = ex.reduce((a, v) => a + v, 0);
        const sm = ex.map((v) => v / Z);
        const nll = -Math.log(sm[labels[b]]);
        const p = Math.exp(-nll);
        const wConst = Math.pow(1 - p, gamma);
        // d/dnll of (1−p)^γ·nll WITH gradient through p (what we must NOT get):
        const wFull = wConst + nll * gamma * Math.pow(1 - p, gamma - 1) * p;
        for (let c = 0; c < 4; c++) {
          const dl = ((sm[c] - (c === labels[b] ? 1 : 0)) * params.s) / B;
          maxErr = Math.max(maxErr, Math.abs(g[b][c] - wConst * dl));
          maxWithP = Math.max(maxWithP, Math.abs(wFull * dl - wConst * dl));
        }
      }
      expect(maxErr).toBeLessThan(1e-5);
      expect(maxWithP).toBeGreaterThan(1e-3); // the two definitions are distinguishable on this data
    });
  }

  it('focalWeightNoGrad and detach pass values but no gradient', () => {
    const x = tf.tensor1d([0.1, 1, 3]);
    const w = focalWeightNoGrad(x, 2).arraySync();
    [0.1, 1, 3].forEach((v, i) => expect(w[i]).toBeCloseTo(Math.pow(1 - Math.exp(-v), 2), 6));
    const g1 = tf
      .grad((t: tf.Tensor) => tf.sum(focalWeightNoGrad(t as tf.Tensor1D, 2)))(x)
      .arraySync();
    const g2 = tf
      .grad((t: tf.Tensor) => tf.sum(tf.mul(detach(t), t)))(x)
      .arraySync() as number[];
    expect(g1).toEqual([0, 0, 0]);
    expect(g2.map((v) => +v.toFixed(5))).toEqual([0.1, 1, 3]); // d/dt (c·t) with c = detached t
  });
});

describe('cross-entropy details', () => {
  it('class-weighted CE uses PyTorch reduction Σ w_y·nll / Σ w_y (CB-CE and LDAM-DRW)', () => {
    const { out, feat, labels } = randomInputs(6, 3, 2, 5);
    const counts = [900, 90, 9];
    const beta = 0.99;
    const raw = counts.map((n) => (1 - beta) / (1 - Math.pow(beta, n)));
    const w = raw.map((v) => (v * 3) / raw.reduce((a, b) => a + b, 0));
    let num = 0,
      den = 0;
    out.forEach((row, b) => {
      const mx = Math.max(...row);
      const lse = mx + Math.log(row.reduce((a, v) => a + Math.exp(v - mx), 0));
      num += w[labels[b]] * (lse - row[labels[b]]);
      den += w[labels[b]];
    });
    const got = evalLoss(getLoss('cbce'), out, feat, labels, { beta }, ctxOf(counts, { head: 'linear' }));
    expect(got).toBeCloseTo(num / den, 5);
  });

  it('CE scales a cosine head by `scale` and leaves a linear head alone', () => {
    const { out, feat, labels } = randomInputs(4, 3, 2, 8);
    const lin = evalLoss(getLoss('ce'), out, feat, labels, { scale: 30 }, ctxOf([3, 2, 1], { head: 'linear' }));
    const cos = evalLoss(getLoss('ce'), out, feat, labels, { scale: 30 }, ctxOf([3, 2, 1], { head: 'cosine' }));
    const scaledLin = evalLoss(
      getLoss('ce'),
      out.map((r) => r.map((v) => v * 30)),
      feat,
      labels,
      {},
      ctxOf([3, 2, 1], { head: 'linear' }),
    );
    expect(cos).toBeCloseTo(scaledLin, 4);
    expect(Math.abs(lin - cos)).toBeGreaterThan(0.1);
  });

  it('Balanced Softmax equals logit adjustment with τ = 1', () => {
    const { out, feat, labels } = randomInputs(5, 4, 2, 4);
    const ctx = ctxOf([500, 120, 30, 7], { head: 'linear' });
    const bs = evalLoss(getLoss('balancedSoftmax'), out, feat, labels, {}, ctx);
    const la = evalLoss(getLoss('logitAdjust'), out, feat, labels, { tau: 1 }, ctx);
    expect(la).toBeCloseTo(bs, 5);
  });
});

describe('FBL', () => {
  it('gradient flows through ‖f‖ only when α > 0; an all-zero feature row gives no NaN', () => {
    const { feat, labels } = randomInputs(4, 3, 5, 6);
    feat[3] = [0, 0, 0, 0, 0];
    const W = randomInputs(5, 3, 1, 12).out; // [D, C]
    const counts = [600, 60, 6];
    // features → linear head → loss, as in training (tf.grads needs every x to reach the loss).
    const gradF = (id: 'fbl' | 'ce', alpha: number) =>
      tf.tidy(
        () =>
          tf
            .grad((f: tf.Tensor) =>
              computeLoss(
                id,
                { output: tf.matMul(f as tf.Tensor2D, tf.tensor2d(W)), labels: tf.tensor1d(labels, 'int32'), features: f as tf.Tensor2D },
                {},
                ctxOf(counts, { alpha, head: 'linear' }),
              ),
            )(tf.tensor2d(feat))
            .arraySync() as number[][],
      );
    const ce = gradF('ce', 0);
    const fbl0 = gradF('fbl', 0);
    fbl0.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(ce[i][j], 7)));
    const g = gradF('fbl', 0.5);
    expect(g.flat().every(Number.isFinite)).toBe(true);
    // Rows 0..2 have an extra ‖f‖ path: their gradient differs from CE's.
    const diff = Math.max(...g.slice(0, 3).flatMap((row, i) => row.map((v, j) => Math.abs(v - ce[i][j]))));
    expect(diff).toBeGreaterThan(1e-4);
  });
});

describe('memory', () => {
  it('compute + gradients inside tidy leave no tensors behind', () => {
    const { feat, labels } = randomInputs(4, 5, 3, 10);
    const counts = [1000, 300, 100, 30, 10];
    const before = tf.memory().numTensors;
    for (const id of LOSS_IDS) {
      tf.tidy(() => {
        const f = tf.tensor2d(feat);
        const W = tf.tensor2d(randomInputs(3, 5, 1, 13).out);
        tf.grads((ff: tf.Tensor, w: tf.Tensor) =>
          computeLoss(
            id,
            { output: tf.matMul(ff as tf.Tensor2D, w as tf.Tensor2D), labels: tf.tensor1d(labels, 'int32'), features: ff as tf.Tensor2D },
            id === 'gcl' ? GCL_STAGE2_PARAMS : {},
            ctxOf(counts, { gaActive: true, drwActive: true }),
          ),
        )([f, W]);
      });
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
