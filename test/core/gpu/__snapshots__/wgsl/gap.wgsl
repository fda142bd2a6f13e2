@group(0) @binding(0) var<storage, read_write> bm : array<f32>;
@group(0) @binding(1) var<storage, read_write> bx : array<f32>;
@group(0) @binding(2) var<storage, read_write> bf : array<f32>;
fn isFiniteF(x : f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(num_workgroups) nwg : vec3<u32>,
        @builtin(local_invocation_index) lid : u32) {
  let i = i32((wid.y * nwg.x + wid.x) * 256u + lid);
  let n = bitcast<i32>(bm[0]);
  let HW = bitcast<i32>(bm[1]);
  let C = bitcast<i32>(bm[2]);
  if (i >= n * C) { return; }
  let nb = i / C; let c = i % C;
  var s = 0.0;
  for (var p = 0; p < HW; p = p + 1) { s = s + bx[(nb * HW + p) * C + c]; }
  bf[i] = s / f32(HW);
}