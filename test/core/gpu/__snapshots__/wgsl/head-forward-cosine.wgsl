@group(0) @binding(0) var<storage, read_write> bm : array<f32>;
@group(0) @binding(1) var<storage, read_write> bf : array<f32>;
@group(0) @binding(2) var<storage, read_write> bp : array<f32>;
@group(0) @binding(3) var<storage, read_write> bt : array<f32>;
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
  if (i >= n * C) { return; }
  let b = i / C; let c = i % C;
  var sf = 0.0; var sw = 0.0;
  for (var d = 0; d < D; d = d + 1) { let a = bf[b * D + d]; sf = sf + a * a; let w = bp[d * C + c]; sw = sw + w * w; }
  let nf = sqrt(sf); let nw = sqrt(sw);
  let nfc = max(nf, 1e-12); let nwc = max(nw, 1e-12);
  var s = 0.0;
  for (var d = 0; d < D; d = d + 1) { s = s + (bf[b * D + d] / nfc) * (bp[d * C + c] / nwc); }
  bt[T_O + i] = s;
  if (c == 0) { bt[T_NF + b] = nf; }
  if (b == 0) { bt[T_NW + c] = nw; }
}