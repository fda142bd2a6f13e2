/**
 * Vite plugin: two changes to tfjs' threaded wasm module (tfjs-backend-wasm-threaded-simd.js) so that it runs in the
 * app's production build with the threads the app asks for (src/core/wasm-threads.ts).
 *  - Its pthread workers start from `factory.toString()` (the emscripten module re-evaluated in each worker from a
 *    blob), so that function must use nothing from the closure around it. Its one such use, `_scriptDir`, sits behind
 *    `typeof _scriptDir !== "undefined"` guards that the minifier drops once it sees the variable declared, and every
 *    pthread worker then dies on "<name> is not defined" while tfjs waits for its pool forever. The app always gives
 *    tfjs the wasm paths (src/worker/wasm-paths.ts) and runs it in workers, where `_scriptDir` is undefined anyway:
 *    the declaration goes and its uses become `undefined`.
 *  - tfjs caps the pool at half of `navigator.hardwareConcurrency` even when a count is set (it assumes two
 *    hyper-threads per core), so a 2-core machine never gets a second thread. The module's one read of the core
 *    count is doubled, which makes the cap the logical core count; the count itself is always set by the app.
 */
import type { Plugin } from 'vite';

const MODULE = /tfjs-backend-wasm-threaded-simd\.js$/;
const DECLARATION =
  /var _scriptDir = typeof document !== 'undefined' && document\.currentScript \? document\.currentScript\.src : undefined;\s*if \(typeof __filename !== 'undefined'\) _scriptDir = _scriptDir \|\| __filename;/;
const CORES = 'return navigator["hardwareConcurrency"]';

/** The module's source with both changes (throws when a tfjs upgrade changed what they rely on: check them again). */
export function patchThreadedModule(code: string): string {
  if (!DECLARATION.test(code)) throw new Error('tfjs-backend-wasm-threaded-simd.js: the _scriptDir declaration changed');
  if (code.split(CORES).length !== 2) throw new Error('tfjs-backend-wasm-threaded-simd.js: the core count is read differently');
  return code
    .replace(DECLARATION, '')
    .replace(/\b_scriptDir\b/g, 'undefined')
    .replace(CORES, `${CORES}*2`);
}

export function wasmThreadsFix(): Plugin {
  return {
    name: 'ltpg-wasm-threads-fix',
    transform(code, id) {
      if (!MODULE.test(id.split('?')[0])) return null;
      return { code: patchThreadedModule(code), map: null };
    },
  };
}
