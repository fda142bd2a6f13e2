/**
 * `npm run bench:gpu`: the one-command GPU comparison — the fused executor, the tfjs WebGPU path and PyTorch
 * (CUDA eager when there, fp32 with TF32 off and on) on the same models, batches and data, in one JSON.
 *
 *   npm run bench:gpu -- --bundle DIR   # write a self-contained folder (bench-gpu-bundle.ts) for a machine without Node
 *   npm run bench:gpu -- [--tiny] [--out FILE] [--steps N] [--warmup N] [--torch-script PATH] [--conv-variant L]
 *
 * `--conv-variant`: the fused executor's convolution kernels, a list of direct, tiled, auto or 'all' (default:
 * direct,tiled; auto with --tiny); the fused engine runs once per entry, each row saying what was asked and what ran.
 *
 * Per configuration: the same seed gives both WebGPU engines the same initial weights and batch; the losses of the
 * first steps are compared step by step before anything is timed; then warm-up and ≥ 20 timed steps (3 in --tiny),
 * the median, img/s, the fused step's time per kernel class (the step with only that class's dispatches issued,
 * minus none issued) and the modelled GPU time (cost-model.ts). PyTorch builds its own weights (same models and
 * shapes, its own init), so its loss is not compared.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs as parseCli } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend, initNodeWebGPU } from '../../src/core/backend';
import { kernelClass, KERNEL_CLASSES, type KernelClass } from '../../src/core/gpu/cost-model';
import { FusedExecutor } from '../../src/core/gpu/fused-executor';
import { type ConvVariant, type ConvVariantChoice, convVariantFor } from '../../src/core/gpu/kernels';
import { defaultParams, logitForm } from '../../src/core/losses/registry';
import { buildSpec, cloneWeights, createModel } from '../../src/core/models';
import { Rng } from '../../src/core/rng';
import { parseConvVariants } from './executor';
import { MODELLED_CONFIGS, type ModelledRow, modelledRow } from './model';
import { buildStep, configKey, LT_COUNTS, median, type StepConfig } from './step';

/** Shapes of `--tiny` (CI on a software adapter: "does it run", not a timing). */
const TINY_CONFIGS: readonly StepConfig[] = [
  { model: 'convnet', batch: 2, input: [8, 8, 1], loss: 'ce' },
  { model: 'resnet8', batch: 2, input: [8, 8, 3], loss: 'ce' },
];
/** Steps whose losses are compared (fused vs tfjs) before timing; relative tolerance. */
const CHECK_STEPS = 3;
const CHECK_TOL = 1e-3;

interface Args {
  tiny: boolean;
  out: string;
  steps: number;
  warmup: number;
  torchScript: string;
  bundle: string | null;
  convVariants: ConvVariantChoice[];
}

