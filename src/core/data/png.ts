/**
 * Image decoding for user-supplied image folders.
 *
 * `ImageDecoder` is the injectable interface the folder reader uses. Two implementations:
 *  - `pngDecoder`: a small, dependency-light PNG decoder (fflate inflate) that runs everywhere — Node (tests, CLI)
 *    and a Web Worker — as the fallback. It reads every PNG colour type (grey, grey+alpha, RGB, RGBA, palette) at
 *    bit depths 1/2/4 (grey, palette), 8 and 16, all five row filters, `tRNS` transparency; it checks the
 *    signature, the CRC-32 of every chunk, the chunk order and the amount of image data, and rejects Adam7
 *    interlaced files (re-save without interlacing). Ancillary chunks other than tRNS are ignored (no gamma /
 *    colour-profile correction: samples are taken as stored, as most ML pipelines do).
 *  - `browserDecoder()`: createImageBitmap + OffscreenCanvas (JPEG, PNG, WebP, GIF, BMP, AVIF… whatever the
 *    browser reads), available in browsers and workers only.
 *
 * Decoded images are 8-bit, row-major, interleaved, with 1 (grey), 3 (RGB) or 4 (RGBA, straight — not
 * premultiplied — alpha) channels. 16-bit samples are rounded to 8 bits; grey+alpha and any image with `tRNS`
 * become RGBA; palette images become RGB (or RGBA with tRNS).
 *
 * `encodePng` is a tiny writer for test fixtures (every colour type / depth, chosen filter per row).
 */
import { Unzlib, zlibSync } from 'fflate';
import { DataError } from './errors';
import { crc32 } from './gzip';
import { MAX_IMAGE_PIXELS } from './folder-limits';

export interface DecodedImage {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  /** width·height·channels bytes, row-major, interleaved; alpha (if any) is straight. */
  data: Uint8Array;
}

/** Decodes one image file; throws (preferably a DataError naming `fileName`) when it cannot. */
export type ImageDecoder = (bytes: Uint8Array, fileName: string) => Promise<DecodedImage>;

/** Largest image (width·height) the decoders accept — 64 megapixels (a 256 MiB RGBA buffer). */
export const MAX_DECODE_PIXELS = 64 * 1024 * 1024;

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** True when the bytes start with the 8-byte PNG signature. */
export function isPng(bytes: Uint8Array): boolean {
  if (bytes.length < 8) return false;
  for (let i = 0; i < 8; i++) if (bytes[i] !== SIGNATURE[i]) return false;
  return true;
}

/** A short guess of what a file is, for messages ("JPEG", "GIF", …); null when unknown. */
export function sniffImageType(b: Uint8Array): string | null {
  if (isPng(b)) return 'PNG';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'JPEG';
  if (b.length >= 6 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38) return 'GIF';
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d) return 'BMP';
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') return 'WebP';
  if (b.length >= 12 && ascii(b, 4, 4) === 'ftyp' && /^(avif|avis|heic|heix|mif1)$/.test(ascii(b, 8, 4))) {
    return ascii(b, 8, 4).startsWith('avi') ? 'AVIF' : 'HEIF';
  }
  if (b.length >= 4 && ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 0x2a) || (b[0] === 0x4d && b[1] === 0x4d && b[3] === 0x2a)))
    return 'TIFF';
  return null;
}

/**
 * Width and height from an image file's header, without decoding it: PNG (IHDR), JPEG (the first SOF segment),
 * GIF (the logical screen), BMP (the DIB header) and WebP (VP8 / VP8L / VP8X). Null for other formats or a header
 * that cannot be read (the decoder then reports what is wrong).
 */
