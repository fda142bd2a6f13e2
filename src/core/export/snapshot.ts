/**
 * What an export is made from: the model's parameters and buffers as plain arrays plus its spec and BN counters.
 * The worker takes one from the trainer's own variables (after the fused engine has synced them back), so writing
 * a file touches no GPU context and no tensor other than the model's.
 */
import * as tf from '@tensorflow/tfjs';
import type { Model, ModelSpec } from '../models/types';

export interface ModelSnapshot {
  spec: ModelSpec;
  /** Every parameter and buffer in the app's (tfjs) layout, by PyTorch name. */
  weights: ReadonlyMap<string, Float32Array>;
  /** num_batches_tracked per BN layer name. */
  bnBatchesTracked: ReadonlyMap<string, number>;
}

/** A live model or a snapshot of one. */
export type WeightSource = Model | ModelSnapshot;

function checkFinite(name: string, d: Float32Array): void {
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) throw new Error(`export: '${name}' contains a non-finite value (${d[i]}) at ${i}`);
  }
}

/**
 * The source as a snapshot whose every array is checked: present, of the spec's size, finite. A live model is read
 * synchronously (its variables' data must already be on the CPU side, or be cheap to read there).
 */
export function snapshotOf(src: WeightSource): ModelSnapshot {
  const weights = new Map<string, Float32Array>();
  for (const p of src.spec.params) {
    let d: Float32Array | undefined;
    if ('vars' in src) {
      const v = src.vars.get(p.name);
      if (!v) throw new Error(`export: model has no variable '${p.name}'`);
      d = Float32Array.from(v.dataSync() as Float32Array);
    } else d = src.weights.get(p.name);
    if (!d) throw new Error(`export: the weights lack '${p.name}'`);
    const size = p.shape.reduce((a, n) => a * n, 1);
    if (d.length !== size) throw new Error(`export: '${p.name}' has ${d.length} values, expected ${size}`);
    checkFinite(p.name, d);
    weights.set(p.name, d);
  }
  return { spec: src.spec, weights, bnBatchesTracked: new Map(src.bnBatchesTracked) };
}

/** A snapshot of `model` read asynchronously (no blocking GPU read), only the model's own variables. */
export async function readSnapshot(model: Model): Promise<ModelSnapshot> {
  const weights = new Map<string, Float32Array>();
  for (const p of model.spec.params) {
    const v = model.vars.get(p.name);
    if (!v) throw new Error(`export: model has no variable '${p.name}'`);
    weights.set(p.name, Float32Array.from((await v.data()) as Float32Array));
  }
  return snapshotOf({ spec: model.spec, weights, bnBatchesTracked: model.bnBatchesTracked });
}

/**
 * Runs `fn` with tfjs' plain-JS cpu backend active and puts the previous backend back after, so tensors that an
 * export needs (a LayersModel to serialise, decoded weights) never reach WebGL or WebGPU.
 */
export async function onCpuBackend<T>(fn: () => T | Promise<T>): Promise<T> {
  const prev = tf.getBackend();
  if (prev === 'cpu') return fn();
  if (!(await tf.setBackend('cpu'))) throw new Error("export: tfjs' cpu backend is not available");
  try {
    return await fn();
  } finally {
    await tf.setBackend(prev);
  }
}
