/**
 * Fast replacement kernels for tfjs training on cpu / wasm / webgpu.
 *
 * `registerFastKernels()` registers every replacement for each backend whose package is loaded
 * (tf.findBackendFactory(name) != null). Call it AFTER importing the backend packages (their
 * import registers their own kernels and would override ours) and before training. Idempotent.
 */
import { findBackendFactory, getKernel, registerKernel, unregisterKernel, type KernelConfig } from '@tensorflow/tfjs';
import { conv2dBackpropFilterCpu } from './conv2d-backprop-filter-cpu';
import { conv2dBackpropInputCpu } from './conv2d-backprop-input-cpu';
import { conv2dCpu } from './conv2d-cpu';
import { conv2dBackpropFilterWasm } from './conv2d-backprop-filter-wasm';
import { conv2dBackpropInputWasm } from './conv2d-backprop-input-wasm';
import { conv2dBackpropFilterWebGPU } from './conv2d-backprop-filter-webgpu';
import { rememberOriginalWasmKernel } from './wasm-util';
import { captureOriginalSlice, sliceConfigs } from './slice-fast';
import { captureOriginalReductions, meanWasm, sumWasm } from './reduce-wasm';
import { captureOriginalCast, castWasm, identityWasm } from './identity-wasm';
import { captureOriginalCpuElementwise, elementwiseCpuConfigs } from './elementwise-cpu';

export type FastKernelBackend = 'cpu' | 'wasm' | 'webgpu';

/** The replacements, per backend. */
export const FAST_KERNELS: Record<FastKernelBackend, KernelConfig[]> = {
  cpu: [
    { kernelName: 'Conv2DBackpropFilter', backendName: 'cpu', kernelFunc: conv2dBackpropFilterCpu },
    { kernelName: 'Conv2DBackpropInput', backendName: 'cpu', kernelFunc: conv2dBackpropInputCpu },
    { kernelName: 'Conv2D', backendName: 'cpu', kernelFunc: conv2dCpu },
    sliceConfigs.cpu,
    ...elementwiseCpuConfigs,
  ],
  wasm: [
    { kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2dBackpropFilterWasm },
    { kernelName: 'Conv2DBackpropInput', backendName: 'wasm', kernelFunc: conv2dBackpropInputWasm },
    sliceConfigs.wasm,
    { kernelName: 'Sum', backendName: 'wasm', kernelFunc: sumWasm },
    { kernelName: 'Mean', backendName: 'wasm', kernelFunc: meanWasm },
    { kernelName: 'Identity', backendName: 'wasm', kernelFunc: identityWasm },
    { kernelName: 'Cast', backendName: 'wasm', kernelFunc: castWasm },
  ],
  webgpu: [{ kernelName: 'Conv2DBackpropFilter', backendName: 'webgpu', kernelFunc: conv2dBackpropFilterWebGPU }],
};

/** Kernels that were registered before ours replaced them (for tests / A-B benchmarks). */
const originalKernels = new Map<string, KernelConfig | null>();
const key = (name: string, backend: string) => `${backend}_${name}`;

/** The kernel config that was registered before `registerFastKernels` replaced it (null if none). */
export function getOriginalKernel(kernelName: string, backendName: string): KernelConfig | null {
  const k = key(kernelName, backendName);
  if (originalKernels.has(k)) return originalKernels.get(k) ?? null;
  const cur = getKernel(kernelName, backendName);
  return cur && !isFast(cur) ? cur : null;
}

function isFast(cfg: KernelConfig): boolean {
  for (const list of Object.values(FAST_KERNELS)) if (list.some((c) => c.kernelFunc === cfg.kernelFunc)) return true;
  return false;
}

/** Register the replacements for one backend (even if its package isn't loaded). Returns kernel names. */
export function registerFastKernelsFor(backend: FastKernelBackend): string[] {
  const names: string[] = [];
  // Capture the backends' own kernels we delegate to before replacing anything.
  captureOriginalSlice();
  if (backend === 'cpu') captureOriginalCpuElementwise();
  if (backend === 'wasm') {
    rememberOriginalWasmKernel('BatchMatMul');
    rememberOriginalWasmKernel('Conv2D');
    captureOriginalReductions();
    captureOriginalCast();
  }
  for (const cfg of FAST_KERNELS[backend]) {
    const cur = getKernel(cfg.kernelName, cfg.backendName);
    if (cur && cur.kernelFunc === cfg.kernelFunc) {
      names.push(cfg.kernelName);
      continue;
    }
    const k = key(cfg.kernelName, cfg.backendName);
    if (cur) {
      originalKernels.set(k, cur);
      unregisterKernel(cfg.kernelName, cfg.backendName);
    } else if (!originalKernels.has(k)) {
      originalKernels.set(k, null);
    }
    registerKernel(cfg);
    names.push(cfg.kernelName);
  }
  return names;
}

/** Undo `registerFastKernelsFor(backend)`: restore the original kernels (tests / A-B benchmarks). */
export function unregisterFastKernelsFor(backend: FastKernelBackend): void {
  for (const cfg of FAST_KERNELS[backend]) {
    const cur = getKernel(cfg.kernelName, cfg.backendName);
    if (!cur || cur.kernelFunc !== cfg.kernelFunc) continue;
    unregisterKernel(cfg.kernelName, cfg.backendName);
    const orig = originalKernels.get(key(cfg.kernelName, cfg.backendName));
    if (orig) registerKernel(orig);
  }
}

/**
 * Register the fast kernels for every backend whose package is loaded. Safe when a backend package
 * (e.g. @tensorflow/tfjs-backend-webgpu) isn't loaded: its kernels are then simply skipped.
 * Returns what was registered, per backend.
 */
export function registerFastKernels(): Partial<Record<FastKernelBackend, string[]>> {
  const done: Partial<Record<FastKernelBackend, string[]>> = {};
  for (const b of Object.keys(FAST_KERNELS) as FastKernelBackend[]) {
    if (findBackendFactory(b) == null) continue;
    done[b] = registerFastKernelsFor(b);
  }
  return done;
}
