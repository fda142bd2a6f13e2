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
import { createModel } from '../models';
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
  const sgd = new Sgd({ momentum: MOMENTUM, weightDecay: WD });
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

    // the reference: the tfjs engine's step (tf.variableGrads over the loss' tfjs computation, the project's SGD)
    const nameOf = new Map<string, string>();
    for (const [name, v] of model.vars) nameOf.set(v.name, name);
    const vars = model.trainable('all');
    const xt = tf.tensor4d(x, [n, H, W, Cc]);
    const yt = tf.tensor1d(labels, 'int32');
    const noise = () => {
      throw new Error('cross-entropy draws no noise');
    };
    const { value, grads } = tf.variableGrads(() => {
      const { features, output } = model.forward(xt, 'train');
      return computeLoss('ce', { output, labels: yt, features }, params, { ...ctx, noise });
    }, vars);
    const refLoss = (await value.data())[0];
    const refGrads = new Map<string, Float32Array>();
    for (const [vn, g] of Object.entries(grads)) refGrads.set(nameOf.get(vn) ?? vn, Float32Array.from((await g.data()) as Float32Array));
    sgd.apply(vars, grads, LR);
    model.commitBnUpdates();
    tf.dispose([xt, yt, value, ...Object.values(grads)]);

    const refWeights = await readModelWeights(model);

    const lossError = got.finite ? Math.abs(got.loss - refLoss) / Math.max(Math.abs(refLoss), 1e-6) : Infinity;
    let gradientError = 0;
    let gradientWorst = '';
    for (const [name, r] of refGrads) {
      const e = relErr(gotGrads.get(name) ?? new Float32Array(0), r);
      if (e >= gradientError) {
        gradientError = e;
        gradientWorst = name;
      }
    }
    let weightError = 0;
    let bnError = 0;
    for (const [name, r] of refWeights) {
      const running = name.endsWith('running_mean') || name.endsWith('running_var');
      const e = relErr(gotWeights.get(name) ?? new Float32Array(0), r, running ? 1 : 0);
      if (running) bnError = Math.max(bnError, e);
      else weightError = Math.max(weightError, e);
    }

    // eval forward on the updated weights (every eval-plan variant once)
    const ev = await ex.evaluate(x, n);
    const [ro, rf] = tf.tidy(() => {
      const r = model.forward(tf.tensor4d(x, [n, H, W, Cc]), 'eval');
      return [r.output, r.features];
    });
    const [rov, rfv] = await Promise.all([ro.data(), rf.data()]);
    tf.dispose([ro, rf]);
    const evalError = Math.max(relErr(ev.output, rov as Float32Array), relErr(ev.features, rfv as Float32Array));

    const T = SELF_CHECK_TOLERANCE;
    const fails: string[] = [];
    if (!(lossError <= T.loss)) fails.push(`loss error ${fmt(lossError)}`);
    if (!(gradientError <= T.gradient)) fails.push(`max gradient error ${fmt(gradientError)} (${gradientWorst})`);
    if (!(weightError <= T.weight)) fails.push(`max weight error ${fmt(weightError)}`);
    if (!(bnError <= T.weight)) fails.push(`max BN statistics error ${fmt(bnError)}`);
    if (!(evalError <= T.eval)) fails.push(`eval forward error ${fmt(evalError)}`);
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
    sgd.dispose();
    model.dispose();
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
