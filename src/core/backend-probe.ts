/**
 * "Auto" backend by measurement: detects software GPU adapters (WebGPU adapter info / fallback flag, WebGL's unmasked
 * renderer: SwiftShader, llvmpipe, lavapipe…) and times one training step of the chosen model on each candidate
 * within a small budget (~3 s in all); the fastest wins. A software WebGPU adapter (SwiftShader on a machine without
 * a GPU) is typically tens of times slower than wasm, which is why "first available" is not good enough.
 *
 * The pure parts (`softwareRenderer`, `rankTimings`, `explainChoice`) are tested in Node; `probeBackends` runs in a
 * worker of its own (worker/probe.worker.ts) beside the training, which the page ends when its budget is spent.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendName } from './backend';
import { LABEL, probeResult, type BackendTiming, type ProbeResult } from './backend-words';
import { buildSpec, createModel } from './models';
import type { HeadKind, ModelKind } from './models/types';
import { TfjsEngine } from './train/tfjs-engine';
import { Rng } from './rng';
import { defaultParams } from './losses/registry';

export type { BackendTiming, ProbeResult } from './backend-words';

export interface ProbeSpec {
  model: ModelKind;
  head: HeadKind;
  /** [H, W, C] */
  inputShape: [number, number, number];
  numClasses: number;
  batchSize: number;
}

const SOFTWARE = [
  ['swiftshader', 'SwiftShader'],
  ['llvmpipe', 'llvmpipe'],
  ['lavapipe', 'lavapipe'],
  ['softpipe', 'softpipe'],
  ['basic render', 'Microsoft Basic Render Driver'],
  ['warp', 'WARP'],
  ['software', 'a software renderer'],
] as const;

/** The software renderer named by any of `strings` (adapter vendor / architecture / description, WebGL renderer). */
export function softwareRenderer(strings: readonly (string | undefined | null)[], fallbackAdapter = false): string | null {
  const all = strings.filter(Boolean).join(' ').toLowerCase();
  for (const [needle, name] of SOFTWARE) if (new RegExp(`\\b${needle}\\b`).test(all)) return name;
  return fallbackAdapter ? 'a fallback (software) adapter' : null;
}

interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
}

/** Software WebGPU adapter name, '' for hardware, null without WebGPU. */
async function webgpuSoftware(): Promise<string | null> {
  const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> } } }).navigator?.gpu;
  if (!gpu) return null;
  const a = await gpu.requestAdapter();
  if (!a) return null;
  const i = a.info ?? {};
  return softwareRenderer([i.vendor, i.architecture, i.device, i.description], !!(a.isFallbackAdapter || i.isFallbackAdapter)) ?? '';
}

/** Software WebGL renderer name, '' for hardware, null without WebGL. */
function webglSoftware(): string | null {
  try {
    const canvas =
      typeof OffscreenCanvas !== 'undefined'
        ? new OffscreenCanvas(1, 1)
        : typeof document !== 'undefined'
          ? document.createElement('canvas')
          : null;
    const gl = (canvas?.getContext('webgl2') ?? canvas?.getContext('webgl')) as WebGLRenderingContext | null;
    if (!gl) return null;
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
    const vendor = String(gl.getParameter(ext ? ext.UNMASKED_VENDOR_WEBGL : gl.VENDOR) ?? '');
    return softwareRenderer([renderer, vendor]) ?? '';
  } catch {
    return null;
  }
}

const PROBE_BATCH = 16;

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** One warm-up and one timed step of the model on the active backend; null when it ran past `budgetMs`. */
async function timeStep(spec: ProbeSpec, budgetMs: number): Promise<number | null> {
  const mspec = buildSpec({ kind: spec.model, head: spec.head, inputShape: spec.inputShape, numClasses: spec.numClasses });
  const rng = new Rng(1);
  const model = createModel(mspec, rng);
  const engine = new TfjsEngine(model, { momentum: 0.9, weightDecay: 5e-4 });
  // a small batch: the step's cost per image is what is compared, and a step cut short by the budget (a software
  // GPU) leaves less work running in the background
  const n = Math.max(2, Math.min(spec.batchSize, PROBE_BATCH));
  const [H, W, C] = spec.inputShape;
  const x = new Float32Array(n * H * W * C);
  for (let i = 0; i < x.length; i++) x[i] = rng.next() * 2 - 1;
  const labels = Int32Array.from({ length: n }, (_, i) => i % spec.numClasses);
  const ctx = { counts: new Array<number>(spec.numClasses).fill(10), head: spec.head, alpha: 0, gaActive: false, drwActive: false };
  const step = () =>
    engine.train({ x, n, labels, lr: 0.01, loss: { id: 'ce', params: defaultParams('ce'), ctx }, noise: null, frozen: false });
  const start = now();
  const work = (async () => {
    await step();
    if (now() - start > budgetMs) return null;
    const t0 = now();
    await step();
    return now() - t0;
  })();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((r) => (timer = setTimeout(() => r(null), budgetMs)));
  const ms = await Promise.race([work, timeout]);
  clearTimeout(timer);
  // the model goes when its steps are done (a step cut short by the budget still finishes in the background)
  void work.finally(() => model.dispose()).catch(() => undefined);
  return ms;
}

/**
 * Times `candidates` (wasm first: it is the reliable baseline and bounds the others' budget) and returns the order
 * to initialise, fastest first, with the reasons. Each GPU candidate gets what is left of `budgetMs`, at least 1 s.
 */
export async function probeBackends(
  spec: ProbeSpec,
  candidates: readonly BackendName[],
  opts: {
    budgetMs?: number;
    wasmPaths?: string;
    /** wasm threads asked for (undefined: automatic): timed as the training will run. */
    wasmThreads?: number;
    onMeasure?: (name: BackendName, software: string | null) => void;
    onTimed?: (t: BackendTiming) => void;
  } = {},
): Promise<ProbeResult> {
  const budget = opts.budgetMs ?? 3000;
  const start = now();
  const sorted = [...candidates].sort((a, b) => Number(b === 'wasm') - Number(a === 'wasm'));
  const timings: BackendTiming[] = [];
  const record = (t: BackendTiming) => {
    timings.push(t);
    opts.onTimed?.(t);
  };
  for (const name of sorted) {
    if (name === 'cpu') continue; // the plain JS backend is never the fastest; it stays the last resort
    const software = name === 'webgpu' ? await webgpuSoftware().catch(() => null) : name === 'webgl' ? webglSoftware() : null;
    if ((name === 'webgpu' || name === 'webgl') && software === null) {
      record({ name, ms: null, software: null, error: `${LABEL[name]} unavailable` });
      continue;
    }
    const left = Math.max(1000, budget - (now() - start));
    opts.onMeasure?.(name, software || null);
    try {
      await initBackend({ order: [name], wasmPaths: opts.wasmPaths, wasmThreads: opts.wasmThreads });
      const ms = await timeStep(spec, left);
      record(ms === null ? { name, ms: null, over: left, software: software || null } : { name, ms, software: software || null });
    } catch (e) {
      record({ name, ms: null, software: software || null, error: e instanceof Error ? e.message : String(e) });
    }
  }
  const result = probeResult(timings);
  // leave the chosen backend active for the caller's initBackend
  if (tf.getBackend() !== result.order[0]) await tf.setBackend(result.order[0]).catch(() => false);
  return result;
}
