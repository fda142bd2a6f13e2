/**
 * The fused WebGPU training executor: runs the models that src/core/models/spec.ts describes as data (ConvNet,
 * ResNet-8/20/32; cosine or linear head) as a few hundred prepared compute dispatches per training step, recorded
 * into one command buffer, instead of thousands of tfjs kernels each with its own CPU-side bookkeeping.
 *
 * Everything is allocated once per (spec, maxBatch) — see ./plan/ — and pipelines and bind groups are created
 * in `create()`. A step is two `writeBuffer`s (the input batch; the step block with n, lr, labels, noise and the
 * loss' per-class numbers), one command buffer, one submit, and an asynchronous read-back of the loss, the gradient
 * sum, the finite flag, the feature norms and the predictions into one of a few rotating staging buffers. The
 * health check runs on the GPU: when the loss or any gradient is non-finite, SGD and the BN running-statistics
 * update skip themselves, so the CPU never waits for a read-back before submitting the next step.
 *
 * Semantics follow the tfjs reference executor (src/core/models/executor.ts, ops.ts), the logit form of the losses
 * (src/core/losses/logit-form.ts) and the project's SGD (src/core/train/sgd.ts); the tests compare them step by step.
 */
import type { ModelSpec } from '../models/types';
import { pipelineFor, pipelineKey, storageLayout } from './device';
import type { KernelDef } from './kernels';
import { checkLossInputs, fail, RESULT_WORD, resultLayout, writeStepBlock, type LossInputs } from './step-block';
import type { ConvKernelsInfo } from './conv-info';
import { type ConvVariant, type ConvVariantChoice, convVariantFor, softwareAdapter } from './kernels';
import { buildPlan, type Dispatch, type Plan } from './plan';

export interface FusedExecutorOptions {
  /** The caller's device (tfjs' own WebGPU device or a fresh one). */
  device: GPUDevice;
  /** buildSpec(...) output. */
  spec: ModelSpec;
  /** Largest batch; any batch 2 ≤ n ≤ maxBatch works. */
  maxBatch: number;
  /** SGD momentum μ (PyTorch semantics). */
  momentum: number;
  /** Coupled weight decay (added to every trainable parameter's gradient). */
  weightDecay: number;
  /**
   * Convolution kernels: 'direct', 'tiled' (on every layer they fit) or 'auto' (default: direct on a software
   * adapter, tiled on a hardware one where a layer is large enough; kernels/conv-tiled.ts).
   */
  convVariant?: ConvVariantChoice;
  /**
   * Keep a copy of the state (parameters, momentum, BN running statistics) as it was before every step in flight,
   * so a step's `restore()` can put it back after later steps already ran on top (a pipelined caller that finds a
   * non-finite step, or drops steps it submitted ahead). One buffer copy per step, in the step's command buffer.
   */
  rollback?: boolean;
  /** Test-only: the variant compiled in place of each kernel the plan uses (the self-check's injected fault). */
  variant?: (def: KernelDef) => KernelDef;
}

export interface TrainStepInput extends LossInputs {
  /** NHWC input, already normalised/augmented, at least n·H·W·C values. */
  x: Float32Array;
  lr: number;
  /** GCL stage 2: BN in eval mode (running stats untouched), only the classifier trained, no backbone backward. */
  frozen?: boolean;
}

export interface TrainStepResult {
  loss: number;
  gradientSum: number;
  /** False when the loss or a gradient was non-finite: then nothing changed (weights, momentum, BN stats). */
  finite: boolean;
  featureNorms: Float32Array;
  preds: Int32Array;
}

export interface FusedExecutorStats {
  buffers: number;
  bytes: number;
  dispatchesPerStep: number;
  dispatchesPerFrozenStep: number;
  dispatchesPerEval: number;
  pipelines: number;
  /** The convolution kernels this executor runs: 'direct', or 'tiled' where any layer runs the tiled ones. */
  convVariant: ConvVariant;
  /** The setting, the adapter and the layer counts behind `convVariant` (what the badge says). */
  conv: ConvKernelsInfo;
}

