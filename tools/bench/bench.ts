/**
 * `npm run bench [-- --quick | --dry] [options]` — training-step throughput of the project's models in Node (cpu,
 * wasm, WebGPU through Dawn) and in headless Chromium (webgpu, webgl, wasm, cpu), against the same model and step in
 * PyTorch measured in the same run, plus a per-kernel profile of one WebGPU step and the app's UI responsiveness.
 *
 * One step (tools/bench/step.ts): forward, loss (CE on a linear head / GCL on a cosine head), backward, SGD
 * momentum + weight decay, BN statistics, loss read back asynchronously. Median over the timed steps; the first
 * (compile) step and the warm-up steps are reported separately and excluded.
 *
 * Writes results/bench/bench-<mode>-<start>.json (updated after each part, `complete: false` until the end),
 * results/bench/latest.json and results/bench/latest.md; prints the table.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend, initNodeWebGPU } from '../../src/core/backend';
import { benchStep, configKey, installWallClockKernelTimer, type StepConfig, type StepPlan, type BenchStepResult } from './step';
import { chartsMarkdown, measureUi, runBrowserBench, type BrowserRun, type BrowserResult, type UiResult } from './browser';
import { executorMarkdown, executorPlan, parseConvVariants, runExecutorBench, type ExecutorOutcome } from './executor';
import type { ConvVariantChoice } from '../../src/core/gpu/kernels';
import { deviceOnly } from './device';
import type { DeviceBenchResult } from '../../src/core/device-bench';
import { runTrainerBench, trainerMarkdown, trainerPlan, type TrainerBenchOutcome } from './trainer';

type Mode = 'quick' | 'full' | 'dry' | 'threads';

export interface BenchArgs {
  mode: Mode;
  out: string;
  torch: boolean;
  torchThreads: number[];
  browser: boolean;
  ui: boolean;
  uiSeconds: number;
  dawn: boolean;
  nodeBackends: ('wasm' | 'cpu')[];
  appDir?: string;
  /** Fused WebGPU executor rows (bench-executor.ts): with the Dawn part, or alone (--executor-only). */
  executor: boolean;
  executorOnly: boolean;
  /** The executor's convolution kernels, one run each (`--conv-variant`). */
  convVariants: ConvVariantChoice[];
}

const MODELS = ['convnet', 'resnet8', 'resnet32'] as const;
const BATCHES = [64, 128];
const INPUTS: [number, number, number][] = [
  [28, 28, 1],
  [32, 32, 3],
];
const LOSSES = ['ce', 'gcl'] as const;

const cfg = (model: StepConfig['model'], batch: number, input: [number, number, number], loss: StepConfig['loss']): StepConfig => ({
  model,
  batch,
  input,
  loss,
});

// ---------------------------------------------------------------------------------------------------------------
// Plans

export interface NodePlan extends StepPlan {
  backend: 'wasm' | 'cpu';
}

export interface Plan {
  node: NodePlan[];
  torch: (StepConfig & { steps: number; warmup: number; budgetMs?: number; threads: number })[];
  dawn: StepPlan[];
  browser: BrowserRun[];
  uiSeconds: number;
}

const SMALL = cfg('convnet', 64, [28, 28, 1], 'ce');

