/**
 * Sum / Mean for the wasm backend when the reduced axes are the leading ones (e.g. NHWC batch-norm
 * statistics and bias gradients, axes [0, 1, 2]): tfjs-backend-wasm transposes the whole tensor to
 * make the axes innermost first. Here: out[c] = Σ_r x[r, c] straight off the heap. Other cases and
 * non-float32 dtypes go to the backend's own kernel.
 */
import { getKernel, util, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { heapIndex, type WasmBackendLike } from './wasm-util';

const originals: Record<'Sum' | 'Mean', KernelFunc | null> = { Sum: null, Mean: null };

export function captureOriginalReductions(): void {
  for (const name of ['Sum', 'Mean'] as const) {
    const k = getKernel(name, 'wasm');
    if (k && k.kernelFunc !== sumWasm && k.kernelFunc !== meanWasm) originals[name] = k.kernelFunc;
  }
}

/** Number of leading axes reduced if `axis` is exactly a leading prefix, else -1. */
function leadingPrefix(axis: number | number[] | undefined | null, rank: number): number {
  const axes = util
    .parseAxisParam(axis ?? new Array(rank).fill(0).map((_, i) => i), new Array(rank).fill(1))
    .slice()
    .sort((a, b) => a - b);
  for (let i = 0; i < axes.length; i++) if (axes[i] !== i) return -1;
  return axes.length;
}

function reduceLeading(name: 'Sum' | 'Mean'): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    const k = x.dtype === 'float32' ? leadingPrefix(axis, x.shape.length) : -1;
    const orig = originals[name];
    if (k <= 0 || (k === x.shape.length && x.shape.length === 0)) {
      if (!orig) throw new Error(`${name} (fast wasm kernel): case not handled and no original kernel.`);
      return orig(args);
    }
    const be = args.backend as unknown as WasmBackendLike;
    const R = x.shape.slice(0, k).reduce((a, b) => a * b, 1);
    const C = x.shape.slice(k).reduce((a, b) => a * b, 1);
    const outShape = keepDims ? x.shape.map((d, i) => (i < k ? 1 : d)) : x.shape.slice(k);
    const out = be.makeOutput(outShape, 'float32');
    const heap = be.wasm.HEAPF32;
    const xi = heapIndex(be, x);
    const oi = heapIndex(be, out);
    const scale = name === 'Mean' ? 1 / R : 1;
    if (C === 1) {
      let s = 0;
      for (let r = 0; r < R; r++) s += heap[xi + r];
      heap[oi] = s * scale;
      return out;
    }
    sumRows(heap, xi, R, C, heap, oi, scale);
    return out;
  };
}

export const sumWasm: KernelFunc = reduceLeading('Sum');
export const meanWasm: KernelFunc = reduceLeading('Mean');

/** dst[c] = scale · Σ_r src[xi + r·C + c]. Column blocks of 8 kept in registers (≈4× a naive loop). */
export function sumRows(src: Float32Array, xi: number, R: number, C: number, dst: Float32Array, oi: number, scale: number): void {
  const c8 = C - (C % 8);
  for (let cb = 0; cb < c8; cb += 8) {
    let a0 = 0,
      a1 = 0,
      a2 = 0,
      a3 = 0,
      a4 = 0,
      a5 = 0,
      a6 = 0,
      a7 = 0;
    let b = xi + cb;
    for (let r = 0; r < R; r++) {
      a0 += src[b];
      a1 += src[b + 1];
      a2 += src[b + 2];
      a3 += src[b + 3];
      a4 += src[b + 4];
      a5 += src[b + 5];
      a6 += src[b + 6];
      a7 += src[b + 7];
      b += C;
    }
    dst[oi + cb] = a0 * scale;
    dst[oi + cb + 1] = a1 * scale;
    dst[oi + cb + 2] = a2 * scale;
    dst[oi + cb + 3] = a3 * scale;
    dst[oi + cb + 4] = a4 * scale;
    dst[oi + cb + 5] = a5 * scale;
    dst[oi + cb + 6] = a6 * scale;
    dst[oi + cb + 7] = a7 * scale;
  }
  for (let c = c8; c < C; c++) {
    let a = 0;
    for (let r = 0, b = xi + c; r < R; r++, b += C) a += src[b];
    dst[oi + c] = a * scale;
  }
}
