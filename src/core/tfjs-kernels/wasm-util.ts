/**
 * Minimal typed view of @tensorflow/tfjs-backend-wasm's BackendWasm internals used by the fast
 * wasm kernels (heap access, tensor allocation, calling the backend's own kernels).
 */
import { getKernel, type KernelFunc, type TensorInfo, type NamedAttrMap } from '@tensorflow/tfjs';

export interface WasmModuleLike {
  HEAPF32: Float32Array;
  tfjs: { disposeData(id: number): void };
}

export interface WasmBackendLike {
  wasm: WasmModuleLike;
  dataIdMap: { get(dataId: object): { memoryOffset: number; id: number }; delete(dataId: object): boolean };
  makeOutput(shape: number[], dtype: 'float32', memoryOffset?: number): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** Offset (in floats) of a tensor's storage in HEAPF32. */
export function heapIndex(backend: WasmBackendLike, t: TensorInfo): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset >>> 2;
}

/**
 * The wasm backend's own kernel function as registered by @tensorflow/tfjs-backend-wasm (captured
 * before any replacement of ours, so replacements can delegate to it).
 */
const originals = new Map<string, KernelFunc>();
export function rememberOriginalWasmKernel(name: string): void {
  if (originals.has(name)) return;
  const k = getKernel(name, 'wasm');
  if (k) originals.set(name, k.kernelFunc);
}
export function wasmKernel(name: string): KernelFunc {
  const k = originals.get(name) ?? getKernel(name, 'wasm')?.kernelFunc;
  if (!k) throw new Error(`wasm backend kernel '${name}' is not registered (is @tensorflow/tfjs-backend-wasm loaded?)`);
  return k;
}

export function callWasm(
  name: string,
  backend: WasmBackendLike,
  inputs: Record<string, TensorInfo>,
  attrs: Record<string, unknown>,
): TensorInfo {
  const out = wasmKernel(name)({ inputs, backend: backend as never, attrs: attrs as NamedAttrMap });
  return Array.isArray(out) ? out[0] : out;
}

/** XNNPACK-backed matmul of the wasm backend: [1, m, k] × [1, k, n] → [1, m, n] (no transposes, batch 1). */
export function xnnMatMul(backend: WasmBackendLike, a: TensorInfo, b: TensorInfo): TensorInfo {
  return callWasm('BatchMatMul', backend, { a, b }, { transposeA: false, transposeB: false });
}
