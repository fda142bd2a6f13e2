/** Conv2D for the cpu backend: register-tiled JS (4 output columns × 4 output channels). */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { convGeom } from './conv-util';
import { conv2dForwardJS } from './conv-js';
import { f32, type CpuBackendLike, type Pad } from './cpu-common';

interface Conv2DAttrs {
  strides: number | [number, number];
  pad: Pad;
  dataFormat?: string;
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

export const conv2dCpu: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, filter } = inputs as { x: TensorInfo; filter: TensorInfo };
  const a = attrs as unknown as Conv2DAttrs;
  const b = backend as unknown as CpuBackendLike;
  const g = convGeom('Conv2D', x.shape, filter.shape, a.strides, a.pad, a.dataFormat, a.dimRoundingMode, a.dilations);
  const out = new Float32Array(g.n * g.ho * g.wo * g.co);
  conv2dForwardJS(f32(b, x, 'Conv2D'), f32(b, filter, 'Conv2D'), g, out);
  return b.makeTensorInfo([g.n, g.ho, g.wo, g.co], 'float32', out);
};
