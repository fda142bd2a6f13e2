import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildSpec,
  cloneWeights,
  createModel,
  optionAKernel,
  optionAShortcut,
  bnTrain,
  setWeights,
  applyHead,
  type HeadKind,
  type ModelKind,
} from '../../../src/core/models';
import { Rng } from '../../../src/core/rng';
import { countKernels, randInput, seq, trainStep, useCpu } from './helpers';

beforeAll(useCpu);

const make = (kind: ModelKind, head: HeadKind, inputShape: [number, number, number] = [8, 8, 3], numClasses = 5, seed = 1) =>
  createModel(buildSpec({ kind, head, inputShape, numClasses }), new Rng(seed));

describe('forward shapes', () => {
  for (const kind of ['convnet', 'resnet8', 'resnet20', 'resnet32'] as const) {
    for (const inputShape of [
      [28, 28, 1],
      [32, 32, 3],
    ] as [number, number, number][]) {
      it(`${kind} ${inputShape.join('×')}`, () => {
        const m = make(kind, kind === 'resnet20' ? 'linear' : 'cosine', inputShape, 10);
        const x = randInput(2, ...inputShape);
        for (const mode of ['train', 'eval'] as const) {
          const { features, output } = m.forward(x, mode);
          expect(features.shape).toEqual([2, 64]);
          expect(output.shape).toEqual([2, 10]);
          expect(Array.from(output.dataSync()).every(Number.isFinite)).toBe(true);
          tf.dispose([features, output]);
        }
        m.discardBnUpdates();
        x.dispose();
        m.dispose();
      });
    }
  }

  it('features are post-ReLU (non-negative) and the input shape is checked', () => {
    const m = make('resnet8', 'linear');
    const x = randInput(2, 8, 8, 3);
    const { features, output } = m.forward(x, 'eval');
    expect(Math.min(...features.dataSync())).toBeGreaterThanOrEqual(0);
    expect(() => m.forward(randInput(2, 8, 8, 1), 'eval')).toThrow(/expected input \[B, 8, 8, 3\]/);
    tf.dispose([x, features, output]);
    m.dispose();
  });
});

describe('init', () => {
  it('same seed → identical weights; different seed → different', () => {
    const a = cloneWeights(make('resnet8', 'cosine', [8, 8, 3], 5, 42));
    const b = cloneWeights(make('resnet8', 'cosine', [8, 8, 3], 5, 42));
    const c = cloneWeights(make('resnet8', 'cosine', [8, 8, 3], 5, 43));
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [k, v] of a) expect(b.get(k)).toEqual(v);
    expect(c.get('conv1.weight')).not.toEqual(a.get('conv1.weight'));
    // The backbone does not depend on the head kind (one forked stream per parameter name).
    const d = cloneWeights(make('resnet8', 'linear', [8, 8, 3], 5, 42));
    expect(d.get('layer3.0.conv2.weight')).toEqual(a.get('layer3.0.conv2.weight'));
  });

  it('conv weights: kaiming normal, fan_in, std √(2/fan_in), not truncated', () => {
    const w = cloneWeights(make('resnet32', 'cosine'));
    for (const [name, fanIn] of [
      ['layer3.1.conv1.weight', 9 * 64],
      ['layer2.2.conv2.weight', 9 * 32],
    ] as const) {
      const v = w.get(name)!;
      const mean = v.reduce((a, x) => a + x, 0) / v.length;
      const std = Math.sqrt(v.reduce((a, x) => a + (x - mean) ** 2, 0) / v.length);
      const target = Math.sqrt(2 / fanIn);
      expect(Math.abs(mean)).toBeLessThan(0.05 * target);
      expect(Math.abs(std / target - 1)).toBeLessThan(0.03);
      // not truncated at 2σ: a normal sample of this size has ~4.6% beyond 2σ
      const beyond = v.filter((x) => Math.abs(x) > 2 * target).length / v.length;
      expect(beyond).toBeGreaterThan(0.03);
    }
  });

  it('BN weight 1, bias 0, running mean 0, var 1; heads', () => {
    const w = cloneWeights(make('resnet8', 'linear', [8, 8, 3], 5));
    expect(w.get('layer1.0.bn2.weight')!.every((x) => x === 1)).toBe(true);
    expect(w.get('layer1.0.bn2.bias')!.every((x) => x === 0)).toBe(true);
    expect(w.get('bn1.running_mean')!.every((x) => x === 0)).toBe(true);
    expect(w.get('bn1.running_var')!.every((x) => x === 1)).toBe(true);
    const bound = 1 / Math.sqrt(64);
    const lw = w.get('linear.weight')!;
    const lb = w.get('linear.bias')!;
    expect(Math.max(...lw.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...lw.map(Math.abs))).toBeGreaterThan(0.8 * bound);
    expect(Math.max(...lb.map(Math.abs))).toBeLessThanOrEqual(bound);
    const cw = cloneWeights(make('resnet8', 'cosine', [8, 8, 3], 5)).get('linear.weight')!;
    for (let j = 0; j < 5; j++) {
      let s = 0;
      for (let i = 0; i < 64; i++) s += cw[i * 5 + j] ** 2;
      expect(Math.sqrt(s)).toBeCloseTo(1, 5);
    }
  });
});