const USAGE = `Usage: npm run bench:gpu -- [options]   (on the GPU machine: DIR/run.sh [options])
  --bundle DIR        write the self-contained folder for a Linux machine with a GPU and no Node, then stop
  --tiny              tiny shapes, 3 timed steps (a "does it run" check; CI runs it on SwiftShader)
  --steps N           timed steps per row (default 20; 3 with --tiny)
  --warmup N          untimed steps first (default 5; 1 with --tiny)
  --conv-variant L    the fused executor's convolutions: direct, tiled, auto or 'all' (default direct,tiled)
  --torch-script P    the PyTorch step script (default tools/bench/torch_step.py)
  --out FILE          the JSON (default bench-gpu.json)
`;
function parseArgs(argv: string[]): Args {
  let v;
  try {
    v = parseCli({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h' },
        tiny: { type: 'boolean' },
        out: { type: 'string' },
        steps: { type: 'string' },
        warmup: { type: 'string' },
        'torch-script': { type: 'string' },
        bundle: { type: 'string' },
        'conv-variant': { type: 'string' },
      },
    }).values;
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (v.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const tiny = !!v.tiny;
  const convVariants = parseConvVariants(v['conv-variant'] ?? (tiny ? 'auto' : 'direct,tiled'));
  if (!convVariants) throw new Error("--conv-variant takes direct, tiled and/or auto (comma-separated), or 'all'");
  return {
    tiny,
    out: v.out ?? 'bench-gpu.json',
    steps: Number(v.steps ?? (tiny ? 3 : 20)),
    warmup: Number(v.warmup ?? (tiny ? 1 : 5)),
    torchScript: v['torch-script'] ?? path.resolve('tools/bench/torch_step.py'),
    bundle: v.bundle ?? null,
    convVariants,
  };
}

const now = () => performance.now();

export interface EngineRow {
  firstStepMs: number;
  medianMs: number;
  imgPerSec: number;
  stepsMs: number[];
  /** Losses of the compared steps, then the last timed one. */
  losses: number[];
}

export interface GpuConfigResult {
  config: string;
  model: StepConfig['model'];
  batch: number;
  input: [number, number, number];
  /** The fused executor's convolution kernels: asked for, and what the plan ran ('auto' per layer on hardware). */
  convAsked: ConvVariantChoice;
  convVariant: ConvVariant | 'auto';
  lossesAgree: boolean | null;
  maxRelLossDiff: number | null;
  fused:
    | (EngineRow & { dispatches: number; classMs: Record<KernelClass, number> | null; classTiming: 'gpu timestamps' | 'wall clock' })
    | { error: string };
  tfjs: EngineRow | { error: string };
  modelled: ModelledRow;
}

function randn(n: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal();
  return out;
}

async function timeEngine(step: () => Promise<number>, batch: number, a: Args): Promise<EngineRow> {
  const losses: number[] = [];
  let t = now();
  losses.push(await step());
  const firstStepMs = now() - t;
  for (let i = 1; i < CHECK_STEPS; i++) losses.push(await step());
  for (let i = 0; i < a.warmup; i++) await step();
  const stepsMs: number[] = [];
  let last = NaN;
  for (let i = 0; i < a.steps; i++) {
    t = now();
    last = await step();
    stepsMs.push(now() - t);
  }
  losses.push(last);
  const med = median(stepsMs);
  return { firstStepMs, medianMs: med, imgPerSec: (batch / med) * 1000, stepsMs, losses };
}

/**
 * GPU time of every compute pass recorded while installed (timestamp-query: the pass's begin and end written into
 * a query set, resolved and read back after the step); `last()` gives the latest pass's ms.
 */
function passTimer(device: GPUDevice): { last(): Promise<number>; uninstall(): void } {
  const qs = device.createQuerySet({ type: 'timestamp', count: 2 });
  const resolve = device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const read = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const g = globalThis as unknown as { GPUCommandEncoder: { prototype: GPUCommandEncoder } };
  const proto = g.GPUCommandEncoder.prototype;
  const begin = proto.beginComputePass;
  const finish = proto.finish;
  const timed = new WeakSet<GPUCommandEncoder>();
  proto.beginComputePass = function (this: GPUCommandEncoder, d?: GPUComputePassDescriptor) {
    timed.add(this);
    return begin.call(this, { ...d, timestampWrites: { querySet: qs, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } });
  };
  proto.finish = function (this: GPUCommandEncoder, d?: GPUCommandBufferDescriptor) {
    if (timed.has(this)) {
      this.resolveQuerySet(qs, 0, 2, resolve, 0);
      this.copyBufferToBuffer(resolve, 0, read, 0, 16);
    }
    return finish.call(this, d);
  };
  return {
    async last() {
      await read.mapAsync(GPUMapMode.READ);
      const t = new BigUint64Array(read.getMappedRange().slice(0));
      read.unmap();
      return Number(t[1] - t[0]) / 1e6;
    },
    uninstall() {
      proto.beginComputePass = begin;
      proto.finish = finish;
      qs.destroy();
      resolve.destroy();
      read.destroy();
    },
  };
}

/**
 * Per kernel class: the median step with only that class's dispatches issued, minus the step with none issued
 * (dispatchWorkgroups skipped by index; the values computed are meaningless, the time is what is kept) — GPU time
 * from timestamp queries when the device has them, else wall clock around submit + read-back.
 */
async function classTimes(
  kernels: string[],
  step: () => Promise<number>,
  reps: number,
  device: GPUDevice | null,
): Promise<Record<KernelClass, number>> {
  const proto = (globalThis as unknown as { GPUComputePassEncoder: { prototype: GPUComputePassEncoder } }).GPUComputePassEncoder.prototype;
  const orig = proto.dispatchWorkgroups;
  const cls = kernels.map(kernelClass);
  let idx = 0;
  let keep: KernelClass | null = null;
  proto.dispatchWorkgroups = function (this: GPUComputePassEncoder, ...a: Parameters<GPUComputePassEncoder['dispatchWorkgroups']>) {
    const i = idx++ % kernels.length;
    if (cls[i] === keep) orig.apply(this, a);
  };
  const timer = device ? passTimer(device) : null;
  const timed = async () => {
    const ts: number[] = [];
    for (let r = 0; r < reps; r++) {
      idx = 0;
      const t = now();
      await step();
      ts.push(timer ? await timer.last() : now() - t);
    }
    return median(ts);
  };
  try {
    keep = null;
    const none = await timed();
    const out = {} as Record<KernelClass, number>;
    for (const k of KERNEL_CLASSES) {
      keep = k;
      out[k] = Math.max(0, (await timed()) - none);
    }
    return out;
  } finally {
    proto.dispatchWorkgroups = orig;
    timer?.uninstall();
  }
}

async function runFused(c: StepConfig, a: Args, conv: ConvVariantChoice): Promise<GpuConfigResult['fused']> {
  const head = c.loss === 'ce' ? 'linear' : 'cosine';
  const spec = buildSpec({ kind: c.model, head, inputShape: c.input, numClasses: LT_COUNTS.length });
  // the same seed and forks as buildStep: the same initial weights and batch as the tfjs path
  const rng = new Rng(1);
  await tf.setBackend('cpu');
  const model = createModel(spec, rng.fork('init'));
  const weights = cloneWeights(model);
  model.dispose();
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter');
  const timestamps = adapter.features.has('timestamp-query');
  const device = await adapter.requestDevice(timestamps ? { requiredFeatures: ['timestamp-query'] } : undefined);
  const ex = await FusedExecutor.create({ device, spec, maxBatch: c.batch, momentum: 0.9, weightDecay: 2e-4, convVariant: conv });
  try {
    ex.setWeights(weights);
    const [H, W, Cc] = c.input;
    const x = randn(c.batch * H * W * Cc, rng.fork('x'));
    const labels = Int32Array.from({ length: c.batch }, (_, i) => i % LT_COUNTS.length);
    const form = logitForm(c.loss, defaultParams(c.loss), { counts: LT_COUNTS, head, alpha: 0, gaActive: false, drwActive: false });
    const step = async () => (await ex.trainStep({ x, n: c.batch, labels, lr: 0.1, form }).result).loss;
    const row = await timeEngine(step, c.batch, a);
    const kernels = ex.dispatchKernels('train');
    const classMs = await classTimes(kernels, step, a.tiny ? 1 : 5, timestamps ? device : null);
    return { ...row, dispatches: kernels.length, classMs, classTiming: timestamps ? 'gpu timestamps' : 'wall clock' };
  } finally {
    ex.dispose();
    device.destroy();
  }
}

async function runTfjs(c: StepConfig, a: Args): Promise<EngineRow> {
  await initBackend({ order: ['webgpu'] });
  const s = buildStep(c);
  try {
    return await timeEngine(() => s.step(), c.batch, a);
  } finally {
    s.dispose();
  }
}

const err = (e: unknown) => ({ error: (e as Error).message ?? String(e) });

/** One result per convolution variant of `a`; the tfjs path runs once and is compared with each. */
async function runConfig(c: StepConfig, a: Args, adapter: AdapterInfoLike, log: (s: string) => void): Promise<GpuConfigResult[]> {
  const tfjs = await runTfjs(c, a).catch(err);
  log(`tfjs webgpu ${configKey(c)}: ${'error' in tfjs ? tfjs.error : `${tfjs.medianMs.toFixed(1)} ms/step`}`);
  const out: GpuConfigResult[] = [];
  for (const conv of a.convVariants) out.push(await runVariant(c, a, conv, adapter, tfjs, log));
  return out;
}

type AdapterInfoLike = Parameters<typeof convVariantFor>[1];

async function runVariant(
  c: StepConfig,
  a: Args,
  conv: ConvVariantChoice,
  adapter: AdapterInfoLike,
  tfjs: GpuConfigResult['tfjs'],
  log: (s: string) => void,
): Promise<GpuConfigResult> {
  const fused = await runFused(c, a, conv).catch(err);
  // the plan the executor built on this adapter (the same rule), so the modelled row has its dispatches
  const ran = convVariantFor(conv, adapter);
  log(`fused (${conv} → ${ran}) ${configKey(c)}: ${'error' in fused ? fused.error : `${fused.medianMs.toFixed(1)} ms/step`}`);
  let maxRel: number | null = null;
  if (!('error' in fused) && !('error' in tfjs)) {
    maxRel = 0;
    for (let i = 0; i < CHECK_STEPS; i++) {
      const p = fused.losses[i];
      const q = tfjs.losses[i];
      maxRel = Math.max(maxRel, Math.abs(p - q) / Math.max(Math.abs(q), 1e-12));
    }
  }
  return {
    config: configKey(c),
    model: c.model,
    batch: c.batch,
    input: c.input,
    convAsked: conv,
    convVariant: ran,
    lossesAgree: maxRel === null || !Number.isFinite(maxRel) ? (maxRel === null ? null : false) : maxRel <= CHECK_TOL,
    maxRelLossDiff: maxRel,
    fused,
    tfjs,
    modelled: modelledRow(c, ran),
  };
}

interface TorchOutcome {
  status: 'measured' | 'unavailable';
  reason: string;
  results: unknown[];
}

/** PyTorch eager on the same configurations: fp32 with TF32 off, then on (TF32 only matters on CUDA). */
function runTorch(configs: readonly StepConfig[], a: Args): TorchOutcome {
  const py = process.env.PYTHON ?? 'python3';
  if (!existsSync(a.torchScript)) return { status: 'unavailable', reason: `no ${a.torchScript}`, results: [] };
  const probe = spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return { status: 'unavailable', reason: `${py} cannot import torch`, results: [] };
  const list = configs.flatMap((c) => [false, true].map((tf32) => ({ ...c, steps: a.steps, warmup: Math.max(3, a.warmup), tf32 })));
  const r = spawnSync(py, [a.torchScript, '--configs', JSON.stringify(list), '--threads', String(os.cpus().length)], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    timeout: 20 * 60_000,
  });
  try {
    return { status: 'measured', reason: '', results: JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as unknown[] };
  } catch {
    return {
      status: 'unavailable',
      reason: `torch_step.py failed: ${(r.stderr || '').trim().split('\n').slice(-3).join(' ')}`,
      results: [],
    };
  }
}

