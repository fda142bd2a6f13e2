/**
 * Mixup parity for GCL, built from the golden file: the authors' scripts mix a batch as
 *   L = λ·GCL(output, y_a; ε₁) + (1 − λ)·GCL(output, y_b; ε₂)
 * (GCLLoss utils.py mixup_criterion), two calls of the loss with two separate noise draws. The golden file holds
 * both draws (gclNoise = ε₁, gclNoiseSecond = ε₂). The expected value is written from the definition in float64
 * here, independently of the tfjs code: GCL(y; ε) = mean_i w_i·nll_i with
 *   z_ic = s·(cos_ic − noiseMul·|ε_ic|·d̂_c − m·[c = y_i]),  nll_i = −log softmax(z_i)_{y_i},  w_i = (1 − e^{−nll_i})^γ
 * (γ = 0: w = 1), d̂_c = (log n_max − log n_c) / max_k(log n_max − log n_k). The float64 GCL is first checked
 * against the authors' value (the golden loss and d loss / d output for y_a, ε₁); then the mixed value and its
 * gradient from the project's computation (computeMixedLoss, the tfjs engine's path) and the logit-form spec
 * (evalLogitFormMix, the fused kernel's spec) are checked against it.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { mapSpec, parseGoldenFile, type GoldenCase } from '../../../src/core/losses/compute/golden-check';
import { computeMixedLoss } from '../../../src/core/losses/compute/mix';
import { fixedNoise } from '../../../src/core/losses/compute/noise';
import { evalLogitFormMix } from '../../../src/core/losses/logit-form-mix';
import { defaultParams, logitForm } from '../../../src/core/losses/registry';

const golden = parseGoldenFile(JSON.parse(readFileSync(new URL('../../fixtures/golden/losses.json', import.meta.url), 'utf8')));

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

interface GclParams {
  s: number;
  m: number;
  noiseMul: number;
  focalGamma: number;
}

/** Float64 GCL from the definition: loss and d loss / d output (the focal weight carries no gradient). */
function gcl64(cos: number[][], labels: number[], eps: number[][], counts: number[], p: GclParams): { loss: number; grad: number[][] } {
  const B = labels.length;
  const logMax = Math.log(Math.max(...counts));
  const gap = counts.map((n) => logMax - Math.log(n));
  const dMax = Math.max(...gap);
  const dHat = gap.map((g) => g / dMax);
  let loss = 0;
  const grad: number[][] = [];
  for (let i = 0; i < B; i++) {
    const z = cos[i].map((v, c) => p.s * (v - p.noiseMul * Math.abs(eps[i][c]) * dHat[c] - (c === labels[i] ? p.m : 0)));
    const zMax = Math.max(...z);
    const ex = z.map((v) => Math.exp(v - zMax));
    const sum = ex.reduce((a, b) => a + b, 0);
    const prob = ex.map((v) => v / sum);
    const nll = -Math.log(prob[labels[i]]);
    const w = p.focalGamma === 0 ? 1 : (1 - Math.exp(-nll)) ** p.focalGamma;
    loss += (w * nll) / B;
    grad.push(prob.map((q, c) => (w * p.s * (q - (c === labels[i] ? 1 : 0))) / B));
  }
  return { loss, grad };
}

const LAMBDA = 0.3;
const gclEntries = (c: GoldenCase) => Object.entries(c.losses).filter(([, e]) => e.spec.loss === 'gcl');

