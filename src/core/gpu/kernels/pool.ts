/** Max-pool (S×S, stride S, 'valid') and the global average pool, with their gradients. */
import { indexed } from './wgsl';

const POOL_META = ['H', 'W', 'C', 'S'] as const;

export const maxPool = indexed({
  name: 'maxpool',
  bindings: ['x', 'y'],
  meta: POOL_META,
  threads: (m, d) => d.maxBatch * Math.floor(m.H / m.S) * Math.floor(m.W / m.S) * m.C,
  body: `  let HO = H / S; let WO = W / S;
  if (i >= n * HO * WO * C) { return; }
  let c = i % C; let m = i / C; let wo = m % WO; let q = m / WO; let ho = q % HO; let nb = q / HO;
  var best = bx[((nb * H + ho * S) * W + wo * S) * C + c];
  for (var dh = 0; dh < S; dh = dh + 1) {
    for (var dw = 0; dw < S; dw = dw + 1) {
      let v = bx[((nb * H + ho * S + dh) * W + wo * S + dw) * C + c];
      if (v > best) { best = v; }
    }
  }
  by[i] = best;`,
});

/** Gradient of the max-pool: each window's gradient goes to its first maximum (row-major). */
export const maxPoolBackward = indexed({
  name: 'maxpool-backward',
  bindings: ['x', 'gy', 'dx'],
  meta: POOL_META,
  threads: (m, d) => d.maxBatch * m.H * m.W * m.C,
  body: `  let HO = H / S; let WO = W / S;
  if (i >= n * H * W * C) { return; }
  let c = i % C; let m = i / C; let x = m % W; let q = m / W; let y = q % H; let nb = q / H;
  let ho = y / S; let wo = x / S;
  var g = 0.0;
  if (ho < HO && wo < WO) {
    var best = bx[((nb * H + ho * S) * W + wo * S) * C + c];
    var pos = 0;
    for (var dh = 0; dh < S; dh = dh + 1) {
      for (var dw = 0; dw < S; dw = dw + 1) {
        let v = bx[((nb * H + ho * S + dh) * W + wo * S + dw) * C + c];
        if (v > best) { best = v; pos = dh * S + dw; }
      }
    }
    if (pos == (y - ho * S) * S + (x - wo * S)) { g = bgy[((nb * HO + ho) * WO + wo) * C + c]; }
  }
  bdx[i] = g;`,
});

/** f[b, c] = mean over H·W. */
export const gap = indexed({
  name: 'gap',
  bindings: ['x', 'f'],
  meta: ['HW', 'C'],
  threads: (m, d) => d.maxBatch * m.C,
  body: `  if (i >= n * C) { return; }
  let nb = i / C; let c = i % C;
  var s = 0.0;
  for (var p = 0; p < HW; p = p + 1) { s = s + bx[(nb * HW + p) * C + c]; }
  bf[i] = s / f32(HW);`,
});

/** Gradient of the global average pool. */
export const gapBackward = indexed({
  name: 'gap-backward',
  bindings: ['df', 'dx'],
  meta: ['HW', 'C'],
  threads: (m, d) => d.maxBatch * m.HW * m.C,
  body: `  if (i >= n * HW * C) { return; }
  let c = i % C; let nb = i / (HW * C);
  bdx[i] = bdf[nb * C + c] / f32(HW);`,
});