describe('heads', () => {
  it('cosine head output is in [−1, 1] and equals normalize(f)·normalize(W)', () => {
    const m = make('convnet', 'cosine', [8, 8, 3], 4);
    const x = randInput(3, 8, 8, 3);
    const { features, output } = m.forward(x, 'train');
    const f = features.arraySync();
    const W = m.vars.get('linear.weight')!.arraySync() as number[][];
    const o = output.arraySync();
    for (let b = 0; b < 3; b++) {
      const fn = Math.max(Math.hypot(...f[b]), 1e-12);
      for (let c = 0; c < 4; c++) {
        const wn = Math.max(Math.hypot(...W.map((r) => r[c])), 1e-12);
        let dot = 0;
        for (let d = 0; d < 64; d++) dot += f[b][d] * W[d][c];
        expect(o[b][c]).toBeCloseTo(dot / fn / wn, 5);
        expect(Math.abs(o[b][c])).toBeLessThanOrEqual(1 + 1e-6);
      }
    }
    // zero features → zero cosines (no NaN), like F.normalize
    const z = applyHead(m, tf.zeros([1, 64]) as tf.Tensor2D);
    expect(Array.from(z.dataSync())).toEqual([0, 0, 0, 0]);
    tf.dispose([x, features, output, z]);
    m.discardBnUpdates();
    m.dispose();
  });

  it('linear head equals f·W + b', () => {
    const m = make('convnet', 'linear', [8, 8, 3], 4);
    const x = randInput(2, 8, 8, 3);
    const { features, output } = m.forward(x, 'eval');
    const f = features.arraySync();
    const W = m.vars.get('linear.weight')!.arraySync() as number[][];
    const bias = m.vars.get('linear.bias')!.arraySync() as number[];
    const o = output.arraySync();
    for (let b = 0; b < 2; b++)
      for (let c = 0; c < 4; c++) {
        let z = bias[c];
        for (let d = 0; d < 64; d++) z += f[b][d] * W[d][c];
        expect(o[b][c]).toBeCloseTo(z, 5);
      }
    tf.dispose([x, features, output]);
    m.dispose();
  });
});

