/** Dev tool: GMAC/s of Conv2D / Conv2DBackpropInput / Conv2DBackpropFilter on wasm at ResNet-8 shapes: npx tsx bench/micro_filter.ts */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerFastKernels } from '../src/core/kernels/index';
async function main() {
  await tf.setBackend('wasm');
  await tf.ready();
  registerFastKernels();
  console.log('simd', await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  const cases: [number[], number[], number][] = [
    [[64, 28, 28, 16], [3, 3, 16, 16], 1],
    [[64, 14, 14, 32], [3, 3, 32, 32], 1],
    [[64, 7, 7, 64], [3, 3, 64, 64], 1],
    [[64, 28, 28, 16], [3, 3, 16, 32], 2],
  ];
  for (const [xs, fs, s] of cases) {
    const x = tf.randomNormal(xs) as tf.Tensor4D;
    const w = tf.randomNormal(fs) as tf.Tensor4D;
    const y = tf.conv2d(x, w, s, 'same');
    const dy = tf.randomNormal(y.shape) as tf.Tensor4D;
    const f = () =>
      tf
        .engine()
        .runKernel('Conv2DBackpropFilter', { x, dy }, { strides: s, pad: 'same', dataFormat: 'NHWC', filterShape: fs }) as tf.Tensor;
    const gi = () => tf.conv2dTranspose(dy, w, xs as [number, number, number, number], s, 'same');
    const fw = () => tf.conv2d(x, w, s, 'same');
    for (const [nm, fn] of [
      ['filter', f],
      ['input', gi],
      ['fwd', fw],
    ] as const) {
      for (let i = 0; i < 3; i++) (fn as any)().dispose();
      const t = performance.now();
      for (let i = 0; i < 10; i++) (fn as any)().dispose();
      const ms = (performance.now() - t) / 10;
      const gmac = (xs[0] * y.shape[1] * y.shape[2] * fs[0] * fs[1] * fs[2] * fs[3]) / 1e9;
      console.log(xs.join('x'), fs.join('x'), 's' + s, nm, ms.toFixed(2), 'ms', ((gmac / ms) * 1e3).toFixed(1), 'GMAC/s');
    }
  }
}
main();