export function imageDimensions(b: Uint8Array): { width: number; height: number } | null {
  const le16 = (o: number) => b[o] | (b[o + 1] << 8);
  const be16 = (o: number) => (b[o] << 8) | b[o + 1];
  const le24 = (o: number) => b[o] | (b[o + 1] << 8) | (b[o + 2] << 16);
  const dims = (width: number, height: number) => (width > 0 && height > 0 ? { width, height } : null);
  if (isPng(b)) return b.length >= 24 && ascii(b, 12, 4) === 'IHDR' ? dims(u32(b, 16), u32(b, 20)) : null;
  const kind = sniffImageType(b);
  if (kind === 'GIF') return b.length >= 10 ? dims(le16(6), le16(8)) : null;
  if (kind === 'BMP') {
    if (b.length < 26) return null;
    const dib = b[14] | (b[15] << 8) | (b[16] << 16) | (b[17] << 24);
    if (dib === 12) return dims(le16(18), le16(20));
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    return dims(Math.abs(view.getInt32(18, true)), Math.abs(view.getInt32(22, true)));
  }
  if (kind === 'WebP') {
    if (b.length < 30) return null;
    const chunk = ascii(b, 12, 4);
    if (chunk === 'VP8 ') return dims(le16(26) & 0x3fff, le16(28) & 0x3fff);
    if (chunk === 'VP8L' && b[20] === 0x2f) {
      const bits = (b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24)) >>> 0;
      return dims((bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
    }
    if (chunk === 'VP8X') return dims(le24(24) + 1, le24(27) + 1);
    return null;
  }
  if (kind === 'JPEG') {
    // walk the marker segments up to the first start-of-frame (SOF0–SOF15 but DHT C4, JPG C8, DAC CC)
    let p = 2;
    while (p + 4 <= b.length) {
      if (b[p] !== 0xff) return null;
      const m = b[p + 1];
      if (m === 0xff) {
        p++;
        continue;
      }
      if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) {
        p += 2;
        continue;
      }
      if (m === 0xd9 || m === 0xda) return null;
      const len = be16(p + 2);
      if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
        return p + 9 <= b.length ? dims(be16(p + 7), be16(p + 5)) : null;
      }
      if (len < 2) return null;
      p += 2 + len;
    }
    return null;
  }
  return null;
}

