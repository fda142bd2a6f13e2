/**
 * The reference engine: the model's tf.Variables trained with tfjs (tf.variableGrads, the project's SGD) on
 * whatever tfjs backend is active — the engine of webgl, wasm and cpu, and the reference for the fused executor.
 */
import * as tf from '@tensorflow/tfjs';
import type { Model } from '../models/types';
import { computeMixedLoss } from '../losses/compute/mix';
import type { NoiseSource } from '../losses/compute/noise';
import { Sgd } from './sgd';
import type { EngineEval, EngineStep, EngineStepResult, InFlightStep, StepEngine } from './step-engine';

export class TfjsEngine implements StepEngine {
  readonly kind = 'tfjs' as const;
  /** tfjs computes a step before the next is prepared: nothing to overlap. */
  readonly depth = 1;
  private sgd: Sgd;
  private readonly nameOf = new Map<string, string>(); // tf variable name → parameter name

  constructor(
    readonly model: Model,
    private readonly opts: { momentum: number; weightDecay: number },
  ) {
    this.sgd = new Sgd({ ...opts });
    for (const [name, v] of model.vars) this.nameOf.set(v.name, name);
  }

  submit(s: EngineStep): InFlightStep {
    return {
      result: this.train(s),
      restore: () => {
        throw new Error('the tfjs engine keeps one step in flight: there is nothing to restore');
      },
    };
  }

  async train(s: EngineStep): Promise<EngineStepResult> {
    const [H, W, C] = this.model.spec.config.inputShape;
    const x = tf.tensor4d(s.x.subarray(0, s.n * H * W * C), [s.n, H, W, C]);
    const y = tf.tensor1d(s.labels.subarray(0, s.n), 'int32');
    const source =
      (values: Float32Array | null | undefined): NoiseSource =>
      (rows, cols) => {
        if (!values || values.length < rows * cols)
          throw new Error(`the loss asked for [${rows}, ${cols}] noise values but none were drawn`);
        return tf.tensor2d(values.subarray(0, rows * cols), [rows, cols], 'float32');
      };
    const mix = s.mix;
    const yb = mix ? tf.tensor1d(mix.labels.subarray(0, s.n), 'int32') : null;
    const vars = this.model.trainable(s.frozen ? 'classifier' : 'all');
    let kept: tf.Tensor[] = [];
    const { value, grads } = tf.variableGrads(() => {
      const { features, output } = this.model.forward(x, s.frozen ? 'eval' : 'train');
      const l = computeMixedLoss(
        s.loss.id,
        { output, labels: y, features },
        s.loss.params,
        { ...s.loss.ctx, noise: source(s.noise) },
        mix && yb ? { labels: yb, lambda: mix.lambda, noise: source(mix.noise) } : undefined,
      );
      kept = [tf.keep(tf.norm(features, 'euclidean', 1)), tf.keep(tf.argMax(output, 1))];
      return l;
    }, vars);
    // One op per gradient: a NaN/Inf anywhere makes the plain sum non-finite, which is all the check needs.
    const health = tf.tidy(() => tf.stack([value, sumScalars(Object.values(grads).map((g) => tf.sum(g)))]));
    const [hv, norms, preds] = await Promise.all([health.data(), kept[0].data(), kept[1].data()]);
    tf.dispose([x, y, value, health, ...kept, ...(yb ? [yb] : [])]);
    const out = {
      loss: hv[0],
      gradientSum: hv[1],
      featureNorms: Float32Array.from(norms as Float32Array),
      preds: Int32Array.from(preds as Int32Array),
    };
    if (!Number.isFinite(hv[0]) || !Number.isFinite(hv[1])) {
      tf.dispose(grads);
      this.model.discardBnUpdates();
      return { ...out, applied: false };
    }
    this.sgd.apply(vars, grads, s.lr);
    tf.dispose(grads);
    if (s.frozen) this.model.discardBnUpdates();
    else this.model.commitBnUpdates();
    return { ...out, applied: true };
  }

  async evaluate(x: Float32Array, n: number): Promise<EngineEval> {
    const [H, W, C] = this.model.spec.config.inputShape;
    const [o, f] = tf.tidy(() => {
      const r = this.model.forward(tf.tensor4d(x.subarray(0, n * H * W * C), [n, H, W, C]), 'eval');
      return [r.output, r.features];
    });
    const [ov, fv] = await Promise.all([o.data(), f.data()]);
    tf.dispose([o, f]);
    return { output: Float32Array.from(ov as Float32Array), features: Float32Array.from(fv as Float32Array) };
  }

  async syncToModel(): Promise<void> {}

  async syncFromModel(): Promise<void> {}

  async readMomentum(): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    for (const [vn, buf] of this.sgd.state()) {
      const data = (await buf.data()) as Float32Array;
      out.set(this.nameOf.get(vn) ?? vn, Float32Array.from(data));
    }
    return out;
  }

  writeMomentum(m: Map<string, Float32Array>, which: 'all' | 'classifier'): void {
    const byVar = new Map<string, Float32Array>();
    for (const [name, v] of this.model.vars) {
      const data = m.get(name);
      if (data) byVar.set(v.name, data);
    }
    this.sgd.importState(this.model.trainable(which), byVar);
  }

  resetMomentum(): void {
    this.sgd.dispose();
    this.sgd = new Sgd({ ...this.opts });
  }

  setWeightDecay(wd: number): void {
    this.opts.weightDecay = wd;
    this.sgd.setWeightDecay(wd);
  }

  dispose(): void {
    this.sgd.dispose();
  }
}

/**
 * Sum of many scalars as a tree of small AddN calls: WebGPU's AddN binds one storage buffer per input and
 * devices only guarantee 8 per shader stage, so one AddN over every gradient fails there.
 */
function sumScalars(xs: tf.Tensor[]): tf.Tensor {
  let level = xs;
  while (level.length > 1) {
    const next: tf.Tensor[] = [];
    for (let i = 0; i < level.length; i += 6) {
      const chunk = level.slice(i, i + 6);
      next.push(chunk.length === 1 ? chunk[0] : tf.addN(chunk));
    }
    level = next;
  }
  return level[0];
}
