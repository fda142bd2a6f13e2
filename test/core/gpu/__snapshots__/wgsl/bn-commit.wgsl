@group(0) @binding(0) var<storage, read_write> bm : array<f32>;
@group(0) @binding(1) var<storage, read_write> bres : array<f32>;
@group(0) @binding(2) var<storage, read_write> bst : array<f32>;
@group(0) @binding(3) var<storage, read_write> brun : array<f32>;
fn isFiniteF(x : f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(num_workgroups) nwg : vec3<u32>,
        @builtin(local_invocation_index) lid : u32) {
  let i = i32((wid.y * nwg.x + wid.x) * 256u + lid);
  let n = bitcast<i32>(bm[0]);
  let L = bitcast<i32>(bm[1]);
  let CS = bitcast<i32>(bm[2]);
  let SS = bitcast<i32>(bm[3]);
  let RS = bitcast<i32>(bm[4]);
  if (i >= L * CS || bres[2] < 0.5) { return; }
  let l = i / CS;
  let c = i % CS;
  let cnt = bst[l * SS + 2 * CS + c];
  if (cnt < 1.5) { return; }
  let r = l * RS + c;
  brun[r] = brun[r] * 0.9 + bst[l * SS + c] * 0.1;
  brun[r + CS] = brun[r + CS] * 0.9 + bst[l * SS + CS + c] * ((0.1 * cnt) / (cnt - 1.0));
}