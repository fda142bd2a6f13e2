@group(0) @binding(0) var<storage, read_write> bm : array<f32>;
@group(0) @binding(1) var<storage, read_write> bx : array<f32>;
@group(0) @binding(2) var<storage, read_write> bdy : array<f32>;
@group(0) @binding(3) var<storage, read_write> bout : array<f32>;
fn isFiniteF(x : f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(num_workgroups) nwg : vec3<u32>,
        @builtin(local_invocation_index) lid : u32) {
  let i = i32((wid.y * nwg.x + wid.x) * 64u + lid);
  let n = bitcast<i32>(bm[0]);
  let H = bitcast<i32>(bm[1]);
  let W = bitcast<i32>(bm[2]);
  let CI = bitcast<i32>(bm[3]);
  let HO = bitcast<i32>(bm[4]);
  let WO = bitcast<i32>(bm[5]);
  let CO = bitcast<i32>(bm[6]);
  let KS = bitcast<i32>(bm[7]);
  let ST = bitcast<i32>(bm[8]);
  let PD = bitcast<i32>(bm[9]);
  let LEN = bitcast<i32>(bm[10]);
  let CHUNKS = bitcast<i32>(bm[11]);
  let K = KS * KS * CI;
  let c4n = CO / 4;
  let kgn = (K + 3) / 4;
  let c4 = i % c4n;
  let q0 = i / c4n;
  let kg = q0 % kgn;
  let chunk = q0 / kgn;
  if (chunk >= CHUNKS) { return; }
  let kk0 = min(kg * 4 + 0, K - 1);
  let ci0 = kk0 % CI; let t0 = kk0 / CI; let dw0 = t0 % KS - PD; let dh0 = t0 / KS - PD;
  let kk1 = min(kg * 4 + 1, K - 1);
  let ci1 = kk1 % CI; let t1 = kk1 / CI; let dw1 = t1 % KS - PD; let dh1 = t1 / KS - PD;
  let kk2 = min(kg * 4 + 2, K - 1);
  let ci2 = kk2 % CI; let t2 = kk2 / CI; let dw2 = t2 % KS - PD; let dh2 = t2 / KS - PD;
  let kk3 = min(kg * 4 + 3, K - 1);
  let ci3 = kk3 % CI; let t3 = kk3 / CI; let dw3 = t3 % KS - PD; let dh3 = t3 / KS - PD;
  let mStart = chunk * LEN;
  let mEnd = min(mStart + LEN, n * HO * WO);
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  if (mStart < mEnd) {
    var wo = mStart % WO;
    var q = mStart / WO;
    var ho = q % HO;
    var nb = q / HO;
    for (var m = mStart; m < mEnd; m = m + 1) {
      let o = m * CO + c4 * 4;
      let g = vec4<f32>(bdy[o], bdy[o + 1], bdy[o + 2], bdy[o + 3]);
      let hi0 = ho * ST + dh0; let wi0 = wo * ST + dw0;
      let ok0 = hi0 >= 0 && hi0 < H && wi0 >= 0 && wi0 < W;
      acc0 = acc0 + select(0.0, bx[select(0, ((nb * H + hi0) * W + wi0) * CI + ci0, ok0)], ok0) * g;
      let hi1 = ho * ST + dh1; let wi1 = wo * ST + dw1;
      let ok1 = hi1 >= 0 && hi1 < H && wi1 >= 0 && wi1 < W;
      acc1 = acc1 + select(0.0, bx[select(0, ((nb * H + hi1) * W + wi1) * CI + ci1, ok1)], ok1) * g;
      let hi2 = ho * ST + dh2; let wi2 = wo * ST + dw2;
      let ok2 = hi2 >= 0 && hi2 < H && wi2 >= 0 && wi2 < W;
      acc2 = acc2 + select(0.0, bx[select(0, ((nb * H + hi2) * W + wi2) * CI + ci2, ok2)], ok2) * g;
      let hi3 = ho * ST + dh3; let wi3 = wo * ST + dw3;
      let ok3 = hi3 >= 0 && hi3 < H && wi3 >= 0 && wi3 < W;
      acc3 = acc3 + select(0.0, bx[select(0, ((nb * H + hi3) * W + wi3) * CI + ci3, ok3)], ok3) * g;
      wo = wo + 1;
      if (wo == WO) { wo = 0; ho = ho + 1; if (ho == HO) { ho = 0; nb = nb + 1; } }
    }
  }
  if (kg * 4 + 0 < K) {
    let o = (chunk * K + kg * 4 + 0) * CO + c4 * 4;
    bout[o] = acc0.x; bout[o + 1] = acc0.y; bout[o + 2] = acc0.z; bout[o + 3] = acc0.w;
  }
  if (kg * 4 + 1 < K) {
    let o = (chunk * K + kg * 4 + 1) * CO + c4 * 4;
    bout[o] = acc1.x; bout[o + 1] = acc1.y; bout[o + 2] = acc1.z; bout[o + 3] = acc1.w;
  }
  if (kg * 4 + 2 < K) {
    let o = (chunk * K + kg * 4 + 2) * CO + c4 * 4;
    bout[o] = acc2.x; bout[o + 1] = acc2.y; bout[o + 2] = acc2.z; bout[o + 3] = acc2.w;
  }
  if (kg * 4 + 3 < K) {
    let o = (chunk * K + kg * 4 + 3) * CO + c4 * 4;
    bout[o] = acc3.x; bout[o + 1] = acc3.y; bout[o + 2] = acc3.z; bout[o + 3] = acc3.w;
  }
}