/// <reference lib="webworker" />
/**
 * The background measurement of "Auto" (core/backend-probe.ts), in a worker of its own so the training worker trains
 * meanwhile: the page sends what to time, hears which backend is being timed and the result, and terminates this
 * worker when the result is in or its budget is spent — a software GPU's step cut short by the budget dies with it.
 */
import { probeBackends } from '../core/backend-probe';
import { pointWasmAtBundle } from './wasm-paths';
import type { ProbeReply, ProbeRequest } from './probe-protocol';

declare const self: DedicatedWorkerGlobalScope;

self.addEventListener('message', (ev: MessageEvent<ProbeRequest>) => {
  const { spec, candidates, budgetMs, wasmPaths, wasmThreads } = ev.data;
  const post = (m: ProbeReply) => self.postMessage(m);
  void (async () => {
    await pointWasmAtBundle(wasmPaths);
    return probeBackends(spec, candidates, {
      budgetMs,
      wasmPaths,
      wasmThreads,
      onMeasure: (backend, software) => post({ type: 'measuring', backend, software }),
      onTimed: (timing) => post({ type: 'timed', timing }),
    });
  })().then(
    (result) => post({ type: 'done', result }),
    (e: unknown) => post({ type: 'error', message: e instanceof Error ? e.message : String(e) }),
  );
});
