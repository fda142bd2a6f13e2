@group(0) @binding(0) var<storage, read_write> bm : array<f32>;
@group(0) @binding(1) var<storage, read_write> bpart : array<f32>;
@group(0) @binding(2) var<storage, read_write> bgrad : array<f32>;
fn isFiniteF(x : f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }
var<workgroup> red : array<f32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(num_workgroups) nwg : vec3<u32>,
        @builtin(local_invocation_index) lid : u32) {
  let i = i32((wid.y * nwg.x + wid.x) * 256u + lid);
  let n = bitcast<i32>(bm[0]);
  let SIZE = bitcast<i32>(bm[1]);
  let CHUNKS = bitcast<i32>(bm[2]);
  let l = i32(lid);
  let lane = l / 32;
  let o = (i / 256) * 32 + l % 32;
  var s = 0.0;
  if (o < SIZE) {
    for (var c = lane; c < CHUNKS; c = c + 8) { s = s + bpart[c * SIZE + o]; }
  }
  red[l] = s;
  workgroupBarrier();
  if (lane < 4) { red[l] = red[l] + red[l + 128]; }
  workgroupBarrier();
  if (lane < 2) { red[l] = red[l] + red[l + 64]; }
  workgroupBarrier();
  if (lane == 0 && o < SIZE) { bgrad[o] = red[l] + red[l + 32]; }
}