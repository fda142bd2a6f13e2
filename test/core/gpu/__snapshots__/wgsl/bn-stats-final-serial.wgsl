@group(0) @binding(0) var<storage, read_write> bm : array<f32>;
@group(0) @binding(1) var<storage, read_write> bpart : array<f32>;
@group(0) @binding(2) var<storage, read_write> bst : array<f32>;
fn isFiniteF(x : f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }
fn combine(na : f32, ma : f32, qa : f32, nb : f32, mb : f32, qb : f32) -> vec3<f32> {
  let nn = na + nb;
  if (nb == 0.0) { return vec3<f32>(na, ma, qa); }
  if (na == 0.0) { return vec3<f32>(nb, mb, qb); }
  let d = mb - ma;
  return vec3<f32>(nn, ma + d * (nb / nn), qa + qb + d * d * (na * nb / nn));
}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(num_workgroups) nwg : vec3<u32>,
        @builtin(local_invocation_index) lid : u32) {
  let i = i32((wid.y * nwg.x + wid.x) * 64u + lid);
  let n = bitcast<i32>(bm[0]);
  let C = bitcast<i32>(bm[1]);
  let P = bitcast<i32>(bm[2]);
  let CS = bitcast<i32>(bm[3]);
  if (i >= C) { return; }
  var t = vec3<f32>(0.0);
  for (var p = 0; p < P; p = p + 1) {
    let o = (p * C + i) * 3;
    t = combine(t.x, t.y, t.z, bpart[o], bpart[o + 1], bpart[o + 2]);
  }
  bst[i] = t.y;
  bst[CS + i] = t.z / t.x;
  bst[2 * CS + i] = t.x;
}