/**
 * IDX reader/writer (the MNIST / Fashion-MNIST file format): magic 00 00 <dtype> <ndim>, ndim big-endian u32
 * dimensions, then the data. Only dtype 0x08 (unsigned byte) is supported, which is what (Fashion-)MNIST uses.
 * Input may be gzip-compressed (sniffed) or raw. Anything unexpected throws a DataError; nothing is returned
 * until the whole file has been validated, so a caller never receives half a data set.
 */
import { DataError, bytesText } from './errors';
import { gzipBytes, maybeGunzip, type ProgressFn } from './gzip';
import type { ImageSet } from './types';

export interface IdxArray {
  /** Dimensions from the header, outermost first (e.g. [60000, 28, 28]). */
  dims: number[];
  /** prod(dims) bytes (a view into the decompressed file). */
  data: Uint8Array;
}

const DTYPES: Record<number, string> = {
  0x08: 'uint8',
  0x09: 'int8',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

/**
 * Most bytes an IDX file may inflate to here: 256 MiB, over 5× the largest official (Fashion-)MNIST file (the
 * training images, 47,040,016 bytes). Within it, a gzip file is cut off at the size its header declares.
 */
export const IDX_MAX_BYTES = 256 * 1024 * 1024;

/** Inflates (when gzip) with the limit the IDX header declares, as soon as the header is out. */
function inflateIdx(bytes: Uint8Array, fileName: string, onProgress?: ProgressFn): Uint8Array {
  return maybeGunzip(bytes, fileName, {
    onProgress,
    maxBytes: IDX_MAX_BYTES,
    reason: 'an IDX file may hold here',
    limitFrom: (head) => {
      if (head.length < 4) return undefined;
      const headerLen = 4 + 4 * head[3];
      if (head.length < headerLen) return undefined;
      let prod = 1;
      for (let i = 4; i < headerLen; i += 4) prod *= ((head[i] << 24) | (head[i + 1] << 16) | (head[i + 2] << 8) | head[i + 3]) >>> 0;
      return { maxBytes: headerLen + prod, reason: 'its header declares' };
    },
  });
}

/** What the array holds, for messages ("images", "labels"). */
export type IdxKind = 'images' | 'labels' | 'array';

/** Parses an IDX file (gzip or raw). `expectDims` (if given) is the number of dimensions the caller needs. */
export function parseIdx(
  bytes: Uint8Array,
  fileName: string,
  opts: { expectDims?: number; kind?: IdxKind; onProgress?: ProgressFn } = {},
): IdxArray {
  const raw = inflateIdx(bytes, fileName, opts.onProgress);
  const kind = opts.kind ?? 'array';
  if (raw.length < 4) {
    throw new DataError(fileName, `not an IDX file: ${bytesText(raw.length)}, shorter than the 4-byte magic`);
  }
  if (raw[0] !== 0 || raw[1] !== 0) {
    throw new DataError(fileName, `not an IDX file: magic starts ${hex2(raw[0])} ${hex2(raw[1])}, expected 00 00`);
  }
  const dtype = raw[2];
  if (dtype !== 0x08) {
    const name = DTYPES[dtype];
    throw new DataError(
      fileName,
      name
        ? `unsupported IDX data type 0x${hex2(dtype)} (${name}); only 0x08 (uint8) is supported`
        : `not an IDX file: unknown data type byte 0x${hex2(dtype)}`,
    );
  }
  const ndim = raw[3];
  if (ndim === 0) throw new DataError(fileName, 'not an IDX file: header declares 0 dimensions');
  if (opts.expectDims !== undefined && ndim !== opts.expectDims) {
    throw new DataError(
      fileName,
      `expected ${opts.expectDims}-dimensional IDX ${kind}, header declares ${ndim} dimension${ndim === 1 ? '' : 's'}`,
    );
  }
  const headerLen = 4 + 4 * ndim;
  if (raw.length < headerLen) {
    throw new DataError(
      fileName,
      `truncated — the IDX header needs ${bytesText(headerLen)} for ${ndim} dimensions, file holds ${raw.length}`,
    );
  }
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < ndim; i++) {
    const o = 4 + 4 * i;
    const d = ((raw[o] << 24) | (raw[o + 1] << 16) | (raw[o + 2] << 8) | raw[o + 3]) >>> 0;
    dims.push(d);
    count *= d;
  }
  if (dims.some((d) => d === 0)) {
    throw new DataError(fileName, `empty IDX ${kind}: header says ${dims.join('×')}`);
  }
  const held = raw.length - headerLen;
  if (held !== count) {
    const what = `header says ${dims.join('×')} ${kind} (${bytesText(count)})`;
    if (held < count) throw new DataError(fileName, `truncated — ${what}, file holds ${held}`);
    throw new DataError(fileName, `${held - count} unexpected trailing bytes — ${what}, file holds ${held}`);
  }
  return { dims, data: raw.subarray(headerLen) };
}

