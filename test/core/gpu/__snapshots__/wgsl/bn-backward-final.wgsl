@group(0) @binding(0) var<storage, read_write> bm : array<f32>;
@group(0) @binding(1) var<storage, read_write> bpart : array<f32>;
@group(0) @binding(2) var<storage, read_write> bgrad : array<f32>;
@group(0) @binding(3) var<storage, read_write> bcpart : array<f32>;
@group(0) @binding(4) var<storage, read_write> bcgrad : array<f32>;
var<workgroup> s1 : array<f32, 64>;
var<workgroup> s2 : array<f32, 64>;
var<workgroup> wc : i32;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(local_invocation_index) lidu : u32) {
  let lid = i32(lidu);
  let w = i32(wid.x);
  let C = bitcast<i32>(bm[1]);
  let P = bitcast<i32>(bm[2]);
  let SIZE = bitcast<i32>(bm[3]);
  let CHUNKS = bitcast<i32>(bm[4]);
  if (lid == 0) { wc = C; }
  if (w < workgroupUniformLoad(&wc)) {
    var a = 0.0;
    var b = 0.0;
    for (var p = lid; p < P; p = p + 64) { a = a + bpart[(p * C + w) * 2]; b = b + bpart[(p * C + w) * 2 + 1]; }
    s1[lid] = a;
    s2[lid] = b;
    workgroupBarrier();
    if (lid == 0) {
      var ta = 0.0;
      var tb = 0.0;
      for (var k = 0; k < 64; k = k + 1) { ta = ta + s1[k]; tb = tb + s2[k]; }
      bgrad[w] = ta;
      bgrad[C + w] = tb;
    }
    return;
  }
  let i = (w - C) * 64 + lid;
  if (i >= SIZE) { return; }
  var s = 0.0;
  for (var k = 0; k < CHUNKS; k = k + 1) { s = s + bcpart[k * SIZE + i]; }
  bcgrad[i] = s;
}