@group(0) @binding(0) var<storage, read_write> bm : array<f32>;
@group(0) @binding(1) var<storage, read_write> bx : array<f32>;
@group(0) @binding(2) var<storage, read_write> bst : array<f32>;
@group(0) @binding(3) var<storage, read_write> bgb : array<f32>;
@group(0) @binding(4) var<storage, read_write> by : array<f32>;
@group(0) @binding(5) var<storage, read_write> bres : array<f32>;
fn isFiniteF(x : f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(num_workgroups) nwg : vec3<u32>,
        @builtin(local_invocation_index) lid : u32) {
  let i = i32((wid.y * nwg.x + wid.x) * 256u + lid);
  let n = bitcast<i32>(bm[0]);
  let H = bitcast<i32>(bm[1]);
  let W = bitcast<i32>(bm[2]);
  let C = bitcast<i32>(bm[3]);
  let CS = bitcast<i32>(bm[4]);
  let HIN = bitcast<i32>(bm[5]);
  let WIN = bitcast<i32>(bm[6]);
  let CIN = bitcast<i32>(bm[7]);
  let PADC = bitcast<i32>(bm[8]);
  if (i >= n * H * W * C) { return; }
  let c = i % C;
  let istd = inverseSqrt(bst[CS + c] + 1e-5);
  var v = (bx[i] - bst[c]) * istd * bgb[c] + bgb[C + c];
  v = v + bres[i];
  v = select(v, 0.0, v < 0.0);
  by[i] = v;
}