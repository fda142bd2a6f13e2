/** Shared plumbing of the cpu-backend replacement kernels (storage access on MathBackendCPU). */
import type { TensorInfo, backend_util } from '@tensorflow/tfjs';

/** Minimal view of MathBackendCPU used here. */
export interface CpuBackendLike {
  data: { get(dataId: object): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}

export type Pad = 'valid' | 'same' | number | backend_util.ExplicitPadding;

export function f32(backend: CpuBackendLike, t: TensorInfo, kernel: string): Float32Array {
  if (t.dtype !== 'float32') throw new Error(`${kernel} (fast cpu kernel): dtype ${t.dtype} is not supported; only float32.`);
  const v = backend.data.get(t.dataId).values;
  if (!(v instanceof Float32Array)) throw new Error(`${kernel} (fast cpu kernel): expected Float32Array storage.`);
  return v;
}
