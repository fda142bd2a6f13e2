/**
 * Reference executor: creates the tf.Variables of a ModelSpec and runs it with tfjs by interpreting `spec.layers`.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng';
import { bnEval, bnTrain, cosineHead, linearHead, optionAKernel, optionAShortcut, type BnBatchStats } from './ops';
import { BN_EPS, BN_MOMENTUM, bnLayerNames, expandBlock } from './spec';
import type { ForwardMode, ForwardResult, LayerSpec, Model, ModelSpec, ParamSpec } from './types';

/** Initial values of one parameter (tfjs layout), drawn from a stream forked off `rng` by the parameter's name. */
export function initParam(p: ParamSpec, rng: Rng, featureDim: number): Float32Array {
  const size = p.shape.reduce((a, d) => a * d, 1);
  const out = new Float32Array(size);
  const r = rng.fork(`init/${p.name}`);
  switch (p.kind) {
    case 'conv': {
      // kaiming_normal_(mode='fan_in', nonlinearity='relu'): N(0, 2/fan_in), fan_in = k·k·inC, not truncated.
      const [kh, kw, inC] = p.shape;
      const std = Math.sqrt(2 / (kh * kw * inC));
      for (let i = 0; i < size; i++) out[i] = r.normal() * std;
      break;
    }
    case 'bnWeight':
    case 'bnVar':
      out.fill(1);
      break;
    case 'bnBias':
    case 'bnMean':
      break;
    case 'cosineWeight': {
      // uniform_(-1, 1).renorm_(2, 1, 1e-5).mul_(1e5): every column (class) scaled to unit L2 norm.
      const [d, c] = p.shape;
      for (let i = 0; i < size; i++) out[i] = r.next() * 2 - 1;
      for (let j = 0; j < c; j++) {
        let s = 0;
        for (let i = 0; i < d; i++) s += out[i * c + j] ** 2;
        const n = Math.sqrt(s);
        if (n > 0) for (let i = 0; i < d; i++) out[i * c + j] /= n;
      }
      break;
    }
    case 'linearWeight':
    case 'linearBias': {
      // torch.nn.Linear defaults: U(−1/√fan_in, 1/√fan_in) for weight and bias (fan_in = D).
      const bound = 1 / Math.sqrt(featureDim);
      for (let i = 0; i < size; i++) out[i] = (r.next() * 2 - 1) * bound;
      break;
    }
  }
  return out;
}

interface PendingBn {
  layers: { name: string; stats: BnBatchStats }[];
}

class ReferenceModel implements Model {
  readonly vars = new Map<string, tf.Variable>();
  readonly bnBatchesTracked = new Map<string, number>();
  private readonly trainAll: tf.Variable[];
  private readonly trainClassifier: tf.Variable[];
  private readonly shortcutKernels = new Map<string, tf.Tensor4D>();
  private pending: PendingBn[] = [];
  private disposed = false;

  constructor(
    readonly spec: ModelSpec,
    rng: Rng,
  ) {
    for (const p of spec.params) {
      const t = tf.tensor(initParam(p, rng, spec.featureDim), p.shape, 'float32');
      this.vars.set(p.name, tf.variable(t, p.trainable));
      t.dispose();
    }
    for (const name of bnLayerNames(spec)) this.bnBatchesTracked.set(name, 0);
    this.trainAll = spec.params.filter((p) => p.trainable).map((p) => this.vars.get(p.name)!);
    this.trainClassifier = spec.params.filter((p) => p.trainable && p.classifier).map((p) => this.vars.get(p.name)!);
    for (const l of spec.layers) {
      if (l.op === 'block' && l.shortcut === 'optionA') {
        const key = `${l.inC}x${l.outC}`;
        if (!this.shortcutKernels.has(key)) this.shortcutKernels.set(key, tf.keep(optionAKernel(l.inC, l.outC)));
      }
    }
  }

  private v<T extends tf.Tensor>(name: string): T {
    const t = this.vars.get(name);
    if (!t) throw new Error(`model: no parameter '${name}'`);
    return t as unknown as T;
  }

  private bn(name: string, x: tf.Tensor4D, train: boolean, relu: boolean, residual: tf.Tensor4D | null, rec: PendingBn): tf.Tensor4D {
    const gamma = this.v<tf.Tensor1D>(`${name}.weight`);
    const beta = this.v<tf.Tensor1D>(`${name}.bias`);
    if (train) {
      const { y, stats } = bnTrain(x, gamma, beta, BN_EPS, relu, residual);
      rec.layers.push({ name, stats });
      return y;
    }
    return bnEval(x, gamma, beta, this.v(`${name}.running_mean`), this.v(`${name}.running_var`), BN_EPS, relu, residual);
  }

  private conv(name: string, x: tf.Tensor4D, stride: number, pad: number): tf.Tensor4D {
    return tf.conv2d(x, this.v<tf.Tensor4D>(`${name}.weight`), stride, pad === 0 ? 'valid' : pad);
  }

