@group(0) @binding(0) var<storage, read_write> bm : array<f32>;
@group(0) @binding(1) var<storage, read_write> bx : array<f32>;
@group(0) @binding(2) var<storage, read_write> bpart : array<f32>;
fn isFiniteF(x : f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(num_workgroups) nwg : vec3<u32>,
        @builtin(local_invocation_index) lid : u32) {
  let i = i32((wid.y * nwg.x + wid.x) * 256u + lid);
  let n = bitcast<i32>(bm[0]);
  let C = bitcast<i32>(bm[1]);
  let HW = bitcast<i32>(bm[2]);
  let P = bitcast<i32>(bm[3]);
  let R = bitcast<i32>(bm[4]);
  let CS = bitcast<i32>(bm[5]);
  if (i >= C * P) { return; }
  let c = i % C; let p = i / C;
  let m0 = p * R;
  let m1 = min(m0 + R, n * HW);
  var s = 0.0;
  for (var m = m0; m < m1; m = m + 1) { s = s + bx[m * C + c]; }
  let cnt = max(m1 - m0, 0);
  var mean = 0.0;
  if (cnt > 0) { mean = s / f32(cnt); }
  var q = 0.0;
  for (var m = m0; m < m1; m = m + 1) { let d = bx[m * C + c] - mean; q = q + d * d; }
  let o = (p * C + c) * 3;
  bpart[o] = f32(cnt); bpart[o + 1] = mean; bpart[o + 2] = q;
}