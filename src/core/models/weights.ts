/** Weight snapshots by PyTorch name: for "same initial weights" across runs, and for export. */
import * as tf from '@tensorflow/tfjs';
import type { Model } from './types';

/** Copies every parameter and buffer (tfjs layout, spec order) into a Map<name, Float32Array>. */
export function cloneWeights(model: Model): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const p of model.spec.params) {
    const v = model.vars.get(p.name);
    if (!v) throw new Error(`cloneWeights: model has no variable '${p.name}'`);
    out.set(p.name, Float32Array.from(v.dataSync() as Float32Array));
  }
  return out;
}

export interface SetWeightsOptions {
  /** Allow `weights` to cover only some parameters (the rest keep their values). Default false. */
  partial?: boolean;
  /** Ignore names the model does not have (e.g. a linear.bias for a cosine head). Default false. */
  ignoreUnknown?: boolean;
}

/**
 * Writes values (tfjs layout) into the model's variables by name. Sizes must match; by default every parameter
 * and buffer of the model must be given and every given name must exist.
 */
export function setWeights(model: Model, weights: Map<string, Float32Array | ArrayLike<number>>, opts: SetWeightsOptions = {}): void {
  const known = new Set(model.spec.params.map((p) => p.name));
  if (!opts.ignoreUnknown) {
    for (const name of weights.keys()) if (!known.has(name)) throw new Error(`setWeights: model has no parameter '${name}'`);
  }
  const updates: [tf.Variable, Float32Array, number[]][] = [];
  for (const p of model.spec.params) {
    const data = weights.get(p.name);
    if (data === undefined) {
      if (opts.partial) continue;
      throw new Error(`setWeights: missing '${p.name}'`);
    }
    const size = p.shape.reduce((a, d) => a * d, 1);
    if (data.length !== size) throw new Error(`setWeights: '${p.name}' has ${data.length} values, expected ${size} (shape [${p.shape}])`);
    const arr = data instanceof Float32Array ? data : Float32Array.from(data);
    for (let i = 0; i < arr.length; i++) {
      if (!Number.isFinite(arr[i])) throw new Error(`setWeights: '${p.name}' contains a non-finite value at ${i}`);
    }
    updates.push([model.vars.get(p.name)!, arr, p.shape]);
  }
  // Validate everything before writing anything.
  tf.tidy(() => {
    for (const [v, arr, shape] of updates) v.assign(tf.tensor(arr, shape, 'float32'));
  });
}