/** Steps whose read-back may be outstanding at once. */
export const MAX_IN_FLIGHT = 4;

const USAGE_STORAGE = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

interface Recorded {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  groups: [number, number, number];
}

interface Staging {
  buffer: GPUBuffer;
  busy: boolean;
  /** The state before this slot's step (with `rollback`). */
  snapshot: GPUBuffer | null;
  /** Steps submitted through this slot (a `restore()` refuses once the slot served a later step). */
  uses: number;
}

export class FusedExecutor {
  private readonly device: GPUDevice;
  private readonly plan: Plan;
  private readonly buffers: GPUBuffer[];
  private readonly staging: Staging[];
  private readonly evalStaging: GPUBuffer;
  private readonly bulkStaging: GPUBuffer;
  private readonly trainList: Recorded[];
  private readonly frozenList: Recorded[];
  private readonly evalList: Recorded[];
  /** CPU copy of the control region (step block + meta slots), as floats and as i32 words. */
  private readonly ctlF: Float32Array;
  private readonly ctlI: Int32Array;
  private readonly pipelineCount: number;
  /** Why the convolutions run as they do: fixed with the plan, so one object per executor. */
  readonly convKernels: ConvKernelsInfo;
  private readonly momentum: number;
  private weightDecay: number;
  private lastFrozen = false;
  private disposed = false;
  private bulkLock: Promise<unknown> = Promise.resolve();
  private evalLock: Promise<unknown> = Promise.resolve();

