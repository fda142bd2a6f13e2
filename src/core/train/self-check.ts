/**
 * The fused engine's self-check on an adapter the project has not seen: every test of the executor ran on a
 * software adapter, so before the first fused step on a new GPU one step of the run's model at a tiny batch runs on
 * both engines from the same weights and data — the fused executor and the tfjs path on the active backend — and
 * is compared with the parity suite's tolerances: the loss, every gradient, the weights and BN running statistics
 * after the update, and an eval-mode forward. Together these run every kernel variant of the training and eval
 * plans once. A pass is remembered per adapter and build (`SelfCheckStore`); a failure makes the run train on tfjs
 * with the reason in the engine note.
 */
import * as tf from '@tensorflow/tfjs';
import pkg from '../../../package.json';
import { FusedExecutor } from '../gpu/fused-executor';
import type { KernelDef } from '../gpu/kernels';
import { buildPlan } from '../gpu/plan';
import { computeLoss } from '../losses/compute';
import { defaultParams, logitForm } from '../losses/registry';
import { createModel, setWeights } from '../models';
import type { Model, ModelSpec } from '../models/types';
import { Rng } from '../rng';
import { Sgd } from './sgd';

/** The build's version (package.json); the check's key adds a hash of the plan's kernel sources to it. */
export const BUILD_VERSION: string = pkg.version;

/** FNV-1a of the plan's kernel sources: a build that changes a kernel is a new build for the check. */
function kernelHash(spec: ModelSpec, maxBatch: number, limits: GPUSupportedLimits): string {
  const plan = buildPlan(spec, maxBatch, limits);
  const codes = [...new Set([...plan.train, ...plan.frozen, ...plan.eval].map((d) => d.src.code))].sort();
  let h = 0x811c9dc5;
  for (const c of codes) for (let i = 0; i < c.length; i++) h = Math.imul(h ^ c.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/** The adapter as the browser (or Dawn) reports it. */
export interface AdapterIdentity {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
}

/** Tolerances of the executor's parity suite (test/core/gpu/fused-executor.test.ts), one step. */
export const SELF_CHECK_TOLERANCE = {
  /** Loss, relative. */
  loss: 1e-5,
  /** Each gradient tensor, relative to its max |value|. */
  gradient: 1e-4,
  /** Each weight after the update, relative to its max |value|; BN running statistics of max(1, |value|). */
  weight: 1e-5,
  /** Eval-mode output and features, relative to their max |value|. */
  eval: 1e-4,
} as const;

export interface SelfCheckReport {
  ok: boolean;
  /** The badge's sentence when it failed, else null. */
  reason: string | null;
  adapter: AdapterIdentity;
  build: string;
  /** Model / head / input / classes / maxBatch the check ran. */
  plan: string;
  /** The tfjs backend of the reference. */
  reference: string;
  /** Worst errors, each relative to its tolerance's scale (see SELF_CHECK_TOLERANCE). */
  lossError: number;
  gradientError: number;
  /** Parameter (name) with the worst gradient error. */
  gradientWorst: string;
  weightError: number;
  bnError: number;
  evalError: number;
  /** Distinct kernel variants the check ran (training + eval plans). */
  variants: number;
  ms: number;
  /** True when this report was remembered from an earlier check. */
  cached: boolean;
}

/** Test-only kernel replacements that make the check fail: 'scaled-gradient' scales the classifier's gradient 1.5×. */
export type SelfCheckFault = 'scaled-gradient';

/** A deliberately wrong variant of `def` for `fault` (the definition itself when the fault does not touch it). */
export function faultyVariant(fault: SelfCheckFault, def: KernelDef): KernelDef {
  if (fault !== 'scaled-gradient' || !def.name.startsWith('head-backward')) return def;
  const code = def.code.replaceAll('bg[j] = v;', 'bg[j] = 1.5 * v;');
  if (code === def.code) throw new Error(`self-check fault '${fault}': ${def.name} has no gradient write to scale`);
  return { ...def, code };
}

/** The adapter of `device` (GPUDevice.adapterInfo where the browser has it), else `info`, else unknown fields. */
export function adapterIdentity(device: GPUDevice, info?: Partial<AdapterIdentity> | null): AdapterIdentity {
  const a = (device as unknown as { adapterInfo?: Partial<AdapterIdentity> }).adapterInfo ?? info ?? {};
  return { vendor: a.vendor ?? '', architecture: a.architecture ?? '', device: a.device ?? '', description: a.description ?? '' };
}

/** The remembered-result key: adapter, build and the checked plan. */
export function selfCheckKey(adapter: AdapterIdentity, build: string, plan: string): string {
  return JSON.stringify([adapter.vendor, adapter.architecture, adapter.device, adapter.description, build, plan]);
}

export function planOf(spec: ModelSpec, maxBatch: number): string {
  const c = spec.config;
  return `${c.kind}/${c.head}/${c.inputShape.join('x')}/${c.numClasses}/b${maxBatch}`;
}

/** Where passes (and failures) are remembered: IndexedDB in the worker, a JSON file or memory in Node. */
export interface SelfCheckStore {
  get(key: string): Promise<SelfCheckReport | null>;
  put(key: string, report: SelfCheckReport): Promise<void>;
}

export class MemorySelfCheckStore implements SelfCheckStore {
  private readonly m = new Map<string, SelfCheckReport>();
  async get(key: string): Promise<SelfCheckReport | null> {
    return this.m.get(key) ?? null;
  }
  async put(key: string, report: SelfCheckReport): Promise<void> {
    this.m.set(key, report);
  }
}

export interface SelfCheckOptions {
  device: GPUDevice;
  spec: ModelSpec;
  /** The training executor's batch (the same plan, so the same kernel variants); the step uses min(4, maxBatch). */
  maxBatch: number;
  adapter?: AdapterIdentity;
  build?: string;
  fault?: SelfCheckFault | null;
}

const N = 4;
const MOMENTUM = 0.9;
const WD = 5e-4;
const LR = 0.05;

function lcg(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** max |a − b| over max |b|, with an absolute floor (Infinity on NaN or a length mismatch). */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>, floorScale = 0): number {
  if (a.length !== b.length) return Infinity;
  let e = 0;
  let s = floorScale;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    e = Number.isNaN(d) ? Infinity : Math.max(e, d);
    s = Math.max(s, Math.abs(b[i]));
  }
  return e / Math.max(s, 1e-3);
}

/**
 * cloneWeights() read asynchronously. A synchronous read on tfjs' webgpu backend copies through a WebGPU canvas;
 * in Chromium without a GPU compositor (SwiftShader) that canvas cannot get its shared image and the device is
 * lost, which ends the check with "Instance dropped in popErrorScope".
 */
async function readModelWeights(model: Model): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const p of model.spec.params) {
    const v = model.vars.get(p.name);
    if (!v) throw new Error(`self-check: model has no variable '${p.name}'`);
    out.set(p.name, Float32Array.from((await v.data()) as Float32Array));
  }
  return out;
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toExponential(1) : String(x));

