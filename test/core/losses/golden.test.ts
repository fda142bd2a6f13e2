/**
 * Parity with the authors' PyTorch losses: every case and every loss entry of the golden file (outputs,
 * gradients w.r.t. classifier output, features, weight, bias) and the per-class vectors.
 * Works for any file of the documented shape: set GOLDEN_FILE=/path/to/file.json to check another one.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkEntry,
  checkGolden,
  checkPerClass,
  computePerClass,
  formatEntry,
  formatPerClass,
  parseGoldenFile,
  GoldenFormatError,
  type GoldenFile,
} from '../../../src/core/losses/compute/golden-check';

const FILE = process.env.GOLDEN_FILE ?? resolve(__dirname, '../../fixtures/golden/losses.json');
const golden: GoldenFile = parseGoldenFile(JSON.parse(readFileSync(FILE, 'utf8')));

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe(`golden parity (${FILE.split('/').slice(-2).join('/')})`, () => {
  for (const c of golden.cases) {
    const B = c.labels.length;
    const C = c.counts.length;
    const D = c.features[0].length;
    describe(`${c.name} (B=${B}, C=${C}, D=${D})`, () => {
      for (const name of Object.keys(c.losses)) {
        it(name, () => {
          const r = checkEntry(c, name);
          expect(r.error, formatEntry(r)).toBeUndefined();
          expect(r.lossPass, formatEntry(r)).toBe(true);
          for (const t of r.tensors) expect(t.pass, `${t.name}: ${formatEntry(r)}`).toBe(true);
          expect(r.pass).toBe(true);
        });
      }
      it('per-class vectors', () => {
        const rows = checkPerClass(c);
        const checked = rows.filter((p) => !p.skipped);
        // Every key a loss owns is checked (sampler keys such as cben* are skipped and reported as such).
        expect(checked.map((p) => p.key)).toEqual(Object.keys(c.perClass ?? {}).filter((k) => computePerClass(k, c.counts) !== null));
        for (const p of rows) expect(p.pass, formatPerClass(p)).toBe(true);
      });
    });
  }
});

describe('golden checker is not vacuous', () => {
  const clone = (): GoldenFile => JSON.parse(JSON.stringify(golden)) as GoldenFile;

  it('flags a perturbed loss value', () => {
    const g = clone();
    const c = g.cases[0];
    const name = Object.keys(c.losses)[0];
    c.losses[name].loss *= 1 + 1e-4;
    const r = checkEntry(c, name);
    expect(r.lossPass).toBe(false);
    expect(r.pass).toBe(false);
  });

  it('flags a perturbed gradient element and a wrong noise matrix', () => {
    const g = clone();
    const c = g.cases[0];
    const gclName = Object.keys(c.losses).find((k) => c.losses[k].spec.loss === 'gcl');
    const name = Object.keys(c.losses)[0];
    c.losses[name].gradFeatures[0][0] += 1e-3;
    const r = checkEntry(c, name);
    expect(r.tensors.find((t) => t.name === 'gradFeatures')!.pass).toBe(false);
    if (gclName && c.gclNoiseSecond) {
      c.losses[gclName].spec.noise = 'gclNoiseSecond';
      expect(checkEntry(c, gclName).pass).toBe(false);
    }
  });

  it('flags a perturbed per-class vector and reports an unknown loss as an error', () => {
    const g = clone();
    const c = g.cases[0];
    if (c.perClass?.kpsScale) {
      c.perClass.kpsScale[0] += 1e-3;
      expect(checkPerClass(c).find((p) => p.key === 'kpsScale')!.pass).toBe(false);
    }
    const name = Object.keys(c.losses)[0];
    c.losses[name].spec.loss = 'nonsense';
    const r = checkEntry(c, name);
    expect(r.pass).toBe(false);
    expect(r.error).toMatch(/unknown loss/);
  });

  it('rejects files of the wrong shape with GoldenFormatError', () => {
    expect(() => checkGolden({})).toThrow(GoldenFormatError);
    const g = clone();
    g.cases[0].features = g.cases[0].features.slice(1);
    expect(() => checkGolden(g)).toThrow(/features/);
  });
});
