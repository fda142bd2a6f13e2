/**
 * Conv2DBackpropFilter for the wasm backend (tfjs-backend-wasm 4.22 has none).
 *
 * Main path ("shifted-grid" GEMMs, no im2col): with stride s, split x into s_h·s_w phase grids and
 * store each channel-major with padding, xP[ab][ci, q], q = (n, hg, wg) on a grid of
 * (ho + ⌈kh/s_h⌉ − 1) × (wo + ⌈kw/s_w⌉ − 1); lay dy on the same grid (zeros outside ho × wo),
 * dyP[q, co]. Then for each tap (kh, kw) with phase (kh mod s_h, kw mod s_w) and shift
 * off = ⌊kh/s_h⌋·Wg + ⌊kw/s_w⌋:  dW[kh, kw] = xP[ab][:, off : off + Q] · dyP — one XNNPACK
 * fully-connected call of the backend's own BatchMatMul per tap, where the A operand is a view into
 * xP (rows read a little past their end, into finite data that meets dy zeros) and dyP is packed
 * once for all taps (XNNPACK caches the operator on the weights tensor).
 *
 * Fallback (tiny/odd shapes are fine either way): dW = colᵀ · dy with a JS transposed im2col in
 * chunks of output rows.
 */
import type { KernelFunc, TensorInfo, backend_util } from '@tensorflow/tfjs';
import { convGeom, type ConvGeom } from './conv-util';
import { heapIndex, xnnMatMul, type WasmBackendLike } from './wasm-util';

interface FilterAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat?: string;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/** Target size (floats) of one colᵀ chunk: ~1 MiB keeps it in L2 while XNNPACK streams it. */
const CHUNK_FLOATS = 1 << 18;

/** Write colᵀ[r, j] for rows (n, ho) ∈ [row0, row0 + rows) into heap[dst ...], r = (kh·KW + kw)·CI + ci. */
function im2colT(heap: Float32Array, xOff: number, dst: number, g: ConvGeom, row0: number, rows: number): void {
  const { h: H, w: W, ci: CI, ho: HO, wo: WO, kh: KH, kw: KW, sh, sw, padTop, padLeft } = g;
  const mc = rows * WO;
  for (let rr = 0; rr < rows; rr++) {
    const nr = row0 + rr;
    const n = (nr / HO) | 0;
    const ho = nr - n * HO;
    const colBase = dst + rr * WO;
    for (let kh = 0; kh < KH; kh++) {
      const hi = ho * sh + kh - padTop;
      const rowValid = hi >= 0 && hi < H;
      const xRow = xOff + (n * H + hi) * W * CI;
      for (let kw = 0; kw < KW; kw++) {
        const rBase = (kh * KW + kw) * CI;
        for (let c = 0; c < CI; c++) {
          const o = colBase + (rBase + c) * mc;
          if (!rowValid) {
            heap.fill(0, o, o + WO);
            continue;
          }
          let wi = kw - padLeft;
          let xi = xRow + wi * CI + c;
          const xs = sw * CI;
          for (let wo = 0; wo < WO; wo++) {
            heap[o + wo] = wi >= 0 && wi < W ? heap[xi] : 0;
            wi += sw;
            xi += xs;
          }
        }
      }
    }
  }
}

/** Register a tensor that aliases existing heap memory (no allocation); release with `releaseView`. */
function makeView(be: WasmBackendLike, shape: number[], floatIndex: number): TensorInfo {
  return be.makeOutput(shape, 'float32', floatIndex * 4);
}
function releaseView(be: WasmBackendLike, t: TensorInfo): void {
  const data = be.dataIdMap.get(t.dataId);
  be.wasm.tfjs.disposeData(data.id);
  be.dataIdMap.delete(t.dataId);
}

