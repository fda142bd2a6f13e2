/** `vite preview` sends the same Content-Security-Policy the built index.html carries (src/csp.ts). */
import { describe, expect, it } from 'vitest';
import config from '../vite.config';
import { CONTENT_SECURITY_POLICY, ISOLATION_HEADERS } from '../src/csp';

describe('Content-Security-Policy', () => {
  it('vite preview sends it; the build writes it into index.html; no third-party origin, no JavaScript eval', () => {
    expect(config.preview?.headers?.['Content-Security-Policy']).toBe(CONTENT_SECURITY_POLICY);
    const plugins = (config.plugins ?? []).flat() as { name?: string; apply?: string }[];
    expect(plugins.find((p) => p?.name === 'ltpg-csp-meta')?.apply).toBe('build');
    // blob: scripts only for the threaded wasm build's pthread workers; no inline script, no eval
    expect(CONTENT_SECURITY_POLICY).toMatch(/script-src 'self' 'wasm-unsafe-eval' blob:(;|$)/);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/https?:|\*|'unsafe-eval'|frame-ancestors/);
  });

  it('dev and preview are cross-origin isolated (COOP same-origin, COEP require-corp) for threaded wasm', () => {
    expect(ISOLATION_HEADERS).toEqual({ 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' });
    for (const h of [config.server?.headers, config.preview?.headers]) {
      expect(h?.['Cross-Origin-Opener-Policy']).toBe('same-origin');
      expect(h?.['Cross-Origin-Embedder-Policy']).toBe('require-corp');
    }
  });
});