describe('option-A shortcut', () => {
  it('x[:, ::2, ::2] plus planes//4 zero channels each side (even and odd sizes)', () => {
    for (const [h, w] of [
      [4, 4],
      [5, 3],
    ]) {
      const inC = 2,
        outC = 4;
      const data = Array.from({ length: h * w * inC }, (_, i) => i + 1);
      const x = tf.tensor4d(data, [1, h, w, inC]);
      const k = optionAKernel(inC, outC);
      const y = optionAShortcut(x, k);
      const oh = Math.ceil(h / 2),
        ow = Math.ceil(w / 2);
      expect(y.shape).toEqual([1, oh, ow, outC]);
      const yv = y.arraySync()[0];
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++) {
          const src = (c: number) => data[(2 * i * w + 2 * j) * inC + c];
          expect(yv[i][j]).toEqual([0, src(0), src(1), 0]);
        }
      // gradient: scattered back onto the even positions of the kept channels
      const g = tf.grad((t: tf.Tensor) =>
        tf.sum(tf.mul(optionAShortcut(t as tf.Tensor4D, k), tf.range(1, 1 + oh * ow * outC).reshape([1, oh, ow, outC]))),
      )(x) as tf.Tensor4D;
      const gv = g.arraySync()[0];
      for (let i = 0; i < h; i++)
        for (let j = 0; j < w; j++)
          for (let c = 0; c < inC; c++) {
            const expected = i % 2 === 0 && j % 2 === 0 ? ((i / 2) * ow + j / 2) * outC + c + 1 + 1 : 0;
            expect(gv[i][j][c]).toBe(expected);
          }
      tf.dispose([x, k, y, g]);
    }
    expect(() => optionAKernel(16, 48)).toThrow(/option-A/);
  });
});

/** Naive training-mode BN with tfjs' own ops (autograd reference). */
function naiveBn(x: tf.Tensor4D, g: tf.Tensor1D, b: tf.Tensor1D, relu: boolean, res: tf.Tensor4D | null) {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  let y = tf.batchNorm(x, mean, variance, b, g, 1e-5) as tf.Tensor4D;
  if (res) y = tf.add(y, res);
  return relu ? tf.relu(y) : y;
}

