/**
 * Bench rows of the fused WebGPU executor (src/core/gpu/) against the tfjs WebGPU path, in the same run, both on
 * Dawn in Node (SwiftShader here: software, so these are CPU-overhead and proxy figures, not GPU speed):
 *  - dispatches per training step, counted by wrapping GPUComputePassEncoder.prototype.dispatchWorkgroups
 *    (ConvNet, ResNet-8, ResNet-32), and tfjs' kernels per step;
 *  - the overhead floor: ms per step at batch 2, 8×8×3 (GPU work ≈ 0) — a step = submit + await the loss;
 *    the executor also with two steps in flight (submit the next before reading the previous);
 *  - ms per step and img/s at the real shapes (ConvNet b64 28×28×1, ResNet-32 b128 32×32×3), time-capped.
 * Every measurement runs in its own child process with a timeout (a software adapter can take minutes per step).
 *
 * `npm run bench -- --executor-only` runs these rows alone (JSON + Markdown under results/bench/); quick and full
 * bench runs include the dispatch and overhead-floor rows.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend, initNodeWebGPU } from '../../src/core/backend';
import { FusedExecutor } from '../../src/core/gpu/fused-executor';
import type { ConvVariant, ConvVariantChoice } from '../../src/core/gpu/kernels';
import { logitForm } from '../../src/core/losses/registry';
import { drawClippedNormal } from '../../src/core/losses/noise';
import { defaultParams } from '../../src/core/losses/registry';
import { buildSpec, cloneWeights, createModel } from '../../src/core/models';
import { Rng } from '../../src/core/rng';
import { MODELLED_CONFIGS, modelledMarkdown, type ModelledOutcome, modelledRows } from './model';
import { buildStep, configKey, LT_COUNTS, median, type StepConfig } from './step';

export type Engine = 'fused' | 'tfjs';

export interface ExecItem {
  engine: Engine;
  cfg: StepConfig;
  /** 'floor': batch 2 at 8×8×3 (GPU work ≈ 0); 'real': the shapes the app trains. */
  kind: 'floor' | 'real';
  warmup: number;
  /** Timed steps after the first and the warm-up ones; 0: only the first step is reported. */
  steps: number;
  /** Stop timing after this many ms (at least one timed step). */
  budgetMs: number;
  /** Wall-clock limit of the child process. */
  timeoutMs: number;
  /** Fused engine: the convolution kernels asked for (default 'auto'). */
  conv?: ConvVariantChoice;
}

export interface ExecRow {
  engine: Engine;
  kind: ExecItem['kind'];
  config: string;
  batch: number;
  /** Fused engine: the convolution kernels it ran ('tiled' where any layer ran them), and what was asked for. */
  convVariant?: ConvVariant | null;
  convAsked?: ConvVariantChoice;
  /** Compute dispatches in one training step (counted at dispatchWorkgroups). */
  dispatches: number | null;
  /** tfjs kernels in one step (tfjs engine only). */
  kernels: number | null;
  /** FusedExecutor.create() (pipelines, buffers) — or, for tfjs, nothing (it compiles in the first step). */
  setupMs: number | null;
  firstStepMs: number | null;
  medianMs: number | null;
  /** Median ms the calling thread spends recording and submitting a step (the CPU-side cost per step). */
  cpuMs: number | null;
  /** Executor: mean ms per step with two steps in flight. */
  pipelinedMs: number | null;
  imgPerSec: number | null;
  stepsMs: number[];
  lastLoss: number | null;
  /** Buffers / bytes the executor holds. */
  memory: string;
  /**
   * Fused floor rows: ms to run the step's exact dispatch list (same grids and workgroup sizes) with empty kernels —
   * what the adapter costs per launch, without the kernels' arithmetic.
   */
  launchMs?: number | null;
  /** Fused floor rows: per kernel, ms a step spends in it (only its dispatches run, minus none run), largest first. */
  kernelMs?: { kernel: string; count: number; ms: number }[];
  error?: string;
}

const now = () => performance.now();

function randn(n: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal();
  return out;
}

/** Counts dispatchWorkgroups calls while `f` runs (awaited). */
async function countDispatches<T>(f: () => Promise<T>): Promise<{ value: T; dispatches: number }> {
  const proto = (globalThis as unknown as { GPUComputePassEncoder: { prototype: GPUComputePassEncoder } }).GPUComputePassEncoder.prototype;
  const orig = proto.dispatchWorkgroups;
  let dispatches = 0;
  proto.dispatchWorkgroups = function (this: GPUComputePassEncoder, ...a: Parameters<GPUComputePassEncoder['dispatchWorkgroups']>) {
    dispatches++;
    return orig.apply(this, a);
  };
  try {
    return { value: await f(), dispatches };
  } finally {
    proto.dispatchWorkgroups = orig;
  }
}

