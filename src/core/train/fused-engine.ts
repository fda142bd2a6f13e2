/**
 * The fused WebGPU engine: the Trainer's steps and evaluations on the fused executor (../gpu/fused-executor.ts),
 * a few hundred prepared dispatches per step instead of thousands of tfjs kernels. The loss reaches the executor
 * as its logit form (../losses/logit-form.ts), so every loss — GCL noise, frozen stage 2, KPS+GA, LDAM-DRW, FBL —
 * is a set of per-class numbers.
 *
 * The executor holds the training state (weights, momentum, BN running statistics). The trainer's tfjs model is
 * its mirror for what needs tfjs variables (checkpoints, exports): `syncToModel()` copies the executor's weights
 * and running statistics into it and adds the BN batches counted since the last sync; `syncFromModel()` takes
 * the model's values (a restore, or a swap from the tfjs engine). So checkpoints are engine-independent.
 *
 * When the GPU device is lost (or destroyed) every pending and later call rejects with "GPU device lost: …",
 * which the worker turns into the same fatal event as a lost tfjs WebGPU backend (recovery on the next backend).
 */
import { FusedExecutor, type FusedExecutorStats } from '../gpu/fused-executor';
import { logitForm } from '../losses/registry';
import type { Model } from '../models/types';
import { bnLayerNames, cloneWeights, setWeights } from '../models';
import type { EngineEval, EngineStep, EngineStepResult, StepEngine } from './step-engine';

export interface FusedEngineOptions {
  /** The WebGPU device (tfjs' own in the browser, so both share memory; a Dawn device in Node). */
  device: GPUDevice;
  momentum: number;
  weightDecay: number;
  /** Largest batch a step will use (stage 1 and stage 2). */
  maxBatch: number;
}

export class FusedEngine implements StepEngine {
  readonly kind = 'fused' as const;
  /** Applied training-mode steps since the last sync (each adds one to every BN layer's num_batches_tracked). */
  private tracked = 0;
  private lostMessage: string | null = null;
  private readonly lost: Promise<never>;
  private disposed = false;

  private constructor(
    readonly model: Model,
    private readonly ex: FusedExecutor,
    device: GPUDevice,
  ) {
    this.lost = device.lost.then((info) => {
      this.lostMessage = `GPU device lost${info.reason === 'destroyed' ? ' (destroyed)' : ''}${info.message ? `: ${info.message}` : ''}`;
      throw new Error(this.lostMessage);
    });
    // nobody may be waiting when the device goes; the message is kept for the next call
    this.lost.catch(() => undefined);
  }

  /** Compiles (or reuses) the executor's pipelines, allocates its buffers and takes the model's current weights. */
  static async create(model: Model, o: FusedEngineOptions): Promise<FusedEngine> {
    const ex = await FusedExecutor.create({
      device: o.device,
      spec: model.spec,
      maxBatch: o.maxBatch,
      momentum: o.momentum,
      weightDecay: o.weightDecay,
    });
    const e = new FusedEngine(model, ex, o.device);
    try {
      await e.syncFromModel();
    } catch (err) {
      e.dispose();
      throw err;
    }
    return e;
  }

  /** Largest batch a step may use. */
  get maxBatch(): number {
    return this.ex.spec.maxBatch;
  }

  /** Buffers and bytes the executor holds, and its dispatch counts. */
  stats(): FusedExecutorStats {
    return this.ex.stats();
  }

  private check(): void {
    if (this.lostMessage) throw new Error(this.lostMessage);
    if (this.disposed) throw new Error('the fused engine was disposed');
  }

  /** `p`, or the device-lost error if the device goes first (a lost device may never answer a read-back). */
  private guard<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.lost]).catch((e: unknown) => {
      if (this.lostMessage) throw new Error(this.lostMessage, { cause: e });
      throw e;
    });
  }

  async train(s: EngineStep): Promise<EngineStepResult> {
    this.check();
    const form = logitForm(s.loss.id, s.loss.params, s.loss.ctx);
    // mixup: passed as the executor's mix, whose checks reject another shape
    const mix = s.mix; // the executor takes it as is: L = λ·L(labels, noise) + (1 − λ)·L(mix.labels, mix.noise)
    const { result } = this.ex.trainStep({
      x: s.x,
      n: s.n,
      labels: s.labels,
      lr: s.lr,
      form,
      noise: s.noise ?? undefined,
      frozen: s.frozen,
      mix: mix && { labels: mix.labels, lambda: mix.lambda, noise: mix.noise ?? undefined },
    });
    const r = await this.guard(result);
    if (r.finite && !s.frozen) this.tracked++;
    return { loss: r.loss, gradientSum: r.gradientSum, applied: r.finite, featureNorms: r.featureNorms, preds: r.preds };
  }

  evaluate(x: Float32Array, n: number): Promise<EngineEval> {
    this.check();
    return this.guard(this.ex.evaluate(x, n));
  }

  async syncToModel(): Promise<void> {
    this.check();
    const w = await this.guard(this.ex.readWeights());
    setWeights(this.model, w);
    if (this.tracked > 0) {
      for (const name of bnLayerNames(this.model.spec)) {
        this.model.bnBatchesTracked.set(name, (this.model.bnBatchesTracked.get(name) ?? 0) + this.tracked);
      }
      this.tracked = 0;
    }
  }

  async syncFromModel(): Promise<void> {
    this.check();
    // read asynchronously first: the model may live on tfjs' WebGPU backend, where a synchronous read is refused
    await Promise.all([...this.model.vars.values()].map((v) => v.data()));
    this.ex.setWeights(cloneWeights(this.model));
    this.tracked = 0;
  }

  readMomentum(): Promise<Map<string, Float32Array>> {
    this.check();
    return this.guard(this.ex.readMomentum());
  }

  writeMomentum(m: Map<string, Float32Array>, which: 'all' | 'classifier'): void {
    this.check();
    const keep = new Map<string, Float32Array>();
    for (const p of this.model.spec.params) {
      const v = m.get(p.name);
      if (v && p.trainable && (which === 'all' || p.classifier)) keep.set(p.name, v);
    }
    this.ex.setMomentum(keep);
  }

  resetMomentum(): void {
    this.check();
    this.ex.resetMomentum();
  }

  setWeightDecay(wd: number): void {
    this.ex.setWeightDecay(wd);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.ex.dispose();
  }
}
