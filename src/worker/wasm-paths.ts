/**
 * Where a worker's tfjs wasm backend finds its binaries: Vite emits them under hashed names, so each file name is
 * mapped to its URL (the training worker and the background measurement share them).
 */
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

let pointed = false;

/** Points the wasm backend at the bundled binaries (unless `wasmPaths`, a folder, is given); once per worker. */
export async function pointWasmAtBundle(wasmPaths?: string): Promise<void> {
  if (wasmPaths || pointed) return;
  pointed = true;
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths({
    'tfjs-backend-wasm.wasm': wasmUrl,
    'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
    // the threaded build, used when the page is cross-origin isolated and more than one thread is asked for
    'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
  });
}