  forward(x: tf.Tensor4D, mode: ForwardMode): ForwardResult {
    if (this.disposed) throw new Error('model: forward after dispose()');
    if (mode !== 'train' && mode !== 'eval') throw new Error(`model.forward: mode must be 'train' or 'eval', got '${mode}'`);
    const [h, w, c] = this.spec.config.inputShape;
    if (x.rank !== 4 || x.shape[1] !== h || x.shape[2] !== w || x.shape[3] !== c) {
      throw new Error(`model.forward: expected input [B, ${h}, ${w}, ${c}], got [${x.shape}]`);
    }
    const train = mode === 'train';
    const rec: PendingBn = { layers: [] };
    const layers = this.spec.layers;
    try {
      const out = tf.tidy(() => {
        let t: tf.Tensor4D = x;
        let features: tf.Tensor2D | null = null;
        let output: tf.Tensor2D | null = null;
        for (let i = 0; i < layers.length; i++) {
          const l: LayerSpec = layers[i];
          switch (l.op) {
            case 'conv':
              t = this.conv(l.name, t, l.stride, l.pad);
              break;
            case 'bn': {
              const fuseRelu = layers[i + 1]?.op === 'relu';
              t = this.bn(l.name, t, train, fuseRelu, null, rec);
              if (fuseRelu) i++;
              break;
            }
            case 'relu':
              t = tf.relu(t);
              break;
            case 'maxpool':
              t = tf.maxPool(t, l.size, l.size, 'valid');
              break;
            case 'block': {
              const inp = t;
              const { conv1, bn1, conv2, bn2 } = expandBlock(l);
              let u = this.conv(conv1.name, inp, conv1.stride, conv1.pad);
              u = this.bn(bn1, u, train, true, null, rec);
              u = this.conv(conv2.name, u, conv2.stride, conv2.pad);
              const sc = l.shortcut === 'identity' ? inp : optionAShortcut(inp, this.shortcutKernels.get(`${l.inC}x${l.outC}`)!);
              t = this.bn(bn2, u, train, true, sc, rec);
              break;
            }
            case 'gap':
              features = tf.mean(t, [1, 2]) as tf.Tensor2D;
              break;
            case 'head':
              if (!features) throw new Error('model: head before gap');
              output = this.head(features);
              break;
          }
        }
        if (!features || !output) throw new Error('model: spec has no gap/head layer');
        return { features, output };
      });
      if (train) this.pending.push(rec);
      return out;
    } catch (e) {
      for (const l of rec.layers) tf.dispose([l.stats.mean, l.stats.variance]);
      throw e;
    }
  }

  /** The classifier applied to given features [B, D] (e.g. detached features in GCL stage 2). */
  head(features: tf.Tensor2D): tf.Tensor2D {
    const w = this.v<tf.Tensor2D>('linear.weight');
    return this.spec.config.head === 'cosine' ? cosineHead(features, w) : linearHead(features, w, this.v<tf.Tensor1D>('linear.bias'));
  }

  commitBnUpdates(): void {
    const pending = this.pending;
    this.pending = [];
    const m = BN_MOMENTUM;
    for (const rec of pending) {
      if (rec.layers.length > 0) {
        tf.tidy(() => {
          const sizes = rec.layers.map((l) => l.stats.mean.shape[0]);
          // One batched update per forward: running = (1 − m)·running + m·batch, var with the unbiased batch variance.
          const factor = new Float32Array(sizes.reduce((a, s) => a + s, 0));
          let o = 0;
          rec.layers.forEach((l, i) => {
            factor.fill((m * l.stats.count) / (l.stats.count - 1), o, o + sizes[i]);
            o += sizes[i];
          });
          const rm = tf.concat(rec.layers.map((l) => this.v<tf.Tensor1D>(`${l.name}.running_mean`)));
          const rv = tf.concat(rec.layers.map((l) => this.v<tf.Tensor1D>(`${l.name}.running_var`)));
          const bm = tf.concat(rec.layers.map((l) => l.stats.mean));
          const bv = tf.concat(rec.layers.map((l) => l.stats.variance));
          const newM = tf.add(tf.mul(rm, 1 - m), tf.mul(bm, m));
          const newV = tf.add(tf.mul(rv, 1 - m), tf.mul(bv, tf.tensor1d(factor)));
          const ms = tf.split(newM, sizes);
          const vs = tf.split(newV, sizes);
          rec.layers.forEach((l, i) => {
            this.vars.get(`${l.name}.running_mean`)!.assign(ms[i]);
            this.vars.get(`${l.name}.running_var`)!.assign(vs[i]);
          });
        });
      }
      for (const l of rec.layers) {
        tf.dispose([l.stats.mean, l.stats.variance]);
        this.bnBatchesTracked.set(l.name, (this.bnBatchesTracked.get(l.name) ?? 0) + 1);
      }
    }
  }

  discardBnUpdates(): void {
    for (const rec of this.pending) for (const l of rec.layers) tf.dispose([l.stats.mean, l.stats.variance]);
    this.pending = [];
  }

  /** Number of forward passes whose BN updates are pending. */
  get pendingBnUpdates(): number {
    return this.pending.length;
  }

  trainable(which: 'all' | 'classifier'): tf.Variable[] {
    if (which === 'all') return [...this.trainAll];
    if (which === 'classifier') return [...this.trainClassifier];
    throw new Error(`model.trainable: expected 'all' or 'classifier', got '${which}'`);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.discardBnUpdates();
    for (const v of this.vars.values()) v.dispose();
    for (const k of this.shortcutKernels.values()) k.dispose();
    this.shortcutKernels.clear();
  }
}

/** Creates the variables (initialised from `rng`, one forked stream per parameter name) and the tfjs executor. */
export function createModel(
  spec: ModelSpec,
  rng: Rng,
): Model & { head(features: tf.Tensor2D): tf.Tensor2D; readonly pendingBnUpdates: number } {
  return new ReferenceModel(spec, rng);
}

/** The classifier of `model` applied to features [B, D] (cosine similarities or logits). */
export function applyHead(model: Model, features: tf.Tensor2D): tf.Tensor2D {
  const w = model.vars.get('linear.weight') as unknown as tf.Tensor2D;
  if (model.spec.config.head === 'cosine') return cosineHead(features, w);
  return linearHead(features, w, model.vars.get('linear.bias') as unknown as tf.Tensor1D);
}