/**
 * First step, warm-up steps, then up to `steps` timed steps (within the budget); dispatches are counted during the
 * last step run (a timed one when there is one).
 */
async function timeSteps(
  it: ExecItem,
  step: () => Promise<number>,
): Promise<{ first: number; steps: number[]; loss: number; dispatches: number }> {
  const counted = async () => {
    const r = await countDispatches(step);
    dispatches = r.dispatches;
    return r.value;
  };
  let dispatches = 0;
  let t = now();
  let loss = await (it.steps === 0 ? counted() : step());
  const first = now() - t;
  for (let i = 0; i < it.warmup; i++) loss = await step();
  const steps: number[] = [];
  const start = now();
  for (let i = 0; i < it.steps; i++) {
    const last = i === it.steps - 1 || now() - start > it.budgetMs;
    t = now();
    loss = await (last ? counted() : step());
    steps.push(now() - t);
    if (last) break;
  }
  return { first, steps, loss, dispatches };
}

async function runFused(it: ExecItem): Promise<ExecRow> {
  const c = it.cfg;
  await tf.setBackend('cpu');
  const head = c.loss === 'ce' ? 'linear' : 'cosine';
  const C = LT_COUNTS.length;
  const spec = buildSpec({ kind: c.model, head, inputShape: c.input, numClasses: C });
  const rng = new Rng(1);
  const model = createModel(spec, rng.fork('init'));
  const weights = cloneWeights(model);
  model.dispose();
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter');
  const device = await adapter.requestDevice();
  let t = now();
  const ex = await FusedExecutor.create({ device, spec, maxBatch: c.batch, momentum: 0.9, weightDecay: 2e-4, convVariant: it.conv });
  const setupMs = now() - t;
  ex.setWeights(weights);
  const [H, W, Cc] = c.input;
  const x = randn(c.batch * H * W * Cc, rng.fork('x'));
  const labels = Int32Array.from({ length: c.batch }, (_, i) => i % C);
  const form = logitForm(c.loss, defaultParams(c.loss), { counts: LT_COUNTS, head, alpha: 0, gaActive: false, drwActive: false });
  const noiseRng = rng.fork('noise');
  const cpu: number[] = [];
  const submit = () => {
    const noise = form.usesNoise ? drawClippedNormal(noiseRng, new Float32Array(c.batch * C)) : undefined;
    const t0 = now();
    const r = ex.trainStep({ x, n: c.batch, labels, lr: 0.1, form, noise }).result;
    cpu.push(now() - t0);
    return r;
  };
  const step = async () => (await submit()).loss;
  const { first, steps, loss, dispatches } = await timeSteps(it, step);
  // two steps in flight: submit step k+1, then read step k
  let pipelinedMs: number | null = null;
  if (it.kind === 'floor') {
    const k = Math.max(4, it.steps);
    t = now();
    let prev = submit();
    for (let i = 1; i < k; i++) {
      const next = submit();
      await prev;
      prev = next;
    }
    await prev;
    pipelinedMs = (now() - t) / k;
  }
  let launchMs: number | null = null;
  let kernelMs: ExecRow['kernelMs'];
  if (it.kind === 'floor') {
    launchMs = await timeLaunches(device, ex.dispatchShapes('train'), 7);
    kernelMs = await timeKernels(ex.dispatchKernels('train'), step, 5);
  }
  const st = ex.stats();
  ex.dispose();
  device.destroy();
  const med = steps.length ? median(steps) : first;
  return {
    engine: 'fused',
    kind: it.kind,
    config: configKey(c),
    batch: c.batch,
    convVariant: st.convVariant,
    convAsked: it.conv ?? 'auto',
    dispatches,
    kernels: null,
    setupMs,
    firstStepMs: first,
    medianMs: med,
    cpuMs: median(cpu.slice(1)),
    pipelinedMs,
    imgPerSec: (c.batch / med) * 1000,
    stepsMs: steps,
    lastLoss: loss,
    memory: `${st.buffers} buffers, ${(st.bytes / 2 ** 20).toFixed(1)} MB; ${st.pipelines} pipelines`,
    launchMs,
    kernelMs,
  };
}

/**
 * Median ms of one submit of `shapes` — the same grids and workgroup sizes — with empty kernels (each invocation
 * reads one word and stores nothing): the adapter's own cost of launching the list.
 */
