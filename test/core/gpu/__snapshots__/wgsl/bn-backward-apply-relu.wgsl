@group(0) @binding(0) var<storage, read_write> bm : array<f32>;
@group(0) @binding(1) var<storage, read_write> bgy : array<f32>;
@group(0) @binding(2) var<storage, read_write> by : array<f32>;
@group(0) @binding(3) var<storage, read_write> bx : array<f32>;
@group(0) @binding(4) var<storage, read_write> bst : array<f32>;
@group(0) @binding(5) var<storage, read_write> bgb : array<f32>;
@group(0) @binding(6) var<storage, read_write> bgrad : array<f32>;
@group(0) @binding(7) var<storage, read_write> bdx : array<f32>;
fn isFiniteF(x : f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(num_workgroups) nwg : vec3<u32>,
        @builtin(local_invocation_index) lid : u32) {
  let i = i32((wid.y * nwg.x + wid.x) * 256u + lid);
  let n = bitcast<i32>(bm[0]);
  let C = bitcast<i32>(bm[1]);
  let HW = bitcast<i32>(bm[2]);
  let CS = bitcast<i32>(bm[3]);
  if (i >= n * HW * C) { return; }
  let c = i % C;
  let istd = inverseSqrt(bst[CS + c] + 1e-5);
  let invN = 1.0 / f32(n * HW);
  let xh = (bx[i] - bst[c]) * istd;
  let proj = xh * (bgrad[c] * invN) + bgrad[C + c] * invN;
  bdx[i] = (bgy[i] * select(0.0, 1.0, by[i] > 0.0) - proj) * (bgb[c] * istd);
}