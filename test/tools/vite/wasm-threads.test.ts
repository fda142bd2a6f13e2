import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { patchThreadedModule } from '../../../tools/vite/wasm-threads';

const require = createRequire(import.meta.url);
const FILE = require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js');

describe('patchThreadedModule (the installed tfjs threaded wasm module)', () => {
  const code = readFileSync(FILE, 'utf8');
  const patched = patchThreadedModule(code);

  it('leaves the factory nothing from its closure: no _scriptDir', () => {
    expect(code).toMatch(/\b_scriptDir\b/);
    expect(patched).not.toMatch(/\b_scriptDir\b/);
    // the pthread workers re-evaluate the factory from its source: it must still parse and be a function
    const factory = new Function(`${patched}; return WasmBackendModuleThreadedSimd;`)() as unknown;
    expect(typeof factory).toBe('function');
  });

  it('doubles the one read of the core count (tfjs halves it again)', () => {
    expect(patched.split('return navigator["hardwareConcurrency"]*2').length).toBe(2);
  });

  it('refuses a module that changed', () => {
    expect(() => patchThreadedModule('var x = 1;')).toThrow(/_scriptDir declaration changed/);
  });
});
