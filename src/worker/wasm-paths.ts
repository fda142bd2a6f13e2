/**
 * Where a worker's tfjs wasm backend finds its binaries: Vite emits them under hashed names, so each file name is
 * mapped to its URL (the training worker and the background measurement share them, and the browser's cache).
 */
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

/** Points the wasm backend at the bundled binaries (unless `wasmPaths`, a folder, is given). */
export async function pointWasmAtBundle(wasmPaths?: string): Promise<void> {
  if (wasmPaths) return;
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths({
    'tfjs-backend-wasm.wasm': wasmUrl,
    'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
    // listed because setWasmPaths wants all three; threads stay off (WASM_HAS_MULTITHREAD_SUPPORT false)
    'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
  });
}

/**
 * Starts downloading the SIMD binary (the one a single-threaded page loads) into the HTTP cache at once, so it travels
 * while the worker's other code and the data still load; the backend's own fetch then finds it there.
 */
export function prefetchWasm(wasmPaths?: string): void {
  if (typeof fetch === 'undefined') return;
  fetch(wasmPaths ? `${wasmPaths}tfjs-backend-wasm-simd.wasm` : wasmSimdUrl).catch(() => undefined);
}