describe('BatchNorm', () => {
  it('training mode uses batch statistics (hand computation) and its gradient matches autograd of the formula', () => {
    const x = tf.tensor4d(
      seq(2 * 3 * 2 * 3, 5).map((v, i) => v * (1 + (i % 3)) + (i % 3)),
      [2, 3, 2, 3],
    );
    const g = tf.tensor1d([1.5, -0.5, 2]);
    const b = tf.tensor1d([0.1, 0.2, -0.3]);
    const res = tf.tensor4d(seq(36, 9), [2, 3, 2, 3]);
    const coef = tf.tensor4d(seq(36, 11), [2, 3, 2, 3]);
    const xs = x.dataSync();
    for (const [relu, withRes] of [
      [false, false],
      [true, false],
      [true, true],
      [false, true],
    ] as const) {
      const r = withRes ? res : null;
      let stats: { mean: tf.Tensor1D; variance: tf.Tensor1D } | null = null;
      const ours = tf.grads((...t: tf.Tensor[]) => {
        const out = bnTrain(
          t[0] as tf.Tensor4D,
          t[1] as tf.Tensor1D,
          t[2] as tf.Tensor1D,
          1e-5,
          relu,
          withRes ? (t[3] as tf.Tensor4D) : null,
        );
        stats = out.stats;
        return tf.sum(tf.mul(out.y, coef));
      });
      const ref = tf.grads((...t: tf.Tensor[]) =>
        tf.sum(
          tf.mul(
            naiveBn(t[0] as tf.Tensor4D, t[1] as tf.Tensor1D, t[2] as tf.Tensor1D, relu, withRes ? (t[3] as tf.Tensor4D) : null),
            coef,
          ),
        ),
      );
      const inputs = withRes ? [x, g, b, res] : [x, g, b];
      const a = ours(inputs);
      const e = ref(inputs);
      for (let i = 0; i < (withRes ? 4 : 3); i++) {
        const av = a[i].dataSync(),
          ev = e[i].dataSync();
        for (let j = 0; j < av.length; j++) expect(av[j]).toBeCloseTo(ev[j], 4);
      }
      // forward value and batch statistics by hand
      const y = bnTrain(x, g, b, 1e-5, relu, r);
      const yv = y.y.dataSync();
      const s = stats!;
      for (let c = 0; c < 3; c++) {
        const vals = Array.from(xs).filter((_, i) => i % 3 === c);
        const mu = vals.reduce((p, v) => p + v, 0) / vals.length;
        const varB = vals.reduce((p, v) => p + (v - mu) ** 2, 0) / vals.length;
        expect(s.mean.dataSync()[c]).toBeCloseTo(mu, 5);
        expect(s.variance.dataSync()[c]).toBeCloseTo(varB, 5);
        for (let i = c; i < xs.length; i += 3) {
          let v = ((xs[i] - mu) / Math.sqrt(varB + 1e-5)) * g.dataSync()[c] + b.dataSync()[c];
          if (r) v += res.dataSync()[i];
          if (relu) v = Math.max(v, 0);
          expect(yv[i]).toBeCloseTo(v, 4);
        }
      }
      tf.dispose([...a, ...e, y.y, y.stats.mean, y.stats.variance, s.mean, s.variance]);
    }
    tf.dispose([x, g, b, res, coef]);
  });

  it('running stats follow PyTorch (momentum 0.1, unbiased var) after commitBnUpdates; eval uses them', () => {
    // 1-channel convnet; conv1 = centre tap (c+1) so bn1 sees (c+1)·x exactly.
    const m = make('convnet', 'linear', [4, 4, 1], 3);
    const w = cloneWeights(m);
    const k = new Float32Array(9 * 16);
    for (let c = 0; c < 16; c++) k[4 * 16 + c] = c + 1;
    w.set('conv1.weight', k);
    w.set('bn1.running_mean', new Float32Array(16).fill(0.5));
    w.set('bn1.running_var', new Float32Array(16).fill(2));
    setWeights(m, w);
    const xv = seq(2 * 16, 7);
    const x = tf.tensor4d(xv, [2, 4, 4, 1]);
    const n = xv.length;
    const mu = xv.reduce((a, v) => a + v, 0) / n;
    const ss = xv.reduce((a, v) => a + (v - mu) ** 2, 0);
    const before = cloneWeights(m);
    const r = m.forward(x, 'train');
    tf.dispose([r.features, r.output]);
    // nothing applied before commit
    expect(cloneWeights(m).get('bn1.running_mean')).toEqual(before.get('bn1.running_mean'));
    m.commitBnUpdates();
    const after = cloneWeights(m);
    for (let c = 0; c < 16; c++) {
      const s = c + 1;
      expect(after.get('bn1.running_mean')![c]).toBeCloseTo(0.9 * 0.5 + 0.1 * s * mu, 6);
      expect(after.get('bn1.running_var')![c]).toBeCloseTo(0.9 * 2 + (0.1 * s * s * ss) / (n - 1), 4);
    }
    expect(m.bnBatchesTracked.get('bn1')).toBe(1);
    expect(m.bnBatchesTracked.get('bn3')).toBe(1);
    // discard leaves everything unchanged
    const r2 = m.forward(x, 'train');
    tf.dispose([r2.features, r2.output]);
    m.discardBnUpdates();
    m.commitBnUpdates();
    expect(cloneWeights(m)).toEqual(after);
    expect(m.bnBatchesTracked.get('bn1')).toBe(1);
    // eval: running stats, deterministic, independent of the batch composition
    const e1 = m.forward(x, 'eval');
    const e2 = m.forward(x, 'eval');
    expect(e1.output.dataSync()).toEqual(e2.output.dataSync());
    const single = m.forward(x.slice([0, 0, 0, 0], [1, 4, 4, 1]), 'eval');
    const o1 = e1.output.dataSync().slice(0, 3);
    single.output.dataSync().forEach((v, i) => expect(v).toBeCloseTo(o1[i], 5));
    // eval bn1 by hand on the first pixel after conv1: (s·x − rm)/√(rv + eps)·γ + β, γ=1, β=0, then ReLU → pool…
    // (checked through the parity test; here: train-mode output differs from eval-mode output)
    const t = m.forward(x, 'train');
    expect(Array.from(t.output.dataSync())).not.toEqual(Array.from(e1.output.dataSync()));
    m.discardBnUpdates();
    tf.dispose([x, e1.features, e1.output, e2.features, e2.output, single.features, single.output, t.features, t.output]);
    m.dispose();
  });

  it('two train forwards before a commit are applied in order', () => {
    const m = make('convnet', 'cosine', [4, 4, 1], 3);
    const x1 = randInput(2, 4, 4, 1, 3),
      x2 = randInput(2, 4, 4, 1, 4);
    const ref = make('convnet', 'cosine', [4, 4, 1], 3);
    for (const x of [x1, x2]) {
      const r = ref.forward(x, 'train');
      tf.dispose([r.features, r.output]);
      ref.commitBnUpdates();
    }
    for (const x of [x1, x2]) {
      const r = m.forward(x, 'train');
      tf.dispose([r.features, r.output]);
    }
    m.commitBnUpdates();
    const a = cloneWeights(m),
      b = cloneWeights(ref);
    for (const [k, v] of a) v.forEach((x, i) => expect(x).toBeCloseTo(b.get(k)![i], 6));
    expect(m.bnBatchesTracked.get('bn2')).toBe(2);
    tf.dispose([x1, x2]);
    m.dispose();
    ref.dispose();
  });
});

