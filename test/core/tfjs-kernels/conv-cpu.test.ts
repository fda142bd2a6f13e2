import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { getOriginalKernel, registerFastKernels, unregisterFastKernelsFor } from '../../../src/core/tfjs-kernels/index';
import {
  CONV_CASES,
  caseData,
  convGrads,
  expectClose,
  naiveFilterGrad,
  naiveForward,
  naiveInputGrad,
  runConv,
  runFilterGrad,
  runInputGrad,
} from './helpers';

describe('fast cpu conv kernels', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    await tf.ready();
  });

  it('registers idempotently and keeps the original kernel', () => {
    const before = tf.getKernel('Conv2DBackpropFilter', 'cpu');
    registerFastKernels();
    registerFastKernels();
    expect(tf.getBackend()).toBe('cpu');
    const after = tf.getKernel('Conv2DBackpropFilter', 'cpu');
    expect(after?.kernelFunc).not.toBe(before?.kernelFunc);
    expect(getOriginalKernel('Conv2DBackpropFilter', 'cpu')?.kernelFunc).toBe(before?.kernelFunc);
  });

  for (const c of CONV_CASES) {
    it(`Conv2DBackpropFilter / Conv2D / Conv2DBackpropInput match naive reference: ${c.name}`, () => {
      registerFastKernels();
      expect(tf.getBackend()).toBe('cpu');
      const { x, w, dy, g } = caseData(c);
      const xt = tf.tensor4d(x, c.x);
      const wt = tf.tensor4d(w, c.f);
      const dyt = tf.tensor4d(dy, [g.n, g.ho, g.wo, g.co]);
      expectClose(runFilterGrad(c, xt, dyt).dataSync(), naiveFilterGrad(x, dy, g), 'dW');
      expectClose(runConv(c, xt, wt).dataSync(), naiveForward(x, w, g), 'y');
      expectClose(runInputGrad(c, dyt, wt).dataSync(), naiveInputGrad(dy, w, g), 'dx');
      tf.dispose([xt, wt, dyt]);
    });
  }

  it('matches the original tfjs cpu kernel on a strided padded case', () => {
    const c = CONV_CASES[1];
    const { x, dy, g } = caseData(c, 3);
    const xt = tf.tensor4d(x, c.x);
    const dyt = tf.tensor4d(dy, [g.n, g.ho, g.wo, g.co]);
    unregisterFastKernelsFor('cpu');
    const ref = runFilterGrad(c, xt, dyt).dataSync();
    registerFastKernels();
    expectClose(runFilterGrad(c, xt, dyt).dataSync(), ref, 'dW vs original');
  });

  it('full tf.grad of conv2d equals the original cpu kernels', async () => {
    for (const c of [CONV_CASES[0], CONV_CASES[2], CONV_CASES[6]]) {
      unregisterFastKernelsFor('cpu');
      const ref = await convGrads(c);
      registerFastKernels();
      expect(tf.getBackend()).toBe('cpu');
      const got = await convGrads(c);
      expect(Math.abs(got.loss - ref.loss)).toBeLessThanOrEqual(1e-4 * Math.abs(ref.loss) + 1e-4);
      expectClose(got.dx, ref.dx, `${c.name} dx`);
      expectClose(got.dw, ref.dw, `${c.name} dw`);
    }
  });

  it('Slice (fast cpu) matches for ranks 1–5 and int32', () => {
    registerFastKernels();
    const t = tf.range(0, 2 * 3 * 4 * 5 * 6).reshape([2, 3, 4, 5, 6]);
    const s5 = tf.slice(t, [1, 0, 1, 2, 0], [1, 3, 2, 2, 6]);
    const ref = tf.tidy(() => {
      const a = t.arraySync() as number[][][][][];
      return a.slice(1, 2).map((b) => b.slice(0, 3).map((c) => c.slice(1, 3).map((d) => d.slice(2, 4))));
    });
    expect(s5.arraySync()).toEqual(ref);
    const i = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32');
    expect(tf.slice(i, [0, 1], [2, 2]).arraySync()).toEqual([
      [2, 3],
      [5, 6],
    ]);
    expect(tf.slice(tf.tensor1d([1, 2, 3, 4]), 1, 2).arraySync()).toEqual([2, 3]);
  });

  it('broadcasting Add/Sub/Multiply/RealDiv and leading-axis Sum/Mean match the original cpu kernels', async () => {
    const { mulberry32, randomArray } = await import('../../helpers/random').then((m) => ({
      mulberry32: m.seeded,
      randomArray: m.randomArray,
    }));
    const rng = mulberry32(4);
    const big = tf.tensor4d(randomArray(2 * 3 * 4 * 5, rng), [2, 3, 4, 5]);
    const vec = tf.tensor1d(randomArray(5, rng).map((v) => v + 2));
    const vec4 = vec.reshape([1, 1, 1, 5]);
    const mid = tf.tensor3d(randomArray(3 * 4 * 5, rng), [3, 4, 5]);
    const odd = tf.tensor4d(randomArray(3, rng), [1, 3, 1, 1]); // not a suffix: falls back
    const run = () =>
      [
        tf.add(big, vec),
        tf.sub(vec, big),
        tf.mul(vec4, big),
        tf.div(big, vec4),
        tf.div(vec, big.add(10)),
        tf.mul(big, mid),
        tf.sub(big, tf.scalar(3)),
        tf.mul(big, big),
        tf.add(big, odd),
        tf.sum(big, [0, 1, 2]),
        tf.mean(big, [0, 1, 2], true),
        tf.sum(big),
        tf.mean(big, [1, 2]),
        tf.sum(big, 0),
      ].map((t) => ({ shape: t.shape, v: Array.from(t.dataSync()) }));
    unregisterFastKernelsFor('cpu');
    const ref = run();
    registerFastKernels();
    expect(tf.getBackend()).toBe('cpu');
    run().forEach((g, i) => {
      expect(g.shape, `case ${i}`).toEqual(ref[i].shape);
      expectClose(g.v, ref[i].v, `case ${i}`);
    });
    expect(tf.add(tf.tensor1d([1, 2], 'int32'), tf.scalar(1, 'int32')).arraySync()).toEqual([2, 3]);
  });

  it('rejects unsupported attributes clearly', () => {
    registerFastKernels();
    const c = CONV_CASES[0];
    const x = tf.zeros(c.x) as tf.Tensor4D;
    const dy = tf.zeros([2, 7, 6, 4]) as tf.Tensor4D;
    expect(() =>
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NCHW', filterShape: c.f } as never),
    ).toThrow(/NCHW/);
  });
});
