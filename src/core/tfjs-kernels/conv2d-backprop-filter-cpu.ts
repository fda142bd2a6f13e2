/** Conv2DBackpropFilter for the cpu backend (tfjs-cpu's goes through TensorBuffer.get per element: ~25× slower). */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { convGeom } from './conv-util';
import { conv2dBackpropFilterJS } from './conv-js';
import { f32, type CpuBackendLike, type Pad } from './cpu-common';

interface FilterAttrs {
  strides: number | [number, number];
  pad: Pad;
  dataFormat?: string;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

export const conv2dBackpropFilterCpu: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const a = attrs as unknown as FilterAttrs;
  const b = backend as unknown as CpuBackendLike;
  const g = convGeom('Conv2DBackpropFilter', x.shape, a.filterShape, a.strides, a.pad, a.dataFormat, a.dimRoundingMode);
  const out = new Float32Array(g.kh * g.kw * g.ci * g.co);
  conv2dBackpropFilterJS(f32(b, x, 'Conv2DBackpropFilter'), f32(b, dy, 'Conv2DBackpropFilter'), g, out);
  return b.makeTensorInfo([g.kh, g.kw, g.ci, g.co], 'float32', out);
};
