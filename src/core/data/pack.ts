/**
 * LTPG — the compact, versioned container of the embedded data set.
 *
 * Layout (before compression; the whole file is gzip-compressed, decoders also accept it raw):
 *   0  "LTPG" (4 bytes ASCII)
 *   4  version, u16 little-endian (currently 1)
 *   6  header length L, u32 little-endian
 *  10  header: L bytes of UTF-8 JSON (PackHeader)
 *  10+L payload: per set, N uint8 labels then N·H·W·C uint8 pixels (NHWC); offsets in the header are relative
 *      to the payload start; the header also carries the payload length and its CRC-32.
 */
import { DataError } from './errors';
import { crc32, gzipBytes, isGzip, gunzipChecked, type ProgressFn } from './gzip';
import type { Dataset, DatasetMeta, ImageSet } from './types';

export const PACK_MAGIC = 'LTPG';
export const PACK_VERSION = 1;

export interface PackSetHeader {
  role: 'pool' | 'test';
  name: string;
  n: number;
  height: number;
  width: number;
  channels: number;
  numClasses: number;
  classNames: string[];
  labelsOffset: number;
  labelsLength: number;
  pixelsOffset: number;
  pixelsLength: number;
}

export interface PackHeader {
  meta: DatasetMeta;
  sets: PackSetHeader[];
  payloadLength: number;
  payloadCrc32: number;
  /** Free-form build information (seed, source files, pool counts…). */
  extra?: Record<string, unknown>;
}

export interface DecodedPack {
  dataset: Dataset;
  version: number;
  header: PackHeader;
}

/** Serialises a data set to LTPG (gzip-compressed unless `gzip: false`). */
export function encodeDataset(
  ds: Dataset,
  opts: { extra?: Record<string, unknown>; gzip?: boolean; level?: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 } = {},
): Uint8Array {
  const sets: PackSetHeader[] = [];
  let off = 0;
  const parts: Uint8Array[] = [];
  for (const [role, s] of [
    ['pool', ds.pool],
    ['test', ds.test],
  ] as const) {
    checkSet(s, s.name || role);
    if (s.numClasses > 256) throw new DataError(s.name, `LTPG stores labels as uint8; ${s.numClasses} classes do not fit`);
    const n = s.labels.length;
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) labels[i] = s.labels[i];
    sets.push({
      role,
      name: s.name,
      n,
      height: s.height,
      width: s.width,
      channels: s.channels,
      numClasses: s.numClasses,
      classNames: s.classNames.slice(),
      labelsOffset: off,
      labelsLength: n,
      pixelsOffset: off + n,
      pixelsLength: s.images.length,
    });
    parts.push(labels, s.images);
    off += n + s.images.length;
  }
  let crc = 0;
  for (const p of parts) crc = crc32(p, crc);
  const header: PackHeader = { meta: ds.meta, sets, payloadLength: off, payloadCrc32: crc };
  if (opts.extra) header.extra = opts.extra;
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(10 + json.length + off);
  for (let i = 0; i < 4; i++) out[i] = PACK_MAGIC.charCodeAt(i);
  const view = new DataView(out.buffer);
  view.setUint16(4, PACK_VERSION, true);
  view.setUint32(6, json.length, true);
  out.set(json, 10);
  let o = 10 + json.length;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return opts.gzip === false ? out : gzipBytes(out, opts.level ?? 9);
}

/** Parses an LTPG file (gzip or raw). Throws DataError naming `fileName` on any inconsistency. */
export function decodeDataset(bytes: Uint8Array, fileName: string, onProgress?: ProgressFn): Dataset {
  return decodePack(bytes, fileName, onProgress).dataset;
}