async function timeLaunches(device: GPUDevice, shapes: ReturnType<FusedExecutor['dispatchShapes']>, reps: number): Promise<number> {
  const buf = device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE });
  const pipes = new Map<number, { p: GPUComputePipeline; bg: GPUBindGroup }>();
  for (const wg of new Set(shapes.map((s) => s.workgroupSize))) {
    const code = `@group(0) @binding(0) var<storage, read_write> b : array<f32>;
@compute @workgroup_size(${wg}) fn main(@builtin(local_invocation_index) l : u32) { if (f32(l) < b[1]) { b[0] = 1.0; } }`;
    const p = device.createComputePipeline({
      layout: 'auto',
      compute: { module: device.createShaderModule({ code }), entryPoint: 'main' },
    });
    pipes.set(wg, {
      p,
      bg: device.createBindGroup({ layout: p.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: buf } }] }),
    });
  }
  const once = async () => {
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    for (const s of shapes) {
      const q = pipes.get(s.workgroupSize)!;
      pass.setPipeline(q.p);
      pass.setBindGroup(0, q.bg);
      pass.dispatchWorkgroups(...s.groups);
    }
    pass.end();
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
  };
  await once();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = now();
    await once();
    ts.push(now() - t);
  }
  buf.destroy();
  return median(ts);
}

/**
 * Per kernel: the median step time with only that kernel's dispatches issued, minus the step with none issued
 * (dispatchWorkgroups skipped by index; the values computed are meaningless, the timing is what is kept).
 */
async function timeKernels(kernels: string[], step: () => Promise<number>, reps: number): Promise<ExecRow['kernelMs']> {
  const proto = (globalThis as unknown as { GPUComputePassEncoder: { prototype: GPUComputePassEncoder } }).GPUComputePassEncoder.prototype;
  const orig = proto.dispatchWorkgroups;
  let idx = 0;
  let keep: (i: number) => boolean = () => false;
  proto.dispatchWorkgroups = function (this: GPUComputePassEncoder, ...a: Parameters<GPUComputePassEncoder['dispatchWorkgroups']>) {
    const i = idx++ % kernels.length;
    if (keep(i)) orig.apply(this, a);
  };
  const timed = async () => {
    const ts: number[] = [];
    for (let r = 0; r < reps; r++) {
      idx = 0;
      const t = now();
      await step();
      ts.push(now() - t);
    }
    return median(ts);
  };
  try {
    keep = () => false;
    const none = await timed();
    const out: NonNullable<ExecRow['kernelMs']> = [];
    for (const k of new Set(kernels)) {
      keep = (i) => kernels[i] === k;
      out.push({ kernel: k, count: kernels.filter((q) => q === k).length, ms: Math.max(0, (await timed()) - none) });
    }
    return out.sort((a, b) => b.ms - a.ms);
  } finally {
    proto.dispatchWorkgroups = orig;
  }
}

async function runTfjs(it: ExecItem): Promise<ExecRow> {
  const c = it.cfg;
  await initBackend({ order: ['webgpu'] });
  const s = buildStep(c);
  const cpu: number[] = [];
  const step = async () => {
    const t0 = now();
    const v = s.stepSync();
    cpu.push(now() - t0);
    const d = await v.data();
    v.dispose();
    return d[0];
  };
  const { first, steps, loss, dispatches } = await timeSteps(it, step);
  let kernels: number | null = null;
  if (it.kind === 'floor') {
    const prof = await tf.profile(() => s.stepSync());
    kernels = prof.kernels.length;
    await (prof.result as tf.Tensor).data();
    tf.dispose(prof.result as tf.Tensor);
  }
  s.dispose();
  const med = steps.length ? median(steps) : first;
  return {
    engine: 'tfjs',
    kind: it.kind,
    config: configKey(c),
    batch: c.batch,
    dispatches,
    kernels,
    setupMs: null,
    firstStepMs: first,
    medianMs: med,
    cpuMs: median(cpu.length > 1 ? cpu.slice(1) : cpu),
    pipelinedMs: null,
    imgPerSec: (c.batch / med) * 1000,
    stepsMs: steps,
    lastLoss: loss,
    memory: '',
  };
}

const cfg = (model: StepConfig['model'], batch: number, input: [number, number, number], loss: StepConfig['loss']): StepConfig => ({
  model,
  batch,
  input,
  loss,
});

