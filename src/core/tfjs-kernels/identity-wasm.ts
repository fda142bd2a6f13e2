/**
 * Identity / same-dtype Cast for the wasm backend share the input's storage (reference count +1,
 * like the cpu backend and the wasm Reshape do) instead of copying the whole tensor on the heap.
 * tfjs' gradient code calls these a lot (~170 copies per ResNet-8 step).
 */
import { getKernel, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';

interface RefCountingBackend {
  incRef(dataId: object): void;
}

let origCast: KernelFunc | null = null;

export function captureOriginalCast(): void {
  const k = getKernel('Cast', 'wasm');
  if (k && k.kernelFunc !== castWasm) origCast = k.kernelFunc;
}

export const identityWasm: KernelFunc = ({ inputs, backend }) => {
  const x = inputs.x as TensorInfo;
  (backend as unknown as RefCountingBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

export const castWasm: KernelFunc = (args) => {
  const x = args.inputs.x as TensorInfo;
  const dtype = (args.attrs as { dtype: string }).dtype;
  if (dtype === x.dtype && dtype !== 'string') return identityWasm(args);
  if (!origCast) throw new Error('Cast (fast wasm kernel): no original kernel to delegate to.');
  return origCast(args);
};
