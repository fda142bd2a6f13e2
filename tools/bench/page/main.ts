/**
 * Bench page for `npm run bench` (bundled by tools/bench/browser.ts with esbuild, served on 127.0.0.1):
 * exposes window.ltpBench.run(backend, plan) → the same BenchStepResult as the Node bench, on any browser backend.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendName } from '../../../src/core/backend';
import { benchStep, installWallClockKernelTimer, type StepPlan, type BenchStepResult } from '../step';

interface PageResult extends Partial<BenchStepResult> {
  ok: boolean;
  error?: string;
  init?: string;
  adapter?: Record<string, unknown>;
  timestampQuery?: boolean | null;
  wasmThreads?: number;
}

async function adapterInfo(): Promise<Record<string, unknown> | undefined> {
  const gpu = (
    navigator as unknown as { gpu?: { requestAdapter(): Promise<{ info?: Record<string, unknown>; features: Set<string> } | null> } }
  ).gpu;
  if (!gpu) return undefined;
  const a = await gpu.requestAdapter();
  if (!a) return { none: true };
  const i = a.info ?? {};
  return { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description, features: [...a.features] };
}

function webglInfo(): Record<string, unknown> | undefined {
  try {
    const gl = document.createElement('canvas').getContext('webgl2');
    if (!gl) return undefined;
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    return {
      renderer: ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER),
      version: gl.getParameter(gl.VERSION),
    };
  } catch {
    return undefined;
  }
}

async function run(backend: BackendName, plan: StepPlan, wasmThreads = 1): Promise<PageResult> {
  try {
    const init = await initBackend({ order: [backend], wasmPaths: new URL('./wasm/', location.href).href, wasmThreads });
    let timing: string | undefined;
    let undo: (() => void) | null = null;
    let timestampQuery: boolean | null = null;
    if (backend === 'webgpu') {
      timestampQuery = !!(tf.backend() as unknown as { supportTimestampQuery?: boolean }).supportTimestampQuery;
      if (plan.profile && !timestampQuery) {
        undo = installWallClockKernelTimer();
        timing =
          'FALLBACK: no WebGPU timestamp queries on this adapter — per-kernel CPU-side wall time (encode + dispatch) measured around each kernel during tf.profile, NOT GPU execution time';
      } else {
        timing = 'GPU time per kernel from WebGPU timestamp queries (tf.profile kernelTimeMs)';
      }
    } else if (backend === 'webgl') {
      timing = 'tf.profile kernelTimeMs (WebGL timer queries when the context offers them, else wall time)';
    } else {
      timing = 'tf.profile kernelTimeMs (wall time per kernel on the CPU backends)';
    }
    const r = await benchStep(plan, () => timing!);
    undo?.();
    const adapter = backend === 'webgpu' ? await adapterInfo() : backend === 'webgl' ? webglInfo() : undefined;
    return { ok: true, ...r, init: init.reason, adapter, timestampQuery, wasmThreads: init.wasm?.threads };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? `${e.message}` : String(e) };
  }
}

(window as unknown as { ltpBench: unknown }).ltpBench = { run, ready: true };
document.getElementById('status')!.textContent = 'ready';
