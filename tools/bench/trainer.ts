/**
 * Trainer-level bench rows (the fused engine end to end): the whole Trainer — data pipeline, sampler, loss context, metrics, the
 * end-of-epoch evaluation — on the fused WebGPU engine and on the tfjs engine, both on tfjs' WebGPU backend in
 * Node (Dawn; the fused engine shares tfjs' device, as in the app). SwiftShader here: software, so the figures are
 * proxies for the CPU-side cost, not GPU speed. Each row runs in its own child process with a timeout.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { initBackend, initNodeWebGPU } from '../../src/core/backend';
import type { Dataset, ImageSet } from '../../src/core/data/types';
import { DEFAULT_CONFIG, type TrainConfig } from '../../src/core/train/config';
import { Rng } from '../../src/core/rng';
import { Trainer } from '../../src/core/train/trainer';
import type { ModelKind } from '../../src/core/models/types';
import { median } from './step';

export interface TrainerItem {
  engine: 'fused' | 'tfjs';
  model: ModelKind;
  loss: 'ce' | 'gcl';
  batch: number;
  /** [side, side, channels] */
  input: [number, number, number];
  /** Training images per class of the synthetic pool (4 classes, IF 4: counts 1, 0.63, 0.4, 0.25 of this). */
  perClass: number;
  timeoutMs: number;
}

export interface TrainerRow {
  engine: TrainerItem['engine'];
  config: string;
  batch: number;
  stepsPerEpoch: number;
  /** First step: the fused engine's set-up (pipelines, buffers, weights) or tfjs' shader compilation. */
  firstStepMs: number | null;
  /** Median of the epoch's other steps, the last one (with the evaluation) excluded. */
  medianStepMs: number | null;
  /** One evaluation of the test set (16 images) after training, everything compiled. */
  evalMs: number | null;
  /** Second epoch, wall (everything compiled). */
  epochMs: number | null;
  imgPerSec: number | null;
  trainLoss: number | null;
  error?: string;
}

const now = () => performance.now();
const key = (it: TrainerItem) => `${it.model}/b${it.batch}/${it.input.join('x')}/${it.loss}`;

function synthetic(name: string, perClass: number[], [side, , ch]: [number, number, number], rng: Rng): ImageSet {
  const n = perClass.reduce((a, b) => a + b, 0);
  const images = new Uint8Array(n * side * side * ch);
  for (let i = 0; i < images.length; i++) images[i] = Math.floor(rng.next() * 256);
  const labels = new Uint16Array(n);
  let i = 0;
  perClass.forEach((k, c) => {
    for (let j = 0; j < k; j++) labels[i++] = c;
  });
  return {
    name,
    height: side,
    width: side,
    channels: ch,
    numClasses: perClass.length,
    classNames: perClass.map((_, c) => `c${c}`),
    images,
    labels,
  };
}

async function runRow(it: TrainerItem): Promise<TrainerRow> {
  await initBackend({ order: ['webgpu'] });
  const rng = new Rng(3);
  const ch = it.input[2];
  const data: Dataset = {
    meta: {
      id: 'bench',
      title: 'synthetic',
      mean: new Array(ch).fill(0.5),
      std: new Array(ch).fill(0.25),
      hflip: false,
      cropPad: 1,
      licence: '-',
    },
    pool: synthetic('pool', [it.perClass, it.perClass, it.perClass, it.perClass], it.input, rng),
    test: synthetic('test', [4, 4, 4, 4], it.input, rng),
  };
  const config: TrainConfig = {
    ...structuredClone(DEFAULT_CONFIG),
    dataset: 'bench',
    imbalance: 4,
    model: it.model,
    head: 'cosine',
    loss: it.loss,
    batchSize: it.batch,
    epochs: 2,
    schedule: 'constant',
    warmup: false,
    augment: false,
    logEvery: 1,
    engine: it.engine,
  };
  const t = new Trainer(data, config);
  const firstEpoch: number[] = [];
  while (t.epoch === 0) {
    const t0 = now();
    await t.step();
    firstEpoch.push(now() - t0);
  }
  let trainLoss: number | null = null;
  const e0 = now();
  while (t.epoch === 1) {
    const r = await t.step();
    if (r.halt) throw new Error(r.halt.message);
    if (r.epoch) trainLoss = r.epoch.trainLoss;
  }
  const epochMs = now() - e0;
  const ev0 = now();
  await t.evaluate();
  const evalMs = now() - ev0;
  if (t.engineKind !== it.engine) throw new Error(`ran on ${t.engineKind}, expected ${it.engine}`);
  const nb = t.batchesPerEpoch();
  t.dispose();
  const middle = firstEpoch.slice(1, -1);
  const med = middle.length ? median(middle) : null;
  return {
    engine: it.engine,
    config: key(it),
    batch: it.batch,
    stepsPerEpoch: nb,
    firstStepMs: firstEpoch[0] ?? null,
    medianStepMs: med,
    evalMs,
    epochMs,
    imgPerSec: med ? (it.batch / med) * 1000 : null,
    trainLoss,
  };
}