/** Like decodeDataset, also returning the version and the header (with `extra`). */
export function decodePack(bytes: Uint8Array, fileName: string, onProgress?: ProgressFn): DecodedPack {
  const raw = isGzip(bytes) ? gunzipChecked(bytes, fileName, onProgress && ((f) => onProgress(f * 0.9))) : bytes;
  const fail = (msg: string): never => {
    throw new DataError(fileName, msg);
  };
  if (raw.length < 10) fail(`not an LTPG data file (${raw.length} bytes, too short for the header)`);
  const magic = String.fromCharCode(raw[0], raw[1], raw[2], raw[3]);
  if (magic !== PACK_MAGIC) fail(`not an LTPG data file (magic "${printable(magic)}", expected "${PACK_MAGIC}")`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const version = view.getUint16(4, true);
  if (version !== PACK_VERSION) fail(`unsupported LTPG version ${version} (this build reads version ${PACK_VERSION})`);
  const hlen = view.getUint32(6, true);
  if (10 + hlen > raw.length) fail(`truncated — header length ${hlen} exceeds the ${raw.length - 10} bytes after the preamble`);
  let header: PackHeader;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw.subarray(10, 10 + hlen))) as PackHeader;
  } catch (e) {
    return fail(`corrupt header (${e instanceof Error ? e.message : String(e)})`);
  }
  const payload = raw.subarray(10 + hlen);
  if (!isObj(header)) fail('corrupt header (not a JSON object)');
  if (!isInt(header.payloadLength)) fail('corrupt header (payloadLength missing)');
  if (payload.length !== header.payloadLength) {
    fail(
      payload.length < header.payloadLength
        ? `truncated — header says ${header.payloadLength} payload bytes, file holds ${payload.length}`
        : `${payload.length - header.payloadLength} unexpected trailing bytes after the payload`,
    );
  }
  if (!isInt(header.payloadCrc32) || crc32(payload) !== header.payloadCrc32) fail('corrupt payload (CRC-32 mismatch)');
  const meta = checkMeta(header.meta, fileName);
  if (!Array.isArray(header.sets)) fail('corrupt header (sets missing)');
  const byRole = new Map<string, ImageSet>();
  for (const s of header.sets) {
    if (!isObj(s) || (s.role !== 'pool' && s.role !== 'test')) fail('corrupt header (a set without role pool/test)');
    if (byRole.has(s.role)) fail(`corrupt header (two "${s.role}" sets)`);
    const where = `set "${s.role}"`;
    for (const k of [
      'n',
      'height',
      'width',
      'channels',
      'numClasses',
      'labelsOffset',
      'labelsLength',
      'pixelsOffset',
      'pixelsLength',
    ] as const) {
      if (!isInt(s[k])) fail(`corrupt header (${where}: ${k} is not a non-negative integer)`);
    }
    if (s.n < 1 || s.height < 1 || s.width < 1 || s.channels < 1 || s.numClasses < 1) fail(`corrupt header (${where}: empty dimension)`);
    if (!Array.isArray(s.classNames) || s.classNames.length !== s.numClasses || !s.classNames.every((c) => typeof c === 'string')) {
      fail(`corrupt header (${where}: ${s.numClasses} classes but classNames does not list ${s.numClasses} strings)`);
    }
    if (s.labelsLength !== s.n) fail(`corrupt header (${where}: ${s.labelsLength} label bytes for ${s.n} images)`);
    const px = s.n * s.height * s.width * s.channels;
    if (s.pixelsLength !== px) {
      fail(`corrupt header (${where}: ${s.pixelsLength} pixel bytes, ${s.n}×${s.height}×${s.width}×${s.channels} needs ${px})`);
    }
    if (s.labelsOffset + s.labelsLength > payload.length || s.pixelsOffset + s.pixelsLength > payload.length) {
      fail(`corrupt header (${where}: data extends past the payload)`);
    }
    const lb = payload.subarray(s.labelsOffset, s.labelsOffset + s.n);
    const labels = new Uint16Array(s.n);
    for (let i = 0; i < s.n; i++) {
      if (lb[i] >= s.numClasses) fail(`${where}: label ${lb[i]} at index ${i} is out of range (expected 0..${s.numClasses - 1})`);
      labels[i] = lb[i];
    }
    byRole.set(s.role, {
      name: typeof s.name === 'string' ? s.name : `${fileName} (${s.role})`,
      height: s.height,
      width: s.width,
      channels: s.channels,
      numClasses: s.numClasses,
      classNames: s.classNames.slice(),
      images: payload.subarray(s.pixelsOffset, s.pixelsOffset + s.pixelsLength),
      labels,
    });
  }
  const pool = byRole.get('pool');
  const test = byRole.get('test');
  if (!pool || !test) return fail(`corrupt header (the ${pool ? 'test' : 'pool'} set is missing)`);
  if (pool.height !== test.height || pool.width !== test.width || pool.channels !== test.channels || pool.numClasses !== test.numClasses) {
    fail('pool and test sets differ in image shape or number of classes');
  }
  if (meta.mean.length !== pool.channels || meta.std.length !== pool.channels) {
    fail(`meta has ${meta.mean.length} means / ${meta.std.length} stds for ${pool.channels} channels`);
  }
  onProgress?.(1);
  return { dataset: { meta, pool, test }, version, header };
}

function checkSet(s: ImageSet, name: string): void {
  const n = s.labels.length;
  if (s.images.length !== n * s.height * s.width * s.channels) {
    throw new DataError(name, `${s.images.length} pixel bytes for ${n} images of ${s.height}×${s.width}×${s.channels}`);
  }
  if (s.classNames.length !== s.numClasses) throw new DataError(name, `${s.classNames.length} class names for ${s.numClasses} classes`);
  for (let i = 0; i < n; i++) {
    if (s.labels[i] >= s.numClasses) throw new DataError(name, `label ${s.labels[i]} at index ${i} is out of range`);
  }
}

function checkMeta(m: unknown, file: string): DatasetMeta {
  const fail = (what: string): never => {
    throw new DataError(file, `corrupt header (meta.${what})`);
  };
  if (!isObj(m)) return fail('missing');
  const meta = m as unknown as DatasetMeta;
  if (typeof meta.id !== 'string' || !meta.id) fail('id is not a non-empty string');
  if (typeof meta.title !== 'string') fail('title is not a string');
  if (!Array.isArray(meta.mean) || !meta.mean.every((v) => Number.isFinite(v))) fail('mean is not a list of numbers');
  if (!Array.isArray(meta.std) || !meta.std.every((v) => Number.isFinite(v) && v > 0)) fail('std is not a list of positive numbers');
  if (typeof meta.hflip !== 'boolean') fail('hflip is not a boolean');
  if (!isInt(meta.cropPad)) fail('cropPad is not a non-negative integer');
  if (typeof meta.licence !== 'string') fail('licence is not a string');
  return {
    id: meta.id,
    title: meta.title,
    mean: meta.mean.slice(),
    std: meta.std.slice(),
    hflip: meta.hflip,
    cropPad: meta.cropPad,
    licence: meta.licence,
  };
}

function isObj(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?');
}