/** Runs the check once (no memory): one step on both engines, then an eval forward on both. */
export async function runSelfCheck(o: SelfCheckOptions): Promise<SelfCheckReport> {
  const t0 = performance.now();
  const { spec } = o;
  const maxBatch = Math.max(2, o.maxBatch);
  const n = Math.min(N, maxBatch);
  const [H, W, Cc] = spec.config.inputShape;
  const C = spec.config.numClasses;
  const px = H * W * Cc;
  const x = lcg(n * px, 7);
  for (let b = 0; b < n; b++) for (let i = 0; i < px; i++) x[b * px + i] += 0.3 * (b % 3);
  const labels = Int32Array.from({ length: n }, (_, i) => (i * 3 + 1) % C);
  const counts = Array.from({ length: C }, (_, c) => 10 * (C - c));
  const ctx = { counts, head: spec.config.head, alpha: 1, gaActive: false, drwActive: false };
  const params = defaultParams('ce');
  const form = logitForm('ce', params, ctx);

  const model = createModel(spec, new Rng(20261));
  const fault = o.fault ?? null;
  const ex = await FusedExecutor.create({
    device: o.device,
    spec,
    maxBatch,
    momentum: MOMENTUM,
    weightDecay: WD,
    ...(fault ? { variant: (d: KernelDef) => faultyVariant(fault, d) } : {}),
  });
  try {
    const w0 = await readModelWeights(model);
    ex.setWeights(w0);
    ex.resetMomentum();
    // the fused step first, read back before tfjs touches the device (a browser worker shares tfjs' GPUDevice)
    const got = await ex.trainStep({ x, n, labels, lr: LR, form }).result;
    const gotGrads = await ex.readGradients();
    const gotWeights = await ex.readWeights();
    const ev = await ex.evaluate(x, n);

    // the reference, and the same reference on an input perturbed by PERTURB: how far fp32 rounding alone can move
    // each quantity (a deep net at a tiny batch can amplify it past the fixed tolerances)
    const noise = () => {
      throw new Error('cross-entropy draws no noise');
    };
    const ref = await referenceStep(model, w0, x, n, labels, { ...ctx, noise }, params);
    const xp = x.map((v, i) => v * (1 + (i % 2 ? PERTURB : -PERTURB)));
    const alt = await referenceStep(model, w0, xp, n, labels, { ...ctx, noise }, params);
    const tol = (base: number, spread: number) => Math.max(base, SPREAD_FACTOR * spread);

    const T = SELF_CHECK_TOLERANCE;
    const lossErr = (a: number) => Math.abs(a - ref.loss) / Math.max(Math.abs(ref.loss), 1e-6);
    const lossError = got.finite ? lossErr(got.loss) : Infinity;
    const lossTol = tol(T.loss, lossErr(alt.loss));
    // per tensor: the error over its tolerance; the worst one is reported
    let gradientError = 0;
    let gradientTol: number = T.gradient;
    let gradientWorst = '';
    for (const [name, r] of ref.grads) {
      const e = relErr(gotGrads.get(name) ?? new Float32Array(0), r);
      const t = tol(T.gradient, relErr(alt.grads.get(name)!, r));
      if (e / t >= gradientError / gradientTol) [gradientError, gradientTol, gradientWorst] = [e, t, name];
    }
    let weightError = 0;
    let weightTol: number = T.weight;
    let bnError = 0;
    let bnTol: number = T.weight;
    for (const [name, r] of ref.weights) {
      const running = name.endsWith('running_mean') || name.endsWith('running_var');
      const floor = running ? 1 : 0;
      const e = relErr(gotWeights.get(name) ?? new Float32Array(0), r, floor);
      const t = tol(T.weight, relErr(alt.weights.get(name)!, r, floor));
      if (running && e / t >= bnError / bnTol) [bnError, bnTol] = [e, t];
      if (!running && e / t >= weightError / weightTol) [weightError, weightTol] = [e, t];
    }
    const evalErr = (o2: Float32Array, f2: Float32Array) => Math.max(relErr(o2, ref.output), relErr(f2, ref.features));
    const evalError = evalErr(ev.output, ev.features);
    const evalTol = tol(T.eval, evalErr(alt.output, alt.features));

    const fails: string[] = [];
    const at = (t: number, base: number) => (t > base ? ` > ${fmt(t)}` : '');
    if (!(lossError <= lossTol)) fails.push(`loss error ${fmt(lossError)}${at(lossTol, T.loss)}`);
    if (!(gradientError <= gradientTol))
      fails.push(`max gradient error ${fmt(gradientError)} (${gradientWorst})${at(gradientTol, T.gradient)}`);
    if (!(weightError <= weightTol)) fails.push(`max weight error ${fmt(weightError)}${at(weightTol, T.weight)}`);
    if (!(bnError <= bnTol)) fails.push(`max BN statistics error ${fmt(bnError)}${at(bnTol, T.weight)}`);
    if (!(evalError <= evalTol)) fails.push(`eval forward error ${fmt(evalError)}${at(evalTol, T.eval)}`);
    const variants = new Set([...ex.dispatchKernels('train'), ...ex.dispatchKernels('eval')]).size;
    return {
      ok: fails.length === 0,
      reason: fails.length ? `fused engine disagreed with tfjs on this GPU: ${fails.join(', ')}; using tfjs` : null,
      adapter: o.adapter ?? adapterIdentity(o.device),
      build: o.build ?? BUILD_VERSION,
      plan: planOf(spec, maxBatch),
      reference: tf.getBackend(),
      lossError,
      gradientError,
      gradientWorst,
      weightError,
      bnError,
      evalError,
      variants,
      ms: Math.round(performance.now() - t0),
      cached: false,
    };
  } finally {
    ex.dispose();
    model.dispose();
  }
}