function shiftedGridFilterGrad(be: WasmBackendLike, x: TensorInfo, dy: TensorInfo, g: ConvGeom): TensorInfo {
  const { n: N, h: H, w: W, ci: CI, ho: HO, wo: WO, co: CO, kh: KH, kw: KW, sh, sw, padTop, padLeft } = g;
  const pa = Math.min(sh, KH);
  const pb = Math.min(sw, KW);
  const Hg = HO + Math.ceil(KH / sh) - 1;
  const Wg = WO + Math.ceil(KW / sw) - 1;
  const Q = N * Hg * Wg;
  const tail = Math.ceil(KH / sh) * Wg + Math.ceil(KW / sw) + 4;
  const phaseLen = CI * Q + tail;
  const xP = be.makeOutput([pa * pb * phaseLen], 'float32');
  const dyP = be.makeOutput([1, Q, CO], 'float32');
  const out = be.makeOutput([KH, KW, CI, CO], 'float32');
  let heap = be.wasm.HEAPF32;
  const xi = heapIndex(be, x);
  const xp = heapIndex(be, xP);
  // Phase grids, channel-major: xP[ab][ci·Q + (n·Hg + hg)·Wg + wg] = x[n, hg·sh + a − pt, wg·sw + b − pl, ci].
  heap.fill(0, xp, xp + pa * pb * phaseLen);
  for (let a = 0; a < pa; a++) {
    for (let b = 0; b < pb; b++) {
      const base = xp + (a * pb + b) * phaseLen;
      for (let n = 0; n < N; n++) {
        for (let hg = 0; hg < Hg; hg++) {
          const hi = hg * sh + a - padTop;
          if (hi < 0 || hi >= H) continue;
          const qRow = (n * Hg + hg) * Wg;
          const xRow = xi + (n * H + hi) * W * CI;
          for (let wg = 0; wg < Wg; wg++) {
            const wi = wg * sw + b - padLeft;
            if (wi < 0 || wi >= W) continue;
            const src = xRow + wi * CI;
            let dst = base + qRow + wg;
            for (let c = 0; c < CI; c++, dst += Q) heap[dst] = heap[src + c];
          }
        }
      }
    }
  }
  // dy on the grid.
  const dyi = heapIndex(be, dy);
  const dp = heapIndex(be, dyP);
  heap.fill(0, dp, dp + Q * CO);
  const rowLen = WO * CO;
  for (let n = 0; n < N; n++) {
    for (let ho = 0; ho < HO; ho++) {
      const s0 = dyi + (n * HO + ho) * rowLen;
      heap.copyWithin(dp + (n * Hg + ho) * Wg * CO, s0, s0 + rowLen);
    }
  }
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      const a = kh % sh;
      const b = kw % sw;
      const off = Math.floor(kh / sh) * Wg + Math.floor(kw / sw);
      const view = makeView(be, [1, CI, Q], xp + (a * pb + b) * phaseLen + off);
      const part = xnnMatMul(be, view, dyP);
      releaseView(be, view);
      heap = be.wasm.HEAPF32;
      const src = heapIndex(be, part);
      heap.copyWithin(heapIndex(be, out) + (kh * KW + kw) * CI * CO, src, src + CI * CO);
      be.disposeData(part.dataId);
    }
  }
  be.disposeData(dyP.dataId);
  be.disposeData(xP.dataId);
  return out;
}

export const conv2dBackpropFilterWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const a = attrs as unknown as FilterAttrs;
  const be = backend as unknown as WasmBackendLike;
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') {
    throw new Error(`Conv2DBackpropFilter (fast wasm kernel): only float32 is supported, got ${x.dtype}/${dy.dtype}.`);
  }
  const g = convGeom('Conv2DBackpropFilter', x.shape, a.filterShape, a.strides, a.pad, a.dataFormat, a.dimRoundingMode);
  if (g.padTop >= 0 && g.padLeft >= 0) return shiftedGridFilterGrad(be, x, dy, g);
  const K = g.kh * g.kw * g.ci;
  const CO = g.co;
  const totalRows = g.n * g.ho;
  const rowsPerChunk = Math.max(1, Math.min(totalRows, Math.floor(CHUNK_FLOATS / (K * g.wo))));
  const acc = new Float64Array(K * CO);
  for (let row0 = 0; row0 < totalRows; row0 += rowsPerChunk) {
    const rows = Math.min(rowsPerChunk, totalRows - row0);
    const mc = rows * g.wo;
    const colT = be.makeOutput([1, K, mc], 'float32');
    const dyc = be.makeOutput([1, mc, CO], 'float32');
    let heap = be.wasm.HEAPF32;
    im2colT(heap, heapIndex(be, x), heapIndex(be, colT), g, row0, rows);
    const dyStart = heapIndex(be, dy) + row0 * g.wo * CO;
    heap.copyWithin(heapIndex(be, dyc), dyStart, dyStart + mc * CO);
    const part = xnnMatMul(be, colT, dyc);
    heap = be.wasm.HEAPF32;
    const p = heapIndex(be, part);
    for (let i = 0; i < K * CO; i++) acc[i] += heap[p + i];
    be.disposeData(part.dataId);
    be.disposeData(dyc.dataId);
    be.disposeData(colT.dataId);
  }
  const out = be.makeOutput([g.kh, g.kw, g.ci, g.co], 'float32');
  const heap = be.wasm.HEAPF32;
  const o = heapIndex(be, out);
  for (let i = 0; i < K * CO; i++) heap[o + i] = acc[i];
  return out;
};
