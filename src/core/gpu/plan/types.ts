/** The plan's data: regions, dispatches, the plan itself, and the layer records the phases pass along. */
import type { ConvGeom } from '../../tfjs-kernels/conv-util';
import type { ParamSpec } from '../../models/types';
import type { KernelDef } from '../kernels';

/** A byte range of one of the plan's buffers. */
export interface Region {
  buffer: number;
  offset: number;
  size: number;
}

export interface Dispatch {
  label: string;
  src: KernelDef;
  /** Binding 0: the dispatch's meta slot (its integers, in `src.meta` order; word 0, n, is written before each step) or the step block. */
  meta: number[] | 'step';
  /** Regions in binding order, from the named ones (`src.bindings`); after planning, `binds[0]` is binding 0 itself. */
  binds: Region[];
  groups: [number, number, number];
  /** The pipeline's override constants (shape-specialised kernels only). */
  constants?: Readonly<Record<string, number>>;
}

export interface DeviceLimitsLike {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  minStorageBufferOffsetAlignment: number;
  maxComputeWorkgroupsPerDimension: number;
  maxStorageBuffersPerShaderStage: number;
}

export interface ParamSlot {
  spec: ParamSpec;
  /** Float offset of the value: in P for trainable params, in R for running statistics. */
  offset: number;
  size: number;
}

export interface Plan {
  maxBatch: number;
  inputShape: [number, number, number];
  numClasses: number;
  featureDim: number;
  /** Bytes of each buffer (0: state). */
  bufferSizes: number[];
  /** Floats: trainable length T (P, G and V each), start of the classifier slot, BN running-stat base (3T). */
  trainableLength: number;
  classifierStart: number;
  params: Map<string, ParamSlot>;
  /** Parameter names in spec order. */
  order: string[];
  x: Region;
  /** The control region written before each step: the step block at its start, then the meta slots. */
  control: Region;
  /** Initial contents of the control region (the meta slots' integers as i32 bits). */
  controlInit: Float32Array;
  /** Word offsets in the control region that hold n (the step block's word 0 and every meta slot's). */
  nWords: number[];
  step: Region;
  result: Region;
  tail: Region;
  features: Region;
  /** Every region the arenas handed out (buffers 1…), with what it is for. */
  allocations: { what: string; region: Region }[];
  /** Convolution layers, and how many of them run the tiled kernels. */
  convLayers: { layers: number; tiled: number };
  train: Dispatch[];
  frozen: Dispatch[];
  eval: Dispatch[];
}

/** An activation tensor [maxBatch, h, w, c] and its region. */
export interface Act {
  region: Region;
  h: number;
  w: number;
  c: number;
}

/** A convolution: its geometry (square kernel, stride and padding; n = maxBatch). */
export interface ConvRec {
  name: string;
  geom: ConvGeom;
  input: Act;
  out: Act;
  /** The network input (no input gradient needed). */
  first: boolean;
}

export interface BnRec {
  name: string;
  index: number;
  x: Act;
  y: Act;
  relu: boolean;
  res: { kind: 'none' } | { kind: 'identity' | 'optionA'; src: Act };
}

/** One step of the forward pass as the plan sees it (a residual block is one record). */
export type Rec =
  | { kind: 'convbn'; conv: ConvRec; bn: BnRec }
  | { kind: 'pool'; input: Act; out: Act; size: number }
  | { kind: 'block'; conv1: ConvRec; bn1: BnRec; conv2: ConvRec; bn2: BnRec; input: Act }
  | { kind: 'gap'; input: Act };

export const nelem = (a: Act, b: number) => b * a.h * a.w * a.c;
