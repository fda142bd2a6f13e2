/**
 * `vite preview` with the preview-encoding plugin serves as a production host should: the wasm binaries gzipped
 * (Vite's own compression leaves application/wasm alone), the .ltpg data parts as stored (Vite would gzip them a
 * second time, sent with no type), JavaScript still gzipped by Vite. Runs Vite's preview server on a tiny build.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preview, type PreviewServer } from 'vite';
import { previewEncoding } from '../../../tools/vite/preview-encoding';
import { get } from '../../helpers/http-get';

describe('vite preview with the preview-encoding plugin', () => {
  let dir: string;
  let server: PreviewServer;
  let url: string;
  // wasm-like bytes that compress (as tfjs' binaries do, ~3×)
  const wasm = Buffer.concat([Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]), Buffer.from('\x01\x02\x03\x04'.repeat(5000))]);
  const part = gzipSync(Buffer.from('LTPG'.repeat(5000)));
  const js = Buffer.from('export const x = 1;\n'.repeat(500));
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ltpg-preview-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(join(dir, 'b.wasm'), wasm);
    writeFileSync(join(dir, 'p0.ltpg'), part);
    writeFileSync(join(dir, 'a.js'), js);
    server = await preview({
      configFile: false,
      root: dir,
      logLevel: 'silent',
      build: { outDir: dir },
      preview: { port: 0, host: '127.0.0.1', headers: { 'X-Policy': 'kept' } },
      plugins: [previewEncoding()],
    });
    url = server.resolvedUrls!.local[0].replace(/\/$/, '');
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gzips the wasm, sends the data parts as stored, leaves the rest to Vite', async () => {
    const w = await get(`${url}/b.wasm`, { 'accept-encoding': 'gzip, deflate, br' });
    expect(w.headers['content-encoding']).toBe('gzip');
    expect(w.headers['content-type']).toBe('application/wasm');
    expect(w.headers.vary).toBe('Accept-Encoding');
    expect(w.headers['x-policy']).toBe('kept');
    expect(Number(w.headers['content-length'])).toBe(w.body.length);
    expect(gunzipSync(w.body).equals(wasm)).toBe(true);
    const head = await get(`${url}/b.wasm`, { 'accept-encoding': 'gzip' }, 'HEAD');
    expect(head.headers['content-length']).toBe(w.headers['content-length']);
    const plain = await get(`${url}/b.wasm`, {});
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.equals(wasm)).toBe(true);

    const p = await get(`${url}/p0.ltpg`, { 'accept-encoding': 'gzip, br' });
    expect(p.headers['content-encoding']).toBeUndefined();
    expect(p.headers['content-type']).toBe('application/octet-stream');
    expect(p.body.equals(part)).toBe(true);

    const j = await get(`${url}/a.js`, { 'accept-encoding': 'gzip' });
    expect(j.headers['content-encoding']).toBe('gzip'); // Vite's compression
    expect(gunzipSync(j.body).equals(js)).toBe(true);
    expect(String((await get(`${url}/../../etc/passwd.wasm`, {})).body)).not.toMatch(/root:/);
  });
});
