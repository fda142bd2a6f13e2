/**
 * Plain-JS convolution cores over Float32Arrays (NHWC, filter [kh, kw, ci, co], dilation 1).
 * Register-tiled (4 input channels × 4 output channels) so V8 keeps 16 accumulators in registers and
 * each inner iteration does 8 loads for 16 multiply-adds. Used by the cpu backend kernels and as
 * the reference-quality fallback of the wasm kernels.
 */
import { validRange, type ConvGeom } from './conv-util';

/**
 * dW[kh, kw, ci, co] = Σ_{n, ho, wo} x[n, ho·sh + kh − padTop, wo·sw + kw − padLeft, ci] · dy[n, ho, wo, co].
 * Writes into `out` (length kh·kw·ci·co), which it zero-fills first.
 */
export function conv2dBackpropFilterJS(x: Float32Array, dy: Float32Array, g: ConvGeom, out: Float32Array): Float32Array {
  const { n: N, h: H, w: W, ci: CI, ho: HO, wo: WO, co: CO, kh: KH, kw: KW, sh, sw, padTop, padLeft } = g;
  out.fill(0);
  const ci4 = CI - (CI % 4);
  const co4 = CO - (CO % 4);
  const xs = sw * CI; // x step per output column
  for (let kh = 0; kh < KH; kh++) {
    const [hoLo, hoHi] = validRange(kh, sh, padTop, H, HO);
    for (let kw = 0; kw < KW; kw++) {
      const [woLo, woHi] = validRange(kw, sw, padLeft, W, WO);
      if (woHi <= woLo || hoHi <= hoLo) continue;
      const wBase = (kh * KW + kw) * CI;
      for (let n = 0; n < N; n++) {
        for (let ho = hoLo; ho < hoHi; ho++) {
          const hi = ho * sh + kh - padTop;
          const x0 = ((n * H + hi) * W + (woLo * sw + kw - padLeft)) * CI;
          const d0 = ((n * HO + ho) * WO + woLo) * CO;
          const cnt = woHi - woLo;
          for (let c = 0; c < ci4; c += 4) {
            for (let o = 0; o < co4; o += 4) {
              let a00 = 0,
                a01 = 0,
                a02 = 0,
                a03 = 0;
              let a10 = 0,
                a11 = 0,
                a12 = 0,
                a13 = 0;
              let a20 = 0,
                a21 = 0,
                a22 = 0,
                a23 = 0;
              let a30 = 0,
                a31 = 0,
                a32 = 0,
                a33 = 0;
              let xi = x0 + c;
              let di = d0 + o;
              for (let t = 0; t < cnt; t++) {
                const x0v = x[xi],
                  x1v = x[xi + 1],
                  x2v = x[xi + 2],
                  x3v = x[xi + 3];
                const d0v = dy[di],
                  d1v = dy[di + 1],
                  d2v = dy[di + 2],
                  d3v = dy[di + 3];
                a00 += x0v * d0v;
                a01 += x0v * d1v;
                a02 += x0v * d2v;
                a03 += x0v * d3v;
                a10 += x1v * d0v;
                a11 += x1v * d1v;
                a12 += x1v * d2v;
                a13 += x1v * d3v;
                a20 += x2v * d0v;
                a21 += x2v * d1v;
                a22 += x2v * d2v;
                a23 += x2v * d3v;
                a30 += x3v * d0v;
                a31 += x3v * d1v;
                a32 += x3v * d2v;
                a33 += x3v * d3v;
                xi += xs;
                di += CO;
              }
              let r = (wBase + c) * CO + o;
              out[r] += a00;
              out[r + 1] += a01;
              out[r + 2] += a02;
              out[r + 3] += a03;
              r += CO;
              out[r] += a10;
              out[r + 1] += a11;
              out[r + 2] += a12;
              out[r + 3] += a13;
              r += CO;
              out[r] += a20;
              out[r + 1] += a21;
              out[r + 2] += a22;
              out[r + 3] += a23;
              r += CO;
              out[r] += a30;
              out[r + 1] += a31;
              out[r + 2] += a32;
              out[r + 3] += a33;
            }
          }
          // Remainders: input channels ci4..CI against all outputs, and outputs co4..CO against ci < ci4.
          if (ci4 !== CI || co4 !== CO) {
            for (let c = 0; c < CI; c++) {
              const oStart = c < ci4 ? co4 : 0;
              for (let o = oStart; o < CO; o++) {
                let acc = 0;
                let xi = x0 + c;
                let di = d0 + o;
                for (let t = 0; t < cnt; t++) {
                  acc += x[xi] * dy[di];
                  xi += xs;
                  di += CO;
                }
                out[(wBase + c) * CO + o] += acc;
              }
            }
          }
        }
      }
    }
  }
  return out;
}

