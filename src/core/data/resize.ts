/**
 * Resizing decoded images to the model's input size (e.g. 32×32×3 or 28×28×1).
 *
 * Geometry (default `fit: 'crop'`): like torchvision's `Resize(min(H, W))` + `CenterCrop(H, W)` — the image is
 * scaled uniformly so that it covers the target (the shorter side matches), and the centred target-sized window
 * is kept. The window is computed in continuous source coordinates (no rounding of the crop offset), so a
 * non-integer crop is exact rather than shifted by half a pixel. `fit: 'stretch'` squashes the whole image to the
 * target instead (aspect ratio not kept).
 *
 * Filtering, per axis: when shrinking, area averaging (every source pixel contributes in proportion to the
 * part of it the output pixel covers — a box filter, exact for integer factors: a 2× reduction averages 2×2
 * blocks); when enlarging, bilinear interpolation with half-pixel centres (align_corners = false, edges
 * clamped). Results are rounded to the nearest integer.
 *
 * Channels: alpha is composited over BLACK (r·a, g·a, b·a with a in [0, 1]), so fully transparent pixels become
 * black whatever colour they store — the same result for PNGs decoded here and images decoded by the browser.
 * RGB → grey uses the ITU-R BT.601 luma weights on the stored (gamma-encoded) values, Y = 0.299 R + 0.587 G +
 * 0.114 B, as PIL's `convert('L')` does; grey → RGB replicates the value into the three channels.
 */
import type { DecodedImage } from './png';

export interface ResizeTarget {
  height: number;
  width: number;
  channels: 1 | 3;
}

export type ResizeFit = 'crop' | 'stretch';

/** The source window (continuous coordinates) that maps onto the target. */
export interface SourceWindow {
  x0: number;
  y0: number;
  width: number;
  height: number;
}

/** Source window for `fit`: the centred crop covering the target's aspect ratio, or the whole image. */
export function sourceWindow(srcW: number, srcH: number, target: { height: number; width: number }, fit: ResizeFit = 'crop'): SourceWindow {
  if (fit === 'stretch') return { x0: 0, y0: 0, width: srcW, height: srcH };
  const s = Math.max(target.width / srcW, target.height / srcH);
  const w = Math.min(srcW, target.width / s);
  const h = Math.min(srcH, target.height / s);
  return { x0: (srcW - w) / 2, y0: (srcH - h) / 2, width: w, height: h };
}

interface Taps {
  /** First source index per output index. */
  start: Int32Array;
  /** Weights, `taps` per output (zero-padded), summing to 1. */
  w: Float64Array;
  taps: number;
  lo: number;
  hi: number; // inclusive source range touched
}

/** 1-D resampling weights mapping [offset, offset+span) of a source axis of length srcLen onto outLen pixels. */
function axisTaps(srcLen: number, outLen: number, offset: number, span: number): Taps {
  const inv = span / outLen;
  const area = inv >= 1 - 1e-12;
  const taps = area ? Math.ceil(inv) + 1 : 2;
  const start = new Int32Array(outLen);
  const w = new Float64Array(outLen * taps);
  let lo = srcLen;
  let hi = 0;
  for (let o = 0; o < outLen; o++) {
    const row = new Float64Array(taps);
    let first: number;
    if (area) {
      const a = offset + o * inv;
      const b = a + inv;
      first = Math.max(0, Math.floor(a + 1e-9));
      const last = Math.min(srcLen - 1, Math.ceil(b - 1e-9) - 1);
      for (let i = first; i <= last && i - first < taps; i++) {
        const cover = Math.min(b, i + 1) - Math.max(a, i);
        if (cover > 1e-12) row[i - first] = cover;
      }
    } else {
      const c = offset + (o + 0.5) * inv - 0.5;
      const i0 = Math.floor(c);
      const f = c - i0;
      if (i0 < 0) {
        first = 0;
        row[0] = 1;
      } else if (i0 >= srcLen - 1) {
        first = srcLen - 1;
        row[0] = 1;
      } else {
        first = i0;
        row[0] = 1 - f;
        row[1] = f;
      }
    }
    let sum = 0;
    for (let k = 0; k < taps; k++) sum += row[k];
    if (!(sum > 0)) {
      // degenerate (cannot happen for a valid window); fall back to the nearest pixel
      first = Math.min(srcLen - 1, Math.max(0, Math.floor(offset + (o + 0.5) * inv)));
      row.fill(0);
      row[0] = sum = 1;
    }
    start[o] = first;
    for (let k = 0; k < taps; k++) {
      w[o * taps + k] = row[k] / sum;
      if (row[k] > 0) {
        lo = Math.min(lo, first + k);
        hi = Math.max(hi, first + k);
      }
    }
  }
  return { start, w, taps, lo, hi };
}

