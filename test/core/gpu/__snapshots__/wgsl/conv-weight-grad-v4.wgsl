@group(0) @binding(0) var<storage, read_write> bm : array<f32>;
@group(0) @binding(1) var<storage, read_write> bx : array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> bdy : array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> bout : array<vec4<f32>>;
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
  let ci4n = CI / 4;
  let kgn = K / 4;
  let c4 = i % c4n;
  let q0 = i / c4n;
  let kg = q0 % kgn;
  let chunk = q0 / kgn;
  if (chunk >= CHUNKS) { return; }
  let cq = kg % ci4n; let t = kg / ci4n; let dw = t % KS - PD; let dh = t / KS - PD;
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
      let g = bdy[m * c4n + c4];
      let hi = ho * ST + dh; let wi = wo * ST + dw;
      let ok = hi >= 0 && hi < H && wi >= 0 && wi < W;
      let v = bx[select(0, ((nb * H + hi) * W + wi) * ci4n + cq, ok)] * select(0.0, 1.0, ok);
      acc0 = acc0 + v.x * g; acc1 = acc1 + v.y * g; acc2 = acc2 + v.z * g; acc3 = acc3 + v.w * g;
      wo = wo + 1;
      if (wo == WO) { wo = 0; ho = ho + 1; if (ho == HO) { ho = 0; nb = nb + 1; } }
    }
  }
  bout[(chunk * K + kg * 4 + 0) * c4n + c4] = acc0;
  bout[(chunk * K + kg * 4 + 1) * c4n + c4] = acc1;
  bout[(chunk * K + kg * 4 + 2) * c4n + c4] = acc2;
  bout[(chunk * K + kg * 4 + 3) * c4n + c4] = acc3;
}