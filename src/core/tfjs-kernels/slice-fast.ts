/**
 * Slice for the cpu and wasm backends. Both fall back to tfjs' per-element TensorBuffer loop for
 * non-contiguous slices (cpu: all ranks; wasm: rank ≥ 5 — 430 ms of a ResNet-8 step when option-A
 * shortcuts subsample through a rank-5 slice); the wasm one also copies the whole input out of the
 * heap first. This copies contiguous runs directly.
 */
import { getKernel, slice_util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import type { CpuBackendLike } from './cpu-common';
import type { WasmBackendLike } from './wasm-util';

type NumArray = Float32Array | Int32Array | Uint8Array;

/** Copy x[begin : begin + size] (row-major) from src (starting at srcOff) into dst (starting at dstOff). */
export function sliceCopy(
  src: NumArray,
  srcOff: number,
  shape: number[],
  begin: number[],
  size: number[],
  dst: NumArray,
  dstOff: number,
): void {
  const r = shape.length;
  if (size.some((s) => s === 0)) return;
  const strides = new Array<number>(r);
  let acc = 1;
  for (let i = r - 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= shape[i];
  }
  // Merge trailing fully-taken dims into one contiguous run.
  let last = r - 1;
  let run = 1;
  while (last >= 0 && size[last] === shape[last] && begin[last] === 0) {
    run *= shape[last];
    last--;
  }
  if (last < 0) {
    dst.set(src.subarray(srcOff, srcOff + run), dstOff);
    return;
  }
  const runLen = run * size[last];
  const base = srcOff + begin[last] * strides[last];
  const outer = last; // dims 0..last-1 are iterated
  const idx = new Array<number>(outer).fill(0);
  let nOuter = 1;
  for (let i = 0; i < outer; i++) nOuter *= size[i];
  let o = dstOff;
  for (let t = 0; t < nOuter; t++) {
    let s = base;
    for (let i = 0; i < outer; i++) s += (begin[i] + idx[i]) * strides[i];
    if (runLen < 64) {
      for (let j = 0; j < runLen; j++) dst[o + j] = src[s + j];
    } else {
      dst.set(src.subarray(s, s + runLen), o);
    }
    o += runLen;
    for (let i = outer - 1; i >= 0; i--) {
      if (++idx[i] < size[i]) break;
      idx[i] = 0;
    }
  }
}

function parse(x: TensorInfo, attrs: Record<string, unknown>): [number[], number[]] {
  const [b, s] = slice_util.parseSliceParams(x as never, attrs.begin as number | number[], attrs.size as number | number[]);
  return [b, s];
}

let origCpu: KernelFunc | null = null;
let origWasm: KernelFunc | null = null;

export const sliceCpu: KernelFunc = (args) => {
  const x = args.inputs.x as TensorInfo;
  const be = args.backend as unknown as CpuBackendLike & {
    makeTensorInfo(shape: number[], dtype: string, values: NumArray): TensorInfo;
  };
  const vals = be.data.get(x.dataId).values;
  if (
    x.dtype === 'string' ||
    x.dtype === 'complex64' ||
    !(vals instanceof Float32Array || vals instanceof Int32Array || vals instanceof Uint8Array)
  ) {
    if (!origCpu) throw new Error('Slice (fast cpu kernel): unsupported dtype and no original kernel.');
    return origCpu(args);
  }
  const [begin, size] = parse(x, args.attrs as Record<string, unknown>);
  const n = size.reduce((a, b) => a * b, 1);
  const out = new (vals.constructor as { new (n: number): NumArray })(n);
  sliceCopy(vals, 0, x.shape, begin, size, out, 0);
  return be.makeTensorInfo(size, x.dtype, out);
};

export const sliceWasm: KernelFunc = (args) => {
  const x = args.inputs.x as TensorInfo;
  const be = args.backend as unknown as WasmBackendLike & {
    makeOutput(shape: number[], dtype: string): TensorInfo;
    typedArrayFromHeap(t: TensorInfo): NumArray;
  };
  if (x.dtype !== 'float32' && x.dtype !== 'int32' && x.dtype !== 'bool') {
    if (!origWasm) throw new Error('Slice (fast wasm kernel): unsupported dtype and no original kernel.');
    return origWasm(args);
  }
  const [begin, size] = parse(x, args.attrs as Record<string, unknown>);
  const out = be.makeOutput(size, x.dtype);
  // Views taken after the allocation (the heap may have grown).
  sliceCopy(be.typedArrayFromHeap(x), 0, x.shape, begin, size, be.typedArrayFromHeap(out), 0);
  return out;
};

/** Remember the backends' own Slice (for the dtypes we don't handle). */
export function captureOriginalSlice(): void {
  const c = getKernel('Slice', 'cpu');
  if (c && c.kernelFunc !== sliceCpu) origCpu = c.kernelFunc;
  const w = getKernel('Slice', 'wasm');
  if (w && w.kernelFunc !== sliceWasm) origWasm = w.kernelFunc;
}

export const sliceConfigs: Record<'cpu' | 'wasm', KernelConfig> = {
  cpu: { kernelName: 'Slice', backendName: 'cpu', kernelFunc: sliceCpu },
  wasm: { kernelName: 'Slice', backendName: 'wasm', kernelFunc: sliceWasm },
};