export function makePlan(a: BenchArgs): Plan {
  const node: NodePlan[] = [];
  const torchCfgs: StepConfig[] = [];
  // profile: one extra tf.profile step after the timed ones (engine peak bytes, kernels per step, per-kernel ms)
  const add = (backend: 'wasm' | 'cpu', c: StepConfig, steps: number, warmup: number, budgetMs?: number, profile = true) => {
    if (!a.nodeBackends.includes(backend)) return;
    node.push({ ...c, backend, steps, warmup, budgetMs, profile });
    if (!torchCfgs.some((t) => configKey(t) === configKey(c))) torchCfgs.push(c);
  };
  let dawn: StepPlan[] = [];
  let browser: BrowserRun[] = [];
  if (a.mode === 'dry') {
    add('cpu', cfg('convnet', 4, [8, 8, 1], 'ce'), 2, 1);
    add('cpu', cfg('convnet', 4, [8, 8, 1], 'gcl'), 2, 1);
  } else if (a.mode === 'threads') {
    // threaded wasm in Chromium at every --torch-threads count, beside PyTorch at the same counts
    const configs = [SMALL, cfg('resnet8', 64, [28, 28, 1], 'ce'), cfg('resnet32', 128, [32, 32, 3], 'ce')];
    const steps = (c: StepConfig) => (c.model === 'resnet32' ? 3 : 8);
    browser = a.torchThreads.map((t) => ({
      backend: 'wasm' as const,
      wasmThreads: t,
      plans: configs.map((c) => ({ ...c, steps: steps(c), warmup: 1, budgetMs: 60_000 })),
      timeoutMs: 300_000,
    }));
    const torch: Plan['torch'] = a.torch
      ? a.torchThreads.flatMap((t) => configs.map((c) => ({ ...c, steps: steps(c), warmup: 1, threads: t })))
      : [];
    return { node, torch, dawn: [], browser: a.browser ? browser : [], uiSeconds: 0 };
  } else if (a.mode === 'quick') {
    const r8 = cfg('resnet8', 64, [28, 28, 1], 'ce');
    add('wasm', r8, 5, 1);
    add('cpu', r8, 1, 0, undefined, false);
    add('wasm', cfg('resnet8', 64, [28, 28, 1], 'gcl'), 4, 1);
    add('wasm', SMALL, 5, 1);
    add('wasm', cfg('convnet', 128, [32, 32, 3], 'gcl'), 3, 1);
    add('wasm', cfg('resnet32', 128, [32, 32, 3], 'ce'), 1, 0, undefined, false);
    // software GPU (SwiftShader): the first (compile) step and one timed step of the smallest config
    dawn = [{ ...SMALL, steps: 1, warmup: 0 }];
    browser = [
      { backend: 'wasm', plans: [{ ...SMALL, steps: 4, warmup: 1, profile: true }], timeoutMs: 30_000 },
      // threaded wasm (the page is cross-origin isolated): 2 threads, beside PyTorch at 2 threads
      { backend: 'wasm', wasmThreads: 2, plans: [{ ...SMALL, steps: 4, warmup: 1 }], timeoutMs: 30_000 },
      { backend: 'cpu', plans: [{ ...SMALL, steps: 2, warmup: 0, budgetMs: 10_000 }], timeoutMs: 30_000 },
      { backend: 'webgl', plans: [{ ...SMALL, steps: 1, warmup: 0 }], timeoutMs: 45_000 },
      // first (compile) step + one profiled step only (the timed software-WebGPU step is Node Dawn's)
      { backend: 'webgpu', plans: [{ ...SMALL, steps: 0, warmup: 0, profile: true }], timeoutMs: 90_000 },
    ];
  } else {
    for (const model of MODELS) {
      for (const batch of BATCHES) {
        for (const input of INPUTS) {
          for (const loss of LOSSES) {
            const c = cfg(model, batch, input, loss);
            const heavy = model === 'resnet32';
            add('wasm', c, heavy ? 5 : 10, heavy ? 1 : 3);
            // pure-JS cpu: ~7× slower than wasm; all of ConvNet/ResNet-8, ResNet-32 at b64 only
            if (!heavy || batch === 64) add('cpu', c, heavy ? 2 : 3, 1, 60_000, false);
          }
        }
      }
    }
    dawn = [
      { ...SMALL, steps: 3, warmup: 1, budgetMs: 60_000 },
      { ...cfg('convnet', 64, [28, 28, 1], 'gcl'), steps: 3, warmup: 1, budgetMs: 60_000 },
      { ...cfg('resnet8', 64, [28, 28, 1], 'ce'), steps: 2, warmup: 0, budgetMs: 60_000, profile: true },
    ];
    const bp = (c: StepConfig, steps: number, profile = true): StepPlan => ({ ...c, steps, warmup: 1, budgetMs: 60_000, profile });
    browser = [
      {
        backend: 'wasm',
        plans: [
          bp(SMALL, 8),
          bp(cfg('resnet8', 64, [28, 28, 1], 'ce'), 6),
          bp(cfg('resnet8', 64, [32, 32, 3], 'gcl'), 4),
          bp(cfg('resnet32', 128, [32, 32, 3], 'ce'), 2),
        ],
        timeoutMs: 240_000,
      },
      {
        backend: 'wasm',
        wasmThreads: 2,
        plans: [
          bp(SMALL, 8, false),
          bp(cfg('resnet8', 64, [28, 28, 1], 'ce'), 6, false),
          bp(cfg('resnet32', 128, [32, 32, 3], 'ce'), 2, false),
        ],
        timeoutMs: 240_000,
      },
      { backend: 'cpu', plans: [bp(SMALL, 3), bp(cfg('resnet8', 64, [28, 28, 1], 'ce'), 2)], timeoutMs: 120_000 },
      {
        backend: 'webgl',
        plans: [bp(SMALL, 3), bp(cfg('convnet', 64, [28, 28, 1], 'gcl'), 3), bp(cfg('resnet8', 64, [28, 28, 1], 'ce'), 2)],
        timeoutMs: 240_000,
      },
      {
        backend: 'webgpu',
        plans: [bp(SMALL, 3, true), bp(cfg('convnet', 64, [28, 28, 1], 'gcl'), 3), bp(cfg('resnet8', 64, [28, 28, 1], 'ce'), 2, true)],
        timeoutMs: 300_000,
      },
    ];
  }
  const torch: Plan['torch'] = [];
  if (a.torch) {
    for (const c of torchCfgs) {
      const heavy = c.model === 'resnet32';
      torch.push({ ...c, steps: a.mode === 'quick' ? 5 : heavy ? 5 : 10, warmup: a.mode === 'full' ? 3 : 1, threads: a.torchThreads[0] });
    }
    // the headline config also with every other thread count asked for
    const head = a.mode === 'dry' ? torchCfgs[0] : cfg('resnet8', 64, [28, 28, 1], 'ce');
    for (const th of a.torchThreads.slice(1)) {
      if (head) torch.push({ ...head, steps: 5, warmup: 1, threads: th });
      // beside the threaded wasm rows
      if (a.mode !== 'dry') torch.push({ ...SMALL, steps: 5, warmup: 1, threads: th });
    }
  }
  return {
    node,
    torch,
    dawn: a.dawn ? dawn : [],
    browser: a.browser ? browser : [],
    uiSeconds: a.ui && a.mode !== 'dry' ? a.uiSeconds : 0,
  };
}

