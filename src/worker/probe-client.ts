/**
 * The page's side of the background measurement: one worker (./probe.worker.ts) per measurement, terminated as soon
 * as its result is in, when it is cancelled, or at its deadline — whatever it was still timing stops with it, so a
 * slow software GPU never keeps competing with the training for the CPU.
 */
import type { BackendName } from '../core/backend';
import type { ProbeResult } from '../core/backend-probe';
import type { ProbeReply, ProbeRequest } from './probe-protocol';

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
    const result = new Promise<ProbeResult>((resolve, reject) => {
      const end = (e?: Error, r?: ProbeResult) => {
        clearTimeout(timer);
        worker.terminate();
        if (r) resolve(r);
        else reject(e ?? new Error('the measurement ended'));
      };
      const timer = setTimeout(() => end(new Error(`stopped after ${deadlineMs / 1000} s`)), deadlineMs);
      cancel = () => end(new Error('cancelled'));
      worker.addEventListener('message', (ev: MessageEvent<ProbeReply>) => {
        const m = ev.data;
        if (m.type === 'measuring') onMeasuring(m.backend);
        else if (m.type === 'done') end(undefined, m.result);
        else end(new Error(m.message));
      });
      worker.addEventListener('error', (ev) => end(new Error(ev.message || 'the measurement worker failed')));
      worker.postMessage(req);
    });
    return { result, cancel: () => cancel() };
  };
}