describe('GCL mixup from the golden draws (gclNoise, gclNoiseSecond)', () => {
  for (const c of golden.cases) {
    const B = c.labels.length;
    const C = c.counts.length;
    // a fixed pairing: each sample mixed with the one mirrored in the batch
    const perm = c.labels.map((_, i) => B - 1 - i);
    const labelsB = perm.map((j) => c.labels[j]);
    for (const [name, entry] of gclEntries(c)) {
      const spec = entry.spec as Record<string, number>;
      const p: GclParams = { s: spec.s, m: spec.m, noiseMul: spec.noiseMul, focalGamma: spec.focalGamma ?? 0 };
      const e1 = c.gclNoise!;
      const e2 = c.gclNoiseSecond!;
      const a = gcl64(entry.input, c.labels, e1, c.counts, p);
      const b = gcl64(entry.input, labelsB, e2, c.counts, p);
      const expected = LAMBDA * a.loss + (1 - LAMBDA) * b.loss;
      const expectedGrad = a.grad.map((row, i) => row.map((v, k) => LAMBDA * v + (1 - LAMBDA) * b.grad[i][k]));

      it(`${c.name} / ${name}: the float64 definition matches the authors' GCL value and gradient (y_a, ε₁)`, () => {
        expect(Math.abs(a.loss - entry.loss)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(entry.loss)));
        const ref = entry.gradInput;
        const maxRef = Math.max(...ref.flat().map(Math.abs));
        for (let i = 0; i < B; i++)
          for (let k = 0; k < C; k++) expect(Math.abs(a.grad[i][k] - ref[i][k])).toBeLessThanOrEqual(1e-6 + 1e-5 * maxRef);
        // the two draws differ, so the second call really uses its own noise
        expect(e1.flat()).not.toEqual(e2.flat());
        expect(Math.abs(gcl64(entry.input, labelsB, e1, c.counts, p).loss - b.loss)).toBeGreaterThan(1e-6);
      });

      it(`${c.name} / ${name}: computeMixedLoss (the tfjs engine's path) = λ·L(y_a, ε₁) + (1 − λ)·L(y_b, ε₂)`, () => {
        const m = mapSpec(entry.spec, entry.classifier);
        const params = { ...defaultParams('gcl'), ...m.params };
        const features = tf.tensor2d(c.features);
        const ya = tf.tensor1d(c.labels, 'int32');
        const yb = tf.tensor1d(labelsB, 'int32');
        const out = tf.tensor2d(entry.input);
        const ctx = { counts: c.counts, ...m.ctx };
        const f = (o: tf.Tensor2D) =>
          computeMixedLoss(
            'gcl',
            { output: o, labels: ya, features },
            params,
            { ...ctx, noise: fixedNoise([e1]) },
            {
              labels: yb,
              lambda: LAMBDA,
              noise: fixedNoise([e2]),
            },
          );
        const { value, grad } = tf.valueAndGrad(f)(out);
        const v = value.dataSync()[0];
        const g = grad.arraySync() as number[][];
        expect(Math.abs(v - expected)).toBeLessThanOrEqual(2e-5 * Math.max(1, Math.abs(expected)));
        const maxRef = Math.max(...expectedGrad.flat().map(Math.abs));
        for (let i = 0; i < B; i++)
          for (let k = 0; k < C; k++) expect(Math.abs(g[i][k] - expectedGrad[i][k])).toBeLessThanOrEqual(1e-6 + 2e-5 * maxRef);
        // one noise draw for both terms would give another value
        const same = computeMixedLoss(
          'gcl',
          { output: out, labels: ya, features },
          params,
          { ...ctx, noise: fixedNoise([e1]) },
          {
            labels: yb,
            lambda: LAMBDA,
            noise: fixedNoise([e1]),
          },
        );
        expect(Math.abs(same.dataSync()[0] - expected)).toBeGreaterThan(1e-5);
        tf.dispose([features, ya, yb, out, value, grad, same]);
      });

      it(`${c.name} / ${name}: the logit-form spec of the fused kernel (evalLogitFormMix) agrees`, () => {
        const m = mapSpec(entry.spec, entry.classifier);
        const params = { ...defaultParams(m.id), ...m.params };
        const form = logitForm(m.id, params, { counts: c.counts, ...m.ctx });
        const norms = c.features.map((row) => Math.sqrt(row.reduce((acc, v) => acc + v * v, 0) + 1e-24));
        const r = evalLogitFormMix(
          form,
          entry.input.flat(),
          norms,
          { labels: c.labels, noise: e1.flat() },
          { labels: labelsB, noise: e2.flat() },
          LAMBDA,
        );
        expect(Math.abs(r.loss - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
        const flat = expectedGrad.flat();
        for (let i = 0; i < flat.length; i++) expect(Math.abs(r.gradOutput[i] - flat[i])).toBeLessThanOrEqual(1e-9);
      });
    }
  }
});
