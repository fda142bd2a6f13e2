@group(0) @binding(0) var<storage, read_write> bm : array<f32>;
@group(0) @binding(1) var<storage, read_write> bg : array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> bpart : array<f32>;
fn isFiniteF(x : f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(num_workgroups) nwg : vec3<u32>,
        @builtin(local_invocation_index) lid : u32) {
  let i = i32((wid.y * nwg.x + wid.x) * 64u + lid);
  let n = bitcast<i32>(bm[0]);
  let LEN = bitcast<i32>(bm[1]);
  let P = bitcast<i32>(bm[2]);
  if (i >= P) { return; }
  let e0 = i * 16;
  let e1 = min(e0 + 16, LEN / 4);
  var s = 0.0;
  var ok = true;
  for (var e = e0; e < e1; e = e + 1) {
    let g = bg[e];
    s = s + ((g.x + g.y) + (g.z + g.w));
    ok = ok && isFiniteF(g.x) && isFiniteF(g.y) && isFiniteF(g.z) && isFiniteF(g.w);
  }
  bpart[i] = s;
  bpart[P + i] = select(1.0, 0.0, ok);
}