/**
 * WebGPU kernels in Node through Dawn (`webgpu` package) + SwiftShader. Under CI (CI=true) these
 * must run: failing to start WebGPU is a test failure. Elsewhere they skip, loudly, only if Dawn
 * can't start.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initNodeWebGPU } from '../../../src/core/backend';
import { registerFastKernels, unregisterFastKernelsFor } from '../../../src/core/tfjs-kernels/index';
import { CONV_CASES, caseData, convGrads, expectClose, naiveFilterGrad, runFilterGrad } from './helpers';

const CI = process.env.CI === 'true';
const dawn = await initNodeWebGPU();
let webgpuOk = dawn.ok;
let webgpuError = dawn.reason;
if (dawn.ok) {
  try {
    await import('@tensorflow/tfjs-backend-webgpu');
    webgpuOk = await tf.setBackend('webgpu');
    if (!webgpuOk) webgpuError = "tf.setBackend('webgpu') returned false";
  } catch (e) {
    webgpuOk = false;
    webgpuError = String(e);
  }
}
if (!webgpuOk && !CI) console.warn(`[conv_webgpu.test] SKIPPED: WebGPU (Dawn) could not start: ${webgpuError}`);

async function use(name: 'cpu' | 'webgpu'): Promise<void> {
  await tf.setBackend(name);
  await tf.ready();
  expect(tf.getBackend()).toBe(name);
}

describe.skipIf(!webgpuOk && !CI)('fast webgpu kernels (Dawn + SwiftShader)', () => {
  beforeAll(async () => {
    if (!webgpuOk) throw new Error(`WebGPU must start under CI but did not: ${webgpuError}`);
    await use('webgpu');
    registerFastKernels();
  });

  it('replaces the webgpu Conv2DBackpropFilter', () => {
    expect(tf.getBackend()).toBe('webgpu');
    const reg = registerFastKernels();
    expect(reg.webgpu).toContain('Conv2DBackpropFilter');
  });

  for (const c of CONV_CASES) {
    it(`Conv2DBackpropFilter matches naive reference: ${c.name}`, async () => {
      await use('webgpu');
      const { x, dy, g } = caseData(c);
      const xt = tf.tensor4d(x, c.x);
      const dyt = tf.tensor4d(dy, [g.n, g.ho, g.wo, g.co]);
      const before = tf.memory().numTensors;
      const dW = runFilterGrad(c, xt, dyt);
      expect(tf.memory().numTensors).toBe(before + 1);
      expectClose(await dW.data(), naiveFilterGrad(x, dy, g), 'dW');
      tf.dispose([xt, dyt, dW]);
    });
  }

  it('multi-chunk reduction (M ≫ chunk length) matches naive reference', async () => {
    await use('webgpu');
    const c = {
      name: 'big M',
      x: [8, 20, 20, 3] as [number, number, number, number],
      f: [3, 3, 3, 4] as [number, number, number, number],
      strides: 1,
      pad: 'same' as const,
    };
    const { x, dy, g } = caseData(c);
    const dW = runFilterGrad(c, tf.tensor4d(x, c.x), tf.tensor4d(dy, [g.n, g.ho, g.wo, g.co]));
    expectClose(await dW.data(), naiveFilterGrad(x, dy, g), 'dW');
  });

  it('full tf.grad of conv2d on webgpu equals the cpu reference', async () => {
    for (const c of [CONV_CASES[0], CONV_CASES[1], CONV_CASES[4], CONV_CASES[6]]) {
      await use('cpu');
      unregisterFastKernelsFor('cpu');
      const ref = await convGrads(c);
      await use('webgpu');
      const got = await convGrads(c);
      expect(Math.abs(got.loss - ref.loss)).toBeLessThanOrEqual(1e-4 * Math.abs(ref.loss) + 1e-4);
      expectClose(got.dx, ref.dx, `${c.name} dx`, 1e-5);
      expectClose(got.dw, ref.dw, `${c.name} dw`, 1e-5);
    }
  });
});
