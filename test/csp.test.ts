/** `vite preview` sends the same Content-Security-Policy the built index.html carries (src/csp.ts). */
import { describe, expect, it } from 'vitest';
import config from '../vite.config';
import { CONTENT_SECURITY_POLICY } from '../src/csp';

describe('Content-Security-Policy', () => {
  it('vite preview sends it; the build writes it into index.html; no third-party origin, no JavaScript eval', () => {
    expect(config.preview?.headers?.['Content-Security-Policy']).toBe(CONTENT_SECURITY_POLICY);
    const plugins = (config.plugins ?? []).flat() as { name?: string; apply?: string }[];
    expect(plugins.find((p) => p?.name === 'ltpg-csp-meta')?.apply).toBe('build');
    expect(CONTENT_SECURITY_POLICY).toMatch(/script-src 'self' 'wasm-unsafe-eval'(;|$)/);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/https?:|\*|'unsafe-eval'|frame-ancestors/);
  });
});