/**
 * y[n, ho, wo, co] = Σ_{kh, kw, ci} x[n, ho·sh + kh − padTop, wo·sw + kw − padLeft, ci] · W[kh, kw, ci, co].
 * Register tile: 4 output columns × 4 output channels.
 */
export function conv2dForwardJS(x: Float32Array, w: Float32Array, g: ConvGeom, out: Float32Array): Float32Array {
  const { n: N, h: H, w: W, ci: CI, ho: HO, wo: WO, co: CO, kh: KH, kw: KW, sh, sw, padTop, padLeft } = g;
  out.fill(0);
  const co4 = CO - (CO % 4);
  const xs = sw * CI;
  for (let n = 0; n < N; n++) {
    for (let ho = 0; ho < HO; ho++) {
      const yRow = (n * HO + ho) * WO * CO;
      for (let kh = 0; kh < KH; kh++) {
        const hi = ho * sh + kh - padTop;
        if (hi < 0 || hi >= H) continue;
        const xRow = (n * H + hi) * W * CI;
        for (let kw = 0; kw < KW; kw++) {
          const [woLo, woHi] = validRange(kw, sw, padLeft, W, WO);
          const wOff = (kh * KW + kw) * CI * CO;
          const cnt = woHi - woLo;
          const cnt4 = cnt - (cnt % 4);
          const xStart = xRow + (woLo * sw + kw - padLeft) * CI;
          const yStart = yRow + woLo * CO;
          for (let o = 0; o < co4; o += 4) {
            let t = 0;
            for (; t < cnt4; t += 4) {
              let a00 = 0,
                a01 = 0,
                a02 = 0,
                a03 = 0;
              let a10 = 0,
                a11 = 0,
                a12 = 0,
                a13 = 0;
              let a20 = 0,
                a21 = 0,
                a22 = 0,
                a23 = 0;
              let a30 = 0,
                a31 = 0,
                a32 = 0,
                a33 = 0;
              let xi = xStart + t * xs;
              let wi = wOff + o;
              for (let c = 0; c < CI; c++) {
                const w0 = w[wi],
                  w1 = w[wi + 1],
                  w2 = w[wi + 2],
                  w3 = w[wi + 3];
                const x0v = x[xi],
                  x1v = x[xi + xs],
                  x2v = x[xi + 2 * xs],
                  x3v = x[xi + 3 * xs];
                a00 += x0v * w0;
                a01 += x0v * w1;
                a02 += x0v * w2;
                a03 += x0v * w3;
                a10 += x1v * w0;
                a11 += x1v * w1;
                a12 += x1v * w2;
                a13 += x1v * w3;
                a20 += x2v * w0;
                a21 += x2v * w1;
                a22 += x2v * w2;
                a23 += x2v * w3;
                a30 += x3v * w0;
                a31 += x3v * w1;
                a32 += x3v * w2;
                a33 += x3v * w3;
                xi += 1;
                wi += CO;
              }
              let r = yStart + t * CO + o;
              out[r] += a00;
              out[r + 1] += a01;
              out[r + 2] += a02;
              out[r + 3] += a03;
              r += CO;
              out[r] += a10;
              out[r + 1] += a11;
              out[r + 2] += a12;
              out[r + 3] += a13;
              r += CO;
              out[r] += a20;
              out[r + 1] += a21;
              out[r + 2] += a22;
              out[r + 3] += a23;
              r += CO;
              out[r] += a30;
              out[r + 1] += a31;
              out[r + 2] += a32;
              out[r + 3] += a33;
            }
            for (; t < cnt; t++) {
              let a0 = 0,
                a1 = 0,
                a2 = 0,
                a3 = 0;
              let xi = xStart + t * xs;
              let wi = wOff + o;
              for (let c = 0; c < CI; c++) {
                const xv = x[xi];
                a0 += xv * w[wi];
                a1 += xv * w[wi + 1];
                a2 += xv * w[wi + 2];
                a3 += xv * w[wi + 3];
                xi += 1;
                wi += CO;
              }
              const r = yStart + t * CO + o;
              out[r] += a0;
              out[r + 1] += a1;
              out[r + 2] += a2;
              out[r + 3] += a3;
            }
          }
          for (let o = co4; o < CO; o++) {
            for (let t = 0; t < cnt; t++) {
              let acc = 0;
              let xi = xStart + t * xs;
              let wi = wOff + o;
              for (let c = 0; c < CI; c++) {
                acc += x[xi] * w[wi];
                xi += 1;
                wi += CO;
              }
              out[yStart + t * CO + o] += acc;
            }
          }
        }
      }
    }
  }
  return out;
}

