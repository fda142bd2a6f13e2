/**
 * The golden file (the authors' PyTorch outputs and gradients) through the fused executor's own head and loss
 * kernels: golden features and classifier weights → head forward → loss → head backward on WebGPU (Dawn +
 * SwiftShader), checked with the tolerances of test/fixtures/golden/README.md. Must run under CI=true.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GRAD_ABS_TOL, GRAD_REL_TOL, LOSS_REL_TOL, mapSpec, parseGoldenFile } from '../../../src/core/losses/compute/golden-check';
import { logitForm } from '../../../src/core/losses/registry';
import { evalLogitFormMix } from '../../../src/core/losses/logit-form-mix';
import { defaultParams } from '../../../src/core/losses/registry';
import { runTailProbe } from '../../../src/core/gpu/tail-probe';
import { CI, dawnDevice } from './helpers';

const golden = parseGoldenFile(JSON.parse(readFileSync(new URL('../../fixtures/golden/losses.json', import.meta.url), 'utf8')));
const { device, why } = await dawnDevice();
if (!device && !CI) console.warn(`[loss-kernel-golden.test] SKIPPED: WebGPU (Dawn) could not start: ${why}`);

function expectClose(got: ArrayLike<number>, ref: number[], what: string): void {
  expect(got.length, what).toBe(ref.length);
  let maxRef = 0;
  for (const r of ref) maxRef = Math.max(maxRef, Math.abs(r));
  const tol = GRAD_ABS_TOL + GRAD_REL_TOL * maxRef;
  let err = 0;
  for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(got[i] - ref[i]) || (Number.isNaN(got[i]) ? Infinity : 0));
  expect(err, `${what}: max error ${err}, tolerance ${tol}`).toBeLessThanOrEqual(tol);
}

const f32 = (m: number[][]) => Float32Array.from(m.flat());

describe.skipIf(!device && !CI)('golden losses through the fused executor kernels (WebGPU)', () => {
  for (const gc of golden.cases) {
    for (const [name, entry] of Object.entries(gc.losses)) {
      it(`${gc.name} / ${name}`, async () => {
        if (!device) throw new Error(`WebGPU must start under CI but did not: ${why}`);
        const m = mapSpec(entry.spec, entry.classifier);
        const form = logitForm(m.id, { ...defaultParams(m.id), ...m.params }, { counts: gc.counts, ...m.ctx });
        const D = gc.features[0].length;
        const C = gc.counts.length;
        const noise = form.usesNoise ? f32(gc[m.noiseKey ?? 'gclNoise'] as number[][]) : undefined;
        const r = await runTailProbe(device, {
          head: entry.classifier,
          features: f32(gc.features),
          weight: f32(gc.cosWeight),
          bias: Float32Array.from(gc.linearBias),
          D,
          C,
          labels: Int32Array.from(gc.labels),
          form,
          noise,
        });
        expect(Math.abs(r.loss - entry.loss)).toBeLessThanOrEqual(LOSS_REL_TOL * Math.abs(entry.loss));
        expectClose(r.output, entry.input.flat(), 'classifier output');
        expectClose(r.gradOutput, entry.gradInput.flat(), 'gradInput');
        expectClose(r.gradFeatures, entry.gradFeatures.flat(), 'gradFeatures');
        expectClose(r.gradWeight, entry.gradWeight.flat(), 'gradWeight');
        if (entry.gradBias) expectClose(r.gradBias!, entry.gradBias, 'gradBias');
      });
    }
  }

  it('mixup: two GCL draws, each with its own mean, combined λ·L_a + (1 − λ)·L_b (float64 reference)', async () => {
    if (!device) throw new Error(`WebGPU must start under CI but did not: ${why}`);
    const gc = golden.cases[0];
    const C = gc.counts.length;
    const D = gc.features[0].length;
    const B = gc.labels.length;
    const form = logitForm(
      'gcl',
      { ...defaultParams('gcl'), focalGamma: 1, m: 0.1, s: 20 },
      { counts: gc.counts, head: 'cosine', alpha: 0, gaActive: false, drwActive: false },
    );
    const labelsB = Int32Array.from(gc.labels, (y, i) => (y + 1 + i) % C);
    const noiseA = f32(gc.gclNoise!);
    const noiseB = f32(gc.gclNoiseSecond!);
    const lambda = 0.3;
    const r = await runTailProbe(device, {
      head: 'cosine',
      features: f32(gc.features),
      weight: f32(gc.cosWeight),
      D,
      C,
      labels: Int32Array.from(gc.labels),
      form,
      noise: noiseA,
      mix: { labels: labelsB, lambda, noise: noiseB },
    });
    const norms = gc.features.map((row) => Math.sqrt(row.reduce((a, v) => a + v * v, 0) + 1e-24));
    const ref = evalLogitFormMix(form, r.output, norms, { labels: gc.labels, noise: noiseA }, { labels: labelsB, noise: noiseB }, lambda);
    expect(Math.abs(r.loss - ref.loss)).toBeLessThanOrEqual(LOSS_REL_TOL * Math.abs(ref.loss));
    expectClose(r.gradOutput, Array.from(ref.gradOutput), 'mixup gradInput');
    // the two halves really differ: the mixed loss is neither of them
    const a = evalLogitFormMix(form, r.output, norms, { labels: gc.labels, noise: noiseA }, { labels: labelsB, noise: noiseB }, 1);
    const b = evalLogitFormMix(form, r.output, norms, { labels: gc.labels, noise: noiseA }, { labels: labelsB, noise: noiseB }, 0);
    expect(Math.abs(a.loss - b.loss)).toBeGreaterThan(0.1);
    expect(r.featureNorms.length).toBe(B);
  });
});