  private constructor(o: FusedExecutorOptions, plan: Plan, pipes: Map<string, GPUComputePipeline>) {
    this.device = o.device;
    this.plan = plan;
    this.momentum = o.momentum;
    this.weightDecay = o.weightDecay;
    this.pipelineCount = pipes.size;
    this.convKernels = {
      asked: o.convVariant ?? 'auto',
      software: softwareAdapter((o.device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo),
      tiledLayers: plan.convLayers.tiled,
      layers: plan.convLayers.layers,
    };
    const d = o.device;
    this.buffers = plan.bufferSizes.map((size, i) =>
      d.createBuffer({ label: `fused executor ${i === 0 ? 'state' : `arena ${i}`}`, size, usage: USAGE_STORAGE() }),
    );
    const resultBytes = resultLayout(plan.maxBatch).total * 4;
    this.staging = Array.from({ length: MAX_IN_FLIGHT }, (_, i) => ({
      buffer: d.createBuffer({
        label: `fused executor read-back ${i}`,
        size: resultBytes,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      }),
      busy: false,
      snapshot: o.rollback
        ? d.createBuffer({ label: `fused executor snapshot ${i}`, size: plan.bufferSizes[0], usage: USAGE_STORAGE() })
        : null,
      uses: 0,
    }));
    this.evalStaging = d.createBuffer({
      label: 'fused executor eval read-back',
      size: plan.maxBatch * (plan.numClasses + plan.featureDim) * 4,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    this.bulkStaging = d.createBuffer({
      label: 'fused executor state read-back',
      size: plan.bufferSizes[0],
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    const record = (list: Dispatch[]): Recorded[] =>
      list.map((disp) => ({
        pipeline: pipes.get(pipelineKey(disp.src, disp.constants))!,
        groups: disp.groups,
        bindGroup: d.createBindGroup({
          label: disp.label,
          layout: storageLayout(d, disp.binds.length).bgl,
          entries: disp.binds.map((r, i) => ({ binding: i, resource: { buffer: this.buffers[r.buffer], offset: r.offset, size: r.size } })),
        }),
      }));
    this.trainList = record(plan.train);
    this.frozenList = record(plan.frozen);
    this.evalList = record(plan.eval);
    this.ctlF = plan.controlInit.slice();
    this.ctlI = new Int32Array(this.ctlF.buffer);
  }

  /** Plans the memory, compiles (or reuses) the pipelines and allocates every buffer. */
  static async create(o: FusedExecutorOptions): Promise<FusedExecutor> {
    if (!o || !o.device) fail('create() needs a GPUDevice');
    if (!o.spec) fail('create() needs a model spec');
    if (!Number.isFinite(o.momentum) || o.momentum < 0) fail(`momentum must be a finite number ≥ 0, got ${o.momentum}`);
    if (!Number.isFinite(o.weightDecay) || o.weightDecay < 0) fail(`weightDecay must be a finite number ≥ 0, got ${o.weightDecay}`);
    const choice = o.convVariant ?? 'auto';
    if (!['direct', 'tiled', 'auto'].includes(choice)) fail(`convVariant must be 'direct', 'tiled' or 'auto', got ${String(choice)}`);
    const info = (o.device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    const plan = buildPlan(o.spec, o.maxBatch, o.device.limits, convVariantFor(choice, info));
    const sources = new Map<string, Dispatch>();
    for (const d of [...plan.train, ...plan.frozen, ...plan.eval]) sources.set(pipelineKey(d.src, d.constants), d);
    o.device.pushErrorScope('validation');
    const variant = o.variant ?? ((s: KernelDef) => s);
    const compiled = await Promise.all(
      [...sources].map(async ([key, d]) => [key, await pipelineFor(o.device, variant(d.src), d.constants)] as const),
    );
    const ex = new FusedExecutor(o, plan, new Map(compiled));
    const err = await o.device.popErrorScope();
    if (err) {
      ex.dispose();
      fail(`setting up the GPU objects failed: ${err.message}`);
    }
    return ex;
  }

  get spec(): { maxBatch: number; inputShape: [number, number, number]; numClasses: number; featureDim: number } {
    const p = this.plan;
    return { maxBatch: p.maxBatch, inputShape: p.inputShape, numClasses: p.numClasses, featureDim: p.featureDim };
  }

  private alive(): void {
    if (this.disposed) fail('used after dispose()');
  }

  // ------------------------------------------------------------------------------------------------------------
  // Weights, momentum, gradients

  private trainableNames(classifierOnly: boolean): string[] {
    const out: string[] = [];
    for (const [name, s] of this.plan.params) if (s.spec.trainable && (!classifierOnly || s.spec.classifier)) out.push(name);
    return out;
  }

  /** Every parameter and BN buffer by PyTorch name, tfjs layout (what cloneWeights() returns). */
  setWeights(w: Map<string, Float32Array>): void {
    this.alive();
    const T = this.plan.trainableLength;
    const P = new Float32Array(T);
    const R = new Float32Array(this.plan.bufferSizes[0] / 4 - 3 * T);
    for (const name of w.keys()) if (!this.plan.params.has(name)) fail(`setWeights: the model has no parameter '${name}'`);
    for (const [name, s] of this.plan.params) {
      const v = w.get(name);
      if (!v) fail(`setWeights: missing '${name}'`);
      if (v.length !== s.size) fail(`setWeights: '${name}' has ${v.length} values, expected ${s.size}`);
      for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) fail(`setWeights: '${name}' contains a non-finite value at ${i}`);
      if (s.spec.trainable) P.set(v, s.offset);
      else R.set(v, s.offset - 3 * T);
    }
    this.device.queue.writeBuffer(this.buffers[0], 0, P);
    this.device.queue.writeBuffer(this.buffers[0], 3 * T * 4, R);
  }

  /** Copies buffer 0 (parameters, gradients, momentum, running stats) back; serialised. */
  private readState(): Promise<Float32Array> {
    this.alive();
    const run = async (): Promise<Float32Array> => {
      const enc = this.device.createCommandEncoder();
      enc.copyBufferToBuffer(this.buffers[0], 0, this.bulkStaging, 0, this.plan.bufferSizes[0]);
      this.device.queue.submit([enc.finish()]);
      await this.bulkStaging.mapAsync(GPUMapMode.READ);
      const out = new Float32Array(this.bulkStaging.getMappedRange().slice(0));
      this.bulkStaging.unmap();
      return out;
    };
    const p = this.bulkLock.then(run, run);
    this.bulkLock = p.catch(() => undefined);
    return p;
  }

  async readWeights(): Promise<Map<string, Float32Array>> {
    const s = await this.readState();
    const out = new Map<string, Float32Array>();
    for (const p of this.plan.params.values()) out.set(p.spec.name, s.slice(p.offset, p.offset + p.size));
    // spec order, like cloneWeights()
    return new Map(this.plan.order.map((k) => [k, out.get(k)!]));
  }

  /** Momentum buffers by trainable parameter name; names not given start at zero. */
  setMomentum(m: Map<string, Float32Array>): void {
    this.alive();
    const T = this.plan.trainableLength;
    const V = new Float32Array(T);
    for (const [name, v] of m) {
      const s = this.plan.params.get(name);
      if (!s || !s.spec.trainable) fail(`setMomentum: '${name}' is not a trainable parameter`);
      if (v.length !== s.size) fail(`setMomentum: '${name}' has ${v.length} values, expected ${s.size}`);
      for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) fail(`setMomentum: '${name}' contains a non-finite value`);
      V.set(v, s.offset);
    }
    this.device.queue.writeBuffer(this.buffers[0], 2 * T * 4, V);
  }

  async readMomentum(): Promise<Map<string, Float32Array>> {
    const s = await this.readState();
    const T = this.plan.trainableLength;
    const out = new Map<string, Float32Array>();
    for (const name of this.trainableNames(false)) {
      const p = this.plan.params.get(name)!;
      out.set(name, s.slice(2 * T + p.offset, 2 * T + p.offset + p.size));
    }
    return out;
  }

  resetMomentum(): void {
    this.alive();
    const T = this.plan.trainableLength;
    const enc = this.device.createCommandEncoder();
    enc.clearBuffer(this.buffers[0], 2 * T * 4, T * 4);
    this.device.queue.submit([enc.finish()]);
  }

  setWeightDecay(wd: number): void {
    if (!Number.isFinite(wd) || wd < 0) fail(`weight decay must be a finite number ≥ 0, got ${wd}`);
    this.weightDecay = wd;
  }

  /** Gradients of the last step by parameter name (only the classifier's after a frozen step). */
  async readGradients(): Promise<Map<string, Float32Array>> {
    const s = await this.readState();
    const T = this.plan.trainableLength;
    const out = new Map<string, Float32Array>();
    for (const name of this.trainableNames(this.lastFrozen)) {
      const p = this.plan.params.get(name)!;
      out.set(name, s.slice(T + p.offset, T + p.offset + p.size));
    }
    return out;
  }

  // ------------------------------------------------------------------------------------------------------------
  // Steps

  private writeInput(x: Float32Array, n: number, who: string): void {
    const [H, W, Cc] = this.plan.inputShape;
    const len = n * H * W * Cc;
    if (!(x instanceof Float32Array) || x.length < len)
      fail(`${who}: x must be a Float32Array with at least ${len} values (n×${H}×${W}×${Cc})`);
    const r = this.plan.x;
    this.device.queue.writeBuffer(this.buffers[r.buffer], r.offset, x.buffer, x.byteOffset, len * 4);
  }

  private writeControl(): void {
    const r = this.plan.control;
    this.device.queue.writeBuffer(this.buffers[r.buffer], r.offset, this.ctlF);
  }

  private encode(list: Recorded[], enc: GPUCommandEncoder): void {
    const pass = enc.beginComputePass();
    let last: GPUComputePipeline | null = null;
    for (const d of list) {
      if (d.pipeline !== last) {
        pass.setPipeline(d.pipeline);
        last = d.pipeline;
      }
      pass.setBindGroup(0, d.bindGroup);
      pass.dispatchWorkgroups(d.groups[0], d.groups[1], d.groups[2]);
    }
    pass.end();
  }

  /** Copies the state buffer's P and V | R ranges (the gradients are scratch) from `src` to `dst`. */
  private copyState(enc: GPUCommandEncoder, src: GPUBuffer, dst: GPUBuffer): void {
    const T4 = this.plan.trainableLength * 4;
    enc.copyBufferToBuffer(src, 0, dst, 0, T4);
    enc.copyBufferToBuffer(src, 2 * T4, dst, 2 * T4, this.plan.bufferSizes[0] - 2 * T4);
  }

  /**
   * Submits one step and returns at once; `result` resolves when its read-back arrives. `restore()` (with
   * `rollback`) puts the state back as it was before this step, after whatever was submitted since; valid until the
   * step's read-back slot serves another step.
   */
  trainStep(a: TrainStepInput): { result: Promise<TrainStepResult>; restore: () => void } {
    this.alive();
    const B = this.plan.maxBatch;
    const C = this.plan.numClasses;
    const { n } = a;
    if (!Number.isInteger(n) || n < 2 || n > B) fail(`trainStep: n must be an integer in [2, ${B}], got ${n}`);
    if (typeof a.lr !== 'number' || Number.isNaN(a.lr)) fail(`trainStep: lr must be a number, got ${a.lr}`);
    const vecs = checkLossInputs(a, C, 'trainStep');
    const slot = this.staging.find((s) => !s.busy);
    if (!slot) fail(`trainStep: ${MAX_IN_FLIGHT} steps already in flight; await an earlier step's result first`);

    const frozen = a.frozen === true;
    const si = this.ctlI;
    writeStepBlock(
      this.ctlF,
      si,
      { maxBatch: B, C, D: this.plan.featureDim },
      { ...a, weightDecay: this.weightDecay, momentum: this.momentum, frozen },
      vecs,
    );
    for (const w of this.plan.nWords) si[w] = n;

    this.writeInput(a.x, n, 'trainStep');
    const d = this.device;
    d.pushErrorScope('validation');
    this.writeControl();
    const enc = d.createCommandEncoder();
    if (slot.snapshot) this.copyState(enc, this.buffers[0], slot.snapshot);
    this.encode(frozen ? this.frozenList : this.trainList, enc);
    const res = this.plan.result;
    enc.copyBufferToBuffer(this.buffers[res.buffer], res.offset, slot.buffer, 0, slot.buffer.size);
    d.queue.submit([enc.finish()]);
    const scope = d.popErrorScope();
    slot.busy = true;
    const use = ++slot.uses;
    this.lastFrozen = frozen;
    const rl = resultLayout(B);
    const result = (async (): Promise<TrainStepResult> => {
      try {
        const err = await scope;
        if (err) fail(`the step failed on the GPU: ${err.message}`);
        await slot.buffer.mapAsync(GPUMapMode.READ);
        const r = new Float32Array(slot.buffer.getMappedRange().slice(0));
        slot.buffer.unmap();
        const preds = new Int32Array(n);
        for (let i = 0; i < n; i++) preds[i] = r[rl.preds + i];
        return {
          loss: r[RESULT_WORD.loss],
          gradientSum: r[RESULT_WORD.gradientSum],
          finite: r[RESULT_WORD.finite] > 0.5,
          featureNorms: r.slice(rl.norms, rl.norms + n),
          preds,
        };
      } finally {
        slot.busy = false;
      }
    })();
    const restore = (): void => {
      this.alive();
      if (!slot.snapshot) fail('restore() needs an executor created with rollback: true');
      if (slot.uses !== use) fail('restore(): the step is too old (its slot has served a later step)');
      const e = d.createCommandEncoder();
      this.copyState(e, slot.snapshot, this.buffers[0]);
      d.queue.submit([e.finish()]);
    };
    return { result, restore };
  }

  /** Eval-mode forward (running statistics): classifier output [n×C] and pooled features [n×D]. Any n ≥ 1. */
  evaluate(x: Float32Array, n: number): Promise<{ output: Float32Array; features: Float32Array }> {
    this.alive();
    const [H, W, Cc] = this.plan.inputShape;
    if (!Number.isInteger(n) || n < 1) fail(`evaluate: n must be a positive integer, got ${n}`);
    if (!(x instanceof Float32Array) || x.length < n * H * W * Cc) fail(`evaluate: x must have at least ${n * H * W * Cc} values`);
    const run = async () => {
      const B = this.plan.maxBatch;
      const C = this.plan.numClasses;
      const D = this.plan.featureDim;
      const output = new Float32Array(n * C);
      const features = new Float32Array(n * D);
      for (let s = 0; s < n; s += B) {
        const m = Math.min(B, n - s);
        const px = H * W * Cc;
        this.writeInput(x.subarray(s * px, (s + m) * px), m, 'evaluate');
        for (const w of this.plan.nWords) this.ctlI[w] = m;
        const d = this.device;
        d.pushErrorScope('validation');
        this.writeControl();
        const enc = d.createCommandEncoder();
        this.encode(this.evalList, enc);
        const t = this.plan.tail;
        const fr = this.plan.features;
        enc.copyBufferToBuffer(this.buffers[t.buffer], t.offset, this.evalStaging, 0, m * C * 4);
        enc.copyBufferToBuffer(this.buffers[fr.buffer], fr.offset, this.evalStaging, B * C * 4, m * D * 4);
        d.queue.submit([enc.finish()]);
        const err = await d.popErrorScope();
        if (err) fail(`evaluate failed on the GPU: ${err.message}`);
        await this.evalStaging.mapAsync(GPUMapMode.READ);
        const r = new Float32Array(this.evalStaging.getMappedRange().slice(0));
        this.evalStaging.unmap();
        output.set(r.subarray(0, m * C), s * C);
        features.set(r.subarray(B * C, B * C + m * D), s * D);
      }
      return { output, features };
    };
    const p = this.evalLock.then(run, run);
    this.evalLock = p.catch(() => undefined);
    return p;
  }

  stats(): FusedExecutorStats {
    const all = this.allBuffers();
    return {
      buffers: all.length,
      bytes: all.reduce((a, b) => a + b.size, 0),
      dispatchesPerStep: this.trainList.length,
      dispatchesPerFrozenStep: this.frozenList.length,
      dispatchesPerEval: this.evalList.length,
      pipelines: this.pipelineCount,
      convVariant: this.convVariant,
      conv: this.convKernels,
    };
  }

  /** The convolution kernels this executor runs (what the badge and the bench show). */
  get convVariant(): ConvVariant {
    return this.convKernels.tiledLayers > 0 ? 'tiled' : 'direct';
  }

  /** Labels of the recorded dispatches, in order (for inspection). */
  dispatchLabels(which: 'train' | 'frozen' | 'eval' = 'train'): string[] {
    return this.plan[which].map((d) => d.label);
  }

  /**
   * Kernel name, workgroup grid and workgroup size of each recorded dispatch, in order (for the bench's
   * launch-cost replay: the same grids with empty kernels).
   */
  dispatchShapes(
    which: 'train' | 'frozen' | 'eval' = 'train',
  ): { kernel: string; groups: [number, number, number]; workgroupSize: number }[] {
    return this.plan[which].map((d) => ({
      kernel: d.src.name,
      groups: d.groups,
      workgroupSize: Number(/@workgroup_size\((\d+)/.exec(d.src.code)?.[1] ?? 1),
    }));
  }

  /** Kernel (pipeline) names of the recorded dispatches, in order (for inspection). */
  dispatchKernels(which: 'train' | 'frozen' | 'eval' = 'train'): string[] {
    return this.plan[which].map((d) => d.src.name);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const b of this.allBuffers()) b.destroy();
  }

  private allBuffers(): GPUBuffer[] {
    const snaps = this.staging.flatMap((s) => (s.snapshot ? [s.snapshot] : []));
    return [...this.buffers, ...this.staging.map((s) => s.buffer), ...snaps, this.evalStaging, this.bulkStaging];
  }
}