/**
 * The executor rows of a bench mode. 'executor' (--executor-only): dispatch counts and overhead floor of ConvNet,
 * ResNet-8 and ResNet-32, the real shapes on the executor and ConvNet b64 on tfjs (ResNet-32 b128 on tfjs takes
 * many minutes per step in software: capped). 'quick': the ResNet-32 floor only; 'full': the floor of all three.
 * The executor runs once per convolution variant in `conv` (`--conv-variant`).
 */
export function executorPlan(mode: 'executor' | 'quick' | 'full', conv: readonly ConvVariantChoice[] = ['auto']): ExecItem[] {
  const items: ExecItem[] = [];
  const both = (
    c: StepConfig,
    kind: ExecItem['kind'],
    warmup: number,
    steps: number,
    budgetMs: number,
    timeoutMs: number,
    tfjsTimeoutMs = timeoutMs,
  ) => {
    for (const v of conv) items.push({ engine: 'fused', cfg: c, kind, warmup, steps, budgetMs, timeoutMs, conv: v });
    items.push({ engine: 'tfjs', cfg: c, kind, warmup, steps, budgetMs, timeoutMs: tfjsTimeoutMs });
  };
  const floorModels = mode === 'quick' ? (['resnet32'] as const) : (['convnet', 'resnet8', 'resnet32'] as const);
  for (const m of floorModels) both(cfg(m, 2, [8, 8, 3], 'ce'), 'floor', 1, mode === 'quick' ? 3 : 5, 20_000, 180_000);
  if (mode === 'executor') {
    both(cfg('resnet32', 2, [8, 8, 3], 'gcl'), 'floor', 1, 5, 20_000, 180_000);
    both(cfg('convnet', 64, [28, 28, 1], 'ce'), 'real', 0, 2, 30_000, 240_000);
    // software: the executor needs minutes per ResNet-32 b128 step, the tfjs path longer still — one (first) step, capped
    both(cfg('resnet32', 128, [32, 32, 3], 'ce'), 'real', 0, 0, 1, 600_000, 300_000);
  }
  return items;
}

export interface ExecutorOutcome {
  status: 'measured' | 'unavailable' | 'skipped';
  reason: string;
  software: boolean;
  rows: ExecRow[];
  /** The modelled GPU time of the measured configurations and the GPU comparison's shapes (a proxy). */
  modelled?: ModelledOutcome;
}

/** Runs every item in its own child process (timeouts enforced here). */
export function runExecutorBench(items: ExecItem[], log: (s: string) => void): ExecutorOutcome {
  const rows: ExecRow[] = [];
  let reason = '';
  let software = false;
  let anyMeasured = false;
  for (const it of items) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.resolve('tools/bench/executor.ts'), '--child', JSON.stringify(it)], {
      encoding: 'utf8',
      timeout: it.timeoutMs,
      maxBuffer: 64 << 20,
    });
    const last = (r.stdout || '').trim().split('\n').pop() ?? '';
    let row: ExecRow;
    try {
      const o = JSON.parse(last) as { row?: ExecRow; error?: string; reason: string; software: boolean };
      reason = o.reason;
      software ||= o.software;
      if (!o.row) throw new Error(o.error ?? 'no result');
      row = o.row;
      anyMeasured = true;
    } catch (e) {
      const timedOut = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
      const why = timedOut
        ? `not finished within ${it.timeoutMs / 1000} s (cap)`
        : `${(e as Error).message} ${(r.stderr || '').trim().split('\n').slice(-2).join(' ')}`;
      row = {
        engine: it.engine,
        kind: it.kind,
        config: configKey(it.cfg),
        batch: it.cfg.batch,
        ...(it.engine === 'fused' ? { convVariant: null, convAsked: it.conv ?? 'auto' } : {}),
        dispatches: null,
        kernels: null,
        setupMs: null,
        firstStepMs: null,
        medianMs: null,
        cpuMs: null,
        pipelinedMs: null,
        imgPerSec: null,
        stepsMs: [],
        lastLoss: null,
        memory: '',
        error: why.slice(0, 300),
      };
    }
    rows.push(row);
    log(
      `executor bench ${it.engine}${it.engine === 'fused' ? ` (${convLabel(row)})` : ''} ${row.config}: ${row.error ? `ERROR ${row.error}` : `${row.medianMs?.toFixed(1)} ms/step, ${row.dispatches} dispatches${row.kernels ? `, ${row.kernels} kernels` : ''}`}`,
    );
  }
  const modelled = modelledRows([...items.map((it) => it.cfg), ...MODELLED_CONFIGS]);
  return { status: anyMeasured ? 'measured' : 'unavailable', reason, software, rows, modelled };
}

