import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerFastKernels, unregisterFastKernelsFor } from '../../../src/core/tfjs-kernels/index';
import { randomArray, seeded as mulberry32 } from '../../helpers/random';
import { buildSpec, createModel } from '../../../src/core/models';
import { Rng } from '../../../src/core/rng';
import { computeLoss } from '../../../src/core/losses/compute';
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

async function use(name: 'cpu' | 'wasm'): Promise<void> {
  await tf.setBackend(name);
  await tf.ready();
  expect(tf.getBackend()).toBe(name);
}

describe('fast wasm kernels', () => {
  beforeAll(async () => {
    await use('wasm');
  });

  it('wasm has no Conv2DBackpropFilter until registerFastKernels', () => {
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
    const reg = registerFastKernels();
    expect(reg.wasm).toContain('Conv2DBackpropFilter');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  for (const c of CONV_CASES) {
    it(`Conv2DBackpropFilter / Conv2DBackpropInput / Conv2D match naive reference: ${c.name}`, async () => {
      await use('wasm');
      registerFastKernels();
      const { x, w, dy, g } = caseData(c);
      const xt = tf.tensor4d(x, c.x);
      const wt = tf.tensor4d(w, c.f);
      const dyt = tf.tensor4d(dy, [g.n, g.ho, g.wo, g.co]);
      const before = tf.memory().numTensors;
      const dW = runFilterGrad(c, xt, dyt);
      const dX = runInputGrad(c, dyt, wt);
      expect(tf.memory().numTensors).toBe(before + 2);
      expectClose(dW.dataSync(), naiveFilterGrad(x, dy, g), 'dW');
      expectClose(dX.dataSync(), naiveInputGrad(dy, w, g), 'dx');
      expectClose(runConv(c, xt, wt).dataSync(), naiveForward(x, w, g), 'y');
      tf.dispose([xt, wt, dyt, dW, dX]);
    });
  }

  it('full tf.grad of conv2d on wasm equals the cpu reference', async () => {
    for (const c of [CONV_CASES[0], CONV_CASES[1], CONV_CASES[4], CONV_CASES[6]]) {
      await use('cpu');
      unregisterFastKernelsFor('cpu');
      const ref = await convGrads(c);
      await use('wasm');
      registerFastKernels();
      const got = await convGrads(c);
      expect(Math.abs(got.loss - ref.loss)).toBeLessThanOrEqual(1e-4 * Math.abs(ref.loss) + 1e-4);
      expectClose(got.dx, ref.dx, `${c.name} dx`);
      expectClose(got.dw, ref.dw, `${c.name} dw`);
    }
  });

  it('Sum / Mean over leading axes, other axes, keepDims, int32 match cpu', async () => {
    const shape = [3, 4, 5, 6];
    const data = randomArray(360, mulberry32(5));
    const cases: [number | number[] | undefined, boolean][] = [
      [[0, 1, 2], false],
      [[0, 1, 2], true],
      [[1, 2], false],
      [0, false],
      [undefined, false],
      [[0, 1, 2, 3], true],
      [-1, false],
    ];
    const run = () =>
      cases.flatMap(([axis, keep]) => {
        const t = tf.tensor4d(data, shape as [number, number, number, number]);
        return [tf.sum(t, axis, keep), tf.mean(t, axis, keep)].map((r) => ({ shape: r.shape, v: Array.from(r.dataSync()) }));
      });
    await use('cpu');
    const ref = run();
    await use('wasm');
    registerFastKernels();
    const got = run();
    got.forEach((g, i) => {
      expect(g.shape).toEqual(ref[i].shape);
      expectClose(g.v, ref[i].v, `reduction ${i}`);
    });
    expect(tf.sum(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), 0).arraySync()).toEqual([4, 6]);
  });

  it('Slice ranks 2–5, Identity and Cast behave', async () => {
    await use('wasm');
    registerFastKernels();
    const t = tf.range(0, 2 * 3 * 4 * 5 * 6).reshape([2, 3, 4, 5, 6]);
    const s5 = tf.slice(t, [1, 0, 1, 2, 0], [1, 3, 2, 2, 6]);
    const a = t.arraySync() as number[][][][][];
    expect(s5.arraySync()).toEqual(a.slice(1, 2).map((b) => b.slice(0, 3).map((c) => c.slice(1, 3).map((d) => d.slice(2, 4)))));
    expect(tf.slice(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32'), [0, 1], [2, 2]).arraySync()).toEqual([
      [2, 3],
      [5, 6],
    ]);
    const x = tf.tensor1d([1.5, -2.5, 3]);
    const c = tf.cast(x, 'int32');
    expect(c.dtype).toBe('int32');
    expect(c.arraySync()).toEqual([1, -2, 3]);
    const y = tf.clone(x);
    x.dispose();
    expect(y.arraySync()).toEqual([1.5, -2.5, 3]);
  });

  it('a ResNet-8 training step of the real model (conv, BN, relu, option-A shortcut, GAP, linear, CE) matches cpu', async () => {
    const step = () => {
      const spec = buildSpec({ kind: 'resnet8', head: 'linear', inputShape: [8, 8, 1], numClasses: 3 });
      const net = createModel(spec, new Rng(2));
      const vars = net.trainable('all');
      const xs = tf.tensor4d(randomArray(4 * 64, mulberry32(9)), [4, 8, 8, 1]);
      const ys = tf.tensor1d([0, 1, 2, 1], 'int32');
      const noise = () => {
        throw new Error('CE draws no noise');
      };
      const { value, grads } = tf.variableGrads(() => {
        const { output, features } = net.forward(xs, 'train');
        return computeLoss(
          'ce',
          { output, labels: ys, features },
          {},
          { counts: [4, 4, 4], alpha: 0, gaActive: false, drwActive: false, noise },
        );
      }, vars);
      const out = { loss: value.dataSync()[0], grads: vars.map((v) => Array.from(grads[v.name].dataSync())) };
      tf.dispose([value, xs, ys, ...Object.values(grads)]);
      net.discardBnUpdates();
      net.dispose();
      return out;
    };
    await use('cpu');
    unregisterFastKernelsFor('cpu');
    const ref = step();
    await use('wasm');
    registerFastKernels();
    const got = step();
    expect(Math.abs(got.loss - ref.loss)).toBeLessThan(1e-4);
    got.grads.forEach((g, i) => expectClose(g, ref.grads[i], `grad ${i}`, 1e-4));
  });
});