/** Relative input perturbation of the reference's second run, and how far past its spread an error may go. */
const PERTURB = 1e-6;
const SPREAD_FACTOR = 10;

interface Reference {
  loss: number;
  grads: Map<string, Float32Array>;
  weights: Map<string, Float32Array>;
  output: Float32Array;
  features: Float32Array;
}

/**
 * The tfjs engine's step from `w0` on `x` (tf.variableGrads over the loss' tfjs computation, the project's SGD, the
 * BN update), then an eval-mode forward on the updated weights. Every read is asynchronous (readModelWeights).
 */
async function referenceStep(
  model: Model,
  w0: Map<string, Float32Array>,
  x: Float32Array,
  n: number,
  labels: Int32Array,
  ctx: Parameters<typeof computeLoss>[3],
  params: ReturnType<typeof defaultParams>,
): Promise<Reference> {
  const [H, W, Cc] = model.spec.config.inputShape;
  setWeights(model, w0);
  const sgd = new Sgd({ momentum: MOMENTUM, weightDecay: WD });
  try {
    const nameOf = new Map<string, string>();
    for (const [name, v] of model.vars) nameOf.set(v.name, name);
    const vars = model.trainable('all');
    const xt = tf.tensor4d(x, [n, H, W, Cc]);
    const yt = tf.tensor1d(labels, 'int32');
    const { value, grads } = tf.variableGrads(() => {
      const { features, output } = model.forward(xt, 'train');
      return computeLoss('ce', { output, labels: yt, features }, params, ctx);
    }, vars);
    const loss = (await value.data())[0];
    const g = new Map<string, Float32Array>();
    for (const [vn, t] of Object.entries(grads)) g.set(nameOf.get(vn) ?? vn, Float32Array.from((await t.data()) as Float32Array));
    sgd.apply(vars, grads, LR);
    model.commitBnUpdates();
    tf.dispose([xt, yt, value, ...Object.values(grads)]);
    const weights = await readModelWeights(model);
    const [ro, rf] = tf.tidy(() => {
      const r = model.forward(tf.tensor4d(x, [n, H, W, Cc]), 'eval');
      return [r.output, r.features];
    });
    const [output, features] = (await Promise.all([ro.data(), rf.data()])) as [Float32Array, Float32Array];
    tf.dispose([ro, rf]);
    return { loss, grads: g, weights, output, features };
  } finally {
    sgd.dispose();
  }
}

