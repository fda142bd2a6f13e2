/**
 * Conv2DBackpropInput for the wasm backend. tfjs-backend-wasm 4.22 ships a scalar C++ loop for it;
 * this routes the work through XNNPACK instead:
 *  - stride 1: dx = conv2d(dy, W flipped in space with in/out swapped) using the backend's own
 *    (XNNPACK) Conv2D with padding kh−1−padTop / kw−1−padLeft;
 *  - otherwise: dcol[M, kh·kw·ci] = dy[M, co] · Wᵀ (XNNPACK matmul), then col2im in JS.
 */
import type { KernelFunc, TensorInfo, backend_util } from '@tensorflow/tfjs';
import { convGeom, validRange, type ConvGeom } from './conv-util';
import { callWasm, heapIndex, xnnMatMul, type WasmBackendLike } from './wasm-util';

interface InputAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat?: string;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}

/** Wf[a, b, co, ci] = W[kh−1−a, kw−1−b, ci, co]. */
function flipFilter(be: WasmBackendLike, filter: TensorInfo, g: ConvGeom): TensorInfo {
  const { kh: KH, kw: KW, ci: CI, co: CO } = g;
  const out = be.makeOutput([KH, KW, CO, CI], 'float32');
  const heap = be.wasm.HEAPF32;
  const src = heapIndex(be, filter);
  const dst = heapIndex(be, out);
  for (let a = 0; a < KH; a++) {
    for (let b = 0; b < KW; b++) {
      const s0 = src + ((KH - 1 - a) * KW + (KW - 1 - b)) * CI * CO;
      const d0 = dst + (a * KW + b) * CO * CI;
      for (let c = 0; c < CI; c++) {
        for (let o = 0; o < CO; o++) heap[d0 + o * CI + c] = heap[s0 + c * CO + o];
      }
    }
  }
  return out;
}

/** Wt[co, (kh, kw, ci)] = W[kh, kw, ci, co] as a [1, co, K·ci] matrix. */
function transposeFilter(be: WasmBackendLike, filter: TensorInfo, g: ConvGeom): TensorInfo {
  const K = g.kh * g.kw * g.ci;
  const CO = g.co;
  const out = be.makeOutput([1, CO, K], 'float32');
  const heap = be.wasm.HEAPF32;
  const src = heapIndex(be, filter);
  const dst = heapIndex(be, out);
  for (let r = 0; r < K; r++) {
    for (let o = 0; o < CO; o++) heap[dst + o * K + r] = heap[src + r * CO + o];
  }
  return out;
}

function col2im(heap: Float32Array, col: number, dx: number, g: ConvGeom): void {
  const { n: N, h: H, w: W, ci: CI, ho: HO, wo: WO, kh: KH, kw: KW, sh, sw, padTop, padLeft } = g;
  const K = KH * KW * CI;
  heap.fill(0, dx, dx + N * H * W * CI);
  for (let n = 0; n < N; n++) {
    for (let ho = 0; ho < HO; ho++) {
      const mRow = (n * HO + ho) * WO;
      for (let kh = 0; kh < KH; kh++) {
        const hi = ho * sh + kh - padTop;
        if (hi < 0 || hi >= H) continue;
        const xRow = dx + (n * H + hi) * W * CI;
        for (let kw = 0; kw < KW; kw++) {
          const [lo, hiW] = validRange(kw, sw, padLeft, W, WO);
          const kOff = (kh * KW + kw) * CI;
          for (let wo = lo; wo < hiW; wo++) {
            const s = col + (mRow + wo) * K + kOff;
            const d = xRow + (wo * sw + kw - padLeft) * CI;
            for (let c = 0; c < CI; c++) heap[d + c] += heap[s + c];
          }
        }
      }
    }
  }
}

export const conv2dBackpropInputWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const a = attrs as unknown as InputAttrs;
  const be = backend as unknown as WasmBackendLike;
  if (dy.dtype !== 'float32' || filter.dtype !== 'float32') {
    throw new Error(`Conv2DBackpropInput (fast wasm kernel): only float32 is supported.`);
  }
  const g = convGeom('Conv2DBackpropInput', a.inputShape, filter.shape, a.strides, a.pad, a.dataFormat, a.dimRoundingMode);
  if (g.sh === 1 && g.sw === 1) {
    const pt = g.kh - 1 - g.padTop;
    const pl = g.kw - 1 - g.padLeft;
    const pb = g.h - g.ho + g.kh - 1 - pt;
    const pr = g.w - g.wo + g.kw - 1 - pl;
    if (pt >= 0 && pl >= 0 && pb >= 0 && pr >= 0) {
      const wf = flipFilter(be, filter, g);
      try {
        return callWasm(
          'Conv2D',
          be,
          { x: dy, filter: wf },
          {
            strides: [1, 1],
            pad: [
              [0, 0],
              [pt, pb],
              [pl, pr],
              [0, 0],
            ],
            dataFormat: 'NHWC',
            dilations: [1, 1],
            dimRoundingMode: undefined,
          },
        );
      } finally {
        be.disposeData(wf.dataId);
      }
    }
  }
  const M = g.n * g.ho * g.wo;
  const wt = transposeFilter(be, filter, g);
  const dy3: TensorInfo = { dataId: dy.dataId, shape: [1, M, g.co], dtype: 'float32' };
  const dcol = xnnMatMul(be, dy3, wt);
  be.disposeData(wt.dataId);
  const out = be.makeOutput([g.n, g.h, g.w, g.ci], 'float32');
  col2im(be.wasm.HEAPF32, heapIndex(be, dcol), heapIndex(be, out), g);
  be.disposeData(dcol.dataId);
  return out;
};
