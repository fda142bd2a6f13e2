@group(0) @binding(0) var<storage, read_write> bm : array<f32>;
@group(0) @binding(1) var<storage, read_write> bgy : array<f32>;
@group(0) @binding(2) var<storage, read_write> by : array<f32>;
@group(0) @binding(3) var<storage, read_write> bx : array<f32>;
@group(0) @binding(4) var<storage, read_write> bst : array<f32>;
@group(0) @binding(5) var<storage, read_write> bpart : array<f32>;
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
  let mean = bst[c];
  let istd = inverseSqrt(bst[CS + c] + 1e-5);
  var sg = 0.0;
  var sb = 0.0;
  for (var m = m0; m < m1; m = m + 1) {
    let i2 = m * C + c;
    let g = bgy[i2] * select(0.0, 1.0, by[i2] > 0.0);
    sb = sb + g;
    sg = sg + g * ((bx[i2] - mean) * istd);
  }
  bpart[(p * C + c) * 2] = sg;
  bpart[(p * C + c) * 2 + 1] = sb;
}