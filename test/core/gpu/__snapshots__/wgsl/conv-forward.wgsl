@group(0) @binding(0) var<storage, read_write> bm : array<f32>;
@group(0) @binding(1) var<storage, read_write> bx : array<f32>;
@group(0) @binding(2) var<storage, read_write> bw : array<f32>;
@group(0) @binding(3) var<storage, read_write> by : array<f32>;
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
  let c4n = CO / 4;
  let c4 = i % c4n;
  let mb = (i / c4n) * 4;
  let M = n * HO * WO;
  if (mb >= M) { return; }
  let m0 = min(mb + 0, M - 1);
  let wo0 = m0 % WO; let q0 = m0 / WO; let hb0 = (q0 % HO) * ST - PD; let wb0 = wo0 * ST - PD; let xb0 = (q0 / HO) * H;
  let m1 = min(mb + 1, M - 1);
  let wo1 = m1 % WO; let q1 = m1 / WO; let hb1 = (q1 % HO) * ST - PD; let wb1 = wo1 * ST - PD; let xb1 = (q1 / HO) * H;
  let m2 = min(mb + 2, M - 1);
  let wo2 = m2 % WO; let q2 = m2 / WO; let hb2 = (q2 % HO) * ST - PD; let wb2 = wo2 * ST - PD; let xb2 = (q2 / HO) * H;
  let m3 = min(mb + 3, M - 1);
  let wo3 = m3 % WO; let q3 = m3 / WO; let hb3 = (q3 % HO) * ST - PD; let wb3 = wo3 * ST - PD; let xb3 = (q3 / HO) * H;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var kh = 0; kh < KS; kh = kh + 1) {
    for (var kw = 0; kw < KS; kw = kw + 1) {
      let hi0 = hb0 + kh; let wi0 = wb0 + kw;
      let ok0 = hi0 >= 0 && hi0 < H && wi0 >= 0 && wi0 < W;
      let b0 = select(0, ((xb0 + hi0) * W + wi0) * CI, ok0);
      let hi1 = hb1 + kh; let wi1 = wb1 + kw;
      let ok1 = hi1 >= 0 && hi1 < H && wi1 >= 0 && wi1 < W;
      let b1 = select(0, ((xb1 + hi1) * W + wi1) * CI, ok1);
      let hi2 = hb2 + kh; let wi2 = wb2 + kw;
      let ok2 = hi2 >= 0 && hi2 < H && wi2 >= 0 && wi2 < W;
      let b2 = select(0, ((xb2 + hi2) * W + wi2) * CI, ok2);
      let hi3 = hb3 + kh; let wi3 = wb3 + kw;
      let ok3 = hi3 >= 0 && hi3 < H && wi3 >= 0 && wi3 < W;
      let b3 = select(0, ((xb3 + hi3) * W + wi3) * CI, ok3);
      let wrow = ((kh * KS + kw) * CI) * CO + c4 * 4;
      for (var ci = 0; ci < CI; ci = ci + 1) {
        let o = wrow + ci * CO;
        let wv = vec4<f32>(bw[o], bw[o + 1], bw[o + 2], bw[o + 3]);
        acc0 = acc0 + select(0.0, bx[b0 + ci], ok0) * wv;
        acc1 = acc1 + select(0.0, bx[b1 + ci], ok1) * wv;
        acc2 = acc2 + select(0.0, bx[b2 + ci], ok2) * wv;
        acc3 = acc3 + select(0.0, bx[b3 + ci], ok3) * wv;
      }
    }
  }
  if (mb + 0 < M) {
    let o = (mb + 0) * CO + c4 * 4;
    by[o] = acc0.x; by[o + 1] = acc0.y; by[o + 2] = acc0.z; by[o + 3] = acc0.w;
  }
  if (mb + 1 < M) {
    let o = (mb + 1) * CO + c4 * 4;
    by[o] = acc1.x; by[o + 1] = acc1.y; by[o + 2] = acc1.z; by[o + 3] = acc1.w;
  }
  if (mb + 2 < M) {
    let o = (mb + 2) * CO + c4 * 4;
    by[o] = acc2.x; by[o + 1] = acc2.y; by[o + 2] = acc2.z; by[o + 3] = acc2.w;
  }
  if (mb + 3 < M) {
    let o = (mb + 3) * CO + c4 * 4;
    by[o] = acc3.x; by[o + 1] = acc3.y; by[o + 2] = acc3.z; by[o + 3] = acc3.w;
  }
}