/** Rough cost model (ms per step on this 2-core machine) for the duration said up front. */
export function estimateMs(p: Plan): number {
  const modelF = { convnet: 0.35, resnet8: 1, resnet20: 2.6, resnet32: 4.5 } as const;
  const perStep = (c: StepConfig, backendF: number) => 420 * modelF[c.model] * (c.batch / 64) * (c.input[2] === 3 ? 1.6 : 1) * backendF;
  let ms = 0;
  const runs = (s: StepPlan) => 1 + s.warmup + s.steps;
  for (const n of p.node)
    ms += Math.min(
      perStep(n, n.backend === 'cpu' ? 10 : 1) * runs(n),
      (n.budgetMs ?? Infinity) + perStep(n, n.backend === 'cpu' ? 10 : 1) * (1 + n.warmup),
    );
  for (const t of p.torch) ms += 1500 + perStep(t, 0.3) * (1 + t.warmup + t.steps);
  for (const d of p.dawn) ms += 25_000 + (d.budgetMs ?? 30_000);
  for (const b of p.browser)
    ms += Math.min(
      b.timeoutMs,
      5000 + b.plans.reduce((a, s) => a + perStep(s, b.backend === 'wasm' ? 1.2 : b.backend === 'cpu' ? 8 : 15) * runs(s), 0),
    );
  if (p.browser.length) ms += 8000;
  if (p.uiSeconds) ms += 60_000 + p.uiSeconds * 1000 + Math.max(10, p.uiSeconds) * 1000; // app + charts
  return ms;
}

// ---------------------------------------------------------------------------------------------------------------
// Runners

function runTorch(plan: Plan['torch'], log: (s: string) => void): { results: Record<string, unknown>[]; error?: string } {
  const py = '/usr/bin/python3';
  if (!plan.length) return { results: [] };
  const byThreads = new Map<number, Plan['torch']>();
  for (const t of plan) byThreads.set(t.threads, [...(byThreads.get(t.threads) ?? []), t]);
  const results: Record<string, unknown>[] = [];
  for (const [threads, cfgs] of byThreads) {
    const r = spawnSync(py, [path.resolve('tools/bench/torch_step.py'), '--threads', String(threads), '--configs', JSON.stringify(cfgs)], {
      encoding: 'utf8',
      timeout: 900_000,
    });
    if (r.error || r.status !== 0)
      return { results, error: `torch_step.py failed (${r.error?.message ?? r.status}): ${(r.stderr || '').slice(-400)}` };
    try {
      const list = JSON.parse(r.stdout.trim().split('\n').pop() ?? '[]') as Record<string, unknown>[];
      for (const x of list) {
        results.push(x);
        log(
          `torch (${threads} thread${threads > 1 ? 's' : ''}) ${configKey(x as unknown as StepConfig)}: ${(x.medianMs as number)?.toFixed?.(1) ?? x.error} ms/step`,
        );
      }
    } catch {
      return { results, error: `unparseable torch output: ${r.stdout.slice(-300)}` };
    }
  }
  return { results };
}

