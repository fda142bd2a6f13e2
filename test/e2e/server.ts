/**
 * A tiny static file server for dist/ that compresses as an ordinary static host does (the first-run test measures the bytes
 * a first visit transfers): when the request's Accept-Encoding allows gzip (else br), text-like files (html, js,
 * css, json, wasm, svg, txt) are sent compressed, with Content-Encoding and Vary: Accept-Encoding, each file
 * compressed once and kept in memory (gzip at zlib's default level 6, brotli at quality 5). Already compressed
 * files — the .ltpg data parts (gzip inside; the loader sniffs its magic), images, fonts — go as stored. Only
 * GET/HEAD of files under the root; index.html for '/'.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { CONTENT_SECURITY_POLICY, ISOLATION_HEADERS } from '../../src/csp';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
  '.ltpg': 'application/octet-stream',
};

/** What a static host compresses (by extension); everything else is sent as stored. */
export const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.wasm', '.svg', '.txt']);

type Coding = 'gzip' | 'br';

/** The coding to send for an Accept-Encoding header: gzip when allowed, else br, else none (q=0 refuses). */
export function pickEncoding(accept: string | undefined): Coding | null {
  const allowed = new Set<string>();
  for (const item of (accept ?? '').split(',')) {
    const [name, ...params] = item.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)).find(Boolean);
    if (name && !(q && Number(q[1]) === 0)) allowed.add(name);
  }
  if (allowed.has('gzip') || allowed.has('*')) return 'gzip';
  if (allowed.has('br')) return 'br';
  return null;
}

const COMPRESS: Record<Coding, (b: Buffer) => Buffer> = {
  gzip: (b) => gzipSync(b, { level: 6 }),
  br: (b) => brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: b.length } }),
};

const isGzip = (b: Buffer) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/** One request the server answered: what went over the wire. */
export interface ServedRequest {
  /** Date.now() when the request arrived. */
  at: number;
  method: string;
  /** URL path and query. */
  path: string;
  status: number;
  /** Content-Encoding sent (null: as stored). */
  encoding: string | null;
  /** The file's size on disk (0 when none was served). */
  stored: number;
  /** Bytes written to the socket for the response, status line and headers included (set when it finished). */
  bytes: number;
  /** Whether the response has been written out. */
  done: boolean;
}

export interface StaticServer {
  url: string;
  /** Every request answered so far, in order of arrival (a test measures the bytes a visit transfers). */
  readonly served: readonly ServedRequest[];
  close(): Promise<void>;
}

/** `isolate: false` leaves out COOP/COEP (a static host that cannot set them). */
export async function serveStatic(rootDir: string, port = 0, opts: { isolate?: boolean } = {}): Promise<StaticServer> {
  const isolation = opts.isolate === false ? {} : ISOLATION_HEADERS;
  const root = resolve(rootDir);
  /** Compressed bodies by coding and file, valid while the file's size and mtime are those recorded. */
  const compressed = new Map<string, { key: string; body: Buffer; coding: Coding | null }>();
  const bodyFor = async (file: string, st: { size: number; mtimeMs: number }, req: IncomingMessage) => {
    const coding = COMPRESSIBLE.has(extname(file)) ? pickEncoding(req.headers['accept-encoding']) : null;
    if (!coding) return { body: await readFile(file), coding: null };
    const key = `${st.size}:${st.mtimeMs}`;
    const id = `${coding}:${file}`;
    let hit = compressed.get(id);
    if (hit?.key !== key) {
      const raw = await readFile(file);
      // a file already gzipped inside (whatever its name) goes as stored
      hit = isGzip(raw) ? { key, body: raw, coding: null } : { key, body: COMPRESS[coding](raw), coding };
      compressed.set(id, hit);
    }
    return hit;
  };
  const served: ServedRequest[] = [];
  const server: Server = createServer(async (req, res) => {
    // keep-alive connections carry one response at a time: the socket's byte count spans exactly this one
    const entry: ServedRequest = {
      at: Date.now(),
      method: req.method ?? '',
      path: req.url ?? '',
      status: 0,
      encoding: null,
      stored: 0,
      bytes: 0,
      done: false,
    };
    served.push(entry);
    const sentBefore = req.socket.bytesWritten;
    const settle = () => {
      if (entry.done) return;
      entry.status = res.statusCode;
      entry.bytes = req.socket.bytesWritten - sentBefore;
      entry.done = true;
    };
    res.on('finish', settle);
    res.on('close', settle); // aborted

    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405).end();
        return;
      }
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      let file = normalize(join(root, path));
      if (file !== root && !file.startsWith(root + sep)) {
        res.writeHead(403).end();
        return;
      }
      let st = await stat(file).catch(() => null);
      if (st?.isDirectory()) {
        file = join(file, 'index.html');
        st = await stat(file).catch(() => null);
      }
      if (!st) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      const { body, coding } = await bodyFor(file, st, req);
      entry.stored = st.size;
      entry.encoding = coding;
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': body.length,
        'cache-control': 'no-store',
        ...(COMPRESSIBLE.has(extname(file)) ? { vary: 'Accept-Encoding' } : {}),
        ...(coding ? { 'content-encoding': coding } : {}),
        // the same policy `vite preview` sends (src/csp.ts); the built index.html carries it as a <meta> too
        ...(extname(file) === '.html' ? { 'content-security-policy': CONTENT_SECURITY_POLICY } : {}),
        // cross-origin isolated like `vite preview` (threaded wasm), every response (the workers' scripts too)
        ...isolation,
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (e) {
      res.writeHead(500).end(String(e));
    }
  });
  await new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok));
  const { port: p } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${p}`,
    served,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
