/**
 * The page's wasm thread setting, as the workers it starts are told it (the training worker's init and switch, the
 * background measurement): one value per page, since a worker's wasm module keeps the thread count it started with.
 */
let asked: number | undefined;

/** undefined: automatic (core/wasm-threads.ts). */
export function askWasmThreads(threads: number | undefined): void {
  asked = threads;
}

export const wasmThreadsAsked = (): number | undefined => asked;