/**
 * dx[n, hi, wi, ci] = Σ over (ho, wo, kh, kw) with hi = ho·sh + kh − padTop, wi = wo·sw + kw − padLeft of
 * Σ_co dy[n, ho, wo, co] · W[kh, kw, ci, co]. Scatter form: each (dy row, tap) adds dy·Wᵀ into a dx row,
 * register tile 4 output columns × 4 input channels (reduction over co).
 */
export function conv2dBackpropInputJS(dy: Float32Array, w: Float32Array, g: ConvGeom, out: Float32Array): Float32Array {
  const { n: N, h: H, w: W, ci: CI, ho: HO, wo: WO, co: CO, kh: KH, kw: KW, sh, sw, padTop, padLeft } = g;
  out.fill(0);
  const ci4 = CI - (CI % 4);
  const xs = sw * CI;
  for (let n = 0; n < N; n++) {
    for (let ho = 0; ho < HO; ho++) {
      const dyRow = (n * HO + ho) * WO * CO;
      for (let kh = 0; kh < KH; kh++) {
        const hi = ho * sh + kh - padTop;
        if (hi < 0 || hi >= H) continue;
        const xRow = (n * H + hi) * W * CI;
        for (let kw = 0; kw < KW; kw++) {
          const [woLo, woHi] = validRange(kw, sw, padLeft, W, WO);
          const wOff = (kh * KW + kw) * CI * CO;
          const xStart = xRow + (woLo * sw + kw - padLeft) * CI;
          const dStart = dyRow + woLo * CO;
          const cnt = woHi - woLo;
          for (let t = 0; t < cnt; t++) {
            const di = dStart + t * CO;
            const xo = xStart + t * xs;
            let c = 0;
            for (; c < ci4; c += 4) {
              let a0 = 0,
                a1 = 0,
                a2 = 0,
                a3 = 0;
              const w0 = wOff + c * CO;
              const w1 = w0 + CO,
                w2 = w1 + CO,
                w3 = w2 + CO;
              for (let o = 0; o < CO; o++) {
                const d = dy[di + o];
                a0 += d * w[w0 + o];
                a1 += d * w[w1 + o];
                a2 += d * w[w2 + o];
                a3 += d * w[w3 + o];
              }
              out[xo + c] += a0;
              out[xo + c + 1] += a1;
              out[xo + c + 2] += a2;
              out[xo + c + 3] += a3;
            }
            for (; c < CI; c++) {
              let a = 0;
              const w0 = wOff + c * CO;
              for (let o = 0; o < CO; o++) a += dy[di + o] * w[w0 + o];
              out[xo + c] += a;
            }
          }
        }
      }
    }
  }
  return out;
}
