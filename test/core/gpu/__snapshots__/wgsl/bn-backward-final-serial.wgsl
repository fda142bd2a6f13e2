@group(0) @binding(0) var<storage, read_write> bm : array<f32>;
@group(0) @binding(1) var<storage, read_write> bpart : array<f32>;
@group(0) @binding(2) var<storage, read_write> bgrad : array<f32>;
@group(0) @binding(3) var<storage, read_write> bcpart : array<f32>;
@group(0) @binding(4) var<storage, read_write> bcgrad : array<f32>;
fn isFiniteF(x : f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(num_workgroups) nwg : vec3<u32>,
        @builtin(local_invocation_index) lid : u32) {
  let i = i32((wid.y * nwg.x + wid.x) * 64u + lid);
  let n = bitcast<i32>(bm[0]);
  let C = bitcast<i32>(bm[1]);
  let P = bitcast<i32>(bm[2]);
  let SIZE = bitcast<i32>(bm[3]);
  let CHUNKS = bitcast<i32>(bm[4]);
  if (i < C) {
    var a = 0.0;
    var b = 0.0;
    for (var p = 0; p < P; p = p + 1) { a = a + bpart[(p * C + i) * 2]; b = b + bpart[(p * C + i) * 2 + 1]; }
    bgrad[i] = a;
    bgrad[C + i] = b;
    return;
  }
  let j = i - C;
  if (j >= SIZE) { return; }
  var s = 0.0;
  for (var k = 0; k < CHUNKS; k = k + 1) { s = s + bcpart[k * SIZE + j]; }
  bcgrad[j] = s;
}