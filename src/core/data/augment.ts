/**
 * Batch assembly: uint8 NHWC images → normalised float32 NHWC, ((px/255) − mean_c)/std_c, with optional
 * torchvision-style augmentation: RandomCrop(H, padding=p) on the zero-padded image (pad value 0 in pixel space,
 * i.e. it normalises to −mean_c/std_c), followed by RandomHorizontalFlip(0.5). Per image the Rng draws the crop
 * row offset, then the column offset (each uniform in 0..2p), then the flip coin.
 */
import type { Rng } from '../rng';
import type { DatasetMeta, ImageSet } from './types';

export interface BatchOptions {
  augment: boolean;
  /** Flip when augmenting; defaults to meta.hflip. */
  hflip?: boolean;
  rng: Rng;
  /** When given (≥ 3 per image), receives each image's draws: crop row offset, column offset, flip (0/1). */
  draws?: Int8Array;
}

/** Lookup table lut[c·256 + v] = (v/255 − mean_c)/std_c. */
export function normalisationTable(meta: DatasetMeta, channels: number): Float32Array {
  const pick = (arr: number[], c: number, what: string): number => {
    if (arr.length !== channels && arr.length !== 1) {
      throw new Error(`makeBatch: meta.${what} has ${arr.length} entries for ${channels} channels`);
    }
    return arr.length === 1 ? arr[0] : arr[c];
  };
  const lut = new Float32Array(256 * channels);
  for (let c = 0; c < channels; c++) {
    const m = pick(meta.mean, c, 'mean');
    const s = pick(meta.std, c, 'std');
    if (!(s > 0)) throw new Error(`makeBatch: meta.std[${c}] = ${s} must be positive`);
    for (let v = 0; v < 256; v++) lut[c * 256 + v] = (v / 255 - m) / s;
  }
  return lut;
}

/**
 * Builds a float32 NHWC batch of `indices.length` images. `out`, when given, must hold at least that many floats
 * (a longer buffer is filled from the start and a view of the used part is returned).
 */
export function makeBatch(
  set: ImageSet,
  indices: ArrayLike<number>,
  meta: DatasetMeta,
  opts: BatchOptions,
  out?: Float32Array,
): Float32Array {
  const H = set.height;
  const W = set.width;
  const C = set.channels;
  const img = H * W * C;
  const B = indices.length;
  const need = B * img;
  let buf: Float32Array;
  if (out) {
    if (out.length < need) throw new Error(`makeBatch: output buffer holds ${out.length} floats, the batch needs ${need}`);
    buf = out.length === need ? out : out.subarray(0, need);
  } else {
    buf = new Float32Array(need);
  }
  const lut = normalisationTable(meta, C);
  const zero = new Float32Array(C);
  for (let c = 0; c < C; c++) zero[c] = lut[c * 256];
  const n = set.labels.length;
  const pad = opts.augment ? meta.cropPad : 0;
  if (!Number.isInteger(pad) || pad < 0) throw new Error(`makeBatch: meta.cropPad = ${meta.cropPad} must be a non-negative integer`);
  const flipOn = opts.augment && (opts.hflip ?? meta.hflip);
  const px = set.images;
  const rowLen = W * C;
  for (let b = 0; b < B; b++) {
    const idx = indices[b];
    if (!(idx >= 0 && idx < n && Number.isInteger(idx))) throw new Error(`makeBatch: index ${idx} is outside 0..${n - 1} of ${set.name}`);
    const src = idx * img;
    const dst = b * img;
    let dy = 0;
    let dx = 0;
    let flip = false;
    if (opts.augment) {
      if (pad > 0) {
        dy = opts.rng.int(2 * pad + 1) - pad;
        dx = opts.rng.int(2 * pad + 1) - pad;
      }
      if (flipOn) flip = opts.rng.next() < 0.5;
    }
    if (opts.draws) {
      opts.draws[3 * b] = dy;
      opts.draws[3 * b + 1] = dx;
      opts.draws[3 * b + 2] = flip ? 1 : 0;
    }
    if (dy === 0 && dx === 0 && !flip) {
      for (let i = 0; i < img; i++) buf[dst + i] = lut[(i % C) * 256 + px[src + i]];
      continue;
    }
    for (let y = 0; y < H; y++) {
      const sy = y + dy;
      let o = dst + y * rowLen;
      if (sy < 0 || sy >= H) {
        for (let x = 0; x < W; x++) for (let c = 0; c < C; c++) buf[o++] = zero[c];
        continue;
      }
      const rowSrc = src + sy * rowLen;
      for (let x = 0; x < W; x++) {
        const sx = (flip ? W - 1 - x : x) + dx;
        if (sx < 0 || sx >= W) {
          for (let c = 0; c < C; c++) buf[o++] = zero[c];
        } else {
          const s = rowSrc + sx * C;
          for (let c = 0; c < C; c++) buf[o++] = lut[c * 256 + px[s + c]];
        }
      }
    }
  }
  return buf;
}

/** Labels of a batch as int32 (for one-hot / sparse losses). */
export function batchLabels(set: ImageSet, indices: ArrayLike<number>, out?: Int32Array): Int32Array {
  const buf = out && out.length >= indices.length ? out.subarray(0, indices.length) : new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) buf[i] = set.labels[indices[i]];
  return buf;
}
