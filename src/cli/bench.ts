/**
 * `npm run bench [-- --quick] [--backends wasm,cpu] [--steps N] [--warmup N] [--batch N] [--model auto|models|refnet] [--no-torch]`
 *
 * Training-step throughput of a CIFAR ResNet-8 (conv1 16, 3 stages × 1 BasicBlock, option-A
 * shortcuts, BN, GAP, linear 10) on 28×28×1 batches in Node, per tfjs backend, plus the same model
 * and step in PyTorch CPU (bench/torch_step.py via /usr/bin/python3) measured in the same run.
 * Prints JSON to stdout and writes bench/results/bench-<time>.json and bench/results/latest.json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendName } from '../core/backend';
import { createRefNet, crossEntropy, mulberry32, randomArray } from '../core/kernels/refnet';

interface Args {
  quick: boolean;
  backends: BackendName[];
  steps: number;
  warmup: number;
  batch: number;
  model: 'auto' | 'models' | 'refnet';
  torch: boolean;
  torchThreads: number;
}

function parseArgs(argv: string[]): Args {
  const get = (k: string) => {
    const i = argv.indexOf(k);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  return {
    quick,
    backends: (get('--backends') ?? 'wasm,cpu').split(',') as BackendName[],
    steps: Number(get('--steps') ?? (quick ? 5 : 10)),
    warmup: Number(get('--warmup') ?? (quick ? 2 : 3)),
    batch: Number(get('--batch') ?? 64),
    model: (get('--model') ?? 'auto') as Args['model'],
    torch: !argv.includes('--no-torch'),
    torchThreads: Number(get('--torch-threads') ?? 1),
  };
}

interface StepModel {
  source: 'models' | 'refnet';
  vars: tf.Variable[];
  logits(x: tf.Tensor4D): tf.Tensor2D;
  afterStep(): void;
  dispose(): void;
}

async function buildModel(which: Args['model']): Promise<StepModel> {
  if (which !== 'refnet') {
    try {
      const models = await import('../core/models/index');
      const { Rng } = await import('../core/train/rng');
      const spec = models.buildSpec({ kind: 'resnet8', head: 'linear', inputShape: [28, 28, 1], numClasses: 10 });
      const m = models.createModel(spec, new Rng(1));
      return {
        source: 'models',
        vars: m.trainable('all'),
        logits: (x) => m.forward(x, 'train').output,
        afterStep: () => m.commitBnUpdates(),
        dispose: () => m.dispose(),
      };
    } catch (e) {
      if (which === 'models') throw e;
      console.error(`[bench] models module unavailable (${(e as Error).message}); using the kernels' reference ResNet`);
    }
  }
  const net = createRefNet({ inputShape: [28, 28, 1], numClasses: 10, blocksPerStage: 1, seed: 1 });
  return { source: 'refnet', vars: net.vars, logits: (x) => net.forward(x), afterStep: () => {}, dispose: () => net.dispose() };
}

const median = (a: number[]) => {
  const s = [...a].sort((p, q) => p - q);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function benchBackend(name: BackendName, args: Args, steps: number, warmup: number) {
  const init = await initBackend({ order: [name] });
  if (tf.getBackend() !== name) throw new Error(`backend is ${tf.getBackend()}, expected ${name}`);
  const model = await buildModel(args.model);
  const B = args.batch;
  const x = tf.tensor4d(randomArray(B * 28 * 28, mulberry32(3)), [B, 28, 28, 1]);
  const y = tf.tensor1d(Array.from({ length: B }, (_, i) => i % 10), 'int32');
  const opt = tf.train.momentum(0.1, 0.9);
  const step = async () => {
    const { value, grads } = tf.variableGrads(() => crossEntropy(model.logits(x), y, 10), model.vars);
    opt.applyGradients(grads as tf.NamedTensorMap as Parameters<typeof opt.applyGradients>[0]);
    const loss = (await value.data())[0];
    tf.dispose([value, ...Object.values(grads)]);
    model.afterStep();
    return loss;
  };
  let t = performance.now();
  const firstLoss = await step();
  const firstStepMs = performance.now() - t;
  for (let i = 1; i < warmup; i++) await step();
  const stepsMs: number[] = [];
  let lastLoss = firstLoss;
  for (let i = 0; i < steps; i++) {
    t = performance.now();
    lastLoss = await step();
    stepsMs.push(performance.now() - t);
  }
  const med = median(stepsMs);
  const tensorsLeft = tf.memory().numTensors;
  tf.dispose([x, y]);
  opt.dispose();
  model.dispose();
  return {
    backend: name,
    init: init.reason,
    model: model.source,
    batch: B,
    firstStepMs,
    medianMs: med,
    imgPerSec: (B / med) * 1e3,
    stepsMs,
    firstLoss,
    lastLoss,
    tensorsLeft,
  };
}

function runTorch(args: Args, steps: number, warmup: number): Record<string, unknown> | { error: string } {
  const py = '/usr/bin/python3';
  if (!existsSync(py)) return { error: `${py} not found` };
  const script = path.resolve('bench/torch_step.py');
  const r = spawnSync(
    py,
    [script, '--batch', String(args.batch), '--steps', String(steps), '--warmup', String(warmup), '--threads', String(args.torchThreads)],
    { encoding: 'utf8', timeout: 300_000 },
  );
  if (r.status !== 0) return { error: `torch_step.py failed (${r.status}): ${(r.stderr || '').slice(-500)}` };
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as Record<string, unknown>;
  } catch {
    return { error: `unparseable torch output: ${r.stdout.slice(-300)}` };
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const results = [];
  for (const b of args.backends) {
    // Pure-JS cpu is ~10× slower than wasm: fewer steps so --quick stays short.
    const steps = b === 'cpu' ? Math.max(2, Math.ceil(args.steps / (args.quick ? 3 : 2))) : args.steps;
    const warmup = b === 'cpu' ? 1 : args.warmup;
    try {
      results.push(await benchBackend(b, args, steps, warmup));
    } catch (e) {
      results.push({ backend: b, error: (e as Error).message });
    }
    console.error(`[bench] ${b}: ${JSON.stringify(results[results.length - 1]).slice(0, 200)}`);
  }
  const torch = args.torch ? runTorch(args, args.steps, args.warmup) : null;
  const torchMs = torch && 'medianMs' in torch ? (torch.medianMs as number) : null;
  const ratios: Record<string, number> = {};
  for (const r of results) if ('medianMs' in r && torchMs) ratios[r.backend] = torchMs / r.medianMs;
  const report = {
    date: new Date().toISOString(),
    host: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? '?', node: process.version, load1: os.loadavg()[0] },
    config: { model: 'ResNet-8 (CIFAR, option-A)', input: [28, 28, 1], batch: args.batch, quick: args.quick, steps: args.steps, warmup: args.warmup },
    results,
    torch,
    /** throughput relative to PyTorch CPU (same model/step): torch ms / tfjs ms; target ≥ 0.25. */
    ratioVsTorch: ratios,
  };
  const dir = path.resolve('bench/results');
  mkdirSync(dir, { recursive: true });
  const json = JSON.stringify(report, null, 2);
  writeFileSync(path.join(dir, `bench-${report.date.replace(/[:.]/g, '-')}.json`), json);
  writeFileSync(path.join(dir, 'latest.json'), json);
  console.log(json);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
