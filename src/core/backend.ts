/**
 * Compute-backend selection for tfjs: tries webgpu → webgl → wasm → cpu (or a given order), loads
 * backend packages dynamically, registers our fast kernels, and verifies tf.getBackend() really is
 * the chosen backend (tfjs otherwise silently falls back). Works in the browser, a worker and Node
 * (Node-only imports are dynamic and guarded).
 */
import * as tf from '@tensorflow/tfjs';
import { registerFastKernels } from './tfjs-kernels/index';
import { planWasmThreads, type WasmThreadPlan } from './wasm-threads';

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

export interface InitBackendOptions {
  /** Backends to try, in order. Default ['webgpu', 'webgl', 'wasm', 'cpu']. */
  order?: BackendName[];
  /** Folder (URL prefix ending in '/') the wasm binaries are served from, for setWasmPaths. */
  wasmPaths?: string;
  /** wasm threads asked for (undefined: automatic, see ./wasm-threads.ts); browsers only, tfjs has none in Node. */
  wasmThreads?: number;
}

export interface InitBackendResult {
  name: BackendName;
  reason: string;
  tried: { name: BackendName; error: string }[];
  /** On wasm: the threads tfjs runs with and why that many. */
  wasm?: { threads: number; why: string };
}

export const DEFAULT_BACKEND_ORDER: BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

export const isNode = (): boolean =>
  typeof process !== 'undefined' && typeof process.versions === 'object' && process.versions != null && !!process.versions.node;

const isBrowserLike = (): boolean => !isNode() && (typeof window !== 'undefined' || typeof self !== 'undefined');

interface NavigatorWithGpu {
  gpu?: unknown;
}
function getNavigatorGpu(): unknown {
  const nav = (globalThis as { navigator?: NavigatorWithGpu }).navigator;
  return nav?.gpu;
}

/** Why a backend can't be tried in this environment, or null if it can. */
function unavailableReason(name: BackendName): string | null {
  switch (name) {
    case 'webgpu':
      if (!getNavigatorGpu()) {
        return isNode()
          ? 'WebGPU unavailable: navigator.gpu missing (in Node call initNodeWebGPU() first)'
          : 'WebGPU unavailable: navigator.gpu missing';
      }
      return null;
    case 'webgl':
      if (isNode()) return 'WebGL unavailable: no WebGL in Node';
      if (typeof document === 'undefined' && typeof OffscreenCanvas === 'undefined') {
        return 'WebGL unavailable: neither document nor OffscreenCanvas';
      }
      return null;
    case 'wasm':
      if (typeof WebAssembly === 'undefined') return 'WASM unavailable: WebAssembly missing';
      return null;
    case 'cpu':
      return null;
  }
}

async function loadBackendPackage(name: BackendName, opts: InitBackendOptions): Promise<void> {
  if (name === 'webgpu') {
    await import('@tensorflow/tfjs-backend-webgpu');
  } else if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    if (isBrowserLike() && !wasmStarted) {
      wasmPlan = wasmThreadPlan(opts.wasmThreads);
      // tfjs' own test finds SharedArrayBuffer; one thread takes the single-thread SIMD build (no pthread workers)
      if (wasmPlan.threads === 1) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      else wasm.setThreadsCount(wasmPlan.threads);
    }
    if (opts.wasmPaths) wasm.setWasmPaths(opts.wasmPaths);
  }
  // webgl and cpu are part of @tensorflow/tfjs.
}

/** The wasm module starts once per worker: its thread count is the first plan's. */
let wasmStarted = false;
let wasmPlan: WasmThreadPlan = { threads: 1, why: '1 thread (Node: tfjs has no wasm threads there)' };

function wasmThreadPlan(asked: number | undefined): WasmThreadPlan {
  const g = globalThis as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number } };
  return planWasmThreads(asked, g.navigator?.hardwareConcurrency, g.crossOriginIsolated === true);
}

/** The threads the running wasm backend has (tfjs' count, which is what XNNPACK's pool really got). */
async function wasmThreadsNow(): Promise<{ threads: number; why: string }> {
  wasmStarted = true;
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const threads = wasm.getThreadsCount();
  if (threads === wasmPlan.threads) return { threads, why: wasmPlan.why };
  return {
    threads,
    why:
      threads === 1 ? `1 thread: this browser's wasm has no threads (plan: ${wasmPlan.why})` : `${threads} threads (plan: ${wasmPlan.why})`,
  };
}

function errMsg(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (e && typeof e === 'object' && 'message' in e) return String((e as { message: unknown }).message);
  return String(e);
}

/**
 * Pick and initialise a tfjs backend. Throws if none of `order` works (cpu always does unless
 * excluded). Registers the fast kernels for every loaded backend.
 */
