/**
 * Which engine a run trains with: the configured choice ('auto' | 'fused' | 'tfjs') resolved against the WebGPU
 * device at hand — tfjs' own device when its backend is webgpu, or one the caller passes (Dawn in Node).
 */
import * as tf from '@tensorflow/tfjs';
import type { EngineChoice } from './config';
import type { EngineKind } from './step-engine';

export interface EngineResolution {
  kind: EngineKind;
  /** The device of the fused engine (null for tfjs). */
  device: GPUDevice | null;
  /** Why the engine is not the one asked for, or null. */
  note: string | null;
}

/** tfjs' WebGPU device when its active backend is webgpu, else null. */
export function tfjsWebGpuDevice(): GPUDevice | null {
  if (tf.getBackend() !== 'webgpu') return null;
  return (tf.backend() as unknown as { device?: GPUDevice }).device ?? null;
}

/**
 * `choice` (absent = 'auto') on this machine: 'tfjs' always; 'auto' and 'fused' take the fused engine when a
 * device is there (`device`, else tfjs' WebGPU device), and fall back to tfjs otherwise — 'fused' with a note, so a
 * run recovered on another backend after a device loss goes on instead of failing.
 */
export function resolveEngine(choice: EngineChoice | undefined, device?: GPUDevice | null): EngineResolution {
  if (choice === 'tfjs') return { kind: 'tfjs', device: null, note: null };
  const d = device ?? tfjsWebGpuDevice();
  if (d) return { kind: 'fused', device: d, note: null };
  return {
    kind: 'tfjs',
    device: null,
    note: choice === 'fused' ? `the fused engine needs WebGPU; training with tfjs on the ${tf.getBackend()} backend` : null,
  };
}
