/**
 * cpu-backend fast paths for what batch-norm training is made of. tfjs-cpu's broadcasting binary
 * ops compute a multi-index per element (Multiply alone: 3.8 s of a 10 s ResNet-8 step) and its
 * Sum/Mean transpose the input first. Handled here:
 *  - Add / Sub / Multiply / RealDiv on float32 where one operand's shape (leading 1s dropped) is a
 *    suffix of the other's (same shape, [N,H,W,C] ∘ [C] or [1,1,1,C], scalars);
 *  - Sum / Mean over leading axes (NHWC statistics, bias gradients).
 * Everything else goes to the original tfjs kernel.
 */
import { backend_util, getKernel, util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import type { CpuBackendLike } from './cpu-common';
import { sumRows } from './reduce-wasm';

type BinName = 'Add' | 'Sub' | 'Multiply' | 'RealDiv';
const BIN_NAMES: BinName[] = ['Add', 'Sub', 'Multiply', 'RealDiv'];
const originals = new Map<string, KernelFunc>();

function f32Values(be: CpuBackendLike, t: TensorInfo): Float32Array | null {
  if (t.dtype !== 'float32') return null;
  const v = be.data.get(t.dataId).values;
  return v instanceof Float32Array ? v : null;
}

/** Size of `small` if (leading 1s dropped) it equals a suffix of `big`, else -1. */
function suffixSize(big: number[], small: number[]): number {
  let s = 0;
  while (s < small.length && small[s] === 1) s++;
  const core = small.slice(s);
  if (core.length > big.length) return -1;
  const off = big.length - core.length;
  for (let i = 0; i < core.length; i++) if (core[i] !== big[off + i]) return -1;
  return core.reduce((p, q) => p * q, 1);
}

function binLoop(op: BinName, a: Float32Array, b: Float32Array, out: Float32Array, aSmall: boolean, m: number): void {
  const n = out.length;
  const rows = n / m;
  // big operand indexed by i, small one by i mod m (rows × m layout).
  const big = aSmall ? b : a;
  const small = aSmall ? a : b;
  for (let r = 0, i = 0; r < rows; r++) {
    switch (op) {
      case 'Add':
        for (let c = 0; c < m; c++, i++) out[i] = big[i] + small[c];
        break;
      case 'Multiply':
        for (let c = 0; c < m; c++, i++) out[i] = big[i] * small[c];
        break;
      case 'Sub':
        if (aSmall) for (let c = 0; c < m; c++, i++) out[i] = small[c] - big[i];
        else for (let c = 0; c < m; c++, i++) out[i] = big[i] - small[c];
        break;
      case 'RealDiv':
        if (aSmall) for (let c = 0; c < m; c++, i++) out[i] = small[c] / big[i];
        else for (let c = 0; c < m; c++, i++) out[i] = big[i] / small[c];
        break;
    }
  }
}

function binary(op: BinName): KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const be = args.backend as unknown as CpuBackendLike;
    const av = f32Values(be, a);
    const bv = f32Values(be, b);
    if (av && bv) {
      const outShape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const n = util.sizeFromShape(outShape);
      let aSmall = false;
      let m = -1;
      if (util.sizeFromShape(a.shape) === n) m = suffixSize(a.shape, b.shape);
      if (m < 0 && util.sizeFromShape(b.shape) === n) {
        m = suffixSize(b.shape, a.shape);
        aSmall = true;
      }
      if (m > 0 && n > 0) {
        const out = new Float32Array(n);
        binLoop(op, av, bv, out, aSmall, m);
        return be.makeTensorInfo(outShape, 'float32', out);
      }
    }
    const orig = originals.get(op);
    if (!orig) throw new Error(`${op} (fast cpu kernel): case not handled and no original kernel.`);
    return orig(args);
  };
}

function reduceLeading(name: 'Sum' | 'Mean'): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    const be = args.backend as unknown as CpuBackendLike;
    const xv = f32Values(be, x);
    const rank = x.shape.length;
    if (xv && rank > 0) {
      const axes = util
        .parseAxisParam(axis ?? Array.from({ length: rank }, (_, i) => i), x.shape)
        .slice()
        .sort((p, q) => p - q);
      const k = axes.every((v, i) => v === i) ? axes.length : -1;
      if (k > 0) {
        const R = util.sizeFromShape(x.shape.slice(0, k));
        const C = util.sizeFromShape(x.shape.slice(k));
        const out = new Float32Array(C);
        sumRows(xv, 0, R, C, out, 0, name === 'Mean' ? 1 / R : 1);
        const shape = keepDims ? x.shape.map((d, i) => (i < k ? 1 : d)) : x.shape.slice(k);
        return be.makeTensorInfo(shape, 'float32', out);
      }
    }
    const orig = originals.get(name);
    if (!orig) throw new Error(`${name} (fast cpu kernel): case not handled and no original kernel.`);
    return orig(args);
  };
}

export const elementwiseCpuConfigs: KernelConfig[] = [
  ...BIN_NAMES.map((n) => ({ kernelName: n, backendName: 'cpu', kernelFunc: binary(n) })),
  { kernelName: 'Sum', backendName: 'cpu', kernelFunc: reduceLeading('Sum') },
  { kernelName: 'Mean', backendName: 'cpu', kernelFunc: reduceLeading('Mean') },
];

export function captureOriginalCpuElementwise(): void {
  for (const cfg of elementwiseCpuConfigs) {
    const k = getKernel(cfg.kernelName, 'cpu');
    if (k && !elementwiseCpuConfigs.some((c) => c.kernelFunc === k.kernelFunc)) originals.set(cfg.kernelName, k.kernelFunc);
  }
}
