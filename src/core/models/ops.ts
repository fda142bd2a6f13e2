/**
 * Building blocks of the reference executor with hand-written gradients, to keep the tfjs kernel count per
 * training step low (each kernel costs ~0.3 ms of CPU on a GPU backend, whatever its size).
 *
 * Training-mode BatchNorm (PyTorch semantics: normalise with the biased batch variance), optionally followed by
 * a residual add and a ReLU, as one custom-gradient op. tfjs' own batchNorm + moments gradient is ~45 kernels per
 * layer; this one is ~25 (forward + backward, saved-tensor copies included).
 */
import * as tf from '@tensorflow/tfjs';

export interface BnBatchStats {
  /** Batch mean per channel, [C] (kept: the caller disposes it). */
  mean: tf.Tensor1D;
  /** Biased batch variance per channel, [C] (kept: the caller disposes it). */
  variance: tf.Tensor1D;
  /** Values per channel the statistics were computed from (B·H·W). */
  count: number;
}

const AXES = [0, 1, 2];

/**
 * y = [relu]( (x − μ_B)/√(σ²_B + eps) · γ + β [+ residual] ), μ_B/σ²_B over (N, H, W) of an NHWC tensor.
 * Returns y and the batch statistics (kept tensors, for the running-stat update).
 * Gradients: x, γ, β (and residual), exact for the batch-statistics formula (μ_B, σ²_B depend on x).
 */
export function bnTrain(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps: number,
  relu: boolean,
  residual: tf.Tensor4D | null,
): { y: tf.Tensor4D; stats: BnBatchStats } {
  const count = x.shape[0] * x.shape[1] * x.shape[2];
  if (count < 2) {
    throw new Error(`BatchNorm (training): expected more than 1 value per channel, got input shape [${x.shape}]`);
  }
  let stats: BnBatchStats | null = null;
  const invCount = 1 / count;
  const f = (
    ...args: (tf.Tensor | tf.GradSaveFunc)[]
  ): { value: tf.Tensor4D; gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => tf.Tensor[] } => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const xi = args[0] as tf.Tensor4D;
    const g = args[1] as tf.Tensor1D;
    const b = args[2] as tf.Tensor1D;
    const res = residual ? (args[3] as tf.Tensor4D) : null;
    const mean = tf.mean(xi, AXES) as tf.Tensor1D;
    const centered = tf.sub(xi, mean);
    const variance = tf.mean(tf.square(centered), AXES) as tf.Tensor1D;
    const istd = tf.rsqrt(tf.add(variance, eps));
    const xhat = tf.mul(centered, istd) as tf.Tensor4D;
    let y = tf.add(tf.mul(xhat, g), b) as tf.Tensor4D;
    if (res) y = tf.add(y, res);
    if (relu) y = tf.relu(y);
    const k = tf.mul(g, istd); // γ/√(σ²+eps), the per-channel scale of dx
    stats = { mean: tf.keep(mean), variance: tf.keep(variance), count };
    save(relu ? [xhat, k, y] : [xhat, k]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sXhat, k, sY] = saved;
        // Gradient at the pre-activation (also the residual's gradient).
        const gy = relu ? tf.mul(dy, tf.step(sY)) : dy;
        const dBeta = tf.sum(gy, AXES);
        const dGamma = tf.sum(tf.mul(gy, sXhat), AXES);
        // dx = γ·istd · (gy − mean(gy) − x̂ · mean(gy·x̂))
        const proj = tf.add(tf.mul(sXhat, tf.mul(dGamma, invCount)), tf.mul(dBeta, invCount));
        const dx = tf.mul(tf.sub(gy, proj), k);
        const grads: tf.Tensor[] = [dx, dGamma, dBeta];
        // A separate tensor for the residual: the engine may dispose one accumulated gradient while the other lives.
        if (res) grads.push(relu ? tf.clone(gy) : tf.clone(dy));
        return grads;
      },
    };
  };
  const op = tf.customGrad(f);
  const y = (residual ? op(x, gamma, beta, residual) : op(x, gamma, beta)) as tf.Tensor4D;
  if (!stats) throw new Error('bnTrain: statistics were not recorded');
  return { y, stats };
}

/** Eval-mode BatchNorm with running statistics, optionally + residual and ReLU (plain tfjs ops, differentiable). */
export function bnEval(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  runningMean: tf.Tensor1D,
  runningVar: tf.Tensor1D,
  eps: number,
  relu: boolean,
  residual: tf.Tensor4D | null,
): tf.Tensor4D {
  let y = tf.batchNorm(x, runningMean, runningVar, beta, gamma, eps) as tf.Tensor4D;
  if (residual) y = tf.add(y, residual);
  if (relu) y = tf.relu(y);
  return y;
}

/**
 * Constant 1×1 kernel [1, 1, inC, outC] that copies input channel i to output channel i + pad (pad = outC//4 per
 * side, the rest zero). Convolved with stride 2 and no padding it is exactly the option-A shortcut
 * F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, pad, pad)) — for odd sizes too (⌈H/2⌉ rows) — in one kernel, with a
 * gradient (conv2DBackpropInput), where a strided slice would need StridedSlice gradients.
 */
export function optionAKernel(inC: number, outC: number): tf.Tensor4D {
  const pad = Math.floor(outC / 4);
  if (inC + 2 * pad !== outC) throw new Error(`option-A shortcut: cannot map ${inC} to ${outC} channels`);
  const data = new Float32Array(inC * outC);
  for (let i = 0; i < inC; i++) data[i * outC + i + pad] = 1;
  return tf.tensor4d(data, [1, 1, inC, outC]);
}

export function optionAShortcut(x: tf.Tensor4D, kernel: tf.Tensor4D): tf.Tensor4D {
  return tf.conv2d(x, kernel, 2, 'valid');
}

/** Row-wise f/max(‖f‖, 1e-12) (axis 1) or column-wise (axis 0), like torch.nn.functional.normalize. */
export function l2normalize(t: tf.Tensor2D, axis: 0 | 1): tf.Tensor2D {
  const norm = tf.sqrt(tf.sum(tf.square(t), axis, true));
  return tf.div(t, tf.maximum(norm, 1e-12));
}

/** Cosine head: normalize_rows(f) · normalize_cols(W), W [D, C]. */
export function cosineHead(f: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  return tf.matMul(l2normalize(f, 1), l2normalize(w, 0));
}

/** Linear head: f·W + b (one fused kernel). */
export function linearHead(f: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  return tf.fused.matMul({ a: f, b: w, bias: b }) as tf.Tensor2D;
}
