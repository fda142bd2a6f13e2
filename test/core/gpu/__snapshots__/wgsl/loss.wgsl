@group(0) @binding(0) var<storage, read_write> bm : array<f32>;
@group(0) @binding(1) var<storage, read_write> bf : array<f32>;
@group(0) @binding(2) var<storage, read_write> bt : array<f32>;
@group(0) @binding(3) var<storage, read_write> bres : array<f32>;
fn isFiniteF(x : f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }
var<workgroup> r1 : array<f32, 256>;
var<workgroup> r2 : array<f32, 256>;
var<workgroup> t1 : f32;
var<workgroup> t2 : f32;
fn reduce2(lid : i32, a : f32, b : f32, maxB : bool) {
  r1[lid] = a;
  r2[lid] = b;
  workgroupBarrier();
  if (lid == 0) {
    var s = 0.0;
    var q = 0.0;
    for (var k = 0; k < 256; k = k + 1) {
      s = s + r1[k];
      if (maxB) { q = max(q, r2[k]); } else { q = q + r2[k]; }
    }
    t1 = s;
    t2 = q;
  }
  workgroupBarrier();
}
var<private> S_LAB : i32;
var<private> S_NOI : i32;
var<private> S_OS : i32;
var<private> S_SS : i32;
var<private> S_NA : i32;
var<private> S_TM : i32;
var<private> S_LB : i32;
var<private> S_FS : i32;
var<private> S_CW : i32;
var<private> PMAXB : i32;
var<private> PC : i32;
var<private> PT_O : i32;
fn logit(t : i32, b : i32, c : i32, y : i32, nrm : f32) -> f32 {
  let S = bm[S_SS + y];
  let eps = abs(bm[S_NOI + (t * PMAXB + b) * PC + c]);
  var inner = bm[S_OS + c] * bt[PT_O + b * PC + c] - bm[S_NA + c] * eps;
  if (c == y) { inner = inner - bm[S_TM + c]; }
  return S * inner + bm[S_LB + c] - bm[S_FS + c] / (nrm + 1e-12);
}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(num_workgroups) nwg : vec3<u32>,
        @builtin(local_invocation_index) lidu : u32) {
  let i = i32((wid.y * nwg.x + wid.x) * 256u + lidu);
  let lid = i32(lidu);
  let n = bitcast<i32>(bm[0]);
  let MAXB = bitcast<i32>(bm[8]);
  let C = bitcast<i32>(bm[9]);
  let D = bitcast<i32>(bm[10]);
  let T_O = 0;
  let T_DO = MAXB * C;
  let T_NF = 2 * MAXB * C;
  let T_NW = T_NF + MAXB;
  let T_GN = T_NW + C;
  let T_NR = T_GN + MAXB;
  let T_LSE = T_NR + MAXB;
  let T_COEF = T_LSE + 2 * MAXB;
  let R_NORM = 4;
  let R_PRED = 4 + MAXB;
  S_LAB = 16;
  S_NOI = S_LAB + 2 * MAXB;
  S_OS = S_NOI + 2 * MAXB * C;
  S_SS = S_OS + C;
  S_NA = S_SS + C;
  S_TM = S_NA + C;
  S_LB = S_TM + C;
  S_FS = S_LB + C;
  S_CW = S_FS + C;
  PMAXB = MAXB;
  PC = C;
  PT_O = T_O;
  let terms = bitcast<i32>(bm[4]);
  let lam = bm[5];
  let gamma = bm[6];
  let useCw = bitcast<i32>(bm[7]) != 0;
  for (var b = lid; b < n; b = b + 256) {
    var sf = 0.0;
    for (var d = 0; d < D; d = d + 1) { let a = bf[b * D + d]; sf = sf + a * a; }
    bt[T_NR + b] = sqrt(sf + 1e-24);
    bres[R_NORM + b] = sqrt(sf);
    var best = bt[T_O + b * C];
    var arg = 0;
    for (var c = 1; c < C; c = c + 1) { let v = bt[T_O + b * C + c]; if (v > best) { best = v; arg = c; } }
    bres[R_PRED + b] = f32(arg);
  }
  var den : array<f32, 2>;
  var total = 0.0;

  {
    var num = 0.0;
    var dsum = 0.0;
    if (0 < terms) {
      for (var b = lid; b < n; b = b + 256) {
        let y = bitcast<i32>(bm[S_LAB + 0 * MAXB + b]);
        let nrm = bt[T_NR + b];
        var mx = -3.4e38;
        for (var c = 0; c < C; c = c + 1) { mx = max(mx, logit(0, b, c, y, nrm)); }
        var se = 0.0;
        for (var c = 0; c < C; c = c + 1) { se = se + exp(logit(0, b, c, y, nrm) - mx); }
        let lse = mx + log(se);
        let nll = lse - logit(0, b, y, y, nrm);
        var focal = 1.0;
        if (gamma != 0.0) { focal = pow(max(1.0 - exp(-nll), 0.0), gamma); }
        var w = 1.0;
        if (useCw) { w = bm[S_CW + y]; }
        bt[T_LSE + 0 * MAXB + b] = lse;
        bt[T_COEF + 0 * MAXB + b] = w * focal;
        num = num + w * focal * nll;
        dsum = dsum + w;
      }
    }
    reduce2(lid, num, dsum, false);
    den[0] = t2;
    if (0 < terms) { total = total + lam * (t1 / t2); }
  }

  {
    var num = 0.0;
    var dsum = 0.0;
    if (1 < terms) {
      for (var b = lid; b < n; b = b + 256) {
        let y = bitcast<i32>(bm[S_LAB + 1 * MAXB + b]);
        let nrm = bt[T_NR + b];
        var mx = -3.4e38;
        for (var c = 0; c < C; c = c + 1) { mx = max(mx, logit(1, b, c, y, nrm)); }
        var se = 0.0;
        for (var c = 0; c < C; c = c + 1) { se = se + exp(logit(1, b, c, y, nrm) - mx); }
        let lse = mx + log(se);
        let nll = lse - logit(1, b, y, y, nrm);
        var focal = 1.0;
        if (gamma != 0.0) { focal = pow(max(1.0 - exp(-nll), 0.0), gamma); }
        var w = 1.0;
        if (useCw) { w = bm[S_CW + y]; }
        bt[T_LSE + 1 * MAXB + b] = lse;
        bt[T_COEF + 1 * MAXB + b] = w * focal;
        num = num + w * focal * nll;
        dsum = dsum + w;
      }
    }
    reduce2(lid, num, dsum, false);
    den[1] = t2;
    if (1 < terms) { total = total + (1.0 - lam) * (t1 / t2); }
  }
  for (var b = lid; b < n; b = b + 256) {
    let nrm = bt[T_NR + b];
    let ne = nrm + 1e-12;
    var gn = 0.0;
    for (var c = 0; c < C; c = c + 1) { bt[T_DO + b * C + c] = 0.0; }
    for (var t = 0; t < terms; t = t + 1) {
      let y = bitcast<i32>(bm[S_LAB + t * MAXB + b]);
      let S = bm[S_SS + y];
      let k = select(1.0 - lam, lam, t == 0) * bt[T_COEF + t * MAXB + b] / den[t];
      let lse = bt[T_LSE + t * MAXB + b];
      for (var c = 0; c < C; c = c + 1) {
        let p = exp(logit(t, b, c, y, nrm) - lse);
        let g = k * (p - select(0.0, 1.0, c == y));
        bt[T_DO + b * C + c] = bt[T_DO + b * C + c] + g * S * bm[S_OS + c];
        gn = gn + g * bm[S_FS + c] / (ne * ne);
      }
    }
    bt[T_GN + b] = gn;
  }
  if (lid == 0) { bres[0] = total; }
}