async function run(a: Args): Promise<void> {
  const log = (s: string) => process.stderr.write(`[bench:gpu] ${s}\n`);
  const started = Date.now();
  const g = await initNodeWebGPU();
  const configs = a.tiny ? TINY_CONFIGS : MODELLED_CONFIGS;
  let adapterInfo: Record<string, unknown> = {};
  let facts: AdapterInfoLike;
  let timestampQuery = false;
  if (g.ok) {
    const ad = await navigator.gpu.requestAdapter();
    const info = (ad as (GPUAdapter & { info?: GPUAdapterInfo }) | null)?.info;
    adapterInfo = info ? { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description } : {};
    facts = info
      ? { ...(adapterInfo as object), isFallbackAdapter: (info as { isFallbackAdapter?: boolean }).isFallbackAdapter }
      : undefined;
    timestampQuery = ad?.features.has('timestamp-query') ?? false;
  }
  log(`WebGPU: ${g.reason} ${JSON.stringify(adapterInfo)}`);
  const results: GpuConfigResult[] = [];
  if (g.ok) for (const c of configs) results.push(...(await runConfig(c, a, facts, log)));
  const torch = runTorch(configs, a);
  log(`pytorch: ${torch.status} ${torch.reason}`);
  const doc = {
    tool: 'long-tail-playground bench:gpu',
    version: 1,
    date: new Date().toISOString(),
    tiny: a.tiny,
    seconds: (Date.now() - started) / 1000,
    host: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? '?', node: process.version, platform: `${os.platform()} ${os.release()}` },
    webgpu: { ok: g.ok, reason: g.reason, adapter: adapterInfo, timestampQuery },
    classTiming:
      "fused step per kernel class: median step with only that class dispatched minus none dispatched; each row's classTiming says whether from the pass's GPU timestamps (timestamp-query) or wall clock around submit + read-back",
    steps: { check: CHECK_STEPS, tolerance: CHECK_TOL, warmup: a.warmup, timed: a.steps },
    convVariants: a.convVariants,
    tfjs: tf.version.tfjs,
    results,
    torch,
  };
  writeFileSync(a.out, `${JSON.stringify(doc, null, 1)}\n`);
  log(`wrote ${a.out}`);
  if (!g.ok) process.exitCode = 2;
}

async function main(argv: string[]): Promise<void> {
  const a = parseArgs(argv);
  if (a.bundle) {
    const { writeBundle } = await import('./gpu-bundle');
    await writeBundle(a.bundle, (s) => process.stderr.write(`[bench:gpu] ${s}\n`));
    return;
  }
  await run(a);
}

main(process.argv.slice(2))
  .catch((e) => {
    process.stderr.write(`error: ${(e as Error).stack ?? e}\n`);
    process.exitCode = 1;
  })
  .finally(() => setTimeout(() => process.exit(process.exitCode ?? 0), 100).unref());