/** `--conv-variant`: a comma-separated list of direct, tiled, auto, or 'all' (direct and tiled); null if malformed. */
export function parseConvVariants(s: string): ConvVariantChoice[] | null {
  const list = s === 'all' ? ['direct', 'tiled'] : s.split(',').map((t) => t.trim());
  if (!list.length || list.some((t) => t !== 'direct' && t !== 'tiled' && t !== 'auto')) return null;
  return [...new Set(list)] as ConvVariantChoice[];
}

/** The variant a fused row ran, and what was asked for where that differs ('auto → direct'). */
export const convLabel = (r: ExecRow) =>
  r.convAsked && r.convAsked !== r.convVariant ? `${r.convAsked} → ${r.convVariant ?? '?'}` : (r.convVariant ?? r.convAsked ?? 'auto');

const f = (v: number | null, d = 1) => (v === null || !Number.isFinite(v) ? '–' : v.toFixed(d));

/** Markdown table of the rows, with the fused/tfjs ratios of the same config. */
export function executorMarkdown(o: ExecutorOutcome): string {
  const model = o.modelled ? `\n\n${modelledMarkdown(o.modelled)}` : '';
  if (o.status !== 'measured') return `Fused executor rows: ${o.status} — ${o.reason}${model}`;
  const lines = [
    `Fused WebGPU executor vs tfjs WebGPU, Node Dawn${o.software ? ' (**software**: SwiftShader — proxies, not GPU speed)' : ''}; ${o.reason}`,
    '',
    '| engine | model/batch/input/loss | dispatches/step | tfjs kernels | setup ms | first step ms | median ms/step | launch-only ms (same grids, empty kernels) | CPU ms/step (record + submit) | 2 in flight ms/step | img/s | tfjs ÷ fused (wall; CPU) | note |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of o.rows) {
    const other = o.rows.find((q) => q.engine === 'tfjs' && q.config === r.config);
    const ratio = r.engine === 'fused' && other?.medianMs && r.medianMs ? other.medianMs / r.medianMs : null;
    const cpuRatio = r.engine === 'fused' && other?.cpuMs && r.cpuMs ? other.cpuMs / r.cpuMs : null;
    lines.push(
      `| ${r.engine === 'fused' ? `fused executor (${convLabel(r)})` : 'tfjs webgpu'} | ${r.config} | ${r.dispatches ?? '–'} | ${r.kernels ?? '–'} | ${f(r.setupMs, 0)} | ${f(r.firstStepMs, 0)} | ${f(r.medianMs)} | ${f(r.launchMs ?? null)} | ${f(r.cpuMs, 2)} | ${f(r.pipelinedMs)} | ${f(r.imgPerSec, 1)} | ${ratio === null ? '–' : `${ratio.toFixed(1)}; ${cpuRatio === null ? '–' : cpuRatio.toFixed(0)}`} | ${r.error ?? `${r.kind === 'floor' ? 'overhead floor' : 'real shape'}${r.memory ? `; ${r.memory}` : ''}`} |`,
    );
  }
  const split = o.rows.filter((r) => r.kernelMs?.length);
  if (split.length) {
    lines.push('', 'Where a fused step spends its time (ms per step with only that kernel dispatched, minus none; top 6):', '');
    for (const r of split) {
      const top = r.kernelMs!.slice(0, 6).map((k) => `${k.kernel} ${k.count}× ${k.ms.toFixed(1)}`);
      lines.push(`- ${r.config}: ${top.join(' · ')}`);
    }
  }
  return lines.join('\n') + model;
}

async function child(json: string): Promise<void> {
  const it = JSON.parse(json) as ExecItem;
  const g = await initNodeWebGPU();
  const software = /swiftshader/i.test(g.reason) || /swiftshader/i.test(process.env.VK_ICD_FILENAMES ?? '');
  const out = (o: object): void => {
    process.stdout.write(`${JSON.stringify({ reason: g.reason, software, ...o })}\n`);
  };
  if (!g.ok) return out({ error: g.reason });
  try {
    out({ row: it.engine === 'fused' ? await runFused(it) : await runTfjs(it) });
  } catch (e) {
    out({ error: (e as Error).message });
  }
}

const invokedDirectly = process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (invokedDirectly) {
  const i = process.argv.indexOf('--child');
  if (i >= 0) {
    child(process.argv[i + 1])
      .catch((e) => process.stdout.write(`${JSON.stringify({ error: String(e), reason: '', software: false })}\n`))
      .finally(() => process.exit(0));
  }
}
