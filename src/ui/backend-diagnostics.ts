/**
 * "Copy diagnostics": what a bug report about the backend needs, as one JSON object — the WebGPU adapter (info,
 * limits, features), the backend the worker runs and why, the fused engine's self-check when there is one, cross-origin
 * isolation and the wasm threads, the browser and the build. Nothing personal (no settings, data, paths or storage)
 * and nothing is sent anywhere: the user copies it.
 */
import type { InitResult } from '../worker/protocol';

export const DIAGNOSTICS_FORMAT = 'ltpg-diagnostics-v1';

/** Features the fused engine asks for when the adapter has them. */
export const KEY_FEATURES = ['subgroups', 'shader-f16', 'timestamp-query'] as const;

export interface GpuDiagnostics {
  /** adapter.info as the browser reports it ('' where it keeps a field back). */
  info: { vendor: string; architecture: string; device: string; description: string };
  isFallbackAdapter: boolean | null;
  /** Every numeric limit of the adapter, by name. */
  limits: Record<string, number>;
  /** All the adapter's features, sorted. */
  features: string[];
  /** Whether the adapter has each of KEY_FEATURES. */
  keyFeatures: Record<(typeof KEY_FEATURES)[number], boolean>;
}

export interface Diagnostics {
  format: typeof DIAGNOSTICS_FORMAT;
  build: { version: string };
  browser: { userAgent: string; hardwareConcurrency: number | null };
  /** null: no navigator.gpu, or no adapter (with why). */
  webgpu: GpuDiagnostics | null;
  webgpuUnavailable: string | null;
  backend: {
    /** The setting: auto, webgpu, webgl, wasm, cpu. */
    choice: string;
    /** What the worker runs (null: not started yet). */
    running: string | null;
    engine: string | null;
    reason: string | null;
    tried: { name: string; error: string }[];
    measured: { why: string; timings: unknown } | null;
  };
  /** The fused engine's check on this adapter (null: none ran in this build). */
  selfCheck: unknown;
  crossOriginIsolated: boolean;
  wasm: { threads: number; why: string } | null;
}

export interface DiagnosticsInput {
  version: string;
  userAgent: string;
  hardwareConcurrency?: number;
  gpu: GpuDiagnostics | null;
  gpuUnavailable?: string | null;
  choice: string;
  backend: InitResult | null;
  engine: string | null;
  selfCheck?: unknown;
  crossOriginIsolated: boolean;
}

export function buildDiagnostics(x: DiagnosticsInput): Diagnostics {
  const b = x.backend;
  return {
    format: DIAGNOSTICS_FORMAT,
    build: { version: x.version },
    browser: { userAgent: x.userAgent, hardwareConcurrency: x.hardwareConcurrency ?? null },
    webgpu: x.gpu,
    webgpuUnavailable: x.gpu ? null : (x.gpuUnavailable ?? 'no WebGPU adapter'),
    backend: {
      choice: x.choice,
      running: b?.backend ?? null,
      engine: x.engine,
      reason: b ? (b.measured?.why ?? b.reason) : null,
      tried: b?.tried.map((t) => ({ name: t.name, error: t.error })) ?? [],
      measured: b?.measured ? { why: b.measured.why, timings: b.measured.timings } : null,
    },
    selfCheck: x.selfCheck ?? null,
    crossOriginIsolated: x.crossOriginIsolated,
    wasm: b?.wasm ? { threads: b.wasm.threads, why: b.wasm.why } : null,
  };
}

/** The adapter's info, limits and features (a structural type: tests pass a plain object). */
export interface AdapterLike {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string };
  isFallbackAdapter?: boolean;
  limits: object;
  features: Iterable<string>;
}

export function gpuDiagnostics(a: AdapterLike): GpuDiagnostics {
  const limits: Record<string, number> = {};
  // the limits are getters on the prototype (WebIDL attributes): walk the chain
  const l = a.limits as Record<string, unknown>;
  for (let o: object | null = l; o && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const k of Object.getOwnPropertyNames(o)) {
      const v = k === 'constructor' ? undefined : l[k];
      if (typeof v === 'number' && !(k in limits)) limits[k] = v;
    }
  }
  const features = [...a.features].sort();
  const has = new Set(features);
  return {
    info: {
      vendor: a.info?.vendor ?? '',
      architecture: a.info?.architecture ?? '',
      device: a.info?.device ?? '',
      description: a.info?.description ?? '',
    },
    isFallbackAdapter: typeof a.isFallbackAdapter === 'boolean' ? a.isFallbackAdapter : null,
    limits,
    features,
    keyFeatures: { subgroups: has.has('subgroups'), 'shader-f16': has.has('shader-f16'), 'timestamp-query': has.has('timestamp-query') },
  };
}

/** Asks the page's navigator.gpu for an adapter (the same default request as the backends make). */
export async function readGpu(
  gpu: { requestAdapter(): Promise<unknown> } | undefined,
): Promise<{ gpu: GpuDiagnostics | null; why: string | null }> {
  if (!gpu) return { gpu: null, why: 'navigator.gpu missing' };
  try {
    const a = (await gpu.requestAdapter()) as AdapterLike | null;
    return a ? { gpu: gpuDiagnostics(a), why: null } : { gpu: null, why: 'requestAdapter() returned no adapter' };
  } catch (e) {
    return { gpu: null, why: `requestAdapter() failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}
