@group(0) @binding(0) var<storage, read_write> bm : array<f32>;
@group(0) @binding(1) var<storage, read_write> bx : array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> bdy : array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> bout : array<vec4<f32>>;
override H : i32;
override W : i32;
override CI : i32;
override HO : i32;
override WO : i32;
override CO : i32;
override KS : i32;
override ST : i32;
override PD : i32;
override LEN : i32;
override CHUNKS : i32;
/** Tile width in channels (16, 32 or 64); the tile is 1024 / TN positions (or taps) deep. */
override TN : i32;
override TM : i32 = 1024 / TN;
const BK = 16;
var<workgroup> As : array<f32, 1024>;
var<workgroup> Ys : array<vec4<f32>, 256>;
var<workgroup> nw : i32;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(local_invocation_index) lid : u32) {
  let n = bitcast<i32>(bm[0]);
  let t = i32(lid);
  let tq = TN / 4;
  let tc = t % tq;
  let tr = t / tq;
  let K = KS * KS * CI;
  let k0 = i32(wid.x) * TM;
  let cq0 = i32(wid.y) * tq;
  let chunk = i32(wid.z);
  let ci4n = CI / 4;
  let co4n = CO / 4;
  let mStart = chunk * LEN;
  // n read through workgroup memory: a uniform value, so the loop around the barriers is uniform
  if (t == 0) { nw = n; }
  let mEnd = min(mStart + LEN, workgroupUniformLoad(&nw) * HO * WO);
  // loader of the im2col slice: tap quad kq (fixed), rows xr$ (TM / 16 of them)
  let tk4 = TM / 4;
  let kq = t % tk4;
  let kk = k0 + kq * 4;
  let kon = kk < K;
  let ciq = (kk % CI) / 4; let tap = kk / CI; let dh = tap / KS - PD; let dw = tap % KS - PD;
  let xr0 = t / tk4 + 0 * (64 / tk4);
  let xon0 = xr0 < 16;
  var xwo0 = (mStart + xr0) % WO; let xq0 = (mStart + xr0) / WO; var xho0 = xq0 % HO; var xnb0 = xq0 / HO;
  let xr1 = t / tk4 + 1 * (64 / tk4);
  let xon1 = xr1 < 16;
  var xwo1 = (mStart + xr1) % WO; let xq1 = (mStart + xr1) / WO; var xho1 = xq1 % HO; var xnb1 = xq1 / HO;
  let xr2 = t / tk4 + 2 * (64 / tk4);
  let xon2 = xr2 < 16;
  var xwo2 = (mStart + xr2) % WO; let xq2 = (mStart + xr2) / WO; var xho2 = xq2 % HO; var xnb2 = xq2 / HO;
  let xr3 = t / tk4 + 3 * (64 / tk4);
  let xon3 = xr3 < 16;
  var xwo3 = (mStart + xr3) % WO; let xq3 = (mStart + xr3) / WO; var xho3 = xq3 % HO; var xnb3 = xq3 / HO;
  // loader of the dy slice: channel quad yc (fixed), rows yr$
  let yc = t % tq;
  let yr0 = t / tq + 0 * (64 / tq);
  let yon0 = yr0 < 16;
  let yr1 = t / tq + 1 * (64 / tq);
  let yon1 = yr1 < 16;
  let yr2 = t / tq + 2 * (64 / tq);
  let yon2 = yr2 < 16;
  let yr3 = t / tq + 3 * (64 / tq);
  let yon3 = yr3 < 16;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var mb = mStart; mb < mEnd; mb = mb + 16) {
    workgroupBarrier();
    if (xon0) {
      let hi = xho0 * ST + dh; let wi = xwo0 * ST + dw;
      let ok = kon && mb + xr0 < mEnd && hi >= 0 && hi < H && wi >= 0 && wi < W;
      let v = select(vec4<f32>(0.0), bx[select(0, ((xnb0 * H + hi) * W + wi) * ci4n + ciq, ok)], ok);
      let r = xr0 * TM + kq * 4;
      As[r] = v.x; As[r + 1] = v.y; As[r + 2] = v.z; As[r + 3] = v.w;
      xwo0 = xwo0 + 16;
      loop { if (xwo0 < WO) { break; } xwo0 = xwo0 - WO; xho0 = xho0 + 1; }
      loop { if (xho0 < HO) { break; } xho0 = xho0 - HO; xnb0 = xnb0 + 1; }
    }
    if (xon1) {
      let hi = xho1 * ST + dh; let wi = xwo1 * ST + dw;
      let ok = kon && mb + xr1 < mEnd && hi >= 0 && hi < H && wi >= 0 && wi < W;
      let v = select(vec4<f32>(0.0), bx[select(0, ((xnb1 * H + hi) * W + wi) * ci4n + ciq, ok)], ok);
      let r = xr1 * TM + kq * 4;
      As[r] = v.x; As[r + 1] = v.y; As[r + 2] = v.z; As[r + 3] = v.w;
      xwo1 = xwo1 + 16;
      loop { if (xwo1 < WO) { break; } xwo1 = xwo1 - WO; xho1 = xho1 + 1; }
      loop { if (xho1 < HO) { break; } xho1 = xho1 - HO; xnb1 = xnb1 + 1; }
    }
    if (xon2) {
      let hi = xho2 * ST + dh; let wi = xwo2 * ST + dw;
      let ok = kon && mb + xr2 < mEnd && hi >= 0 && hi < H && wi >= 0 && wi < W;
      let v = select(vec4<f32>(0.0), bx[select(0, ((xnb2 * H + hi) * W + wi) * ci4n + ciq, ok)], ok);
      let r = xr2 * TM + kq * 4;
      As[r] = v.x; As[r + 1] = v.y; As[r + 2] = v.z; As[r + 3] = v.w;
      xwo2 = xwo2 + 16;
      loop { if (xwo2 < WO) { break; } xwo2 = xwo2 - WO; xho2 = xho2 + 1; }
      loop { if (xho2 < HO) { break; } xho2 = xho2 - HO; xnb2 = xnb2 + 1; }
    }
    if (xon3) {
      let hi = xho3 * ST + dh; let wi = xwo3 * ST + dw;
      let ok = kon && mb + xr3 < mEnd && hi >= 0 && hi < H && wi >= 0 && wi < W;
      let v = select(vec4<f32>(0.0), bx[select(0, ((xnb3 * H + hi) * W + wi) * ci4n + ciq, ok)], ok);
      let r = xr3 * TM + kq * 4;
      As[r] = v.x; As[r + 1] = v.y; As[r + 2] = v.z; As[r + 3] = v.w;
      xwo3 = xwo3 + 16;
      loop { if (xwo3 < WO) { break; } xwo3 = xwo3 - WO; xho3 = xho3 + 1; }
      loop { if (xho3 < HO) { break; } xho3 = xho3 - HO; xnb3 = xnb3 + 1; }
    }
    if (yon0) {
      let m = mb + yr0;
      Ys[yr0 * tq + yc] = select(vec4<f32>(0.0), bdy[select(0, m * co4n + cq0 + yc, m < mEnd)], m < mEnd);
    }
    if (yon1) {
      let m = mb + yr1;
      Ys[yr1 * tq + yc] = select(vec4<f32>(0.0), bdy[select(0, m * co4n + cq0 + yc, m < mEnd)], m < mEnd);
    }
    if (yon2) {
      let m = mb + yr2;
      Ys[yr2 * tq + yc] = select(vec4<f32>(0.0), bdy[select(0, m * co4n + cq0 + yc, m < mEnd)], m < mEnd);
    }
    if (yon3) {
      let m = mb + yr3;
      Ys[yr3 * tq + yc] = select(vec4<f32>(0.0), bdy[select(0, m * co4n + cq0 + yc, m < mEnd)], m < mEnd);
    }
    workgroupBarrier();
    for (var r = 0; r < 16; r = r + 1) {
      let g = Ys[r * tq + tc];
      let a = r * TM + tr * 4;
      acc0 = acc0 + As[a + 0] * g;
      acc1 = acc1 + As[a + 1] * g;
      acc2 = acc2 + As[a + 2] * g;
      acc3 = acc3 + As[a + 3] * g;
    }
  }
  if (k0 + tr * 4 + 0 < K) { bout[(chunk * K + k0 + tr * 4 + 0) * co4n + cq0 + tc] = acc0; }
  if (k0 + tr * 4 + 1 < K) { bout[(chunk * K + k0 + tr * 4 + 1) * co4n + cq0 + tc] = acc1; }
  if (k0 + tr * 4 + 2 < K) { bout[(chunk * K + k0 + tr * 4 + 2) * co4n + cq0 + tc] = acc2; }
  if (k0 + tr * 4 + 3 < K) { bout[(chunk * K + k0 + tr * 4 + 3) * co4n + cq0 + tc] = acc3; }
}