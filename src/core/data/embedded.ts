/**
 * Loads the embedded Fashion-MNIST-LT pool shipped in public/data/. In a browser or worker it fetches
 * `${BASE_URL}data/fmnist-lt.ltpg`; in Node it reads public/data/fmnist-lt.ltpg from disk through a dynamic,
 * bundler-ignored import of node:fs, so this module bundles for the browser unchanged.
 */
import { DataError } from './errors';
import type { ProgressFn } from './gzip';
import { decodeDataset } from './pack';
import type { Dataset } from './types';

export const EMBEDDED_FILE = 'fmnist-lt.ltpg';
/** Path of the file relative to the site root / the repository's public folder. */
export const EMBEDDED_PATH = `data/${EMBEDDED_FILE}`;

export type FetchBytes = (url: string) => Promise<Uint8Array>;

export interface EmbeddedLoadOptions {
  /** Supplies the bytes for a URL (tests, custom caches). Defaults to fetch() or, in Node, the file system. */
  fetchBytes?: FetchBytes;
  /** Overrides the URL (browser) or the file path (Node). */
  url?: string;
  onProgress?: ProgressFn;
}

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  const hasDom = typeof (globalThis as { window?: unknown }).window !== 'undefined';
  const isWorker = typeof (globalThis as { importScripts?: unknown }).importScripts === 'function';
  return !!p?.versions?.node && !hasDom && !isWorker;
}

/** The URL the browser build fetches (BASE_URL aware). */
export function embeddedUrl(): string {
  let base = '/';
  try {
    base = import.meta.env?.BASE_URL ?? '/';
  } catch {
    /* not running under Vite */
  }
  return `${base.endsWith('/') ? base : base + '/'}${EMBEDDED_PATH}`;
}

async function fetchUrl(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new DataError(EMBEDDED_FILE, `could not be fetched from ${url} (HTTP ${res.status})`);
  return new Uint8Array(await res.arrayBuffer());
}

async function readNodeFile(path: string | undefined): Promise<Uint8Array> {
  const fsSpec = 'node:fs/promises';
  const urlSpec = 'node:url';
  const fs = (await import(/* @vite-ignore */ fsSpec)) as typeof import('node:fs/promises');
  const { fileURLToPath } = (await import(/* @vite-ignore */ urlSpec)) as typeof import('node:url');
  // the base is held in a variable so bundlers don't treat this as an asset reference (new URL(…, import.meta.url))
  const here = import.meta.url;
  const candidates = path ? [path] : [fileURLToPath(new URL('../../../public/' + EMBEDDED_PATH, here)), `public/${EMBEDDED_PATH}`];
  for (const c of candidates) {
    try {
      const buf = await fs.readFile(c);
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (e) {
      if ((e as { code?: string }).code !== 'ENOENT') throw e;
    }
  }
  throw new DataError(EMBEDDED_FILE, `not found (looked in ${candidates.join(', ')}); run \`npm run build:data\``);
}

/** Loads and decodes the embedded data set. */
export async function loadEmbeddedDataset(opts: EmbeddedLoadOptions | FetchBytes = {}): Promise<Dataset> {
  const o: EmbeddedLoadOptions = typeof opts === 'function' ? { fetchBytes: opts } : opts;
  let bytes: Uint8Array;
  if (o.fetchBytes) bytes = await o.fetchBytes(o.url ?? embeddedUrl());
  else if (isNode()) bytes = await readNodeFile(o.url);
  else bytes = await fetchUrl(o.url ?? embeddedUrl());
  return decodeDataset(bytes, EMBEDDED_FILE, o.onProgress);
}
