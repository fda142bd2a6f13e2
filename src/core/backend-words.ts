/**
 * The words for a backend choice "Auto" measured (core/backend-probe.ts), and the timings and result they are made
 * from: pure, without tfjs, so the page's badge can use them without loading the engine.
 */
import type { BackendName } from './backend';

export interface BackendTiming {
  name: BackendName;
  /** ms per training step (after a warm-up step), or null when not measured. */
  ms: number | null;
  /** The step did not finish within this many ms (ms is then null). */
  over?: number;
  /** "SwiftShader" etc. when the adapter / renderer is software. */
  software: string | null;
  error?: string;
}

export interface ProbeResult {
  /** Backends in the order to initialise (fastest first). */
  order: BackendName[];
  timings: BackendTiming[];
  /** One line for the badge: "wasm — WebGPU here is a software renderer (SwiftShader), 40× slower". */
  why: string;
}

export const LABEL: Record<BackendName, string> = { webgpu: 'WebGPU', webgl: 'WebGL', wasm: 'wasm', cpu: 'cpu' };

/** Measured backends fastest first, then the unmeasured ones in their given order. */
export function rankTimings(timings: readonly BackendTiming[]): BackendName[] {
  const measured = timings.filter((t) => t.ms !== null).sort((a, b) => a.ms! - b.ms!);
  const rest = timings.filter((t) => t.ms === null && !t.error);
  const failed = timings.filter((t) => t.ms === null && t.error);
  return [...measured, ...rest, ...failed].map((t) => t.name);
}

const times = (r: number) => (r >= 10 ? Math.round(r) : Math.round(r * 10) / 10);

/** The badge's sentence: what was chosen and why the others lost. */
export function explainChoice(timings: readonly BackendTiming[], chosen: BackendName): string {
  const best = timings.find((t) => t.name === chosen);
  const parts: string[] = [];
  for (const t of timings) {
    if (t.name === chosen) continue;
    const soft = t.software === 'a software renderer' ? t.software : `a software renderer (${t.software})`;
    const what = t.software ? `${LABEL[t.name]} here is ${soft}` : LABEL[t.name];
    if (t.error) parts.push(`${LABEL[t.name]} failed (${t.error})`);
    else if (best?.ms && t.ms) parts.push(`${what}: ${times(t.ms / best.ms)}× slower`);
    else if (best?.ms && t.over) parts.push(`${what}: over ${times(t.over / best.ms)}× slower`);
    else if (t.software) parts.push(what);
  }
  const head = best?.ms ? `${LABEL[chosen]} (${Math.round(best.ms)} ms/step, fastest measured)` : LABEL[chosen];
  return parts.length ? `${head} — ${parts.join('; ')}` : head;
}

/** The badge's visible words for a measured choice (a few words: one line on a phone): the runner-up and by how much. */
export function shortChoice(timings: readonly BackendTiming[], chosen: BackendName): string {
  const best = timings.find((t) => t.name === chosen)?.ms;
  const others = timings.filter((t) => t.name !== chosen && (t.ms || t.over));
  if (!best || !others.length) return 'fastest measured';
  const ratio = (t: BackendTiming) => (t.ms ?? t.over!) / best;
  const next = others.reduce((a, b) => (ratio(b) < ratio(a) ? b : a));
  return `${LABEL[next.name]} ${next.ms ? '' : '≥'}${times(ratio(next))}× slower`;
}

/** The order to initialise (fastest first, failures dropped, cpu last) and the sentence, from the timings. */
export function probeResult(timings: BackendTiming[]): ProbeResult {
  const ranked = rankTimings(timings);
  const order = [...ranked.filter((n) => n !== 'cpu' && !timings.find((t) => t.name === n)?.error), 'cpu' as const];
  return { order, timings, why: explainChoice(timings, order[0]) };
}
