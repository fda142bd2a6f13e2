/**
 * Shared by the fused-executor tests: a Dawn (SwiftShader) device and the tfjs reference step built from the logit
 * form (tfjs cpu backend: the reference executor + a custom-gradient loss from evalLogitForm + Sgd + BN commit).
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { initNodeWebGPU } from '../../../src/core/backend';
import { evalLogitForm, type LogitForm } from '../../../src/core/losses/logit-form';
import { evalLogitFormMix } from '../../../src/core/losses/logit-form-mix';
import type { Model } from '../../../src/core/models/types';
import { Sgd } from '../../../src/core/train/sgd';

export const CI = process.env.CI === 'true';

/** A fresh WebGPU device from Dawn, or why there is none. */
export async function dawnDevice(): Promise<{ device: GPUDevice | null; why: string }> {
  const r = await initNodeWebGPU();
  if (!r.ok) return { device: null, why: r.reason };
  try {
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) return { device: null, why: 'requestAdapter() returned null' };
    return { device: await adapter.requestDevice(), why: r.reason };
  } catch (e) {
    return { device: null, why: String(e) };
  }
}

export interface RefMix {
  labels: Int32Array;
  lambda: number;
  noise?: Float32Array;
}

/** The loss of `form` as a tfjs op of (output, features) whose value and gradients come from evalLogitForm(Mix). */
export function formLoss(form: LogitForm, labels: Int32Array, noise: Float32Array | undefined, mix?: RefMix) {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const o = args[0] as tf.Tensor2D;
    const f = args[1] as tf.Tensor2D;
    const [B, D] = f.shape;
    const ov = o.dataSync();
    const fv = f.dataSync();
    const norms = new Float64Array(B);
    for (let b = 0; b < B; b++) {
      let s = 0;
      for (let d = 0; d < D; d++) s += fv[b * D + d] ** 2;
      norms[b] = Math.sqrt(s + 1e-24);
    }
    const r = mix
      ? evalLogitFormMix(form, ov, norms, { labels, noise: noise ?? null }, { labels: mix.labels, noise: mix.noise ?? null }, mix.lambda)
      : evalLogitForm(form, ov, labels, norms, noise ?? null);
    const gf = new Float32Array(B * D);
    for (let b = 0; b < B; b++) for (let d = 0; d < D; d++) gf[b * D + d] = (r.gradNorm[b] * fv[b * D + d]) / norms[b];
    return {
      value: tf.scalar(r.loss),
      gradFunc: (dy: tf.Tensor) => [tf.mul(tf.tensor(Float32Array.from(r.gradOutput), o.shape), dy), tf.mul(tf.tensor(gf, f.shape), dy)],
    };
  });
}

export interface RefStepInput {
  x: Float32Array;
  n: number;
  labels: Int32Array;
  lr: number;
  form: LogitForm;
  noise?: Float32Array;
  frozen?: boolean;
  mix?: RefMix;
}

export interface RefStepResult {
  loss: number;
  finite: boolean;
  grads: Map<string, Float32Array>;
}

/** One step of the tfjs reference path (what the Trainer does, with the loss from the logit form). */
export function referenceStep(model: Model, sgd: Sgd, a: RefStepInput): RefStepResult {
  const [H, W, Cc] = model.spec.config.inputShape;
  const frozen = a.frozen === true;
  const vars = model.trainable(frozen ? 'classifier' : 'all');
  const names = new Map<string, string>();
  for (const [name, v] of model.vars) names.set(v.name, name);
  const x = tf.tensor4d(a.x.subarray(0, a.n * H * W * Cc), [a.n, H, W, Cc]);
  const op = formLoss(a.form, a.labels.subarray(0, a.n), a.noise, a.mix);
  const { value, grads } = tf.variableGrads(() => {
    const { features, output } = model.forward(x, frozen ? 'eval' : 'train');
    return op(output, features) as tf.Scalar;
  }, vars);
  const loss = value.dataSync()[0];
  const out = new Map<string, Float32Array>();
  let finite = Number.isFinite(loss);
  for (const [vn, g] of Object.entries(grads)) {
    const d = Float32Array.from(g.dataSync());
    out.set(names.get(vn) ?? vn, d);
    if (!d.every(Number.isFinite)) finite = false;
  }
  if (finite) {
    sgd.apply(vars, grads, a.lr);
    if (!frozen) model.commitBnUpdates();
    else model.discardBnUpdates();
  } else model.discardBnUpdates();
  tf.dispose([x, value, ...Object.values(grads)]);
  return { loss, finite, grads: out };
}

/** max |a − b| over a tensor, relative to max |b| (1 when b is all zeros). */
export function relMaxErr(a: ArrayLike<number>, b: ArrayLike<number>): { err: number; scale: number } {
  let e = 0;
  let s = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    e = Number.isNaN(d) ? Infinity : Math.max(e, d);
    s = Math.max(s, Math.abs(b[i]));
  }
  return { err: e, scale: s };
}

/** Every tensor of `got` within tol·max|ref| of `ref` (plus an absolute floor for all-zero tensors). */
export function expectTensorsClose(
  got: Map<string, Float32Array>,
  ref: Map<string, Float32Array>,
  tol: number,
  what: string,
  floor = 1e-7,
): void {
  expect([...got.keys()].sort()).toEqual([...ref.keys()].sort());
  for (const [name, r] of ref) {
    const g = got.get(name)!;
    expect(g.length, `${what} ${name} length`).toBe(r.length);
    const { err, scale } = relMaxErr(g, r);
    expect(err, `${what} ${name}: max error ${err} vs max |ref| ${scale}`).toBeLessThanOrEqual(tol * scale + floor);
  }
}

/** Deterministic values (a small LCG) in [−1, 1). */
export function seq(n: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** GCL-like noise: clip(N(0,1)/3, −1, 1) from a deterministic source. */
export function noiseOf(n: number, seed: number): Float32Array {
  const u = seq(2 * n, seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = Math.max(1e-7, (u[2 * i] + 1) / 2);
    const v = (Math.sqrt(-2 * Math.log(a)) * Math.cos(Math.PI * (u[2 * i + 1] + 1))) / 3;
    out[i] = Math.max(-1, Math.min(1, v));
  }
  return out;
}
