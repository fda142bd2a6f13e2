@group(0) @binding(0) var<storage, read_write> bm : array<f32>;
@group(0) @binding(1) var<storage, read_write> bdy : array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> bw : array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> bdx : array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> bgout : array<f32>;
@group(0) @binding(5) var<storage, read_write> bout : array<f32>;
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
  let PADC = bitcast<i32>(bm[10]);
  let c4n = CI / 4;
  let co4n = CO / 4;
  let c4 = i % c4n;
  let mb = (i / c4n) * 4;
  let M = n * H * W;
  if (mb >= M) { return; }
  let m0 = min(mb + 0, M - 1);
  let ww0 = m0 % W; let q0 = m0 / W; let hh0 = q0 % H; let nn0 = q0 / H;
  let m1 = min(mb + 1, M - 1);
  let ww1 = m1 % W; let q1 = m1 / W; let hh1 = q1 % H; let nn1 = q1 / H;
  let m2 = min(mb + 2, M - 1);
  let ww2 = m2 % W; let q2 = m2 / W; let hh2 = q2 % H; let nn2 = q2 / H;
  let m3 = min(mb + 3, M - 1);
  let ww3 = m3 % W; let q3 = m3 / W; let hh3 = q3 % H; let nn3 = q3 / H;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var kh = 0; kh < KS; kh = kh + 1) {
    for (var kw = 0; kw < KS; kw = kw + 1) {
      let th0 = hh0 + PD - kh; let tw0 = ww0 + PD - kw;
      let ho0 = th0 / ST; let wo0 = tw0 / ST;
      let ok0 = th0 >= 0 && tw0 >= 0 && th0 % ST == 0 && tw0 % ST == 0 && ho0 < HO && wo0 < WO;
      let b0 = select(0, ((nn0 * HO + ho0) * WO + wo0) * co4n, ok0);
      let z0 = select(0.0, 1.0, ok0);
      let th1 = hh1 + PD - kh; let tw1 = ww1 + PD - kw;
      let ho1 = th1 / ST; let wo1 = tw1 / ST;
      let ok1 = th1 >= 0 && tw1 >= 0 && th1 % ST == 0 && tw1 % ST == 0 && ho1 < HO && wo1 < WO;
      let b1 = select(0, ((nn1 * HO + ho1) * WO + wo1) * co4n, ok1);
      let z1 = select(0.0, 1.0, ok1);
      let th2 = hh2 + PD - kh; let tw2 = ww2 + PD - kw;
      let ho2 = th2 / ST; let wo2 = tw2 / ST;
      let ok2 = th2 >= 0 && tw2 >= 0 && th2 % ST == 0 && tw2 % ST == 0 && ho2 < HO && wo2 < WO;
      let b2 = select(0, ((nn2 * HO + ho2) * WO + wo2) * co4n, ok2);
      let z2 = select(0.0, 1.0, ok2);
      let th3 = hh3 + PD - kh; let tw3 = ww3 + PD - kw;
      let ho3 = th3 / ST; let wo3 = tw3 / ST;
      let ok3 = th3 >= 0 && tw3 >= 0 && th3 % ST == 0 && tw3 % ST == 0 && ho3 < HO && wo3 < WO;
      let b3 = select(0, ((nn3 * HO + ho3) * WO + wo3) * co4n, ok3);
      let z3 = select(0.0, 1.0, ok3);
      let wrow = ((kh * KS + kw) * CI + c4 * 4) * co4n;
      for (var cq = 0; cq < co4n; cq = cq + 1) {
        let w0 = bw[wrow + cq]; let w1 = bw[wrow + co4n + cq]; let w2 = bw[wrow + 2 * co4n + cq]; let w3 = bw[wrow + 3 * co4n + cq];
        let d0 = bdy[b0 + cq] * z0;
        acc0 = acc0 + vec4<f32>(dot(w0, d0), dot(w1, d0), dot(w2, d0), dot(w3, d0));
        let d1 = bdy[b1 + cq] * z1;
        acc1 = acc1 + vec4<f32>(dot(w0, d1), dot(w1, d1), dot(w2, d1), dot(w3, d1));
        let d2 = bdy[b2 + cq] * z2;
        acc2 = acc2 + vec4<f32>(dot(w0, d2), dot(w1, d2), dot(w2, d2), dot(w3, d2));
        let d3 = bdy[b3 + cq] * z3;
        acc3 = acc3 + vec4<f32>(dot(w0, d3), dot(w1, d3), dot(w2, d3), dot(w3, d3));
      }
    }
  }
  if (mb + 0 < M) {
    var v = acc0;
    let ro = (mb + 0) * CI + c4 * 4;
    v = v + select(vec4<f32>(0.0), vec4<f32>(bgout[ro], bgout[ro + 1], bgout[ro + 2], bgout[ro + 3]), vec4<f32>(bout[ro], bout[ro + 1], bout[ro + 2], bout[ro + 3]) > vec4<f32>(0.0));
    bdx[(mb + 0) * c4n + c4] = v;
  }
  if (mb + 1 < M) {
    var v = acc1;
    let ro = (mb + 1) * CI + c4 * 4;
    v = v + select(vec4<f32>(0.0), vec4<f32>(bgout[ro], bgout[ro + 1], bgout[ro + 2], bgout[ro + 3]), vec4<f32>(bout[ro], bout[ro + 1], bout[ro + 2], bout[ro + 3]) > vec4<f32>(0.0));
    bdx[(mb + 1) * c4n + c4] = v;
  }
  if (mb + 2 < M) {
    var v = acc2;
    let ro = (mb + 2) * CI + c4 * 4;
    v = v + select(vec4<f32>(0.0), vec4<f32>(bgout[ro], bgout[ro + 1], bgout[ro + 2], bgout[ro + 3]), vec4<f32>(bout[ro], bout[ro + 1], bout[ro + 2], bout[ro + 3]) > vec4<f32>(0.0));
    bdx[(mb + 2) * c4n + c4] = v;
  }
  if (mb + 3 < M) {
    var v = acc3;
    let ro = (mb + 3) * CI + c4 * 4;
    v = v + select(vec4<f32>(0.0), vec4<f32>(bgout[ro], bgout[ro + 1], bgout[ro + 2], bgout[ro + 3]), vec4<f32>(bout[ro], bout[ro + 1], bout[ro + 2], bout[ro + 3]) > vec4<f32>(0.0));
    bdx[(mb + 3) * c4n + c4] = v;
  }
}