async function runNode(
  plan: NodePlan[],
  log: (s: string) => void,
): Promise<(BenchStepResult | (StepConfig & { backend: string; error: string }))[]> {
  const out: (BenchStepResult | (StepConfig & { backend: string; error: string }))[] = [];
  for (const backend of ['wasm', 'cpu'] as const) {
    const mine = plan.filter((p) => p.backend === backend);
    if (!mine.length) continue;
    let init: string;
    try {
      init = (await initBackend({ order: [backend] })).reason;
    } catch (e) {
      for (const p of mine) out.push({ ...strip(p), backend, error: (e as Error).message });
      continue;
    }
    for (const p of mine) {
      try {
        const r = await benchStep(p);
        out.push({ ...r, init } as BenchStepResult & { init: string });
        log(
          `node ${backend} ${configKey(p)}: ${r.medianMs.toFixed(1)} ms/step (${r.imgPerSec.toFixed(0)} img/s), first ${r.firstStepMs.toFixed(0)} ms`,
        );
      } catch (e) {
        out.push({ ...strip(p), backend, error: (e as Error).message });
        log(`node ${backend} ${configKey(p)}: ERROR ${(e as Error).message}`);
      }
    }
  }
  return out;
}

function strip(p: StepConfig): StepConfig {
  return { model: p.model, batch: p.batch, input: p.input, loss: p.loss };
}

interface DawnOutcome {
  status: 'measured' | 'unavailable' | 'error';
  reason: string;
  software: boolean;
  results: (BenchStepResult | { error: string })[];
}

/** Dawn runs in a child process (a software adapter can take minutes; the parent enforces the limit). */
function runDawn(plans: StepPlan[], timeoutMs: number, log: (s: string) => void): DawnOutcome {
  if (!plans.length) return { status: 'unavailable', reason: 'not asked for', software: false, results: [] };
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.resolve('tools/bench/bench.ts'), '--child-dawn', JSON.stringify(plans)], {
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 << 20,
  });
  const last = (r.stdout || '').trim().split('\n').pop() ?? '';
  try {
    const o = JSON.parse(last) as DawnOutcome;
    for (const x of o.results)
      log(
        `node webgpu (Dawn${o.software ? ', software' : ''}) ${'medianMs' in x ? `${configKey(x)}: ${x.medianMs.toFixed(0)} ms/step` : x.error}`,
      );
    return o;
  } catch {
    const why = r.error
      ? (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT'
        ? `timed out after ${timeoutMs / 1000} s`
        : r.error.message
      : `exit ${r.status}`;
    return {
      status: 'error',
      reason: `Dawn child ${why}: ${(r.stderr || '').trim().split('\n').slice(-2).join(' ')}`,
      software: true,
      results: [],
    };
  }
}

