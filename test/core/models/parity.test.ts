/**
 * Parity with PyTorch: the same weights in a PyTorch ResNet_s (torch_resnet_s.py, written for this test after
 * Cao et al.'s LDAM-DRW resnet32 definition) and in our tfjs executor give the same train-mode outputs, gradients,
 * running statistics and eval-mode outputs. Skips when python3 with torch is missing, except under CI=true.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSpec, cloneWeights, createModel, setWeights, type HeadKind, type ModelKind } from '../../../src/core/models';
import { Rng } from '../../../src/core/rng';
import { seq, useCpu } from './helpers';

const PY = process.env.PYTHON ?? '/usr/bin/python3';
const here = dirname(fileURLToPath(import.meta.url));
const probe = spawnSync(PY, ['-c', 'import torch'], { encoding: 'utf8' });
const hasTorch = probe.status === 0;
const required = process.env.CI === 'true';
if (!hasTorch) {
  const msg = `PyTorch parity test: '${PY} -c "import torch"' failed (${(probe.stderr || String(probe.error)).trim().split('\n').pop()})`;
  if (required) throw new Error(`${msg}; torch is required under CI=true`);
  console.warn(`${msg} — skipping.`);
}

let dir = '';
beforeAll(async () => {
  await useCpu();
  dir = mkdtempSync(join(tmpdir(), 'ltp-parity-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function expectClose(name: string, actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol = 0) {
  expect(actual.length, name).toBe(expected.length);
  let worst = 0,
    at = -1;
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) - rtol * Math.abs(expected[i]);
    if (err > worst) {
      worst = err;
      at = i;
    }
  }
  expect(worst, `${name}[${at}]: ${actual[at]} vs ${expected[at]}`).toBeLessThanOrEqual(atol);
}

const cases: { kind: ModelKind; head: HeadKind; shape: [number, number, number]; b: number }[] = [
  { kind: 'resnet8', head: 'cosine', shape: [8, 8, 3], b: 3 },
  { kind: 'resnet8', head: 'linear', shape: [12, 12, 1], b: 2 }, // 12 → 6 → 3
  { kind: 'resnet20', head: 'linear', shape: [10, 10, 3], b: 2 }, // odd sizes: 10 → 5 → 3
];

describe.skipIf(!hasTorch)('PyTorch ResNet_s parity', () => {
  for (const c of cases) {
    it(`${c.kind}/${c.head} ${c.shape.join('×')}: train/eval outputs, gradients, running stats`, () => {
      const classes = 5;
      const m = createModel(buildSpec({ kind: c.kind, head: c.head, inputShape: c.shape, numClasses: classes }), new Rng(7));
      // Non-trivial BN parameters and running stats, so every term is exercised.
      const w = cloneWeights(m);
      let s = 100;
      for (const p of m.spec.params) {
        const v = w.get(p.name)!;
        const r = seq(v.length, s++);
        if (p.kind === 'bnWeight') v.set(r.map((x) => 1 + 0.3 * x));
        if (p.kind === 'bnBias' || p.kind === 'bnMean') v.set(r.map((x) => 0.2 * x));
        if (p.kind === 'bnVar') v.set(r.map((x) => 1 + 0.5 * x));
      }
      setWeights(m, w);
      const [h, wd, ch] = c.shape;
      const xData = seq(c.b * h * wd * ch, 3);
      const coefData = seq(c.b * classes, 5);
      const input = {
        blocks: c.kind === 'resnet8' ? 1 : c.kind === 'resnet20' ? 3 : 5,
        head: c.head,
        num_classes: classes,
        in_ch: ch,
        x: { shape: [c.b, h, wd, ch], data: Array.from(xData) },
        coef: { shape: [c.b, classes], data: Array.from(coefData) },
        weights: Object.fromEntries(m.spec.params.map((p) => [p.name, { shape: p.shape, data: Array.from(w.get(p.name)!) }])),
      };
      const inPath = join(dir, `${c.kind}-${c.head}-in.json`);
      const outPath = join(dir, `${c.kind}-${c.head}-out.json`);
      writeFileSync(inPath, JSON.stringify(input));
      const run = spawnSync(PY, [join(here, 'torch_resnet_s.py'), inPath, outPath], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      const ref = JSON.parse(readFileSync(outPath, 'utf8'));

      const x = tf.tensor4d(xData, [c.b, h, wd, ch]);
      const coef = tf.tensor2d(coefData, [c.b, classes]);
      let feats: Float32Array = new Float32Array(),
        out: Float32Array = new Float32Array();
      const { value, grads } = tf.variableGrads(() => {
        const r = m.forward(x, 'train');
        feats = r.features.dataSync() as Float32Array;
        out = r.output.dataSync() as Float32Array;
        return tf.sum(tf.mul(r.output, coef)) as tf.Scalar;
      }, m.trainable('all'));
      m.commitBnUpdates();
      expectClose('train features', feats, ref.train_features, 1e-4, 1e-4);
      expectClose('train output', out, ref.train_output, 1e-4, 1e-4);
      const trainable = m.spec.params.filter((p) => p.trainable);
      m.trainable('all').forEach((v, i) => {
        const name = trainable[i].name;
        const r: number[] = ref.grads[name];
        const scale = Math.max(1e-3, ...r.map(Math.abs));
        expectClose(`grad ${name}`, grads[v.name].dataSync(), r, 1e-4 * scale, 1e-3);
      });
      const after = cloneWeights(m);
      for (const [name, vals] of Object.entries(ref.buffers as Record<string, number[]>)) {
        expectClose(name, after.get(name)!, vals, 1e-5, 1e-4);
      }
      const e = m.forward(x, 'eval');
      expectClose('eval features', e.features.dataSync(), ref.eval_features, 1e-4, 1e-4);
      expectClose('eval output', e.output.dataSync(), ref.eval_output, 1e-4, 1e-4);
      tf.dispose([x, coef, value, e.features, e.output, ...Object.values(grads)]);
      m.dispose();
    });
  }
});
