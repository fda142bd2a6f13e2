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
import { FusedExecutor, MAX_IN_FLIGHT, type FusedExecutorStats } from '../gpu/fused-executor';
import type { ConvVariantChoice } from '../gpu/kernels';
import type { ConvKernelsInfo } from '../gpu/conv-info';
import { logitForm } from '../losses/registry';
import type { Model } from '../models/types';
import { bnLayerNames, cloneWeights, setWeights } from '../models';
import type { EngineEval, EngineStep, EngineStepResult, InFlightStep, StepEngine } from './step-engine';

export interface FusedEngineOptions {
  /** The WebGPU device (tfjs' own in the browser, so both share memory; a Dawn device in Node). */
  device: GPUDevice;
  momentum: number;
  weightDecay: number;
  /** Largest batch a step will use (stage 1 and stage 2). */
  maxBatch: number;
  /**
   * Steps the trainer may keep in flight (default 2; at most the executor's read-back slots). Above 1 the executor
   * keeps the state before each step so a step can be undone after later ones ran (`InFlightStep.restore`).
   */
  depth?: number;
  /** The executor's convolution kernels (default 'auto': direct on a software adapter, tiled on large layers). */
  convVariant?: ConvVariantChoice;
}

/** A submitted step as the engine tracks it for the BN batch counter. */
interface Ticket {
  /** Counted in `tracked` (finite, training mode, not undone). */
  counted: boolean;
  /** Undone by a restore: its result no longer counts. */
  undone: boolean;
}

export class FusedEngine implements StepEngine {
  readonly kind = 'fused' as const;
  /** Applied training-mode steps since the last sync (each adds one to every BN layer's num_batches_tracked). */
  private tracked = 0;
  private lostMessage: string | null = null;
  private readonly lost: Promise<never>;
  private disposed = false;
  /** Submitted steps a restore may still undo, oldest first (since the last sync). */
  private tickets: Ticket[] = [];

  private constructor(
    readonly model: Model,
    private readonly ex: FusedExecutor,
    device: GPUDevice,
    readonly depth: number,
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
    const depth = o.depth ?? 2;
    if (!Number.isInteger(depth) || depth < 1 || depth > MAX_IN_FLIGHT)
      throw new Error(`the fused engine's depth must be an integer in [1, ${MAX_IN_FLIGHT}], got ${depth}`);
    const ex = await FusedExecutor.create({
      device: o.device,
      spec: model.spec,
      maxBatch: o.maxBatch,
      momentum: o.momentum,
      weightDecay: o.weightDecay,
      rollback: depth > 1,
      ...(o.convVariant ? { convVariant: o.convVariant } : {}),
    });
    const e = new FusedEngine(model, ex, o.device, depth);
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

  /** The executor's convolution kernels and why (one object per executor: compared by identity per batch). */
  get convKernels(): ConvKernelsInfo {
    return this.ex.convKernels;
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

  train(s: EngineStep): Promise<EngineStepResult> {
    return this.submit(s).result;
  }

  /** Submits the step at once; its result is read while later steps run (see `depth`). */
  submit(s: EngineStep): InFlightStep {
    this.check();
    const form = logitForm(s.loss.id, s.loss.params, s.loss.ctx);
    // mixup: passed as the executor's mix, whose checks reject another shape
    const mix = s.mix; // the executor takes it as is: L = λ·L(labels, noise) + (1 − λ)·L(mix.labels, mix.noise)
    const { result, restore } = this.ex.trainStep({
      x: s.x,
      n: s.n,
      labels: s.labels,
      lr: s.lr,
      form,
      noise: s.noise ?? undefined,
      frozen: s.frozen,
      mix: mix && { labels: mix.labels, lambda: mix.lambda, noise: mix.noise ?? undefined },
    });
    const ticket: Ticket = { counted: false, undone: false };
    this.tickets.push(ticket);
    if (this.tickets.length > 2 * MAX_IN_FLIGHT) this.tickets.shift();
    const out = this.guard(result).then((r): EngineStepResult => {
      if (r.finite && !s.frozen && !ticket.undone) {
        this.tracked++;
        ticket.counted = true;
      }
      return { loss: r.loss, gradientSum: r.gradientSum, applied: r.finite, featureNorms: r.featureNorms, preds: r.preds };
    });
    return {
      result: out,
      restore: () => {
        this.check();
        restore();
        // this step and every later one are undone: their BN batches no longer count
        for (const t of this.tickets.slice(this.tickets.indexOf(ticket))) {
          t.undone = true;
          if (t.counted) this.tracked--;
          t.counted = false;
        }
      },
    };
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
    this.tickets = [];
  }

  async syncFromModel(): Promise<void> {
    this.check();
    // read asynchronously first: the model may live on tfjs' WebGPU backend, where a synchronous read is refused
    await Promise.all([...this.model.vars.values()].map((v) => v.data()));
    this.ex.setWeights(cloneWeights(this.model));
    this.tracked = 0;
    this.tickets = [];
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
