import * as tf from '@tensorflow/tfjs';
import type { Model } from '../../../src/core/models';

export async function useCpu(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}

/** Deterministic pseudo-random values in [-1, 1) (a tiny LCG, independent of the model Rng). */
export function seq(n: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

export function randInput(b: number, h: number, w: number, c: number, seed = 1): tf.Tensor4D {
  return tf.tensor4d(seq(b * h * w * c, seed), [b, h, w, c]);
}

/** One training-mode step: forward, loss = Σ output·coef, gradients of every trainable variable. */
export function trainStep(model: Model, x: tf.Tensor4D, coef: tf.Tensor2D, which: 'all' | 'classifier' = 'all') {
  return tf.variableGrads(() => {
    const { output } = model.forward(x, 'train');
    return tf.sum(tf.mul(output, coef)) as tf.Scalar;
  }, model.trainable(which));
}

const registered = new Set(tf.getKernelsForBackend('cpu').map((k) => k.kernelName));

/** Kernels dispatched by `f` (registered kernels only: customGrad wrappers dispatch nothing themselves). */
export async function countKernels(f: () => void): Promise<{ total: number; byName: Record<string, number> }> {
  const prof = await tf.profile(() => {
    f();
    return [] as tf.Tensor[];
  });
  const byName: Record<string, number> = {};
  let total = 0;
  for (const k of prof.kernels) {
    if (!registered.has(k.name)) continue;
    total++;
    byName[k.name] = (byName[k.name] ?? 0) + 1;
  }
  return { total, byName };
}