/** Reads an IDX image file: N×H×W (grey) or N×H×W×C. */
export function readIdxImages(
  bytes: Uint8Array,
  fileName: string,
  onProgress?: ProgressFn,
): { n: number; height: number; width: number; channels: number; images: Uint8Array } {
  const raw = inflateIdx(bytes, fileName, onProgress);
  const ndim = raw.length >= 4 ? raw[3] : 0;
  const arr = parseIdx(raw, fileName, { expectDims: ndim === 4 ? 4 : 3, kind: 'images' });
  const [n, height, width, channels = 1] = arr.dims;
  return { n, height, width, channels, images: arr.data };
}

/** Reads an IDX label file (1-D uint8) and checks every label is < numClasses. */
export function readIdxLabels(bytes: Uint8Array, fileName: string, numClasses: number, onProgress?: ProgressFn): Uint16Array {
  const arr = parseIdx(bytes, fileName, { expectDims: 1, kind: 'labels', onProgress });
  const labels = new Uint16Array(arr.data.length);
  for (let i = 0; i < arr.data.length; i++) {
    const y = arr.data[i];
    if (y >= numClasses) {
      throw new DataError(fileName, `label ${y} at index ${i} is out of range (expected 0..${numClasses - 1})`);
    }
    labels[i] = y;
  }
  return labels;
}

/** Combines an IDX image file and its label file into an ImageSet (checks the counts agree). */
export function imageSetFromIdx(
  imagesBytes: Uint8Array,
  labelsBytes: Uint8Array,
  opts: { imagesFile: string; labelsFile: string; classNames: string[]; name?: string },
): ImageSet {
  const img = readIdxImages(imagesBytes, opts.imagesFile);
  const labels = readIdxLabels(labelsBytes, opts.labelsFile, opts.classNames.length);
  if (labels.length !== img.n) {
    throw new DataError(opts.labelsFile, `holds ${labels.length} labels but ${opts.imagesFile} holds ${img.n} images`);
  }
  return {
    name: opts.name ?? opts.imagesFile,
    height: img.height,
    width: img.width,
    channels: img.channels,
    numClasses: opts.classNames.length,
    classNames: opts.classNames.slice(),
    images: img.images,
    labels,
  };
}

/** Writes a uint8 IDX file (optionally gzip-compressed); used to build test fixtures. */
export function encodeIdx(dims: number[], data: Uint8Array, opts: { gzip?: boolean } = {}): Uint8Array {
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`encodeIdx: dims ${dims.join('×')} need ${count} bytes, got ${data.length}`);
  if (dims.length < 1 || dims.length > 255) throw new Error(`encodeIdx: bad number of dimensions ${dims.length}`);
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  out[2] = 0x08;
  out[3] = dims.length;
  const view = new DataView(out.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return opts.gzip ? gzipBytes(out) : out;
}

function hex2(b: number): string {
  return b.toString(16).padStart(2, '0');
}
