/**
 * The e2e static server compresses as a production host does (the first-run test measures a first visit's bytes over it):
 * gzip (else br) for text-like files when the request allows it, with Vary and the encoded Content-Length; the
 * .ltpg data parts (gzip inside) and other compressed files as stored; HEAD sends GET's headers; every response's
 * bytes on the wire are logged. No browser needed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pickEncoding, serveStatic, type StaticServer } from './server';
import { get } from '../helpers/http-get';

describe('e2e static server', () => {
  let dir: string;
  let server: StaticServer;
  const js = Buffer.from('export const x = 1;\n'.repeat(2000));
  const part = gzipSync(Buffer.from('LTPG'.repeat(5000)));
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ltpg-server-'));
    writeFileSync(join(dir, 'app.js'), js);
    writeFileSync(join(dir, 'p0.ltpg'), part);
    writeFileSync(join(dir, 'odd.json'), part); // gzip bytes under a compressible name: sent as stored
    server = await serveStatic(dir);
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('picks gzip, else br, from Accept-Encoding (q=0 refuses)', () => {
    expect(pickEncoding('gzip, deflate, br, zstd')).toBe('gzip');
    expect(pickEncoding('br')).toBe('br');
    expect(pickEncoding('gzip;q=0, br;q=1.0')).toBe('br');
    expect(pickEncoding('identity')).toBeNull();
    expect(pickEncoding(undefined)).toBeNull();
  });

  it('compresses text-like files when allowed, with Vary and the encoded length; HEAD sends the same headers', async () => {
    const gz = await get(`${server.url}/app.js`, { 'accept-encoding': 'gzip, deflate, br' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers.vary).toBe('Accept-Encoding');
    expect(Number(gz.headers['content-length'])).toBe(gz.body.length);
    expect(gz.body.length).toBeLessThan(js.length / 10);
    expect(gunzipSync(gz.body).equals(js)).toBe(true);
    const head = await get(`${server.url}/app.js`, { 'accept-encoding': 'gzip' }, 'HEAD');
    expect(head.body.length).toBe(0);
    expect(head.headers['content-length']).toBe(gz.headers['content-length']);
    expect(head.headers['content-encoding']).toBe('gzip');
    const br = await get(`${server.url}/app.js`, { 'accept-encoding': 'br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.body).equals(js)).toBe(true);
    const plain = await get(`${server.url}/app.js`);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toBe('Accept-Encoding');
    expect(plain.body.equals(js)).toBe(true);
  });

  it('sends the data parts and other gzip files as stored', async () => {
    for (const f of ['p0.ltpg', 'odd.json']) {
      const r = await get(`${server.url}/${f}`, { 'accept-encoding': 'gzip, br' });
      expect(r.headers['content-encoding'], f).toBeUndefined();
      expect(r.body.equals(part), f).toBe(true);
      expect(Number(r.headers['content-length']), f).toBe(part.length);
    }
    expect((await get(`${server.url}/missing.js`)).status).toBe(404);
  });

  it('logs each response with its bytes on the wire (headers included)', async () => {
    const from = server.served.length;
    const r = await get(`${server.url}/app.js`, { 'accept-encoding': 'gzip' });
    await new Promise((ok) => setTimeout(ok, 50));
    const [e] = server.served.slice(from);
    expect(e).toMatchObject({ method: 'GET', path: '/app.js', status: 200, encoding: 'gzip', stored: js.length, done: true });
    expect(e.bytes).toBeGreaterThan(r.body.length + 100); // status line and headers (the CSP is only on html)
    expect(e.bytes).toBeLessThan(r.body.length + 1000);
  });
});