export async function initBackend(opts: InitBackendOptions = {}): Promise<InitBackendResult> {
  const order = opts.order ?? DEFAULT_BACKEND_ORDER;
  const tried: { name: BackendName; error: string }[] = [];
  for (const name of order) {
    const why = unavailableReason(name);
    if (why) {
      tried.push({ name, error: why });
      continue;
    }
    try {
      await loadBackendPackage(name, opts);
      if (tf.findBackendFactory(name) == null) throw new Error(`backend '${name}' did not register a factory`);
      const ok = await tf.setBackend(name);
      if (!ok) throw new Error(`tf.setBackend('${name}') returned false`);
      await tf.ready();
      const actual = tf.getBackend();
      if (actual !== name) throw new Error(`tf.getBackend() is '${actual}', expected '${name}'`);
      registerFastKernels();
      if (tf.getBackend() !== name) throw new Error(`backend changed to '${tf.getBackend()}' after registering kernels`);
      const skipped = tried.map((t) => `${t.name}: ${t.error}`).join('; ');
      const reason = skipped ? `${name} (skipped ${skipped})` : `${name} (first choice)`;
      return { name, reason, tried, ...(name === 'wasm' ? { wasm: await wasmThreadsNow() } : {}) };
    } catch (e) {
      tried.push({ name, error: errMsg(e) });
    }
  }
  throw new Error(`No tfjs backend could be initialised: ${tried.map((t) => `${t.name}: ${t.error}`).join('; ')}`);
}

export interface NodeWebGPUResult {
  ok: boolean;
  reason: string;
}

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const CHROMIUM_LIBVULKAN = '/usr/lib/chromium/libvulkan.so.1';
const SYSTEM_LIBVULKAN = [
  '/usr/lib/x86_64-linux-gnu/libvulkan.so.1',
  '/usr/lib/aarch64-linux-gnu/libvulkan.so.1',
  '/usr/lib64/libvulkan.so.1',
  '/usr/lib/libvulkan.so.1',
];

let nodeWebGPUPromise: Promise<NodeWebGPUResult> | null = null;

/**
 * Node only: provide `navigator.gpu` from the `webgpu` package (Dawn). Without a GPU it uses
 * SwiftShader's Vulkan ICD shipped with Chromium (software, slow) — VK_ICD_FILENAMES is set to it
 * and Chromium's libvulkan is preloaded if the system has none. Must run BEFORE
 * @tensorflow/tfjs-backend-webgpu is imported (it checks navigator.gpu at import). Never throws.
 */
export function initNodeWebGPU(): Promise<NodeWebGPUResult> {
  nodeWebGPUPromise ??= initNodeWebGPUOnce();
  return nodeWebGPUPromise;
}

async function initNodeWebGPUOnce(): Promise<NodeWebGPUResult> {
  if (!isNode()) return { ok: false, reason: 'initNodeWebGPU: not running in Node' };
  if (getNavigatorGpu()) return { ok: true, reason: 'navigator.gpu already present' };
  try {
    const fsName = 'node:fs';
    const osName = 'node:os';
    const fs = (await import(/* @vite-ignore */ fsName)) as typeof import('node:fs');
    const os = (await import(/* @vite-ignore */ osName)) as typeof import('node:os');
    const notes: string[] = [];
    if (!process.env.VK_ICD_FILENAMES && fs.existsSync(SWIFTSHADER_ICD)) {
      process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
      notes.push('SwiftShader ICD');
    }
    // also when VK_ICD_FILENAMES came set (by the user, or inherited from a parent process that ran this): without a
    // system Vulkan loader Dawn finds no adapter unless Chromium's is loaded
    if (process.env.VK_ICD_FILENAMES) {
      // a loader on LD_LIBRARY_PATH (an unpacked libvulkan1 package) counts as the system's
      const onPath = (process.env.LD_LIBRARY_PATH ?? '')
        .split(':')
        .filter(Boolean)
        .map((d) => `${d}/libvulkan.so.1`);
      if (![...SYSTEM_LIBVULKAN, ...onPath].some((p) => fs.existsSync(p)) && fs.existsSync(CHROMIUM_LIBVULKAN)) {
        // Load Chromium's Vulkan loader into the process so Dawn's dlopen("libvulkan.so.1") finds it by
        // soname. process.dlopen throws (not a Node addon); RTLD_NODELETE (0x1000) keeps it mapped.
        const RTLD_NODELETE = 0x1000;
        const flags = os.constants.dlopen.RTLD_NOW | os.constants.dlopen.RTLD_GLOBAL | RTLD_NODELETE;
        try {
          process.dlopen({ exports: {} } as NodeJS.Module, CHROMIUM_LIBVULKAN, flags);
        } catch {
          /* expected: "Module did not self-register" */
        }
        notes.push('preloaded Chromium libvulkan');
      }
    }
    const pkg = 'webgpu';
    const mod = (await import(/* @vite-ignore */ pkg)) as {
      create: (flags: string[]) => { requestAdapter(): Promise<unknown> };
      globals: Record<string, unknown>;
    };
    const gpu = mod.create([]);
    const adapter = await gpu.requestAdapter();
    if (!adapter) return { ok: false, reason: `Dawn started but found no GPU adapter (${notes.join(', ') || 'no Vulkan setup'})` };
    Object.assign(globalThis, mod.globals);
    const g = globalThis as { navigator?: NavigatorWithGpu };
    if (g.navigator) {
      Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    } else {
      Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    }
    return { ok: true, reason: `Dawn WebGPU adapter${notes.length ? ` (${notes.join(', ')})` : ''}` };
  } catch (e) {
    return { ok: false, reason: `Dawn (webgpu package) unavailable: ${errMsg(e)}` };
  }
}
