@group(0) @binding(0) var<storage, read_write> bm : array<f32>;
@group(0) @binding(1) var<storage, read_write> bpart : array<f32>;
@group(0) @binding(2) var<storage, read_write> bst : array<f32>;
var<workgroup> sn : array<f32, 64>;
var<workgroup> sm : array<f32, 64>;
var<workgroup> sq : array<f32, 64>;
fn combine(na : f32, ma : f32, qa : f32, nb : f32, mb : f32, qb : f32) -> vec3<f32> {
  let nn = na + nb;
  if (nb == 0.0) { return vec3<f32>(na, ma, qa); }
  if (na == 0.0) { return vec3<f32>(nb, mb, qb); }
  let d = mb - ma;
  return vec3<f32>(nn, ma + d * (nb / nn), qa + qb + d * d * (na * nb / nn));
}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(local_invocation_index) lidu : u32) {
  let lid = i32(lidu);
  let c = i32(wid.x);
  let C = bitcast<i32>(bm[1]);
  let P = bitcast<i32>(bm[2]);
  let CS = bitcast<i32>(bm[3]);
  var a = vec3<f32>(0.0);
  for (var p = lid; p < P; p = p + 64) {
    let o = (p * C + c) * 3;
    a = combine(a.x, a.y, a.z, bpart[o], bpart[o + 1], bpart[o + 2]);
  }
  sn[lid] = a.x; sm[lid] = a.y; sq[lid] = a.z;
  workgroupBarrier();
  if (lid == 0) {
    var t = vec3<f32>(0.0);
    for (var k = 0; k < 64; k = k + 1) { t = combine(t.x, t.y, t.z, sn[k], sm[k], sq[k]); }
    bst[c] = t.y;
    bst[CS + c] = t.z / t.x;
    bst[2 * CS + c] = t.x;
  }
}