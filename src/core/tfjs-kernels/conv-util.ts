/**
 * Shared helpers for the replacement convolution kernels: attribute parsing/validation and the
 * geometry (NHWC, dilation 1) that every backend implementation works from.
 */
import { backend_util } from '@tensorflow/tfjs';

/** Geometry of a 2-D NHWC convolution y = conv(x, W) with W [kh, kw, ci, co]. */
export interface ConvGeom {
  n: number;
  h: number;
  w: number;
  ci: number;
  ho: number;
  wo: number;
  co: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  /** Zero padding before row 0 / column 0 (may differ from bottom/right padding). */
  padTop: number;
  padLeft: number;
}

type PadAttr = 'valid' | 'same' | number | backend_util.ExplicitPadding;

function checkFormat(kernel: string, dataFormat: string | undefined): void {
  if (dataFormat != null && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') {
    throw new Error(`${kernel} (fast kernel): dataFormat '${dataFormat}' is not supported; only NHWC.`);
  }
}

function checkDilations(kernel: string, dilations: number | [number, number] | undefined): void {
  if (dilations == null) return;
  const d = typeof dilations === 'number' ? [dilations, dilations] : dilations;
  if (d[0] !== 1 || d[1] !== 1) {
    throw new Error(`${kernel} (fast kernel): dilations ${JSON.stringify(dilations)} are not supported; only 1.`);
  }
}

/**
 * Geometry from the attributes tfjs passes to Conv2D / Conv2DBackpropFilter / Conv2DBackpropInput.
 * `xShape` is the forward input shape, `filterShape` [kh, kw, ci, co].
 */
export function convGeom(
  kernel: string,
  xShape: number[],
  filterShape: number[],
  strides: number | [number, number],
  pad: PadAttr,
  dataFormat: string | undefined,
  dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined,
  dilations?: number | [number, number],
): ConvGeom {
  checkFormat(kernel, dataFormat);
  checkDilations(kernel, dilations);
  if (xShape.length !== 4 || filterShape.length !== 4) {
    throw new Error(`${kernel} (fast kernel): expected rank-4 x and filter, got ${xShape} and ${filterShape}.`);
  }
  if (xShape[3] !== filterShape[2]) {
    throw new Error(`${kernel} (fast kernel): input channels ${xShape[3]} ≠ filter in-channels ${filterShape[2]}.`);
  }
  const info = backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  return {
    n: info.batchSize,
    h: info.inHeight,
    w: info.inWidth,
    ci: info.inChannels,
    ho: info.outHeight,
    wo: info.outWidth,
    co: info.outChannels,
    kh: info.filterHeight,
    kw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/** Range [lo, hi) of output positions o with 0 ≤ o·s + k − pad < inSize. */
export function validRange(k: number, s: number, pad: number, inSize: number, outSize: number): [number, number] {
  const lo = Math.max(0, Math.ceil((pad - k) / s));
  const hi = Math.min(outSize, Math.floor((inSize - 1 + pad - k) / s) + 1);
  return [lo, Math.max(lo, hi)];
}
