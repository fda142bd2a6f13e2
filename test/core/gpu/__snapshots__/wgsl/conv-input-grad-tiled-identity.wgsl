@group(0) @binding(0) var<storage, read_write> bm : array<f32>;
@group(0) @binding(1) var<storage, read_write> bdy : array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> bw : array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> bdx : array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> bgout : array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> bout : array<vec4<f32>>;
override H : i32;
override W : i32;
override CI : i32;
override HO : i32;
override WO : i32;
override CO : i32;
override KS : i32;
override ST : i32;
override PD : i32;
override PADC : i32;
/** Tile width in channels (16, 32 or 64); the tile is 1024 / TN positions (or taps) deep. */
override TN : i32;
override TM : i32 = 1024 / TN;
const BK = 16;
var<workgroup> As : array<f32, 1024>;
var<workgroup> Ws : array<f32, 1024>;
override HP : i32 = (H + ST - 1) / ST;
override WP : i32 = (W + ST - 1) / ST;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(local_invocation_index) lid : u32) {
  let n = bitcast<i32>(bm[0]);
  let t = i32(lid);
  let tq = TN / 4;
  let tc = t % tq;
  let tr = t / tq;
  let MP = n * HP * WP;
  let m0 = i32(wid.x) * TM;
  let cq0 = i32(wid.y) * tq;
  let ph = i32(wid.z) / ST;
  let pw = i32(wid.z) % ST;
  let ci4n = CI / 4;
  let co4n = CO / 4;
  // the phase's first taps and their output offsets: ho = h2 + oh0 − j for the j-th tap kh0 + ST·j
  let kh0 = (ph + PD) % ST; let oh0 = (ph + PD - kh0) / ST;
  let kw0 = (pw + PD) % ST; let ow0 = (pw + PD - kw0) / ST;
  // loader of the dy slice: rows ar$ (phase positions), output-channel quad aq
  let aq = t % 4;
  let ar0 = t / 4 + 16 * 0;
  let am0 = m0 + ar0;
  let aw20 = am0 % WP; let aqq0 = am0 / WP; let ah20 = aqq0 % HP; let anb0 = (aqq0 / HP) * HO;
  let aon0 = ar0 < TM && am0 < MP && ph + ST * ah20 < H && pw + ST * aw20 < W;
  let ar1 = t / 4 + 16 * 1;
  let am1 = m0 + ar1;
  let aw21 = am1 % WP; let aqq1 = am1 / WP; let ah21 = aqq1 % HP; let anb1 = (aqq1 / HP) * HO;
  let aon1 = ar1 < TM && am1 < MP && ph + ST * ah21 < H && pw + ST * aw21 < W;
  let ar2 = t / 4 + 16 * 2;
  let am2 = m0 + ar2;
  let aw22 = am2 % WP; let aqq2 = am2 / WP; let ah22 = aqq2 % HP; let anb2 = (aqq2 / HP) * HO;
  let aon2 = ar2 < TM && am2 < MP && ph + ST * ah22 < H && pw + ST * aw22 < W;
  let ar3 = t / 4 + 16 * 3;
  let am3 = m0 + ar3;
  let aw23 = am3 % WP; let aqq3 = am3 / WP; let ah23 = aqq3 % HP; let anb3 = (aqq3 / HP) * HO;
  let aon3 = ar3 < TM && am3 < MP && ph + ST * ah23 < H && pw + ST * aw23 < W;
  // loader of the weight slice: 4 output channels (quad wk$ of the slice) of input channel wc$
  let wi0 = t + 64 * 0;
  let won0 = wi0 < 4 * TN;
  let wc0 = wi0 / 4; let wk0 = wi0 % 4;
  let wi1 = t + 64 * 1;
  let won1 = wi1 < 4 * TN;
  let wc1 = wi1 / 4; let wk1 = wi1 % 4;
  let wi2 = t + 64 * 2;
  let won2 = wi2 < 4 * TN;
  let wc2 = wi2 / 4; let wk2 = wi2 % 4;
  let wi3 = t + 64 * 3;
  let won3 = wi3 < 4 * TN;
  let wc3 = wi3 / 4; let wk3 = wi3 % 4;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  var oh = oh0;
  for (var kh = kh0; kh < KS; kh = kh + ST) {
    var ow = ow0;
    for (var kw = kw0; kw < KS; kw = kw + ST) {
      let ho0 = ah20 + oh; let wo0 = aw20 + ow;
      let ok0 = aon0 && ho0 >= 0 && ho0 < HO && wo0 >= 0 && wo0 < WO;
      let db0 = select(0, ((anb0 + ho0) * WO + wo0) * co4n + aq, ok0);
      let ho1 = ah21 + oh; let wo1 = aw21 + ow;
      let ok1 = aon1 && ho1 >= 0 && ho1 < HO && wo1 >= 0 && wo1 < WO;
      let db1 = select(0, ((anb1 + ho1) * WO + wo1) * co4n + aq, ok1);
      let ho2 = ah22 + oh; let wo2 = aw22 + ow;
      let ok2 = aon2 && ho2 >= 0 && ho2 < HO && wo2 >= 0 && wo2 < WO;
      let db2 = select(0, ((anb2 + ho2) * WO + wo2) * co4n + aq, ok2);
      let ho3 = ah23 + oh; let wo3 = aw23 + ow;
      let ok3 = aon3 && ho3 >= 0 && ho3 < HO && wo3 >= 0 && wo3 < WO;
      let db3 = select(0, ((anb3 + ho3) * WO + wo3) * co4n + aq, ok3);
      let wrow = (kh * KS + kw) * CI + cq0 * 4;
      for (var cq = 0; cq < co4n; cq = cq + 4) {
        workgroupBarrier();
        if (ar0 < TM) {
          let v = select(vec4<f32>(0.0), bdy[db0 + cq], ok0);
          let r = aq * 4 * TM + ar0;
          As[r] = v.x; As[r + TM] = v.y; As[r + 2 * TM] = v.z; As[r + 3 * TM] = v.w;
        }
        if (ar1 < TM) {
          let v = select(vec4<f32>(0.0), bdy[db1 + cq], ok1);
          let r = aq * 4 * TM + ar1;
          As[r] = v.x; As[r + TM] = v.y; As[r + 2 * TM] = v.z; As[r + 3 * TM] = v.w;
        }
        if (ar2 < TM) {
          let v = select(vec4<f32>(0.0), bdy[db2 + cq], ok2);
          let r = aq * 4 * TM + ar2;
          As[r] = v.x; As[r + TM] = v.y; As[r + 2 * TM] = v.z; As[r + 3 * TM] = v.w;
        }
        if (ar3 < TM) {
          let v = select(vec4<f32>(0.0), bdy[db3 + cq], ok3);
          let r = aq * 4 * TM + ar3;
          As[r] = v.x; As[r + TM] = v.y; As[r + 2 * TM] = v.z; As[r + 3 * TM] = v.w;
        }
        if (won0) {
          let v = bw[(wrow + wc0) * co4n + cq + wk0];
          let r = wk0 * 4 * TN + wc0;
          Ws[r] = v.x; Ws[r + TN] = v.y; Ws[r + 2 * TN] = v.z; Ws[r + 3 * TN] = v.w;
        }
        if (won1) {
          let v = bw[(wrow + wc1) * co4n + cq + wk1];
          let r = wk1 * 4 * TN + wc1;
          Ws[r] = v.x; Ws[r + TN] = v.y; Ws[r + 2 * TN] = v.z; Ws[r + 3 * TN] = v.w;
        }
        if (won2) {
          let v = bw[(wrow + wc2) * co4n + cq + wk2];
          let r = wk2 * 4 * TN + wc2;
          Ws[r] = v.x; Ws[r + TN] = v.y; Ws[r + 2 * TN] = v.z; Ws[r + 3 * TN] = v.w;
        }
        if (won3) {
          let v = bw[(wrow + wc3) * co4n + cq + wk3];
          let r = wk3 * 4 * TN + wc3;
          Ws[r] = v.x; Ws[r + TN] = v.y; Ws[r + 2 * TN] = v.z; Ws[r + 3 * TN] = v.w;
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
      ow = ow - 1;
    }
    oh = oh - 1;
  }
  {
    let mm = m0 + tr * 4 + 0;
    let w = pw + ST * (mm % WP); let q = mm / WP; let h = ph + ST * (q % HP); let nb = q / HP;
    if (mm < MP && h < H && w < W) {
      let ro = ((nb * H + h) * W + w) * ci4n + cq0 + tc;
      var v = acc0;
      v = v + select(vec4<f32>(0.0), bgout[ro], bout[ro] > vec4<f32>(0.0));
      bdx[ro] = v;
    }
  }
  {
    let mm = m0 + tr * 4 + 1;
    let w = pw + ST * (mm % WP); let q = mm / WP; let h = ph + ST * (q % HP); let nb = q / HP;
    if (mm < MP && h < H && w < W) {
      let ro = ((nb * H + h) * W + w) * ci4n + cq0 + tc;
      var v = acc1;
      v = v + select(vec4<f32>(0.0), bgout[ro], bout[ro] > vec4<f32>(0.0));
      bdx[ro] = v;
    }
  }
  {
    let mm = m0 + tr * 4 + 2;
    let w = pw + ST * (mm % WP); let q = mm / WP; let h = ph + ST * (q % HP); let nb = q / HP;
    if (mm < MP && h < H && w < W) {
      let ro = ((nb * H + h) * W + w) * ci4n + cq0 + tc;
      var v = acc2;
      v = v + select(vec4<f32>(0.0), bgout[ro], bout[ro] > vec4<f32>(0.0));
      bdx[ro] = v;
    }
  }
  {
    let mm = m0 + tr * 4 + 3;
    let w = pw + ST * (mm % WP); let q = mm / WP; let h = ph + ST * (q % HP); let nb = q / HP;
    if (mm < MP && h < H && w < W) {
      let ro = ((nb * H + h) * W + w) * ci4n + cq0 + tc;
      var v = acc3;
      v = v + select(vec4<f32>(0.0), bgout[ro], bout[ro] > vec4<f32>(0.0));
      bdx[ro] = v;
    }
  }
}