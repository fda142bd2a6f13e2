/**
 * The page's side of the background measurement: one worker (./probe.worker.ts) per measurement, terminated as soon
 * as its result is in, when it is cancelled, or at its deadline — whatever it was still timing stops with it, so a
 * slow software GPU never keeps competing with the training for the CPU. At the deadline the result is what was
 * timed by then: the candidate still running counts as slower than its time so far, the ones not reached as failed.
 */
import type { BackendName } from '../core/backend';
import type { BackendTiming, ProbeResult } from '../core/backend-probe';
import { probeResult } from '../core/backend-words';
import type { ProbeReply, ProbeRequest } from './probe-protocol';
import { wasmThreadsAsked } from './wasm-threads-ask';

export interface Measurement {
  /** The result; rejects when the measurement failed, was cancelled or ran past its deadline. */
  result: Promise<ProbeResult>;
  cancel(): void;
}

/** Starts a measurement; `onMeasuring` hears each candidate as its timing starts. */
export type Measurer = (req: ProbeRequest, onMeasuring: (backend: BackendName) => void) => Measurement;

/** Hard limit on a measurement's worker, its start (loading tfjs) included, whatever the measurement's own budget. */
export const MEASURE_DEADLINE_MS = 10_000;

/** The browser's measurer (null where there are no workers: Node). */
export function workerMeasurer(deadlineMs = MEASURE_DEADLINE_MS): Measurer | null {
  if (typeof Worker === 'undefined') return null;
  return (req, onMeasuring) => {
    const worker = new Worker(new URL('./probe.worker.ts', import.meta.url), { type: 'module', name: 'probe' });
    let cancel = () => undefined as void;
    const timed: BackendTiming[] = [];
    let current: { name: BackendName; software: string | null; since: number } | null = null;
    const result = new Promise<ProbeResult>((resolve, reject) => {
      const end = (e?: Error, r?: ProbeResult) => {
        clearTimeout(timer);
        worker.terminate();
        if (r) resolve(r);
        else reject(e ?? new Error('the measurement ended'));
      };
      const timer = setTimeout(() => {
        const running = current && { name: current.name, software: current.software, ms: performance.now() - current.since };
        const r = cutShort(req.candidates, timed, running, deadlineMs);
        if (r) end(undefined, r);
        else end(new Error(`stopped after ${deadlineMs / 1000} s`));
      }, deadlineMs);
      cancel = () => end(new Error('cancelled'));
      worker.addEventListener('message', (ev: MessageEvent<ProbeReply>) => {
        const m = ev.data;
        if (m.type === 'measuring') {
          current = { name: m.backend, software: m.software, since: performance.now() };
          onMeasuring(m.backend);
        } else if (m.type === 'timed') {
          timed.push(m.timing);
          current = null;
        } else if (m.type === 'done') end(undefined, m.result);
        else end(new Error(m.message));
      });
      worker.addEventListener('error', (ev) => end(new Error(ev.message || 'the measurement worker failed')));
      worker.postMessage({ ...req, wasmThreads: req.wasmThreads ?? wasmThreadsAsked() } satisfies ProbeRequest);
    });
    return { result, cancel: () => cancel() };
  };
}

/**
 * The result of a measurement stopped at its deadline: what was timed, the candidate in progress as slower than
 * `running.ms`, the others as not measured. null when nothing finished (no baseline to compare with).
 */
export function cutShort(
  candidates: readonly BackendName[],
  timed: readonly BackendTiming[],
  running: { name: BackendName; software: string | null; ms: number } | null,
  deadlineMs: number,
): ProbeResult | null {
  if (!timed.some((t) => t.ms !== null)) return null;
  const timings: BackendTiming[] = [...timed];
  if (running) timings.push({ name: running.name, ms: null, over: running.ms, software: running.software });
  for (const name of candidates) {
    if (name === 'cpu' || timings.some((t) => t.name === name)) continue;
    timings.push({ name, ms: null, software: null, error: `not measured within ${deadlineMs / 1000} s` });
  }
  return probeResult(timings);
}