describe('training step', () => {
  for (const [kind, head] of [
    ['resnet8', 'cosine'],
    ['resnet8', 'linear'],
    ['convnet', 'cosine'],
    ['resnet20', 'linear'],
  ] as const) {
    it(`${kind}/${head}: gradients reach every trainable parameter`, () => {
      const m = make(kind, head, [8, 8, 3], 4);
      const x = randInput(3, 8, 8, 3);
      const coef = tf.tensor2d(seq(12, 3), [3, 4]);
      const { value, grads } = trainStep(m, x, coef);
      const names = m.spec.params.filter((p) => p.trainable).map((p) => p.name);
      expect(m.trainable('all')).toHaveLength(names.length);
      for (const [i, v] of m.trainable('all').entries()) {
        const g = grads[v.name];
        expect(g, names[i]).toBeDefined();
        expect(g.shape).toEqual(v.shape);
        const maxAbs = Math.max(...Array.from(g.dataSync()).map(Math.abs));
        expect(maxAbs, names[i]).toBeGreaterThan(0);
      }
      m.commitBnUpdates();
      tf.dispose([value, x, coef, ...Object.values(grads)]);
      m.dispose();
    });
  }

  it('classifier-only step in eval mode (GCL stage 2): grads for linear.* only, BN untouched', () => {
    const m = make('resnet8', 'cosine', [8, 8, 3], 4);
    const before = cloneWeights(m);
    const x = randInput(2, 8, 8, 3);
    const coef = tf.tensor2d(seq(8, 3), [2, 4]);
    const { value, grads } = tf.variableGrads(
      () => tf.sum(tf.mul(m.forward(x, 'eval').output, coef)) as tf.Scalar,
      m.trainable('classifier'),
    );
    expect(Object.keys(grads)).toEqual([m.vars.get('linear.weight')!.name]);
    expect(Math.max(...Array.from(Object.values(grads)[0].dataSync()).map(Math.abs))).toBeGreaterThan(0);
    m.commitBnUpdates(); // nothing pending
    expect(cloneWeights(m)).toEqual(before);
    expect(m.bnBatchesTracked.get('bn1')).toBe(0);
    tf.dispose([x, coef, value, ...Object.values(grads)]);
    m.dispose();
  });

  it("trainable('classifier') is linear.* only; 'all' is spec order", () => {
    const m = make('resnet8', 'linear');
    const byVar = new Map([...m.vars].map(([k, v]) => [v, k]));
    expect(m.trainable('classifier').map((v) => byVar.get(v))).toEqual(['linear.weight', 'linear.bias']);
    expect(m.trainable('all').map((v) => byVar.get(v))).toEqual(m.spec.params.filter((p) => p.trainable).map((p) => p.name));
    const c = make('resnet8', 'cosine');
    expect(c.trainable('classifier')).toHaveLength(1);
    expect(m.vars.get('bn1.running_mean')!.trainable).toBe(false);
    m.dispose();
    c.dispose();
  });

  it('no tensor leak over repeated train steps + commit, discard and eval', () => {
    const m = make('resnet8', 'cosine', [8, 8, 3], 4);
    const x = randInput(2, 8, 8, 3);
    const coef = tf.tensor2d(seq(8, 3), [2, 4]);
    const step = () => {
      const { value, grads } = trainStep(m, x, coef);
      tf.dispose([value, ...Object.values(grads)]);
      m.commitBnUpdates();
      tf.tidy(() => {
        m.forward(x, 'eval');
      });
      const r = m.forward(x, 'train');
      tf.dispose([r.features, r.output]);
      m.discardBnUpdates();
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, coef]);
    const n = tf.memory().numTensors;
    m.dispose();
    expect(tf.memory().numTensors).toBe(n - m.vars.size - 2); // variables + the two option-A kernels
  });
});

