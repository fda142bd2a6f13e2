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
import { DataError, bytesText } from './errors';
import { crc32, gunzipHead, gzipBytes, isGzip, gunzipChecked, type ProgressFn } from './gzip';
import { classDisplayNames, cleanName, messageName } from './names';
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

/** Most bytes an LTPG file may hold uncompressed (preamble + header + payload): 1 GiB, as a folder upload. */
export const PACK_MAX_BYTES = 1024 * 1024 * 1024;
/** Most bytes of JSON header (class names, meta, build information). */
export const PACK_MAX_HEADER_BYTES = 4 * 1024 * 1024;
/**
 * Image sizes a pack may hold: 4…32 pixels a side, 1 or 3 channels, at most 256 classes (labels are uint8). 32×32
 * is what every source of the app produces (CIFAR 32×32, Fashion-MNIST 28×28, folder uploads resized to 32×32 or
 * 28×28) and what the models are built for; larger images multiply the activation memory: ResNet-32 at batch 128
 * on the wasm backend takes 1.9 GB at 32×32, 4.2 GB at 48×48 and aborts at 64×64 (the 4 GB wasm heap is full).
 * Below 4 pixels the two down-sampling stages have nothing left.
 */
export const PACK_LIMITS = { minSide: 4, maxSide: 32, channels: [1, 3], maxClasses: 256 } as const;

export interface PackReadOptions {
  /** Fraction done, 0..1. */
  onProgress?: ProgressFn;
  /** Most bytes the file may inflate to (default and ceiling PACK_MAX_BYTES; tests pass less). */
  maxBytes?: number;
}

const PREAMBLE = 10;

/** Parses an LTPG file (gzip or raw). Throws DataError naming `fileName` on any inconsistency. */
export function decodeDataset(bytes: Uint8Array, fileName: string, opts?: ProgressFn | PackReadOptions): Dataset {
  return decodePack(bytes, fileName, opts).dataset;
}

/**
 * Like decodeDataset, also returning the version and the header (with `extra`). A gzip file is inflated by the
 * bounded decompressor: the preamble and header are checked as soon as they are out (a foreign file, a header
 * over PACK_MAX_HEADER_BYTES or images over PACK_LIMITS are refused before the payload is inflated), and the
 * output is then capped at exactly the size the header declares.
 */
export function decodePack(bytes: Uint8Array, fileName: string, opts: ProgressFn | PackReadOptions = {}): DecodedPack {
  const o: PackReadOptions = typeof opts === 'function' ? { onProgress: opts } : opts;
  const maxBytes = Math.min(o.maxBytes ?? PACK_MAX_BYTES, PACK_MAX_BYTES);
  const onProgress = o.onProgress;
  let early: { version: number; hlen: number; header: PackHeader } | null = null;
  const raw = isGzip(bytes)
    ? gunzipChecked(bytes, fileName, {
        onProgress: onProgress && ((f) => onProgress(f * 0.9)),
        maxBytes,
        reason: 'an LTPG file may hold',
        limitFrom: (head) => {
          const pre = readPreamble(head, fileName, true);
          if (!pre || head.length < PREAMBLE + pre.hlen) return undefined;
          early = { ...pre, header: readHeader(head, fileName, pre.hlen) };
          return { maxBytes: PREAMBLE + pre.hlen + early.header.payloadLength, reason: 'its header declares' };
        },
      })
    : bytes;
  const fail = (msg: string): never => {
    throw new DataError(fileName, msg);
  };
  if (raw.length > maxBytes) fail(`${bytesText(raw.length)}, more than the ${bytesText(maxBytes)} an LTPG file may hold`);
  const { version, hlen } = readPreamble(raw, fileName, false)!;
  if (PREAMBLE + hlen > raw.length) fail(`truncated — header length ${hlen} exceeds the ${raw.length - PREAMBLE} bytes after the preamble`);
  const header = (early as { header: PackHeader } | null)?.header ?? readHeader(raw, fileName, hlen);
  const payload = raw.subarray(PREAMBLE + hlen);
  if (payload.length !== header.payloadLength) {
    fail(
      payload.length < header.payloadLength
        ? `truncated — header says ${header.payloadLength} payload bytes, file holds ${payload.length}`
        : `${payload.length - header.payloadLength} unexpected trailing bytes after the payload`,
    );
  }
  if (crc32(payload) !== header.payloadCrc32) fail('corrupt payload (CRC-32 mismatch)');
  const byRole = new Map<string, ImageSet>();
  for (const s of header.sets) {
    const where = `set "${s.role}"`;
    const lb = payload.subarray(s.labelsOffset, s.labelsOffset + s.n);
    const labels = new Uint16Array(s.n);
    for (let i = 0; i < s.n; i++) {
      if (lb[i] >= s.numClasses) fail(`${where}: label ${lb[i]} at index ${i} is out of range (expected 0..${s.numClasses - 1})`);
      labels[i] = lb[i];
    }
    byRole.set(s.role, {
      name: cleanName(s.name, 200) || `${fileName} (${s.role})`,
      height: s.height,
      width: s.width,
      channels: s.channels,
      numClasses: s.numClasses,
      classNames: classDisplayNames(s.classNames),
      images: payload.subarray(s.pixelsOffset, s.pixelsOffset + s.pixelsLength),
      labels,
    });
  }
  onProgress?.(1);
  return { dataset: { meta: header.meta, pool: byRole.get('pool')!, test: byRole.get('test')! }, version, header };
}

