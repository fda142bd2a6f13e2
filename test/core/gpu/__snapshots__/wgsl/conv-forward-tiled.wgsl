@group(0) @binding(0) var<storage, read_write> bm : array<f32>;
@group(0) @binding(1) var<storage, read_write> bx : array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> bw : array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> by : array<vec4<f32>>;
override H : i32;
override W : i32;
override CI : i32;
override HO : i32;
override WO : i32;
override CO : i32;
override KS : i32;
override ST : i32;
override PD : i32;
/** Tile width in channels (16, 32 or 64); the tile is 1024 / TN positions (or taps) deep. */
override TN : i32;
override TM : i32 = 1024 / TN;
const BK = 16;
var<workgroup> As : array<f32, 1024>;
var<workgroup> Ws : array<f32, 1024>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(local_invocation_index) lid : u32) {
  let n = bitcast<i32>(bm[0]);
  let t = i32(lid);
  let tq = TN / 4;
  let tc = t % tq;
  let tr = t / tq;
  let M = n * HO * WO;
  let m0 = i32(wid.x) * TM;
  let cq0 = i32(wid.y) * tq;
  let ci4n = CI / 4;
  let co4n = CO / 4;
  // loader of the input slice: rows ar$ (up to 4; TM / 16 of them), channel quad aq
  let aq = t % 4;
  let ar0 = t / 4 + 16 * 0;
  let am0 = m0 + ar0;
  let aon0 = ar0 < TM && am0 < M;
  let awo0 = am0 % WO; let aq0 = am0 / WO;
  let ahb0 = (aq0 % HO) * ST - PD; let awb0 = awo0 * ST - PD; let anb0 = (aq0 / HO) * H;
  let ar1 = t / 4 + 16 * 1;
  let am1 = m0 + ar1;
  let aon1 = ar1 < TM && am1 < M;
  let awo1 = am1 % WO; let aq1 = am1 / WO;
  let ahb1 = (aq1 % HO) * ST - PD; let awb1 = awo1 * ST - PD; let anb1 = (aq1 / HO) * H;
  let ar2 = t / 4 + 16 * 2;
  let am2 = m0 + ar2;
  let aon2 = ar2 < TM && am2 < M;
  let awo2 = am2 % WO; let aq2 = am2 / WO;
  let ahb2 = (aq2 % HO) * ST - PD; let awb2 = awo2 * ST - PD; let anb2 = (aq2 / HO) * H;
  let ar3 = t / 4 + 16 * 3;
  let am3 = m0 + ar3;
  let aon3 = ar3 < TM && am3 < M;
  let awo3 = am3 % WO; let aq3 = am3 / WO;
  let ahb3 = (aq3 % HO) * ST - PD; let awb3 = awo3 * ST - PD; let anb3 = (aq3 / HO) * H;
  // loader of the weight slice: vec4 wi$ (row wk$, channel quad wc$), TN / 16 of them
  let wi0 = t + 64 * 0;
  let won0 = wi0 < 4 * TN;
  let wk0 = wi0 / tq; let wc0 = wi0 % tq;
  let wi1 = t + 64 * 1;
  let won1 = wi1 < 4 * TN;
  let wk1 = wi1 / tq; let wc1 = wi1 % tq;
  let wi2 = t + 64 * 2;
  let won2 = wi2 < 4 * TN;
  let wk2 = wi2 / tq; let wc2 = wi2 % tq;
  let wi3 = t + 64 * 3;
  let won3 = wi3 < 4 * TN;
  let wk3 = wi3 / tq; let wc3 = wi3 % tq;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var kh = 0; kh < KS; kh = kh + 1) {
    for (var kw = 0; kw < KS; kw = kw + 1) {
      let hi0 = ahb0 + kh; let wi_0 = awb0 + kw;
      let ok0 = aon0 && hi0 >= 0 && hi0 < H && wi_0 >= 0 && wi_0 < W;
      let xb0 = select(0, ((anb0 + hi0) * W + wi_0) * ci4n + aq, ok0);
      let hi1 = ahb1 + kh; let wi_1 = awb1 + kw;
      let ok1 = aon1 && hi1 >= 0 && hi1 < H && wi_1 >= 0 && wi_1 < W;
      let xb1 = select(0, ((anb1 + hi1) * W + wi_1) * ci4n + aq, ok1);
      let hi2 = ahb2 + kh; let wi_2 = awb2 + kw;
      let ok2 = aon2 && hi2 >= 0 && hi2 < H && wi_2 >= 0 && wi_2 < W;
      let xb2 = select(0, ((anb2 + hi2) * W + wi_2) * ci4n + aq, ok2);
      let hi3 = ahb3 + kh; let wi_3 = awb3 + kw;
      let ok3 = aon3 && hi3 >= 0 && hi3 < H && wi_3 >= 0 && wi_3 < W;
      let xb3 = select(0, ((anb3 + hi3) * W + wi_3) * ci4n + aq, ok3);
      let wrow = (kh * KS + kw) * CI;
      for (var cq = 0; cq < ci4n; cq = cq + 4) {
        workgroupBarrier();
        if (ar0 < TM) {
          let v = select(vec4<f32>(0.0), bx[xb0 + cq], ok0);
          let r = aq * 4 * TM + ar0;
          As[r] = v.x; As[r + TM] = v.y; As[r + 2 * TM] = v.z; As[r + 3 * TM] = v.w;
        }
        if (ar1 < TM) {
          let v = select(vec4<f32>(0.0), bx[xb1 + cq], ok1);
          let r = aq * 4 * TM + ar1;
          As[r] = v.x; As[r + TM] = v.y; As[r + 2 * TM] = v.z; As[r + 3 * TM] = v.w;
        }
        if (ar2 < TM) {
          let v = select(vec4<f32>(0.0), bx[xb2 + cq], ok2);
          let r = aq * 4 * TM + ar2;
          As[r] = v.x; As[r + TM] = v.y; As[r + 2 * TM] = v.z; As[r + 3 * TM] = v.w;
        }
        if (ar3 < TM) {
          let v = select(vec4<f32>(0.0), bx[xb3 + cq], ok3);
          let r = aq * 4 * TM + ar3;
          As[r] = v.x; As[r + TM] = v.y; As[r + 2 * TM] = v.z; As[r + 3 * TM] = v.w;
        }
        if (won0) {
          let v = bw[(wrow + cq * 4 + wk0) * co4n + cq0 + wc0];
          let r = wk0 * TN + wc0 * 4;
          Ws[r] = v.x; Ws[r + 1] = v.y; Ws[r + 2] = v.z; Ws[r + 3] = v.w;
        }
        if (won1) {
          let v = bw[(wrow + cq * 4 + wk1) * co4n + cq0 + wc1];
          let r = wk1 * TN + wc1 * 4;
          Ws[r] = v.x; Ws[r + 1] = v.y; Ws[r + 2] = v.z; Ws[r + 3] = v.w;
        }
        if (won2) {
          let v = bw[(wrow + cq * 4 + wk2) * co4n + cq0 + wc2];
          let r = wk2 * TN + wc2 * 4;
          Ws[r] = v.x; Ws[r + 1] = v.y; Ws[r + 2] = v.z; Ws[r + 3] = v.w;
        }
        if (won3) {
          let v = bw[(wrow + cq * 4 + wk3) * co4n + cq0 + wc3];
          let r = wk3 * TN + wc3 * 4;
          Ws[r] = v.x; Ws[r + 1] = v.y; Ws[r + 2] = v.z; Ws[r + 3] = v.w;
        }
        workgroupBarrier();
        for (var kl = 0; kl < BK; kl = kl + 1) {
        let a = kl * TM + tr * 4;
        let wv = vec4<f32>(Ws[kl * TN + tc * 4], Ws[kl * TN + tc * 4 + 1], Ws[kl * TN + tc * 4 + 2], Ws[kl * TN + tc * 4 + 3]);
        acc0 = acc0 + As[a + 0] * wv;
        acc1 = acc1 + As[a + 1] * wv;
        acc2 = acc2 + As[a + 2] * wv;
        acc3 = acc3 + As[a + 3] * wv;
        }
      }
    }
  }
  let om0 = m0 + tr * 4 + 0;
  if (om0 < M) { by[om0 * co4n + cq0 + tc] = acc0; }
  let om1 = m0 + tr * 4 + 1;
  if (om1 < M) { by[om1 * co4n + cq0 + tc] = acc1; }
  let om2 = m0 + tr * 4 + 2;
  if (om2 < M) { by[om2 * co4n + cq0 + tc] = acc2; }
  let om3 = m0 + tr * 4 + 3;
  if (om3 < M) { by[om3 * co4n + cq0 + tc] = acc3; }
}