/**
 * Resuming: checkpoints as JSON with typed arrays, the hashes that say two runs start alike, and the run
 * fingerprint that refuses to resume a run trained with other settings.
 */
import { type TrainConfig } from '../../core/train/config';
import { Trainer, type EpochMetrics, type TrainerCheckpoint } from '../../core/train/trainer';
import { RunId, RunDef } from './runs';
import { SlimEpoch, ReproducedRun } from './summary';

/** JSON with Float32Arrays as base64 (checkpoints). */
export function stringifyWithArrays(v: unknown): string {
  return JSON.stringify(v, (_k, val) => {
    if (val instanceof Float32Array) return { __f32: Buffer.from(val.buffer, val.byteOffset, val.byteLength).toString('base64') };
    return val;
  });
}

export function parseWithArrays<T>(s: string): T {
  return JSON.parse(s, (_k, val) => {
    if (val && typeof val === 'object' && typeof val.__f32 === 'string') {
      const b = Buffer.from(val.__f32, 'base64');
      const out = new Float32Array(b.length / 4);
      new Uint8Array(out.buffer).set(b);
      return out;
    }
    return val;
  }) as T;
}

export interface CheckpointFile {
  run: RunId;
  fingerprint: string;
  checkpoint: TrainerCheckpoint;
  epochs: SlimEpoch[];
  initHash: string;
  seconds: number;
  sessions: number;
  stage2Origin?: ReproducedRun['stage2Origin'];
}

function fnv1a(bytes: Uint8Array, h = 0x811c9dc5): number {
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
  return h >>> 0;
}

export function hashArrays(arrs: ArrayBufferView[]): string {
  let h = 0x811c9dc5;
  for (const a of arrs) h = fnv1a(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), h);
  return h.toString(16).padStart(8, '0');
}

export function backboneHash(t: Trainer): string {
  const names = t.spec.params
    .filter((p) => !p.classifier)
    .map((p) => p.name)
    .sort();
  return hashArrays(names.map((n) => t.model.vars.get(n)!.dataSync() as Float32Array));
}

export function slim(m: EpochMetrics): SlimEpoch {
  const { gclNoiseLastBatch: _drop, ...rest } = m;
  return rest;
}

export function fingerprint(run: RunDef, cfg: TrainConfig, datasetName: string, backend: string): string {
  return JSON.stringify({ run: run.id, cfg, datasetName, backend });
}

export function describeDiff(a: string, b: string): string {
  try {
    const A = JSON.parse(a) as Record<string, unknown>;
    const B = JSON.parse(b) as Record<string, unknown>;
    const diffs: string[] = [];
    const walk = (x: unknown, y: unknown, p: string) => {
      if (x && y && typeof x === 'object' && typeof y === 'object') {
        for (const k of new Set([...Object.keys(x), ...Object.keys(y)]))
          walk((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], p ? `${p}.${k}` : k);
      } else if (JSON.stringify(x) !== JSON.stringify(y)) diffs.push(`${p}: ${JSON.stringify(x)} vs ${JSON.stringify(y)}`);
    };
    walk(A, B, '');
    return diffs.slice(0, 4).join('; ') || 'unknown difference';
  } catch {
    return 'no fingerprint';
  }
}