/** The rows of a bench mode: fused and tfjs for each configuration. */
export function trainerPlan(mode: 'quick' | 'full'): TrainerItem[] {
  const cfgs: Omit<TrainerItem, 'engine'>[] = [
    { model: 'convnet', loss: 'gcl', batch: 8, input: [8, 8, 3], perClass: 24, timeoutMs: 300_000 },
  ];
  if (mode === 'full') {
    cfgs.push({ model: 'resnet8', loss: 'gcl', batch: 8, input: [8, 8, 3], perClass: 24, timeoutMs: 300_000 });
    cfgs.push({ model: 'resnet32', loss: 'ce', batch: 2, input: [8, 8, 3], perClass: 8, timeoutMs: 600_000 });
  }
  return cfgs.flatMap((c) => [
    { ...c, engine: 'fused' as const },
    { ...c, engine: 'tfjs' as const },
  ]);
}

export interface TrainerBenchOutcome {
  status: 'measured' | 'unavailable';
  reason: string;
  rows: TrainerRow[];
}

/** Runs every item in its own child process (timeouts enforced here). */
export function runTrainerBench(items: TrainerItem[], log: (s: string) => void): TrainerBenchOutcome {
  const rows: TrainerRow[] = [];
  let reason = '';
  for (const it of items) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.resolve('tools/bench/trainer.ts'), '--child', JSON.stringify(it)], {
      encoding: 'utf8',
      timeout: it.timeoutMs,
      maxBuffer: 16 << 20,
    });
    const last = (r.stdout || '').trim().split('\n').pop() ?? '';
    let row: TrainerRow;
    try {
      const o = JSON.parse(last) as { row?: TrainerRow; error?: string; reason: string };
      reason = o.reason;
      if (!o.row) throw new Error(o.error ?? 'no result');
      row = o.row;
    } catch (e) {
      const timedOut = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
      const why = timedOut
        ? `not finished within ${it.timeoutMs / 1000} s (cap)`
        : `${(e as Error).message} ${(r.stderr || '').trim().split('\n').slice(-2).join(' ')}`;
      row = {
        engine: it.engine,
        config: key(it),
        batch: it.batch,
        stepsPerEpoch: 0,
        firstStepMs: null,
        medianStepMs: null,
        evalMs: null,
        epochMs: null,
        imgPerSec: null,
        trainLoss: null,
        error: why.slice(0, 300),
      };
    }
    rows.push(row);
    log(
      `trainer bench ${row.engine} ${row.config}: ${row.error ? `ERROR ${row.error}` : `${row.medianStepMs?.toFixed(1)} ms/step, epoch ${row.epochMs?.toFixed(0)} ms`}`,
    );
  }
  return { status: rows.some((r) => !r.error) ? 'measured' : 'unavailable', reason, rows };
}

const f = (v: number | null, d = 1) => (v === null || !Number.isFinite(v) ? '–' : v.toFixed(d));

export function trainerMarkdown(o: TrainerBenchOutcome): string {
  if (o.status !== 'measured') return `Trainer-level engine rows: ${o.status} — ${o.reason || o.rows[0]?.error || ''}`;
  const lines = [
    `Trainer, fused WebGPU engine vs tfjs engine, both on tfjs' WebGPU backend in Node (Dawn: ${o.reason}); software if SwiftShader`,
    '',
    '| engine | model/batch/input/loss | steps/epoch | first step ms | median ms/step | evaluation ms | epoch 2 ms (incl. evaluation) | img/s | tfjs ÷ fused (step; epoch) | train loss (epoch 2) |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of o.rows) {
    const other = o.rows.find((q) => q.engine === 'tfjs' && q.config === r.config);
    const rs = r.engine === 'fused' && other?.medianStepMs && r.medianStepMs ? other.medianStepMs / r.medianStepMs : null;
    const re = r.engine === 'fused' && other?.epochMs && r.epochMs ? other.epochMs / r.epochMs : null;
    lines.push(
      `| ${r.engine} | ${r.config} | ${r.stepsPerEpoch || '–'} | ${f(r.firstStepMs, 0)} | ${f(r.medianStepMs)} | ${f(r.evalMs, 0)} | ${f(r.epochMs, 0)} | ${f(r.imgPerSec)} | ${rs === null ? '–' : `${rs.toFixed(1)}; ${re === null ? '–' : re.toFixed(1)}`} | ${r.error ?? f(r.trainLoss, 4)} |`,
    );
  }
  return lines.join('\n');
}

async function child(json: string): Promise<void> {
  const it = JSON.parse(json) as TrainerItem;
  const g = await initNodeWebGPU();
  const out = (o: object): void => void process.stdout.write(`${JSON.stringify({ reason: g.reason, ...o })}\n`);
  if (!g.ok) return out({ error: g.reason });
  try {
    out({ row: await runRow(it) });
  } catch (e) {
    out({ error: (e as Error).message });
  }
}

const invokedDirectly = process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (invokedDirectly) {
  const i = process.argv.indexOf('--child');
  if (i >= 0) {
    child(process.argv[i + 1])
      .catch((e) => process.stdout.write(`${JSON.stringify({ error: String(e), reason: '' })}\n`))
      .finally(() => process.exit(0));
  }
}