describe('weights helpers', () => {
  it('cloneWeights/setWeights round-trip and validate', () => {
    const a = make('resnet8', 'linear', [8, 8, 3], 5, 1);
    const b = make('resnet8', 'linear', [8, 8, 3], 5, 2);
    setWeights(b, cloneWeights(a));
    expect(cloneWeights(b)).toEqual(cloneWeights(a));
    const x = randInput(2, 8, 8, 3);
    const oa = a.forward(x, 'eval'),
      ob = b.forward(x, 'eval');
    expect(ob.output.dataSync()).toEqual(oa.output.dataSync());
    const w = cloneWeights(a);
    w.set('conv1.weight', new Float32Array(3));
    expect(() => setWeights(b, w)).toThrow(/conv1.weight/);
    expect(() => setWeights(b, new Map([['nope', new Float32Array(1)]]))).toThrow(/nope/);
    expect(() => setWeights(b, new Map([['bn1.bias', new Float32Array(16)]]))).toThrow(/missing/);
    setWeights(b, new Map([['bn1.bias', new Float32Array(16).fill(0.25)]]), { partial: true });
    expect(b.vars.get('bn1.bias')!.dataSync()[3]).toBe(0.25);
    tf.dispose([x, oa.features, oa.output, ob.features, ob.output]);
    a.dispose();
    b.dispose();
  });
});

describe('kernel count per training step', () => {
  it('stays low (forward + backward, cpu)', async () => {
    const counts: Record<string, number> = {};
    for (const [kind, head] of [
      ['convnet', 'linear'],
      ['convnet', 'cosine'],
      ['resnet8', 'cosine'],
      ['resnet32', 'cosine'],
      ['resnet32', 'linear'],
    ] as const) {
      const m = make(kind, head, [8, 8, 3], 10);
      const x = randInput(2, 8, 8, 3);
      const coef = tf.tensor2d(seq(20, 3), [2, 10]);
      const { total, byName } = await countKernels(() => {
        const { value, grads } = trainStep(m, x, coef);
        tf.dispose([value, ...Object.values(grads)]);
      });
      const commit = await countKernels(() => m.commitBnUpdates());
      counts[`${kind}/${head}`] = total;
      console.log(
        `${kind}/${head}: ${total} kernels per step (${byName.Identity ?? 0} Identity copies of saved tensors), commit ${commit.total}`,
      );
      tf.dispose([x, coef]);
      m.dispose();
    }
    expect(counts['resnet32/linear']).toBeLessThan(1100);
    expect(counts['resnet8/cosine']).toBeLessThan(350);
    expect(counts['convnet/linear']).toBeLessThan(150);
  });
});