async function childDawn(plansJson: string): Promise<void> {
  const plans = JSON.parse(plansJson) as StepPlan[];
  const g = await initNodeWebGPU();
  if (!g.ok) {
    process.stdout.write(`${JSON.stringify({ status: 'unavailable', reason: g.reason, software: false, results: [] })}\n`);
    return;
  }
  const software = /swiftshader/i.test(g.reason) || /swiftshader/i.test(process.env.VK_ICD_FILENAMES ?? '');
  try {
    await initBackend({ order: ['webgpu'] });
  } catch (e) {
    process.stdout.write(`${JSON.stringify({ status: 'error', reason: `${g.reason}; ${(e as Error).message}`, software, results: [] })}\n`);
    return;
  }
  const be = tf.backend() as unknown as { supportTimestampQuery?: boolean; adapterInfo?: Record<string, unknown> };
  const ts = !!be.supportTimestampQuery;
  const results: (BenchStepResult | { error: string })[] = [];
  for (const p of plans) {
    let undo: (() => void) | null = null;
    const timing = ts
      ? 'GPU time per kernel from WebGPU timestamp queries'
      : 'FALLBACK: no timestamp queries — per-kernel CPU-side wall time (encode + dispatch), not GPU time';
    try {
      if (p.profile && !ts) undo = installWallClockKernelTimer();
      results.push(await benchStep(p, () => timing));
    } catch (e) {
      results.push({ error: (e as Error).message });
    } finally {
      undo?.();
    }
  }
  const adapter = be.adapterInfo ? JSON.stringify(be.adapterInfo) : '';
  process.stdout.write(
    `${JSON.stringify({ status: 'measured', reason: `${g.reason}${adapter ? `; adapter ${adapter}` : ''}; timestamp queries: ${ts ? 'yes' : 'no'}`, software, results })}\n`,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Report

export interface Row {
  where: 'node' | 'browser' | 'pytorch';
  backend: string;
  config: string;
  medianMs: number | null;
  imgPerSec: number | null;
  firstStepMs: number | null;
  memory: string;
  ratio: number | null;
  note: string;
}

const mb = (b: number | undefined) => (b === undefined || b < 0 ? '?' : `${(b / 2 ** 20).toFixed(1)} MB`);

export function tableRows(report: BenchReport): Row[] {
  // PyTorch by thread count and config: a row is compared with PyTorch at its own thread count (default the first)
  const torch = new Map<string, number>();
  for (const t of report.torch.results)
    if (typeof t.medianMs === 'number') torch.set(`${t.threads as number}|${configKey(t as unknown as StepConfig)}`, t.medianMs);
  const rows: Row[] = [];
  const push = (
    where: Row['where'],
    r: Partial<BenchStepResult> & { backend?: string; error?: string; ok?: boolean; wasmThreads?: number },
    note = '',
  ) => {
    const key = configKey(r as StepConfig);
    const threads = r.wasmThreads ?? report.torch.threads[0];
    const ok = typeof r.medianMs === 'number' && Number.isFinite(r.medianMs) && !r.error;
    if (!ok && !r.error && r.profile)
      note = `${note ? `${note}; ` : ''}no timed step in this mode — the profiled step took ${r.profile.wallMs.toFixed(0)} ms wall`;
    const tm = torch.get(`${threads}|${key}`);
    rows.push({
      where,
      backend: r.wasmThreads && r.wasmThreads > 1 ? `${r.backend ?? '?'} (${r.wasmThreads} thr)` : (r.backend ?? '?'),
      config: key,
      medianMs: ok ? r.medianMs! : null,
      imgPerSec: ok ? r.imgPerSec! : null,
      firstStepMs: typeof r.firstStepMs === 'number' && !r.error ? r.firstStepMs : null,
      memory:
        r.memory && !r.error
          ? `${r.profile ? `peak ${mb(r.profile.peakBytes)}; ` : ''}${r.memory.numTensors} tensors / ${mb(r.memory.numBytes)} after backward${r.profile ? `; ${r.profile.kernels} kernels` : ''}`
          : '',
      ratio: ok && tm ? tm / r.medianMs! : null,
      note: r.error ? `error: ${r.error.slice(0, 120)}` : note,
    });
  };
  for (const r of report.node.results) push('node', r as BenchStepResult);
  for (const r of report.dawn.results)
    if ('medianMs' in r) push('node', { ...r, backend: 'webgpu (Dawn)' }, report.dawn.software ? 'software (SwiftShader)' : '');
  for (const r of report.browser.results)
    push('browser', r, r.backend === 'webgpu' || r.backend === 'webgl' ? 'software (SwiftShader, --disable-gpu)' : '');
  for (const t of report.torch.results) {
    rows.push({
      where: 'pytorch',
      backend: `${t.device ?? 'cpu'} (${t.threads} thr)`,
      config: configKey(t as unknown as StepConfig),
      medianMs: (t.medianMs as number) ?? null,
      imgPerSec: (t.imgPerSec as number) ?? null,
      firstStepMs: (t.firstStepMs as number) ?? null,
      memory: '',
      ratio: null,
      note: t.error ? `error: ${String(t.error).slice(0, 120)}` : `torch ${t.torch}`,
    });
  }
  return rows;
}

export function markdown(report: BenchReport): string {
  const f = (v: number | null, d = 1) => (v === null || !Number.isFinite(v) ? '–' : v.toFixed(d));
  const lines = [
    `Bench (${report.mode}) ${report.date} — ${report.host.cpus} × ${report.host.cpu}, Node ${report.host.node}, tfjs ${report.tfjs}, PyTorch ${report.torch.version ?? '?'} (${report.torch.threads[0]} thread${report.torch.threads[0] > 1 ? 's' : ''}); load average before ${report.host.load1Before.toFixed(2)}`,
    '',
    '| where | backend | model/batch/input/loss | median ms/step | img/s | first step ms | memory (tf.profile peak; live after backward); kernels/step | × PyTorch | note |',
    '|---|---|---|---:|---:|---:|---|---:|---|',
  ];
  for (const r of tableRows(report)) {
    lines.push(
      `| ${r.where} | ${r.backend} | ${r.config} | ${f(r.medianMs)} | ${f(r.imgPerSec, 0)} | ${f(r.firstStepMs, 0)} | ${r.memory} | ${r.ratio === null ? '–' : r.ratio.toFixed(2)} | ${r.note} |`,
    );
  }
  const prof = [...report.browser.results, ...report.dawn.results].find(
    (r) => 'profile' in r && r.profile && (r as BenchStepResult).backend === 'webgpu',
  ) as BenchStepResult | undefined;
  if (prof?.profile) {
    lines.push(
      '',
      `WebGPU per-kernel profile of one step (${configKey(prof)}): ${prof.profile.kernels} kernels, ${prof.profile.timing}; total ${prof.profile.totalKernelMs.toFixed(1)} ms`,
      '',
    );
    lines.push('| kernel | calls | ms | share |', '|---|---:|---:|---:|');
    for (const k of prof.profile.top.slice(0, 12))
      lines.push(
        `| ${k.name} | ${k.calls} | ${k.ms.toFixed(2)} | ${prof.profile.totalKernelMs > 0 ? ((100 * k.ms) / prof.profile.totalKernelMs).toFixed(1) : '–'}% |`,
      );
  }
  const ui = report.ui;
  lines.push(
    '',
    ui.status === 'measured'
      ? `UI while training (headless Chromium, ${ui.seconds} s, app: ${(ui as UiResult & { app?: string }).app ?? '?'}, backend shown: ${ui.backend ?? '?'}): worst long task ${f(ui.worstLongTaskMs ?? null, 0)} ms (${ui.longTasks} long tasks), p95 frame gap ${f(ui.p95FrameGapMs ?? null, 1)} ms, max gap ${f(ui.maxFrameGapMs ?? null, 0)} ms (target ≤ 50 ms)`
      : `UI responsiveness: ${ui.status} — ${ui.message}`,
  );
  if (ui.charts) lines.push('', chartsMarkdown(ui.charts));
  lines.push(`Dawn (Node WebGPU): ${report.dawn.status} — ${report.dawn.reason}`);
  if (report.executor) lines.push('', executorMarkdown(report.executor));
  if (report.trainerEngines) lines.push('', trainerMarkdown(report.trainerEngines));
  return lines.join('\n');
}

export interface BenchReport {
  tool: 'long-tail-playground bench';
  version: 2;
  /** false in the file of a run that was stopped part-way (only the parts done so far). */
  complete: boolean;
  date: string;
  mode: Mode;
  expectedSeconds: number;
  seconds: number;
  host: { cpus: number; cpu: string; node: string; platform: string; load1Before: number; load1After: number; memGB: number };
  tfjs: string;
  step: string;
  gpuNote: string;
  node: { results: (BenchStepResult | (StepConfig & { backend: string; error: string }))[] };
  dawn: DawnOutcome;
  torch: { version: string | null; threads: number[]; results: Record<string, unknown>[]; error?: string };
  browser: { chromium: string | null; args: string[]; results: BrowserResult[]; error?: string };
  ui: UiResult;
  executor?: ExecutorOutcome;
  /** Trainer-level rows: the fused WebGPU engine vs the tfjs engine (bench-trainer.ts). */
  trainerEngines?: TrainerBenchOutcome;
}

// ---------------------------------------------------------------------------------------------------------------
// CLI

const USAGE = `Usage: npm run bench -- [--quick | --dry] [options]
  (default: the full matrix — ConvNet/ResNet-8/ResNet-32 × batch 64/128 × 28×28×1/32×32×3 × CE/GCL; it prints its expected duration first)
  --quick            a representative subset, under 3 minutes on this 2-core machine
  --dry              a tiny Node-cpu-only config (tests: the JSON shape); no browser, no UI
  --threads          threaded wasm only: Chromium wasm at each --torch-threads count (ConvNet, ResNet-8, ResNet-32)
                     beside PyTorch at the same counts; no Node, Dawn or UI rows
  --device-only      "Benchmark this device" as JSON (tools/bench/device.ts; --test: tiny shapes, --out FILE)
  --executor-only    only the fused WebGPU executor rows vs the tfjs WebGPU path (dispatches, overhead floor, real shapes)
  --conv-variant L   the executor's convolution kernels, a list of direct,tiled,auto or 'all' = direct,tiled (default auto)
  --no-torch  --no-browser  --no-ui  --no-dawn  --no-executor (no executor rows and no trainer-level fused vs tfjs rows)
  --backends LIST    Node backends among wasm,cpu (default both)
  --torch-threads L  PyTorch thread counts, the first one for the ratios (default 1,2; 1 dry); threaded wasm rows
                     are compared with PyTorch at their own thread count
  --ui-seconds N     how long to watch the app train (default 6 quick, 20 full)
  --app-dir DIR      an existing vite build to measure instead of building one
  --out DIR          results folder (default results/bench)
`;

export function parseBenchArgs(argv: string[]): BenchArgs {
  let v;
  try {
    v = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        quick: { type: 'boolean' },
        dry: { type: 'boolean' },
        threads: { type: 'boolean' },
        full: { type: 'boolean' },
        'no-torch': { type: 'boolean' },
        'no-browser': { type: 'boolean' },
        'no-ui': { type: 'boolean' },
        'no-dawn': { type: 'boolean' },
        'no-executor': { type: 'boolean' },
        'executor-only': { type: 'boolean' },
        'conv-variant': { type: 'string' },
        backends: { type: 'string' },
        'torch-threads': { type: 'string' },
        'ui-seconds': { type: 'string' },
        'app-dir': { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean' },
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
  const mode: Mode = v.dry ? 'dry' : v.quick ? 'quick' : v.threads ? 'threads' : 'full';
  const nodeBackends = (v.backends ?? 'wasm,cpu')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean) as ('wasm' | 'cpu')[];
  for (const b of nodeBackends) {
    if (b !== 'wasm' && b !== 'cpu') {
      process.stderr.write(`error: --backends takes wasm and/or cpu (WebGPU through Dawn is its own part; --no-dawn turns it off)\n`);
      process.exit(2);
    }
  }
  const threads = (v['torch-threads'] ?? (mode === 'dry' ? '1' : '1,2')).split(',').map(Number);
  if (threads.some((t) => !Number.isInteger(t) || t < 1)) {
    process.stderr.write('error: --torch-threads takes positive integers\n');
    process.exit(2);
  }
  const convVariants = parseConvVariants(v['conv-variant'] ?? 'auto');
  if (!convVariants) {
    process.stderr.write("error: --conv-variant takes direct, tiled and/or auto (comma-separated), or 'all'\n");
    process.exit(2);
  }
  return {
    mode,
    out: path.resolve(v.out ?? path.join('results', 'bench')),
    torch: !v['no-torch'],
    torchThreads: threads,
    browser: !v['no-browser'] && mode !== 'dry',
    ui: !v['no-ui'] && mode !== 'dry',
    uiSeconds: Number(v['ui-seconds'] ?? (mode === 'full' ? 20 : 6)),
    dawn: !v['no-dawn'] && mode !== 'dry',
    nodeBackends: mode === 'dry' && !v.backends ? ['cpu'] : nodeBackends,
    appDir: v['app-dir'],
    executor: !v['no-executor'] && !v['no-dawn'] && mode !== 'dry' && mode !== 'threads',
    executorOnly: !!v['executor-only'],
    convVariants,
  };
}

function torchVersion(results: Record<string, unknown>[]): string | null {
  const t = results.find((r) => typeof r.torch === 'string');
  return t ? (t.torch as string) : null;
}

export async function main(argv: string[]): Promise<BenchReport | ExecutorOutcome | DeviceBenchResult> {
  if (argv.includes('--device-only')) return deviceOnly(argv);
  const args = parseBenchArgs(argv);
  const log = (s: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
  if (args.executorOnly) return executorOnly(args, log);
  const plan = makePlan(args);
  const expected = estimateMs(plan) / 1000;
  log(
    `mode ${args.mode}: ${plan.node.length} Node runs, ${plan.torch.length} PyTorch runs, ${plan.dawn.length} Dawn, ${plan.browser.reduce((a, b) => a + b.plans.length, 0)} browser runs${plan.uiSeconds ? `, UI ${plan.uiSeconds} s` : ''}; expected duration ≈ ${expected < 120 ? `${expected.toFixed(0)} s` : `${(expected / 60).toFixed(0)} min`}`,
  );
  const started = Date.now();
  const startIso = new Date(started).toISOString();
  const load1Before = os.loadavg()[0];
  mkdirSync(args.out, { recursive: true });
  const runFile = path.join(args.out, `bench-${args.mode}-${startIso.replace(/[:.]/g, '-')}.json`);
  // after each part the results so far go to the run's file (complete: false), so a stopped run keeps them
  const partial: Record<string, unknown> = { tool: 'long-tail-playground bench', complete: false, started: startIso, mode: args.mode };
  const savePart = (key: string, value: unknown) => {
    partial[key] = value;
    writeFileSync(runFile, JSON.stringify(partial, null, 1));
  };
  const torch = runTorch(plan.torch, log);
  savePart('torch', torch);
  const nodeResults = await runNode(plan.node, log);
  savePart('node', { results: nodeResults });
  const dawn: DawnOutcome = plan.dawn.length
    ? runDawn(plan.dawn, args.mode === 'quick' ? 90_000 : 600_000, log)
    : { status: 'unavailable', reason: args.dawn ? 'no Dawn config in this mode' : 'turned off (--no-dawn)', software: false, results: [] };
  savePart('dawn', dawn);
  let executor: ExecutorOutcome | undefined;
  if (args.executor && args.mode !== 'dry') {
    executor = runExecutorBench(executorPlan(args.mode === 'quick' ? 'quick' : 'full', args.convVariants), log);
    savePart('executor', executor);
  }
  let trainerEngines: TrainerBenchOutcome | undefined;
  if (args.executor && args.mode !== 'dry') {
    trainerEngines = runTrainerBench(trainerPlan(args.mode === 'quick' ? 'quick' : 'full'), log);
    savePart('trainerEngines', trainerEngines);
  }
  let browser: BenchReport['browser'] = { chromium: null, args: [], results: [] };
  if (plan.browser.length) {
    const { CHROMIUM_ARGS } = await import('./browser');
    const b = await runBrowserBench(plan.browser, log);
    browser = { chromium: b.chromium, args: CHROMIUM_ARGS, results: b.results, error: b.error };
    savePart('browser', browser);
  }
  const ui: UiResult = plan.uiSeconds
    ? await measureUi(plan.uiSeconds, log, args.appDir, args.mode === 'quick')
    : { status: 'skipped', message: args.mode === 'dry' ? 'not in --dry' : 'turned off (--no-ui)', targetMs: 50 };
  if (ui.status !== 'measured') log(`ui: ${ui.status}: ${ui.message}`);
  const cpus = os.cpus();
  const report: BenchReport = {
    tool: 'long-tail-playground bench',
    version: 2,
    complete: true,
    date: new Date().toISOString(),
    mode: args.mode,
    expectedSeconds: Math.round(expected),
    seconds: (Date.now() - started) / 1000,
    host: {
      cpus: cpus.length,
      cpu: cpus[0]?.model ?? '?',
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      load1Before,
      load1After: os.loadavg()[0],
      memGB: Math.round(os.totalmem() / 2 ** 30),
    },
    tfjs: tf.version.tfjs,
    step: 'forward (BN train) → loss (CE: linear head; GCL stage 1: cosine head, CIFAR-10-LT IF100 counts) → backward (tf.variableGrads) → SGD momentum 0.9 + wd 2e-4 → BN stats → await loss.data(); random fixed batch; median of the timed steps, first (compile) and warm-up steps excluded',
    gpuNote:
      'No hardware GPU on this machine: WebGPU/WebGL figures are SwiftShader (software) and say nothing about GPU speed. The device GPU tool was not lent to this task.',
    node: { results: nodeResults },
    dawn,
    torch: { version: torchVersion(torch.results), threads: args.torchThreads, results: torch.results, error: torch.error },
    browser,
    ui,
    executor,
    trainerEngines,
  };
  const json = JSON.stringify(report, null, 1);
  writeFileSync(runFile, json);
  writeFileSync(path.join(args.out, 'latest.json'), json);
  const md = markdown(report);
  writeFileSync(path.join(args.out, 'latest.md'), `${md}\n`);
  process.stdout.write(`${md}\n`);
  log(`done in ${report.seconds.toFixed(0)} s (expected ≈ ${report.expectedSeconds} s); JSON in ${args.out}`);
  return report;
}

/** `--executor-only`: the fused executor rows alone, written to executor-<start>.json, latest-executor.{json,md}. */
async function executorOnly(args: BenchArgs, log: (s: string) => void): Promise<ExecutorOutcome> {
  const started = new Date();
  mkdirSync(args.out, { recursive: true });
  log(
    'fused executor vs tfjs WebGPU (Dawn): overhead floor, dispatches, real shapes — a few minutes, up to ~15 with the capped ResNet-32 b128 rows',
  );
  const outcome = runExecutorBench(executorPlan('executor', args.convVariants), log);
  const doc = {
    tool: 'long-tail-playground bench',
    part: 'fused-executor',
    date: new Date().toISOString(),
    seconds: (Date.now() - started.getTime()) / 1000,
    host: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? '?', node: process.version, load1: os.loadavg()[0] },
    tfjs: tf.version.tfjs,
    gpuNote: 'No hardware GPU here: Dawn runs on SwiftShader (software). The ≥ 0.5× PyTorch CUDA target for ResNet-32 b128 is unmeasured.',
    ...outcome,
  };
  const json = JSON.stringify(doc, null, 1);
  writeFileSync(path.join(args.out, `executor-${started.toISOString().replace(/[:.]/g, '-')}.json`), json);
  writeFileSync(path.join(args.out, 'latest-executor.json'), json);
  const md = executorMarkdown(outcome);
  writeFileSync(path.join(args.out, 'latest-executor.md'), `${md}\n`);
  process.stdout.write(`${md}\n`);
  return outcome;
}

const invokedDirectly = process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (invokedDirectly) {
  const i = process.argv.indexOf('--child-dawn');
  const p = i >= 0 ? childDawn(process.argv[i + 1]) : main(process.argv.slice(2));
  p.catch((e) => {
    process.stderr.write(`error: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
