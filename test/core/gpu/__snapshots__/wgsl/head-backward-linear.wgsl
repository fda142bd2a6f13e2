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
    var v = 0.0;
    for (var c = 0; c < C; c = c + 1) { v = v + bt[T_DO + b * C + c] * bp[d * C + c]; }
    bdf[i] = v + bt[T_GN + b] * bf[i] / bt[T_NR + b];
    return;
  }
  let j = i - MAXB * D;
  if (j < D * C) {
    let d = j / C; let c = j % C;
    var v = 0.0;
    for (var b = 0; b < n; b = b + 1) { v = v + bf[b * D + d] * bt[T_DO + b * C + c]; }
    bg[j] = v;
  } else if (j < D * C + C) {
    let c = j - D * C;
    var v = 0.0;
    for (var b = 0; b < n; b = b + 1) { v = v + bt[T_DO + b * C + c]; }
    bg[j] = v;
  }
}