/**
 * The check at most once per adapter, build and plan: remembered in `store`, and shared by concurrent callers. A
 * check that throws (a kernel that fails to compile) counts as a failure, so the run goes on with tfjs.
 */
export class SelfCheckGate {
  private readonly pending = new Map<string, Promise<SelfCheckReport>>();

  constructor(
    private readonly store: SelfCheckStore = new MemorySelfCheckStore(),
    /** `adapter`: the adapter's identity when the caller knows it better than `device.adapterInfo`. */
    private readonly opts: { build?: string; adapter?: () => AdapterIdentity | null; fault?: SelfCheckFault | null } = {},
  ) {}

  verify(device: GPUDevice, spec: ModelSpec, maxBatch: number): Promise<SelfCheckReport> {
    const adapter = this.opts.adapter?.() ?? adapterIdentity(device);
    const build = `${this.opts.build ?? BUILD_VERSION}+${kernelHash(spec, maxBatch, device.limits)}`;
    const plan = planOf(spec, maxBatch);
    const fault = this.opts.fault ?? null;
    const key = selfCheckKey(adapter, build, fault ? `${plan}/${fault}` : plan);
    let p = this.pending.get(key);
    if (!p) {
      p = this.run(key, { device, spec, maxBatch, adapter, build, fault });
      this.pending.set(key, p);
    }
    return p;
  }

  /** Passes are remembered; a failure is checked again by the next session (a driver update may fix it). */
  private async run(key: string, o: SelfCheckOptions): Promise<SelfCheckReport> {
    const known = await this.store.get(key).catch(() => null);
    if (known?.ok) return { ...known, cached: true };
    let r: SelfCheckReport;
    try {
      r = await runSelfCheck(o);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (/device (was )?lost/i.test(msg)) throw e;
      r = {
        ok: false,
        reason: `fused engine failed its check on this GPU: ${msg}; using tfjs`,
        adapter: o.adapter!,
        build: o.build!,
        plan: planOf(o.spec, o.maxBatch),
        reference: tf.getBackend(),
        lossError: NaN,
        gradientError: NaN,
        gradientWorst: '',
        weightError: NaN,
        bnError: NaN,
        evalError: NaN,
        variants: 0,
        ms: 0,
        cached: false,
      };
    }
    if (r.ok) await this.store.put(key, r).catch(() => undefined);
    return r;
  }
}
