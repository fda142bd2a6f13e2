@group(0) @binding(0) var<storage, read_write> bm : array<f32>;
@group(0) @binding(1) var<storage, read_write> bpart : array<f32>;
@group(0) @binding(2) var<storage, read_write> bres : array<f32>;
fn isFiniteF(x : f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }
var<workgroup> r1 : array<f32, 256>;
var<workgroup> r2 : array<f32, 256>;
var<workgroup> t1 : f32;
var<workgroup> t2 : f32;
fn reduce2(lid : i32, a : f32, b : f32, maxB : bool) {
  r1[lid] = a;
  r2[lid] = b;
  workgroupBarrier();
  if (lid == 0) {
    var s = 0.0;
    var q = 0.0;
    for (var k = 0; k < 256; k = k + 1) {
      s = s + r1[k];
      if (maxB) { q = max(q, r2[k]); } else { q = q + r2[k]; }
    }
    t1 = s;
    t2 = q;
  }
  workgroupBarrier();
}
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lidu : u32) {
  let lid = i32(lidu);
  let P = bitcast<i32>(bm[1]);
  var s = 0.0;
  var bad = 0.0;
  for (var p = lid; p < P; p = p + 256) { s = s + bpart[p]; bad = max(bad, bpart[P + p]); }
  reduce2(lid, s, bad, true);
  if (lid == 0) {
    let ok = t2 < 0.5 && isFiniteF(t1) && isFiniteF(bres[0]);
    bres[1] = t1;
    bres[2] = select(0.0, 1.0, ok);
  }
}