/**
 * Checks the first bytes of a file (a few KiB are plenty; gzip is inflated as far as they go) before the rest is
 * read: anything but an LTPG file, raw or gzip-compressed, is refused with the message the full read would give.
 */
export function checkPackStart(head: Uint8Array, fileName: string): void {
  const raw = isGzip(head) ? gunzipHead(head, PREAMBLE) : head;
  readPreamble(raw, fileName, true);
}

/** Magic, version and header length; undefined when fewer than 10 bytes are there yet (`partial`). */
function readPreamble(raw: Uint8Array, fileName: string, partial: boolean): { version: number; hlen: number } | undefined {
  const fail = (msg: string): never => {
    throw new DataError(fileName, msg);
  };
  if (raw.length < PREAMBLE) {
    if (partial) return undefined;
    fail(`not an LTPG data file (${raw.length} bytes, too short for the header)`);
  }
  const magic = String.fromCharCode(raw[0], raw[1], raw[2], raw[3]);
  if (magic !== PACK_MAGIC) fail(`not an LTPG data file (magic "${printable(magic)}", expected "${PACK_MAGIC}")`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const version = view.getUint16(4, true);
  if (version !== PACK_VERSION) fail(`unsupported LTPG version ${version} (this build reads version ${PACK_VERSION})`);
  const hlen = view.getUint32(6, true);
  if (hlen > PACK_MAX_HEADER_BYTES) {
    fail(`corrupt header (it declares ${bytesText(hlen)} of header, more than the ${bytesText(PACK_MAX_HEADER_BYTES)} accepted)`);
  }
  return { version, hlen };
}

/** The JSON header, checked in full (shapes, limits, offsets) before any payload byte is looked at. */
function readHeader(raw: Uint8Array, fileName: string, hlen: number): PackHeader {
  const fail = (msg: string): never => {
    throw new DataError(fileName, msg);
  };
  let header: PackHeader;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw.subarray(PREAMBLE, PREAMBLE + hlen))) as PackHeader;
  } catch (e) {
    return fail(`corrupt header (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isObj(header)) fail('corrupt header (not a JSON object)');
  if (!isInt(header.payloadLength)) fail(`corrupt header (payloadLength is ${shown(header.payloadLength)}, not a byte count)`);
  if (!isInt(header.payloadCrc32) || header.payloadCrc32 > 0xffffffff) {
    fail(`corrupt header (payloadCrc32 is ${shown(header.payloadCrc32)}, not a 32-bit checksum)`);
  }
  if (header.extra !== undefined && !isObj(header.extra)) fail(`corrupt header (extra is ${shown(header.extra)}, not an object)`);
  if (!Array.isArray(header.sets)) fail('corrupt header (sets missing)');
  const L = PACK_LIMITS;
  const byRole = new Map<string, PackSetHeader>();
  for (const s of header.sets as unknown[]) {
    if (!isObj(s) || (s.role !== 'pool' && s.role !== 'test')) return fail('corrupt header (a set without role pool/test)');
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
      if (!isInt(s[k])) fail(`corrupt header (${where}: ${k} is ${shown(s[k])}, not a non-negative integer)`);
    }
    const set = s as unknown as PackSetHeader;
    if (set.n < 1 || set.height < 1 || set.width < 1 || set.channels < 1 || set.numClasses < 1) {
      fail(`corrupt header (${where}: empty dimension)`);
    }
    if (
      set.height > L.maxSide ||
      set.width > L.maxSide ||
      set.height < L.minSide ||
      set.width < L.minSide ||
      !(L.channels as readonly number[]).includes(set.channels)
    ) {
      fail(
        `${where} holds ${set.height}×${set.width}×${set.channels} images; this app trains on ${L.minSide}–${L.maxSide} pixels a side ` +
          `with ${L.channels.join(' or ')} channels (its models are built for 28×28 and 32×32 inputs; larger images exhaust ` +
          'the memory of the wasm backend) — resize the images before packing them',
      );
    }
    if (set.numClasses > L.maxClasses)
      fail(`corrupt header (${where}: ${set.numClasses} classes, LTPG labels hold at most ${L.maxClasses})`);
    if (!Array.isArray(set.classNames) || set.classNames.length !== set.numClasses || !set.classNames.every((c) => typeof c === 'string')) {
      fail(`corrupt header (${where}: ${set.numClasses} classes but classNames does not list ${set.numClasses} strings)`);
    }
    if (set.labelsLength !== set.n) fail(`corrupt header (${where}: ${set.labelsLength} label bytes for ${set.n} images)`);
    const px = set.n * set.height * set.width * set.channels;
    if (set.pixelsLength !== px) {
      fail(`corrupt header (${where}: ${set.pixelsLength} pixel bytes, ${set.n}×${set.height}×${set.width}×${set.channels} needs ${px})`);
    }
    if (set.labelsOffset + set.labelsLength > header.payloadLength || set.pixelsOffset + set.pixelsLength > header.payloadLength) {
      fail(`corrupt header (${where}: data extends past the payload)`);
    }
    if (typeof set.name !== 'string') set.name = '';
    byRole.set(set.role, set);
  }
  if (PREAMBLE + hlen + header.payloadLength > PACK_MAX_BYTES) {
    fail(
      `corrupt header (it declares ${bytesText(header.payloadLength)} of data, more than the ${bytesText(PACK_MAX_BYTES)} an LTPG file may hold)`,
    );
  }
  const pool = byRole.get('pool');
  const test = byRole.get('test');
  if (!pool || !test) return fail(`corrupt header (the ${pool ? 'test' : 'pool'} set is missing)`);
  if (pool.height !== test.height || pool.width !== test.width || pool.channels !== test.channels || pool.numClasses !== test.numClasses) {
    fail('pool and test sets differ in image shape or number of classes');
  }
  const meta = checkMeta(header.meta, fileName, Math.min(pool.height, pool.width), pool.channels);
  return { ...header, meta, sets: [pool, test] };
}

function checkSet(s: ImageSet, name: string): void {
  const n = s.labels.length;
  const L = PACK_LIMITS;
  if (
    s.height < L.minSide ||
    s.height > L.maxSide ||
    s.width < L.minSide ||
    s.width > L.maxSide ||
    !(L.channels as readonly number[]).includes(s.channels)
  ) {
    throw new DataError(
      name,
      `${s.height}×${s.width}×${s.channels} images; LTPG holds ${L.minSide}–${L.maxSide} pixels a side with ${L.channels.join(' or ')} channels`,
    );
  }
  if (s.images.length !== n * s.height * s.width * s.channels) {
    throw new DataError(name, `${s.images.length} pixel bytes for ${n} images of ${s.height}×${s.width}×${s.channels}`);
  }
  if (s.classNames.length !== s.numClasses) throw new DataError(name, `${s.classNames.length} class names for ${s.numClasses} classes`);
  for (let i = 0; i < n; i++) {
    if (s.labels[i] >= s.numClasses) throw new DataError(name, `label ${s.labels[i]} at index ${i} is out of range`);
  }
}

/** Longest `meta.id` (a short identifier such as "fmnist-lt") and `meta.licence` text accepted, in characters. */
const META_MAX_ID = 64;
const META_MAX_LICENCE = 10_000;
/**
 * Smallest `meta.std` accepted: pixels are divided by it, so a tiny one blows them up to huge inputs (the folder
 * reader writes 1 for a constant channel).
 */
const META_MIN_STD = 1e-6;

/** A JSON value as a message shows it: numbers as written, strings short and quoted, other things by kind. */
function shown(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(messageName(v, 40));
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a list of ${v.length}`;
  return typeof v === 'object' ? 'an object' : typeof v;
}

/**
 * The `meta` of a pack, every field range-checked against the images it describes (`side`: the shorter image side,
 * `channels`): a crop padding larger than the image trains on blank crops, a zero or non-finite std makes every
 * input NaN or infinite. Messages name the field and its value.
 */
function checkMeta(m: unknown, file: string, side: number, channels: number): DatasetMeta {
  const fail = (what: string): never => {
    throw new DataError(file, `corrupt header (meta.${what})`);
  };
  if (!isObj(m)) return fail('missing');
  const meta = m as unknown as DatasetMeta;
  if (typeof meta.id !== 'string' || !meta.id) fail(`id is ${shown(meta.id)}, not a non-empty string`);
  if (meta.id.length > META_MAX_ID || cleanName(meta.id, META_MAX_ID) !== meta.id) {
    fail(`id is ${shown(meta.id)}: at most ${META_MAX_ID} printable characters`);
  }
  if (typeof meta.title !== 'string') fail(`title is ${shown(meta.title)}, not a string`);
  for (const k of ['mean', 'std'] as const) {
    const list: unknown = meta[k];
    if (!Array.isArray(list)) return fail(`${k} is ${shown(list)}, not a list of numbers`);
    if (list.length !== channels) fail(`${k} lists ${list.length} value${list.length === 1 ? '' : 's'} for ${channels}-channel images`);
    for (let c = 0; c < list.length; c++) {
      const v: unknown = list[c];
      if (typeof v !== 'number' || !Number.isFinite(v)) return fail(`${k}[${c}] is ${shown(v)}, not a finite number`);
      if (k === 'mean' && !(v >= 0 && v <= 1)) fail(`mean[${c}] is ${v}: a mean of pixels scaled to [0, 1] lies in [0, 1]`);
      if (k === 'std' && !(v >= META_MIN_STD && v <= 1)) {
        fail(`std[${c}] is ${v}: a std of pixels scaled to [0, 1] lies in [${META_MIN_STD}, 1] (it divides every pixel)`);
      }
    }
  }
  if (typeof meta.hflip !== 'boolean') fail(`hflip is ${shown(meta.hflip)}, not true or false`);
  if (!isInt(meta.cropPad)) fail(`cropPad is ${shown(meta.cropPad)}, not a non-negative integer`);
  if (meta.cropPad > side) {
    fail(`cropPad is ${meta.cropPad}, more than the image side (${side}): the random crops would hold nothing but padding`);
  }
  if (typeof meta.licence !== 'string') fail(`licence is ${shown(meta.licence)}, not a string`);
  if (meta.licence.length > META_MAX_LICENCE)
    fail(`licence is ${meta.licence.length} characters, more than the ${META_MAX_LICENCE} accepted`);
  return {
    id: meta.id,
    title: cleanName(meta.title, 200),
    mean: meta.mean.slice(),
    std: meta.std.slice(),
    hflip: meta.hflip,
    cropPad: meta.cropPad,
    licence: meta.licence,
  };
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?');
}
