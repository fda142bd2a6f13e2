@group(0) @binding(0) var<storage, read_write> bm : array<f32>;
@group(0) @binding(1) var<storage, read_write> bstep : array<f32>;
@group(0) @binding(2) var<storage, read_write> bres : array<f32>;
@group(0) @binding(3) var<storage, read_write> bp : array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> bg : array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> bv : array<vec4<f32>>;
fn isFiniteF(x : f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(num_workgroups) nwg : vec3<u32>,
        @builtin(local_invocation_index) lid : u32) {
  let i = i32((wid.y * nwg.x + wid.x) * 64u + lid);
  let n = bitcast<i32>(bm[0]);
  let LEN = bitcast<i32>(bm[1]);
  let e0 = i * 4;
  let e1 = min(e0 + 4, LEN / 4);
  if (e0 >= e1 || bres[2] < 0.5) { return; }
  let lr = bstep[1]; let wd = bstep[2]; let mu = bstep[3];
  for (var e = e0; e < e1; e = e + 1) {
    let w = bp[e];
    let v = mu * bv[e] + (bg[e] + wd * w);
    bv[e] = v;
    bp[e] = w - lr * v;
  }
}