/**
 * The feature space on its way from the worker to the page: its points as float32 (labels as int32)
 * in transferable buffers instead of number arrays — 2,000 points are 32 KB instead of ~64 KB of doubles plus
 * structured-clone overhead. Pure, page-safe (the page unpacks).
 */
import type { FeatureSpace } from '../core/metrics/feature-space';

export interface PackedFeatureSpace extends Omit<FeatureSpace, 'x' | 'y' | 'norms' | 'labels'> {
  x: Float32Array;
  y: Float32Array;
  norms: Float32Array;
  labels: Int32Array;
}

/** The packed form and the buffers to transfer. */
export function packFeatureSpace(fs: FeatureSpace): { packed: PackedFeatureSpace; transfer: ArrayBuffer[] } {
  const packed: PackedFeatureSpace = {
    ...fs,
    x: Float32Array.from(fs.x),
    y: Float32Array.from(fs.y),
    norms: Float32Array.from(fs.norms),
    labels: Int32Array.from(fs.labels),
  };
  return { packed, transfer: [packed.x.buffer, packed.y.buffer, packed.norms.buffer, packed.labels.buffer] as ArrayBuffer[] };
}

export function unpackFeatureSpace(p: PackedFeatureSpace): FeatureSpace {
  return { ...p, x: Array.from(p.x), y: Array.from(p.y), norms: Array.from(p.norms), labels: Array.from(p.labels) };
}
