/**
 * Dev tool: per-kernel time of one ResNet-8 b64 training step (tf.profile), e.g.
 *   npx tsx bench/profile.ts wasm fast   |   npx tsx bench/profile.ts cpu fast   (omit "fast" for stock kernels)
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

import { createRefNet, crossEntropy, mulberry32, randomArray } from '../src/core/kernels/refnet';

const backend = process.argv[2] ?? 'wasm';
const fast = process.argv[3] === 'fast';
async function main() {
  await tf.setBackend(backend);
  await tf.ready();
  if (fast) {
    const m = await import('../src/core/kernels/index');
    m.registerFastKernels();
  }
  const B = 64;
  const net = createRefNet({ inputShape: [28, 28, 1], numClasses: 10, blocksPerStage: 1 });
  const rng = mulberry32(3);
  const x = tf.tensor4d(randomArray(B * 28 * 28, rng), [B, 28, 28, 1]);
  const y = tf.tensor1d(
    Array.from({ length: B }, (_, i) => i % 10),
    'int32',
  );
  const opt = tf.train.momentum(0.1, 0.9);
  const step = () => {
    const cost = opt.minimize(() => crossEntropy(net.forward(x), y, 10), true, net.vars);
    cost!.dataSync();
    cost!.dispose();
  };
  for (let i = 0; i < 2; i++) {
    const t = performance.now();
    step();
    console.log('warm', (performance.now() - t).toFixed(0));
  }
  const prof = await tf.profile(step);
  const agg = new Map<string, { ms: number; n: number }>();
  for (const k of prof.kernels) {
    const ms = (await k.kernelTimeMs) as number;
    const key = k.name;
    const e = agg.get(key) ?? { ms: 0, n: 0 };
    e.ms += typeof ms === 'number' ? ms : 0;
    e.n++;
    agg.set(key, e);
  }
  const rows = [...agg.entries()].sort((a, b) => b[1].ms - a[1].ms);
  let tot = 0;
  for (const [, v] of rows) tot += v.ms;
  console.log('total kernel ms', tot.toFixed(1));
  for (const [k, v] of rows.slice(0, 25)) console.log(k.padEnd(28), v.ms.toFixed(1).padStart(8), v.n);
  const t = performance.now();
  for (let i = 0; i < 3; i++) step();
  console.log('step ms', ((performance.now() - t) / 3).toFixed(1));
}
main();
