/** Conv2DBackpropInput for the cpu backend: register-tiled JS (reduction over co contiguous). */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { convGeom } from './conv-util';
import { conv2dBackpropInputJS } from './conv-js';
import { f32, type CpuBackendLike, type Pad } from './cpu-common';

interface InputAttrs {
  strides: number | [number, number];
  pad: Pad;
  dataFormat?: string;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}

export const conv2dBackpropInputCpu: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const a = attrs as unknown as InputAttrs;
  const b = backend as unknown as CpuBackendLike;
  const g = convGeom('Conv2DBackpropInput', a.inputShape, filter.shape, a.strides, a.pad, a.dataFormat, a.dimRoundingMode);
  const out = new Float32Array(g.n * g.h * g.w * g.ci);
  conv2dBackpropInputJS(f32(b, dy, 'Conv2DBackpropInput'), f32(b, filter, 'Conv2DBackpropInput'), g, out);
  return b.makeTensorInfo([g.n, g.h, g.w, g.ci], 'float32', out);
};
