@group(0) @binding(0) var<storage, read_write> bm : array<f32>;
@group(0) @binding(1) var<storage, read_write> bf : array<f32>;
@group(0) @binding(2) var<storage, read_write> bp : array<f32>;
@group(0) @binding(3) var<storage, read_write> bt : array<f32>;
@group(0) @binding(4) var<storage, read_write> bg : array<f32>;
@group(0) @binding(5) var<storage, read_write> bdf : array<f32>;
fn isFiniteF(x : f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(num_workgroups) nwg : vec3<u32>,
        @builtin(local_invocation_index) lidu : u32) {
  let i = i32((wid.y * nwg.x + wid.x) * 256u + lidu);
  let lid = i32(lidu);
  let n = bitcast<i32>(bm[0]);
  let MAXB = bitcast<i32>(bm[8]);
  let C = bitcast<i32>(bm[9]);
  let D = bitcast<i32>(bm[10]);
  let T_O = 0;
  let T_DO = MAXB * C;
  let T_NF = 2 * MAXB * C;
  let T_NW = T_NF + MAXB;
  let T_GN = T_NW + C;
  let T_NR = T_GN + MAXB;
  let T_LSE = T_NR + MAXB;
  let T_COEF = T_LSE + 2 * MAXB;
  let frozen = bitcast<i32>(bm[11]) != 0;
  if (i < MAXB * D) {
    let b = i / D; let d = i % D;
    if (b >= n || frozen) { return; }
    let nf = bt[T_NF + b]; let nfc = max(nf, 1e-12);
    var dfn = 0.0; var s = 0.0;
    for (var c = 0; c < C; c = c + 1) {
      let g = bt[T_DO + b * C + c];
      dfn = dfn + g * (bp[d * C + c] / max(bt[T_NW + c], 1e-12));
      s = s + g * bt[T_O + b * C + c];
    }
    var v = dfn / 1e-12;
    if (nf > 1e-12) { v = (dfn - (bf[b * D + d] / nfc) * s) / nfc; }
    bdf[i] = v + bt[T_GN + b] * bf[i] / bt[T_NR + b];
    return;
  }
  let j = i - MAXB * D;
  if (j < D * C) {
    let d = j / C; let c = j % C;
    let nw = bt[T_NW + c]; let nwc = max(nw, 1e-12);
    var dwn = 0.0; var t = 0.0;
    for (var b = 0; b < n; b = b + 1) {
      let g = bt[T_DO + b * C + c];
      dwn = dwn + (bf[b * D + d] / max(bt[T_NF + b], 1e-12)) * g;
      t = t + g * bt[T_O + b * C + c];
    }
    var v = dwn / 1e-12;
    if (nw > 1e-12) { v = (dwn - (bp[d * C + c] / nwc) * t) / nwc; }
    bg[j] = v;

  }
}