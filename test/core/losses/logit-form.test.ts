/**
 * The common logit form (src/core/losses/logit-form.ts) reproduces every golden entry of the authors' losses —
 * loss and d loss / d classifier output — in float64 without tfjs: it is the specification the fused executor's
 * loss kernel implements.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evalLogitForm } from '../../../src/core/losses/logit-form';
import { mapSpec, parseGoldenFile } from '../../../src/core/losses/compute/golden-check';
import { defaultParams, logitForm } from '../../../src/core/losses/registry';

const golden = parseGoldenFile(JSON.parse(readFileSync(new URL('../../fixtures/golden/losses.json', import.meta.url), 'utf8')));

describe('logit form vs the golden file', () => {
  for (const gc of golden.cases) {
    for (const [name, entry] of Object.entries(gc.losses)) {
      it(`${gc.name} / ${name}`, () => {
        const m = mapSpec(entry.spec, entry.classifier);
        const params = { ...defaultParams(m.id), ...m.params };
        const form = logitForm(m.id, params, { counts: gc.counts, ...m.ctx });
        const B = gc.labels.length;
        const C = gc.counts.length;
        const norms = gc.features.map((row) => Math.sqrt(row.reduce((a, v) => a + v * v, 0) + 1e-24));
        const noiseM = form.usesNoise ? (gc[m.noiseKey ?? 'gclNoise'] as number[][]) : null;
        const r = evalLogitForm(form, entry.input.flat(), gc.labels, norms, noiseM ? noiseM.flat() : null);
        expect(Math.abs(r.loss - entry.loss)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(entry.loss)));
        const ref = entry.gradInput.flat();
        const maxRef = Math.max(...ref.map(Math.abs));
        for (let i = 0; i < B * C; i++) expect(Math.abs(r.gradOutput[i] - ref[i])).toBeLessThanOrEqual(1e-5 + 1e-5 * maxRef);
      });
    }
  }
});
