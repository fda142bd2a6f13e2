/**
 * How many threads tfjs' wasm backend gets. Threads need SharedArrayBuffer, which a browser only grants a
 * cross-origin-isolated page (COOP/COEP headers, or the service worker re-serving the page with them). The calling
 * thread works in XNNPACK's pool too, so N threads occupy N cores: the automatic count keeps one core for the page
 * and the browser's own processes (on an idle 2-core machine a second thread trains the first-visit run only 0–8 %
 * faster, the larger models 1.3–1.6×: docs/benchmarks.md), and beyond ~8 a small model's convolutions gain little.
 */
export const MAX_AUTO_THREADS = 8;
/** tfjs starts 8 pthread workers and never uses more. */
export const MAX_THREADS = 8;

export interface WasmThreadPlan {
  /** Threads to ask tfjs for (1: the single-thread SIMD build). */
  threads: number;
  /** For the badge: "2 threads (set)", "not cross-origin isolated: 1 thread (…)". */
  why: string;
}

/**
 * `asked`: the setting (undefined: automatic); `cores`: navigator.hardwareConcurrency; `isolated`: crossOriginIsolated
 * of the worker that runs tfjs.
 */
export function planWasmThreads(asked: number | undefined, cores: number | undefined, isolated: boolean): WasmThreadPlan {
  const auto = Math.max(1, Math.min(MAX_AUTO_THREADS, (Math.floor(cores ?? 1) || 1) - 1));
  const want = asked === undefined ? auto : Math.max(1, Math.min(MAX_THREADS, Math.floor(asked)));
  const how = asked === undefined ? `automatic: ${cores ?? '?'} cores, one kept for the page, at most ${MAX_AUTO_THREADS}` : 'set';
  if (want === 1) return { threads: 1, why: `1 thread (${how})` };
  if (!isolated) {
    return {
      threads: 1,
      why: 'not cross-origin isolated: 1 thread (no COOP/COEP headers, so the browser gives no shared memory)',
    };
  }
  return { threads: want, why: `${want} threads (${how})` };
}