function ascii(b: Uint8Array, off: number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(b[off + i]);
  return s;
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

const COLOR_TYPES: Record<number, { name: string; samples: number; depths: number[] }> = {
  0: { name: 'greyscale', samples: 1, depths: [1, 2, 4, 8, 16] },
  2: { name: 'RGB', samples: 3, depths: [8, 16] },
  3: { name: 'palette', samples: 1, depths: [1, 2, 4, 8] },
  4: { name: 'greyscale+alpha', samples: 2, depths: [8, 16] },
  6: { name: 'RGBA', samples: 4, depths: [8, 16] },
};

/** Decodes a PNG file synchronously. Throws DataError naming `fileName` on anything it cannot read. */
export function decodePng(bytes: Uint8Array, fileName: string, maxPixels = MAX_DECODE_PIXELS): DecodedImage {
  const fail = (msg: string): never => {
    throw new DataError(fileName, msg);
  };
  if (!isPng(bytes)) {
    const kind = sniffImageType(bytes);
    fail(kind ? `${kind} image, not a PNG (only PNG can be decoded here)` : 'not a PNG image (missing the PNG signature)');
  }
  let pos = 8;
  let ihdr: Uint8Array | null = null;
  let palette: Uint8Array | null = null;
  let trns: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  let idatDone = false;
  let sawEnd = false;
  while (pos < bytes.length) {
    if (pos + 8 > bytes.length) fail(`truncated PNG (a chunk header is cut off at byte ${pos})`);
    const len = u32(bytes, pos);
    const type = ascii(bytes, pos + 4, 4);
    if (!/^[A-Za-z]{4}$/.test(type)) fail(`corrupt PNG (invalid chunk type at byte ${pos})`);
    if (len > 0x7fffffff) fail(`corrupt PNG (chunk ${type} claims ${len} bytes)`);
    if (pos + 12 + len > bytes.length) {
      fail(`truncated PNG (chunk ${type} needs ${len} bytes, the file ends ${bytes.length - pos - 8} bytes into it)`);
    }
    const data = bytes.subarray(pos + 8, pos + 8 + len);
    const want = u32(bytes, pos + 8 + len);
    if (crc32(bytes.subarray(pos + 4, pos + 8 + len)) !== want) fail(`corrupt PNG (CRC mismatch in chunk ${type} at byte ${pos})`);
    pos += 12 + len;
    if (!ihdr && type !== 'IHDR') fail(`corrupt PNG (first chunk is ${type}, expected IHDR)`);
    if (type === 'IHDR') {
      if (ihdr) fail('corrupt PNG (two IHDR chunks)');
      if (len !== 13) fail(`corrupt PNG (IHDR has ${len} bytes, expected 13)`);
      ihdr = data;
    } else if (type === 'PLTE') {
      if (len === 0 || len % 3 !== 0 || len > 768) fail(`corrupt PNG (PLTE has ${len} bytes)`);
      palette = data;
    } else if (type === 'tRNS') {
      trns = data;
    } else if (type === 'IDAT') {
      if (idatDone) fail('corrupt PNG (IDAT chunks are not consecutive)');
      idat.push(data);
    } else if (type === 'IEND') {
      sawEnd = true;
      break;
    } else if ((type.charCodeAt(0) & 0x20) === 0) {
      fail(`unsupported PNG (unknown critical chunk ${type})`);
    }
    if (type !== 'IDAT' && idat.length > 0) idatDone = true;
  }
  if (!ihdr) return fail('truncated PNG (no IHDR chunk)');
  if (!sawEnd) fail(idat.length ? 'truncated PNG (the file ends before the IEND chunk)' : 'truncated PNG (no image data)');
  if (idat.length === 0) fail('corrupt PNG (no IDAT chunk)');

  const width = u32(ihdr, 0);
  const height = u32(ihdr, 4);
  const depth = ihdr[8];
  const colorType = ihdr[9];
  if (width === 0 || height === 0) fail(`corrupt PNG (size ${width}×${height})`);
  if (width * height > maxPixels) fail(`image is ${width}×${height}, larger than the ${maxPixels} pixels this reader accepts`);
  const ct = COLOR_TYPES[colorType];
  if (!ct) return fail(`corrupt PNG (unknown colour type ${colorType})`);
  if (!ct.depths.includes(depth)) fail(`corrupt PNG (bit depth ${depth} is not allowed for ${ct.name})`);
  if (ihdr[10] !== 0 || ihdr[11] !== 0) fail('corrupt PNG (unknown compression or filter method)');
  if (ihdr[12] === 1) fail('interlaced (Adam7) PNG, which is not supported — re-save it without interlacing');
  if (ihdr[12] !== 0) fail(`corrupt PNG (unknown interlace method ${ihdr[12]})`);
  if (colorType === 3 && !palette) fail('corrupt PNG (palette image without a PLTE chunk)');

  const bitsPerPixel = ct.samples * depth;
  const stride = Math.ceil((width * bitsPerPixel) / 8);
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const rawLen = (stride + 1) * height;
  const rows = rowWriter(width, height, depth, colorType, palette, trns, fail);
  // the image data is inflated in slices and un-filtered a row at a time into the 8-bit output: only two raw rows
  // are ever held, so a 16-bit image costs its 8-bit size, not its raw size twice
  let prev = new Uint8Array(stride);
  let cur = new Uint8Array(stride);
  let filter = -1;
  let fill = 0;
  let y = 0;
  let got = 0;
  const DONE = {};
  const take = (chunk: Uint8Array) => {
    let i = 0;
    while (i < chunk.length && y < height) {
      if (filter < 0) {
        filter = chunk[i++];
        continue;
      }
      const n = Math.min(stride - fill, chunk.length - i);
      cur.set(chunk.subarray(i, i + n), fill);
      fill += n;
      i += n;
      if (fill === stride) {
        unfilter(cur, y > 0 ? prev : null, filter, bpp, y, fail);
        rows.put(cur, y);
        [prev, cur] = [cur, prev];
        filter = -1;
        fill = 0;
        y++;
      }
    }
    got += i;
    // every row is in: stop inflating (extra data after the image is ignored)
    if (y === height) throw DONE;
  };
  try {
    const z = new Unzlib((chunk) => take(chunk));
    const last = idat.length - 1;
    for (let p = 0; p <= last; p++) {
      const part = idat[p];
      let o = 0;
      do {
        // small slices: one push inflates to at most ~4 MB (the DEFLATE ratio), whatever the image
        const end = Math.min(part.length, o + 4 * 1024);
        z.push(part.subarray(o, end), p === last && end === part.length);
        o = end;
      } while (o < part.length);
    }
  } catch (e) {
    if (e !== DONE) {
      if (e instanceof DataError) throw e;
      const msg = e instanceof Error ? e.message : String(e);
      return fail(/EOF/i.test(msg) ? 'truncated PNG (the compressed image data ends early)' : `corrupt PNG image data (${msg})`);
    }
  }
  if (y < height) fail(`truncated PNG (image data holds ${got} of ${rawLen} bytes)`);
  return rows.image;
}

/** Undoes one row's filter in place (`up`: the previous row, already un-filtered; null on the first row). */
function unfilter(row: Uint8Array, up: Uint8Array | null, f: number, bpp: number, y: number, fail: (msg: string) => never): void {
  const n = row.length;
  switch (f) {
    case 0:
      break;
    case 1:
      for (let i = bpp; i < n; i++) row[i] = (row[i] + row[i - bpp]) & 0xff;
      break;
    case 2:
      if (up) for (let i = 0; i < n; i++) row[i] = (row[i] + up[i]) & 0xff;
      break;
    case 3:
      for (let i = 0; i < n; i++) {
        const a = i >= bpp ? row[i - bpp] : 0;
        const b = up ? up[i] : 0;
        row[i] = (row[i] + ((a + b) >> 1)) & 0xff;
      }
      break;
    case 4:
      for (let i = 0; i < n; i++) {
        const a = i >= bpp ? row[i - bpp] : 0;
        const b = up ? up[i] : 0;
        const c = i >= bpp && up ? up[i - bpp] : 0;
        row[i] = (row[i] + paeth(a, b, c)) & 0xff;
      }
      break;
    default:
      fail(`corrupt PNG (unknown filter type ${f} on row ${y})`);
  }
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** 16-bit → 8-bit with rounding. */
function to8(v: number): number {
  return ((v * 255 + 32767) / 65535) | 0;
}

/**
 * The output image and a writer converting one un-filtered row (raw samples at `depth` bits) into it: 8-bit, grey
 * / RGB / RGBA as the module comment says.
 */
function rowWriter(
  width: number,
  height: number,
  depth: number,
  colorType: number,
  palette: Uint8Array | null,
  trns: Uint8Array | null,
  fail: (msg: string) => never,
): { image: DecodedImage; put: (row: Uint8Array, y: number) => void } {
  const sample = (row: Uint8Array, k: number): number => {
    if (depth === 8) return row[k];
    if (depth === 16) return (row[2 * k] << 8) | row[2 * k + 1];
    const perByte = 8 / depth;
    const byte = row[Math.floor(k / perByte)];
    const shift = 8 - depth * ((k % perByte) + 1);
    return (byte >> shift) & ((1 << depth) - 1);
  };
  const scale8 = (v: number): number => (depth === 16 ? to8(v) : depth === 8 ? v : Math.round((v * 255) / ((1 << depth) - 1)));
  let channels: 1 | 3 | 4;
  let put: (row: Uint8Array, y: number, out: Uint8Array, o: number) => void;
  if (colorType === 3) {
    const pal = palette as Uint8Array;
    const entries = pal.length / 3;
    const alpha = trns && trns.length > 0 ? trns : null;
    if (alpha && alpha.length > entries) fail(`corrupt PNG (tRNS lists ${alpha.length} alphas for ${entries} palette entries)`);
    channels = alpha ? 4 : 3;
    const ch = channels;
    put = (row, y, out, o) => {
      for (let x = 0; x < width; x++, o += ch) {
        const idx = sample(row, x);
        if (idx >= entries) fail(`corrupt PNG (palette index ${idx} at (${x}, ${y}) beyond the ${entries}-entry palette)`);
        out[o] = pal[idx * 3];
        out[o + 1] = pal[idx * 3 + 1];
        out[o + 2] = pal[idx * 3 + 2];
        if (alpha) out[o + 3] = idx < alpha.length ? alpha[idx] : 255;
      }
    };
  } else if (colorType === 0) {
    const key = trns && trns.length >= 2 ? (trns[0] << 8) | trns[1] : -1;
    channels = key >= 0 ? 4 : 1;
    put =
      key < 0 && depth === 8
        ? (row, _y, out, o) => out.set(row, o)
        : (row, _y, out, o) => {
            for (let x = 0; x < width; x++) {
              const v = sample(row, x);
              const g = scale8(v);
              if (key < 0) out[o++] = g;
              else {
                out[o] = out[o + 1] = out[o + 2] = g;
                out[o + 3] = v === key ? 0 : 255;
                o += 4;
              }
            }
          };
  } else if (colorType === 2) {
    const key = trns && trns.length >= 6 ? [(trns[0] << 8) | trns[1], (trns[2] << 8) | trns[3], (trns[4] << 8) | trns[5]] : null;
    channels = key ? 4 : 3;
    const ch = channels;
    put =
      !key && depth === 8
        ? (row, _y, out, o) => out.set(row, o)
        : (row, _y, out, o) => {
            for (let x = 0; x < width; x++, o += ch) {
              const r = sample(row, 3 * x);
              const g = sample(row, 3 * x + 1);
              const b = sample(row, 3 * x + 2);
              out[o] = scale8(r);
              out[o + 1] = scale8(g);
              out[o + 2] = scale8(b);
              if (key) out[o + 3] = r === key[0] && g === key[1] && b === key[2] ? 0 : 255;
            }
          };
  } else {
    // 4 (grey+alpha) and 6 (RGBA): always 8 or 16 bit
    channels = 4;
    put =
      colorType === 6 && depth === 8
        ? (row, _y, out, o) => out.set(row, o)
        : (row, _y, out, o) => {
            for (let x = 0; x < width; x++, o += 4) {
              if (colorType === 4) {
                const g = scale8(sample(row, 2 * x));
                out[o] = out[o + 1] = out[o + 2] = g;
                out[o + 3] = scale8(sample(row, 2 * x + 1));
              } else {
                for (let c = 0; c < 4; c++) out[o + c] = scale8(sample(row, 4 * x + c));
              }
            }
          };
  }
  const image: DecodedImage = { width, height, channels, data: new Uint8Array(0) };
  return {
    image,
    put: (row, y) => {
      if (y === 0) {
        // allocated on the first row: a file refused before any row is in costs nothing
        image.data = new Uint8Array(width * height * channels);
      }
      put(row, y, image.data, y * width * channels);
    },
  };
}

/** The PNG decoder as an ImageDecoder (works in Node, workers and browsers). */
export const pngDecoder: ImageDecoder = async (bytes, fileName) => decodePng(bytes, fileName);

/**
 * A decoder backed by the browser's own image codecs (createImageBitmap + OffscreenCanvas; JPEG, PNG, WebP, GIF,
 * BMP, AVIF…), usable in a Web Worker. Returns null where those APIs are missing (Node). Output is RGBA.
 * EXIF orientation is applied (the browser default); colour-space conversion and premultiplication are off.
 */
export function browserDecoder(maxPixels = MAX_DECODE_PIXELS): ImageDecoder | null {
  const g = globalThis as unknown as {
    createImageBitmap?: (b: Blob, o?: ImageBitmapOptions) => Promise<ImageBitmap>;
    OffscreenCanvas?: new (w: number, h: number) => OffscreenCanvas;
    Blob?: typeof Blob;
  };
  if (typeof g.createImageBitmap !== 'function' || typeof g.OffscreenCanvas !== 'function' || typeof g.Blob !== 'function') return null;
  const create = g.createImageBitmap;
  const Canvas = g.OffscreenCanvas;
  const BlobCtor = g.Blob;
  return async (bytes, fileName) => {
    let bmp: ImageBitmap;
    try {
      bmp = await create(new BlobCtor([bytes as Uint8Array<ArrayBuffer>]), { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
    } catch (e) {
      const kind = sniffImageType(bytes);
      throw new DataError(
        fileName,
        `unreadable image (${kind ? `${kind} data the browser could not decode` : 'not an image format the browser can decode'}` +
          `${e instanceof Error && e.message ? `: ${e.message}` : ''})`,
      );
    }
    try {
      const { width, height } = bmp;
      if (width === 0 || height === 0) throw new DataError(fileName, `unreadable image (size ${width}×${height})`);
      if (width * height > maxPixels)
        throw new DataError(fileName, `image is ${width}×${height}, larger than the ${maxPixels} pixels accepted`);
      const canvas = new Canvas(width, height);
      const ctx = canvas.getContext('2d', { willReadFrequently: true }) as OffscreenCanvasRenderingContext2D | null;
      if (!ctx) throw new DataError(fileName, 'unreadable image (no 2D canvas context available to decode it)');
      ctx.drawImage(bmp, 0, 0);
      const data = ctx.getImageData(0, 0, width, height).data;
      return { width, height, channels: 4, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
    } finally {
      bmp.close();
    }
  };
}

/**
 * The decoder of uploads: the browser's where available (capped at an upload's per-image limit, so an image whose
 * size no header check could read is refused before it is drawn onto a canvas), else the PNG decoder.
 */
export function defaultDecoder(): ImageDecoder {
  return browserDecoder(MAX_IMAGE_PIXELS) ?? pngDecoder;
}

// ---------------------------------------------------------------------------------------------------------------
// Encoder (fixtures)

export interface PngEncodeInput {
  width: number;
  height: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA. */
  colorType: 0 | 2 | 3 | 4 | 6;
  /** Default 8. */
  bitDepth?: 1 | 2 | 4 | 8 | 16;
  /**
   * Samples, row-major, interleaved, one array element per sample (unpacked: for depths < 8 each element holds
   * one value; for 16-bit pass a Uint16Array or plain numbers up to 65535).
   */
  data: ArrayLike<number>;
  /** PLTE contents (RGB triples) for colour type 3. */
  palette?: ArrayLike<number>;
  /** Raw tRNS chunk contents (palette alphas, or the 2- / 6-byte colour key). */
  trns?: ArrayLike<number>;
}

export interface PngEncodeOptions {
  /** Filter type (0..4) for every row, or per row. Default 0. */
  filter?: number | ((row: number) => number);
  /** Split the compressed data over this many IDAT chunks (default 1). */
  idatChunks?: number;
  /** zlib level (default 6). */
  level?: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
}

/** Writes a non-interlaced PNG. Meant for fixtures: no validation beyond what is needed to write it. */
export function encodePng(img: PngEncodeInput, opts: PngEncodeOptions = {}): Uint8Array {
  const { width, height, colorType } = img;
  const depth = img.bitDepth ?? 8;
  const ct = COLOR_TYPES[colorType];
  if (!ct || !ct.depths.includes(depth)) throw new Error(`encodePng: bit depth ${depth} not allowed for colour type ${colorType}`);
  const spp = ct.samples;
  if (img.data.length !== width * height * spp) {
    throw new Error(`encodePng: ${img.data.length} samples for ${width}×${height}×${spp}`);
  }
  const bitsPerPixel = spp * depth;
  const stride = Math.ceil((width * bitsPerPixel) / 8);
  const bpp = Math.max(1, bitsPerPixel >> 3);
  // pack the rows
  const rows = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const base = y * stride;
    for (let k = 0; k < width * spp; k++) {
      const v = img.data[y * width * spp + k];
      if (depth === 8) rows[base + k] = v;
      else if (depth === 16) {
        rows[base + 2 * k] = (v >> 8) & 0xff;
        rows[base + 2 * k + 1] = v & 0xff;
      } else {
        const perByte = 8 / depth;
        rows[base + Math.floor(k / perByte)] |= (v & ((1 << depth) - 1)) << (8 - depth * ((k % perByte) + 1));
      }
    }
  }
  // filter
  const filterOf = typeof opts.filter === 'function' ? opts.filter : () => (opts.filter as number | undefined) ?? 0;
  const raw = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    const f = filterOf(y);
    const o = y * (stride + 1);
    raw[o] = f;
    const cur = y * stride;
    const up = cur - stride;
    for (let i = 0; i < stride; i++) {
      const x = rows[cur + i];
      const a = i >= bpp ? rows[cur + i - bpp] : 0;
      const b = y > 0 ? rows[up + i] : 0;
      const c = i >= bpp && y > 0 ? rows[up + i - bpp] : 0;
      const pred = f === 0 ? 0 : f === 1 ? a : f === 2 ? b : f === 3 ? (a + b) >> 1 : f === 4 ? paeth(a, b, c) : -1;
      if (pred < 0) throw new Error(`encodePng: filter ${f}`);
      raw[o + 1 + i] = (x - pred) & 0xff;
    }
  }
  const z = zlibSync(raw, { level: opts.level ?? 6 });
  const chunks: Uint8Array[] = [];
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr[8] = depth;
  ihdr[9] = colorType;
  chunks.push(pngChunk('IHDR', ihdr));
  if (img.palette) chunks.push(pngChunk('PLTE', Uint8Array.from(img.palette)));
  if (img.trns) chunks.push(pngChunk('tRNS', Uint8Array.from(img.trns)));
  const parts = Math.max(1, Math.min(opts.idatChunks ?? 1, z.length));
  for (let p = 0; p < parts; p++) {
    chunks.push(pngChunk('IDAT', z.subarray(Math.floor((p * z.length) / parts), Math.floor(((p + 1) * z.length) / parts))));
  }
  chunks.push(pngChunk('IEND', new Uint8Array(0)));
  const total = 8 + chunks.reduce((s, c) => s + c.length, 0);
  const out = new Uint8Array(total);
  out.set(SIGNATURE, 0);
  let o = 8;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** One PNG chunk: length, type, data, CRC-32 of type+data. */
export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}
