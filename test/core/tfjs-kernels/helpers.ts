/** Shared cases and naive float64 references for the kernel tests. */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { convGeom, type ConvGeom } from '../../../src/core/tfjs-kernels/conv-util';
import { randomArray, seeded as mulberry32 } from '../../helpers/random';

export type PadCase = 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]];

export interface ConvCase {
  name: string;
  x: [number, number, number, number];
  f: [number, number, number, number];
  strides: number | [number, number];
  pad: PadCase;
}

export const CONV_CASES: ConvCase[] = [
  { name: 'stride1 same', x: [2, 7, 6, 3], f: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { name: 'stride2 same odd size', x: [2, 9, 7, 3], f: [3, 3, 3, 5], strides: 2, pad: 'same' },
  { name: 'valid, strides [2,1], non-square filter', x: [1, 9, 8, 2], f: [3, 2, 2, 3], strides: [2, 1], pad: 'valid' },
  { name: 'explicit number pad, 1 channel, batch 1', x: [1, 6, 5, 1], f: [3, 3, 1, 2], strides: 2, pad: 1 },
  {
    name: 'explicit asymmetric pads',
    x: [2, 5, 6, 4],
    f: [2, 3, 4, 6],
    strides: 1,
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  },
  { name: '1x1 stride 2 valid', x: [3, 6, 6, 5], f: [1, 1, 5, 8], strides: 2, pad: 'valid' },
  {
    name: 'resnet-like 16→32 stride 2',
    x: [4, 12, 12, 16],
    f: [3, 3, 16, 32],
    strides: 2,
    pad: [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ],
  },
  {
    name: 'resnet-like 8→8 stride 1',
    x: [3, 10, 10, 8],
    f: [3, 3, 8, 8],
    strides: 1,
    pad: [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ],
  },
];

export function geomOf(c: ConvCase): ConvGeom {
  return convGeom('test', c.x, c.f, c.strides, c.pad as never, 'NHWC', undefined);
}

export function caseData(c: ConvCase, seed = 7): { x: Float32Array; w: Float32Array; dy: Float32Array; g: ConvGeom } {
  const g = geomOf(c);
  const rng = mulberry32(seed);
  return {
    g,
    x: randomArray(
      c.x.reduce((a, b) => a * b, 1),
      rng,
    ),
    w: randomArray(
      c.f.reduce((a, b) => a * b, 1),
      rng,
    ),
    dy: randomArray(g.n * g.ho * g.wo * g.co, rng),
  };
}

function forEachTap(g: ConvGeom, fn: (xi: number, wi: number, yi: number) => void): void {
  for (let n = 0; n < g.n; n++)
    for (let ho = 0; ho < g.ho; ho++)
      for (let wo = 0; wo < g.wo; wo++)
        for (let kh = 0; kh < g.kh; kh++) {
          const hi = ho * g.sh + kh - g.padTop;
          if (hi < 0 || hi >= g.h) continue;
          for (let kw = 0; kw < g.kw; kw++) {
            const wi = wo * g.sw + kw - g.padLeft;
            if (wi < 0 || wi >= g.w) continue;
            for (let c = 0; c < g.ci; c++)
              for (let o = 0; o < g.co; o++)
                fn(
                  ((n * g.h + hi) * g.w + wi) * g.ci + c,
                  ((kh * g.kw + kw) * g.ci + c) * g.co + o,
                  ((n * g.ho + ho) * g.wo + wo) * g.co + o,
                );
          }
        }
}

export function naiveFilterGrad(x: Float32Array, dy: Float32Array, g: ConvGeom): Float64Array {
  const out = new Float64Array(g.kh * g.kw * g.ci * g.co);
  forEachTap(g, (xi, wi, yi) => (out[wi] += x[xi] * dy[yi]));
  return out;
}
export function naiveForward(x: Float32Array, w: Float32Array, g: ConvGeom): Float64Array {
  const out = new Float64Array(g.n * g.ho * g.wo * g.co);
  forEachTap(g, (xi, wi, yi) => (out[yi] += x[xi] * w[wi]));
  return out;
}
export function naiveInputGrad(dy: Float32Array, w: Float32Array, g: ConvGeom): Float64Array {
  const out = new Float64Array(g.n * g.h * g.w * g.ci);
  forEachTap(g, (xi, wi, yi) => (out[xi] += dy[yi] * w[wi]));
  return out;
}

/** max |a − ref| ≤ 1e-5 · max|ref| + 1e-6 */
export function expectClose(actual: ArrayLike<number>, ref: ArrayLike<number>, what: string, rel = 1e-5): void {
  expect(actual.length, `${what}: length`).toBe(ref.length);
  let maxRef = 0;
  let maxErr = 0;
  for (let i = 0; i < ref.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(ref[i]));
    maxErr = Math.max(maxErr, Math.abs(actual[i] - ref[i]));
  }
  const tol = rel * maxRef + 1e-6;
  expect(maxErr, `${what}: max abs err ${maxErr} > tol ${tol} (max|ref| ${maxRef})`).toBeLessThanOrEqual(tol);
}

export function runFilterGrad(c: ConvCase, x: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor4D {
  return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
    strides: c.strides,
    pad: c.pad,
    dataFormat: 'NHWC',
    dimRoundingMode: undefined,
    filterShape: c.f,
  } as never) as tf.Tensor4D;
}

export function runInputGrad(c: ConvCase, dy: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, {
    strides: c.strides,
    pad: c.pad,
    dataFormat: 'NHWC',
    dimRoundingMode: undefined,
    inputShape: c.x,
  } as never) as tf.Tensor4D;
}

export function runConv(c: ConvCase, x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  return tf.conv2d(x, w, c.strides, c.pad as never);
}

/** Loss Σ conv2d(x, w) ⊙ r and its gradients (dx, dw) via tf.grads on the current backend. */
export async function convGrads(c: ConvCase, seed = 11): Promise<{ loss: number; dx: Float32Array; dw: Float32Array }> {
  const { x, w, g } = caseData(c, seed);
  const r = randomArray(g.n * g.ho * g.wo * g.co, mulberry32(seed + 1));
  const [value, dx, dw] = tf.tidy(() => {
    const xt = tf.tensor4d(x, c.x);
    const wt = tf.tensor4d(w, c.f);
    const rt = tf.tensor4d(r, [g.n, g.ho, g.wo, g.co]);
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad as never), rt));
    const res = tf.valueAndGrads(f)([xt, wt]);
    return [res.value, res.grads[0], res.grads[1]];
  });
  const out = { loss: (await value.data())[0], dx: (await dx.data()) as Float32Array, dw: (await dw.data()) as Float32Array };
  tf.dispose([value, dx, dw]);
  return out;
}
