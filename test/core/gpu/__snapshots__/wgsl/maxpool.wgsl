@group(0) @binding(0) var<storage, read_write> bm : array<f32>;
@group(0) @binding(1) var<storage, read_write> bx : array<f32>;
@group(0) @binding(2) var<storage, read_write> by : array<f32>;
fn isFiniteF(x : f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(num_workgroups) nwg : vec3<u32>,
        @builtin(local_invocation_index) lid : u32) {
  let i = i32((wid.y * nwg.x + wid.x) * 256u + lid);
  let n = bitcast<i32>(bm[0]);
  let H = bitcast<i32>(bm[1]);
  let W = bitcast<i32>(bm[2]);
  let C = bitcast<i32>(bm[3]);
  let S = bitcast<i32>(bm[4]);
  let HO = H / S; let WO = W / S;
  if (i >= n * HO * WO * C) { return; }
  let c = i % C; let m = i / C; let wo = m % WO; let q = m / WO; let ho = q % HO; let nb = q / HO;
  var best = bx[((nb * H + ho * S) * W + wo * S) * C + c];
  for (var dh = 0; dh < S; dh = dh + 1) {
    for (var dw = 0; dw < S; dw = dw + 1) {
      let v = bx[((nb * H + ho * S + dh) * W + wo * S + dw) * C + c];
      if (v > best) { best = v; }
    }
  }
  by[i] = best;
}