/**
 * Resizes (and converts the channels of) a decoded image to `target`, writing H·W·C bytes (HWC) into `out` at
 * `offset` (a new array when `out` is omitted). Throws Error on an inconsistent image.
 */
export function resizeImage(
  img: DecodedImage,
  target: ResizeTarget,
  opts: { fit?: ResizeFit; out?: Uint8Array; offset?: number } = {},
): Uint8Array {
  const { width: sw, height: sh, channels: sc, data } = img;
  const { width: tw, height: th, channels: tc } = target;
  if (!(sw >= 1 && sh >= 1 && Number.isInteger(sw) && Number.isInteger(sh))) throw new Error(`resizeImage: bad source size ${sw}×${sh}`);
  if (sc !== 1 && sc !== 3 && sc !== 4) throw new Error(`resizeImage: unsupported source channels ${sc}`);
  if (data.length < sw * sh * sc) throw new Error(`resizeImage: ${data.length} bytes for ${sw}×${sh}×${sc}`);
  if (!(tw >= 1 && th >= 1 && Number.isInteger(tw) && Number.isInteger(th)) || (tc !== 1 && tc !== 3)) {
    throw new Error(`resizeImage: bad target ${th}×${tw}×${tc}`);
  }
  const out = opts.out ?? new Uint8Array(th * tw * tc);
  const base = opts.offset ?? 0;
  if (base + th * tw * tc > out.length) throw new Error('resizeImage: output buffer too small');

  const win = sourceWindow(sw, sh, target, opts.fit ?? 'crop');
  const xt = axisTaps(sw, tw, win.x0, win.width);
  const yt = axisTaps(sh, th, win.y0, win.height);

  // pass 1: for every source row the vertical pass needs, convert the used columns and resample horizontally
  const cols = xt.hi - xt.lo + 1;
  const conv = new Float64Array(cols * tc);
  const rows = yt.hi - yt.lo + 1;
  const tmp = new Float64Array(rows * tw * tc);
  for (let r = 0; r < rows; r++) {
    const y = yt.lo + r;
    let s = (y * sw + xt.lo) * sc;
    for (let i = 0; i < cols; i++, s += sc) {
      let R: number;
      let G: number;
      let B: number;
      if (sc === 1) R = G = B = data[s];
      else {
        R = data[s];
        G = data[s + 1];
        B = data[s + 2];
        if (sc === 4) {
          const a = data[s + 3] / 255;
          R *= a;
          G *= a;
          B *= a;
        }
      }
      if (tc === 1) conv[i] = sc === 1 ? R : 0.299 * R + 0.587 * G + 0.114 * B;
      else {
        conv[i * 3] = R;
        conv[i * 3 + 1] = G;
        conv[i * 3 + 2] = B;
      }
    }
    const rowOut = r * tw * tc;
    for (let x = 0; x < tw; x++) {
      const first = xt.start[x] - xt.lo;
      for (let c = 0; c < tc; c++) {
        let acc = 0;
        for (let k = 0; k < xt.taps; k++) {
          const wk = xt.w[x * xt.taps + k];
          if (wk !== 0) acc += wk * conv[(first + k) * tc + c];
        }
        tmp[rowOut + x * tc + c] = acc;
      }
    }
  }
  // pass 2: vertical
  const rowLen = tw * tc;
  for (let y = 0; y < th; y++) {
    const first = yt.start[y] - yt.lo;
    const o = base + y * rowLen;
    for (let i = 0; i < rowLen; i++) {
      let acc = 0;
      for (let k = 0; k < yt.taps; k++) {
        const wk = yt.w[y * yt.taps + k];
        if (wk !== 0) acc += wk * tmp[(first + k) * rowLen + i];
      }
      const v = Math.round(acc);
      out[o + i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return out;
}
