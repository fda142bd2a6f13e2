/**
 * SGD with momentum and coupled weight decay, PyTorch semantics:
 *   d = g + wd·w;  v ← μ·v + d  (v starts at 0, so the first step has v = d);  w ← w − lr·v.
 * The learning rate is an argument of each step, so changing it never resets the momentum buffers.
 */
import * as tf from '@tensorflow/tfjs';

export interface SgdOptions {
  momentum: number;
  weightDecay: number;
}

export class Sgd {
  private readonly buffers = new Map<string, tf.Variable>();

  constructor(private opts: SgdOptions) {}

  /** Weight decay may change between steps; momentum buffers stay. */
  setWeightDecay(wd: number): void {
    this.opts.weightDecay = wd;
  }

  /** Applies one update to `vars` from `grads` (keyed by variable name). Disposes nothing it doesn't own. */
  apply(vars: tf.Variable[], grads: tf.NamedTensorMap, lr: number): void {
    const { momentum, weightDecay } = this.opts;
    tf.tidy(() => {
      const lrT = tf.scalar(lr);
      const muT = tf.scalar(momentum);
      const wdT = tf.scalar(weightDecay);
      for (const v of vars) {
        const g = grads[v.name];
        if (!g) continue;
        const d = weightDecay !== 0 ? tf.add(g, tf.mul(wdT, v)) : g;
        let buf = this.buffers.get(v.name);
        if (!buf) {
          buf = tf.variable(tf.zerosLike(v), false, `${v.name}/momentum`);
          this.buffers.set(v.name, buf);
        }
        buf.assign(momentum !== 0 ? tf.add(tf.mul(muT, buf), d) : d);
        v.assign(tf.sub(v, tf.mul(lrT, buf)));
      }
    });
  }

  /** Momentum buffers by variable name (for autosave / inspection). */
  state(): Map<string, tf.Variable> {
    return this.buffers;
  }

  /** Copies of the momentum buffers keyed by variable name. */
  exportState(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const [k, v] of this.buffers) out.set(k, v.dataSync() as Float32Array);
    return out;
  }

  /** Restores momentum buffers for the given variables (by variable name). */
  importState(vars: tf.Variable[], state: Map<string, Float32Array>): void {
    this.dispose();
    for (const v of vars) {
      const data = state.get(v.name);
      if (!data) continue;
      if (data.length !== v.size) throw new Error(`momentum for ${v.name}: ${data.length} values, expected ${v.size}`);
      this.buffers.set(v.name, tf.variable(tf.tensor(data, v.shape), false, `${v.name}/momentum`));
    }
  }

  dispose(): void {
    for (const b of this.buffers.values()) b.dispose();
    this.buffers.clear();
  }
}
