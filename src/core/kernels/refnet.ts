/**
 * A tiny, self-contained CIFAR-style ResNet (conv → BN(moments) → ReLU, BasicBlocks with option-A
 * shortcuts, global average pool, linear head) written directly with tf ops. It exists so the kernel
 * tests and `npm run bench` can exercise a realistic training step without depending on
 * src/core/models (which is developed separately). Not used for real training.
 */
import * as tf from '@tensorflow/tfjs';

export interface RefNetOptions {
  /** [H, W, C] */
  inputShape: [number, number, number];
  numClasses: number;
  /** BasicBlocks per stage (1 → ResNet-8, 3 → ResNet-20, 5 → ResNet-32). */
  blocksPerStage: number;
  /** Channel widths of conv1 / stages. Default [16, 32, 64]. */
  widths?: [number, number, number];
  seed?: number;
}

interface Bn {
  gamma: tf.Variable;
  beta: tf.Variable;
}
interface Block {
  w1: tf.Variable;
  bn1: Bn;
  w2: tf.Variable;
  bn2: Bn;
  stride: number;
  inC: number;
  outC: number;
}

export interface RefNet {
  vars: tf.Variable[];
  /** Logits [B, numClasses]. */
  forward(x: tf.Tensor4D): tf.Tensor2D;
  dispose(): void;
}

/** Simple deterministic PRNG (mulberry32) so tests/bench are reproducible without tf's RNG. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform(-1, 1) · scale values. */
export function randomArray(n: number, rng: () => number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rng() * 2 - 1) * scale;
  return a;
}

function heConv(rng: () => number, k: number, inC: number, outC: number, name: string): tf.Variable {
  const fanIn = k * k * inC;
  const scale = Math.sqrt(6 / fanIn);
  return tf.variable(tf.tensor4d(randomArray(k * k * inC * outC, rng, scale), [k, k, inC, outC]), true, name);
}

function makeBn(c: number, name: string): Bn {
  return {
    gamma: tf.variable(tf.ones([c]), true, `${name}.weight`),
    beta: tf.variable(tf.zeros([c]), true, `${name}.bias`),
  };
}

/** Training-mode batch norm via tf.moments (batch statistics). */
export function batchNorm(x: tf.Tensor4D, bn: Bn, eps = 1e-5): tf.Tensor4D {
  const { mean, variance } = tf.moments(x, [0, 1, 2], true);
  const inv = tf.rsqrt(tf.add(variance, eps));
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), inv), bn.gamma), bn.beta) as tf.Tensor4D;
}

/** x[:, ::2, ::2, :] written with reshape + slice (tf.stridedSlice has no gradient). */
export function subsample2(x: tf.Tensor4D): tf.Tensor4D {
  let [n, h, w, c] = x.shape;
  let t: tf.Tensor4D = x;
  if (h % 2 === 1 || w % 2 === 1) {
    t = tf.pad(t, [
      [0, 0],
      [0, h % 2],
      [0, w % 2],
      [0, 0],
    ]);
    h += h % 2;
    w += w % 2;
  }
  // Rank-4 view [n·h/2, 2, w/2, 2c]: row parity on axis 1, column parity inside the last axis.
  const r = tf.reshape(t, [n * (h / 2), 2, w / 2, 2 * c]);
  const s = tf.slice(r, [0, 0, 0, 0], [n * (h / 2), 1, w / 2, c]);
  return tf.reshape(s, [n, h / 2, w / 2, c]);
}

/** CIFAR ResNet option-A shortcut: subsample by 2 and zero-pad channels (outC-inC)/2 on both sides. */
export function optionAShortcut(x: tf.Tensor4D, outC: number): tf.Tensor4D {
  const inC = x.shape[3];
  const p = (outC - inC) / 2;
  return tf.pad(subsample2(x), [
    [0, 0],
    [0, 0],
    [0, 0],
    [Math.floor(p), Math.ceil(p)],
  ]);
}

export function createRefNet(opts: RefNetOptions): RefNet {
  const rng = mulberry32(opts.seed ?? 1);
  const widths = opts.widths ?? [16, 32, 64];
  const [, , inC0] = opts.inputShape;
  const vars: tf.Variable[] = [];
  const conv1 = heConv(rng, 3, inC0, widths[0], 'conv1.weight');
  const bn1 = makeBn(widths[0], 'bn1');
  vars.push(conv1, bn1.gamma, bn1.beta);
  const blocks: Block[] = [];
  let inC = widths[0];
  widths.forEach((outC, stage) => {
    for (let b = 0; b < opts.blocksPerStage; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      const name = `layer${stage + 1}.${b}`;
      const blk: Block = {
        w1: heConv(rng, 3, inC, outC, `${name}.conv1.weight`),
        bn1: makeBn(outC, `${name}.bn1`),
        w2: heConv(rng, 3, outC, outC, `${name}.conv2.weight`),
        bn2: makeBn(outC, `${name}.bn2`),
        stride,
        inC,
        outC,
      };
      vars.push(blk.w1, blk.bn1.gamma, blk.bn1.beta, blk.w2, blk.bn2.gamma, blk.bn2.beta);
      blocks.push(blk);
      inC = outC;
    }
  });
  const fcScale = 1 / Math.sqrt(inC);
  const fcW = tf.variable(tf.tensor2d(randomArray(inC * opts.numClasses, rng, fcScale), [inC, opts.numClasses]), true, 'linear.weight');
  const fcB = tf.variable(tf.zeros([opts.numClasses]), true, 'linear.bias');
  vars.push(fcW, fcB);

  const conv = (x: tf.Tensor4D, w: tf.Variable, stride: number): tf.Tensor4D =>
    tf.conv2d(x, w as tf.Tensor4D, stride, [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ]);

  return {
    vars,
    forward(x: tf.Tensor4D): tf.Tensor2D {
      let h = tf.relu(batchNorm(conv(x, conv1, 1), bn1));
      for (const blk of blocks) {
        let o = tf.relu(batchNorm(conv(h, blk.w1, blk.stride), blk.bn1));
        o = batchNorm(conv(o, blk.w2, 1), blk.bn2);
        const sc = blk.stride !== 1 || blk.inC !== blk.outC ? optionAShortcut(h, blk.outC) : h;
        h = tf.relu(tf.add(o, sc));
      }
      const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D;
      return tf.add(tf.matMul(pooled, fcW), fcB);
    },
    dispose() {
      for (const v of vars) v.dispose();
    },
  };
}

/** Mean softmax cross-entropy of logits against integer labels. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, numClasses: number): tf.Scalar {
  const oneHot = tf.oneHot(labels, numClasses);
  const logp = tf.logSoftmax(logits);
  return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, logp), 1)));
}
