/**
 * The tiled convolution kernels one at a time (Dawn + SwiftShader in Node) against the direct kernels and a
 * float64 reference, on odd shapes: positions and channels that are not multiples of the tiles, stride 2 (the
 * input gradient's phases, odd sizes with unequal phases), 1×1 kernels, a partial batch (n < the launch's
 * maximum), the shortcut epilogues and a weight gradient split over several chunks and summed by the tree.
 * Must run under CI=true.
 */
import { describe, expect, it } from 'vitest';
import { pipelineFor, storageLayout } from '../../../src/core/gpu/device';
import {
  chunkSumTree,
  convForward,
  convForwardTiled,
  convForwardV4,
  convInputGradTiled,
  convInputGradV4,
  convVariantFor,
  convWeightGradTiled,
  convWeightGradV4,
  type KernelDef,
  layerConvVariant,
  softwareAdapter,
  tiledWgradChunking,
} from '../../../src/core/gpu/kernels';
import { groups1d } from '../../../src/core/gpu/kernels';
import { CI as ON_CI, dawnDevice, relMaxErr, seq } from './helpers';

const { device, why } = await dawnDevice();
if (!device && !ON_CI) console.warn(`[conv-tiled.test] SKIPPED: WebGPU (Dawn) could not start: ${why}`);

interface Geom {
  n: number;
  H: number;
  W: number;
  CI: number;
  CO: number;
  KS: number;
  ST: number;
  PD: number;
}
const outSize = (x: number, g: Geom) => Math.floor((x + 2 * g.PD - g.KS) / g.ST) + 1;
const metaOf = (g: Geom) => ({
  H: g.H,
  W: g.W,
  CI: g.CI,
  HO: outSize(g.H, g),
  WO: outSize(g.W, g),
  CO: g.CO,
  KS: g.KS,
  ST: g.ST,
  PD: g.PD,
});

/** Runs one dispatch of `def` with n = `n` (grids for `maxBatch`) and returns binding `read` afterwards. */
async function run<B extends string, M extends string>(
  def: KernelDef<B, M>,
  meta: Record<M, number>,
  data: Partial<Record<B, Float32Array>>,
  n: number,
  maxBatch: number,
  read: B,
): Promise<Float32Array> {
  const d = device!;
  const names = def.meta === 'step' ? [] : def.meta;
  const words = new Int32Array(Math.max(64, names.length + 1));
  words[0] = n;
  names.forEach((k, i) => (words[i + 1] = meta[k]));
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
  const mk = (v: ArrayBufferView & { byteLength: number }) => {
    const b = d.createBuffer({ size: Math.max(256, Math.ceil(v.byteLength / 256) * 256), usage });
    d.queue.writeBuffer(b, 0, v.buffer, v.byteOffset, v.byteLength);
    return b;
  };
  const bufs = [mk(words), ...def.bindings.map((k) => mk(data[k]!))];
  const constants = def.constants?.(meta);
  const pipeline = await pipelineFor(d, def, constants);
  const bindGroup = d.createBindGroup({
    layout: storageLayout(d, bufs.length).bgl,
    entries: bufs.map((buffer, i) => ({ binding: i, resource: { buffer } })),
  });
  const l = def.launch(meta, { maxBatch, C: 1, D: 1 });
  const groups = 'threads' in l ? groups1d(l.threads, def.workgroupSize) : l.workgroups;
  const out = bufs[1 + def.bindings.indexOf(read)];
  const staging = d.createBuffer({ size: out.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  d.pushErrorScope('validation');
  const enc = d.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(...groups);
  pass.end();
  enc.copyBufferToBuffer(out, 0, staging, 0, out.size);
  d.queue.submit([enc.finish()]);
  const err = await d.popErrorScope();
  if (err) throw new Error(`${def.name}: ${err.message}`);
  await staging.mapAsync(GPUMapMode.READ);
  const r = new Float32Array(staging.getMappedRange().slice(0, data[read]!.byteLength));
  staging.unmap();
  for (const b of [...bufs, staging]) b.destroy();
  return r;
}

/** float64 reference forward: y[n, ho, wo, co]. */
function refForward(g: Geom, x: Float32Array, w: Float32Array, n: number): Float64Array {
  const { HO, WO } = metaOf(g);
  const y = new Float64Array(n * HO * WO * g.CO);
  for (let b = 0; b < n; b++)
    for (let ho = 0; ho < HO; ho++)
      for (let wo = 0; wo < WO; wo++)
        for (let kh = 0; kh < g.KS; kh++)
          for (let kw = 0; kw < g.KS; kw++) {
            const hi = ho * g.ST - g.PD + kh;
            const wi = wo * g.ST - g.PD + kw;
            if (hi < 0 || hi >= g.H || wi < 0 || wi >= g.W) continue;
            for (let ci = 0; ci < g.CI; ci++) {
              const xv = x[((b * g.H + hi) * g.W + wi) * g.CI + ci];
              const wr = ((kh * g.KS + kw) * g.CI + ci) * g.CO;
              const yo = ((b * HO + ho) * WO + wo) * g.CO;
              for (let co = 0; co < g.CO; co++) y[yo + co] += xv * w[wr + co];
            }
          }
  return y;
}

/** float64 reference input gradient and weight gradient of y = conv(x, w) for dy. */
function refBackward(g: Geom, x: Float32Array, w: Float32Array, dy: Float32Array, n: number) {
  const { HO, WO } = metaOf(g);
  const dx = new Float64Array(n * g.H * g.W * g.CI);
  const dw = new Float64Array(g.KS * g.KS * g.CI * g.CO);
  for (let b = 0; b < n; b++)
    for (let ho = 0; ho < HO; ho++)
      for (let wo = 0; wo < WO; wo++)
        for (let kh = 0; kh < g.KS; kh++)
          for (let kw = 0; kw < g.KS; kw++) {
            const hi = ho * g.ST - g.PD + kh;
            const wi = wo * g.ST - g.PD + kw;
            if (hi < 0 || hi >= g.H || wi < 0 || wi >= g.W) continue;
            const yo = ((b * HO + ho) * WO + wo) * g.CO;
            for (let ci = 0; ci < g.CI; ci++) {
              const xo = ((b * g.H + hi) * g.W + wi) * g.CI + ci;
              const wr = ((kh * g.KS + kw) * g.CI + ci) * g.CO;
              let s = 0;
              for (let co = 0; co < g.CO; co++) {
                s += dy[yo + co] * w[wr + co];
                dw[wr + co] += x[xo] * dy[yo + co];
              }
              dx[xo] += s;
            }
          }
  return { dx, dw };
}

function expectClose(got: ArrayLike<number>, ref: ArrayLike<number>, what: string, tol = 1e-5): void {
  expect(got.length, what).toBe(ref.length);
  const { err, scale } = relMaxErr(got, ref);
  expect(scale, what).toBeGreaterThan(0);
  expect(err, `${what}: max error ${err} vs max |ref| ${scale}`).toBeLessThanOrEqual(tol * scale);
}

// odd sizes (not multiples of the tiles' 16–64 positions), channel counts giving tiles of 16, 32 and 64 channels
const GEOMS: [string, Geom][] = [
  ['3×3 stride 1, 7×5, 16 → 48', { n: 3, H: 7, W: 5, CI: 16, CO: 48, KS: 3, ST: 1, PD: 1 }],
  ['3×3 stride 2, 9×7, 32 → 32', { n: 3, H: 9, W: 7, CI: 32, CO: 32, KS: 3, ST: 2, PD: 1 }],
  ['3×3 stride 2, 8×8, 16 → 64', { n: 2, H: 8, W: 8, CI: 16, CO: 64, KS: 3, ST: 2, PD: 1 }],
  ['1×1 stride 1, 5×6, 64 → 16', { n: 3, H: 5, W: 6, CI: 64, CO: 16, KS: 1, ST: 1, PD: 0 }],
  ['1×1 stride 2, 5×5, 16 → 32', { n: 2, H: 5, W: 5, CI: 16, CO: 32, KS: 1, ST: 2, PD: 0 }],
];

describe.skipIf(!device && !ON_CI)('tiled convolution kernels vs the direct ones (Dawn + SwiftShader)', () => {
  it('has a device under CI', () => {
    if (!device) throw new Error(`WebGPU must start under CI but did not: ${why}`);
  });

  it.each(GEOMS)('forward, %s: equals the direct kernel and the float64 reference; a partial batch too', async (_l, g) => {
    const m = metaOf(g);
    const x = seq(g.n * g.H * g.W * g.CI, 1);
    const w = seq(g.KS * g.KS * g.CI * g.CO, 2);
    for (const n of [g.n, g.n - 1]) {
      const y = new Float32Array(g.n * m.HO * m.WO * g.CO);
      const tiled = await run(convForwardTiled, m, { x, w, y }, n, g.n, 'y');
      const direct = await run(convForwardV4, m, { x, w, y }, n, g.n, 'y');
      const used = n * m.HO * m.WO * g.CO;
      const ref = refForward(g, x, w, n);
      expectClose(tiled.subarray(0, used), ref, `tiled n=${n}`);
      expectClose(tiled.subarray(0, used), direct.subarray(0, used), `tiled vs direct n=${n}`);
      // rows past n are left alone
      expect(tiled.subarray(used).every((v) => v === 0)).toBe(true);
    }
  });

  it.each(GEOMS)('input gradient, %s: equals the direct kernel and the float64 reference', async (_l, g) => {
    const m = { ...metaOf(g), PADC: 0 };
    const x = seq(g.n * g.H * g.W * g.CI, 3);
    const w = seq(g.KS * g.KS * g.CI * g.CO, 4);
    const dy = seq(g.n * m.HO * m.WO * g.CO, 5);
    const dx = new Float32Array(g.n * g.H * g.W * g.CI);
    const tiled = await run(convInputGradTiled('none'), m, { dy, w, dx }, g.n, g.n, 'dx');
    const direct = await run(convInputGradV4('none'), m, { dy, w, dx }, g.n, g.n, 'dx');
    expectClose(tiled, refBackward(g, x, w, dy, g.n).dx, 'tiled');
    expectClose(tiled, direct, 'tiled vs direct');
  });

  it('input gradient with the shortcut: identity (stride 1) and option A (stride 2, channel shift) as the direct kernels', async () => {
    const cases: [Geom, 'identity' | 'optionA'][] = [
      [{ n: 3, H: 7, W: 5, CI: 32, CO: 32, KS: 3, ST: 1, PD: 1 }, 'identity'],
      [{ n: 3, H: 9, W: 7, CI: 16, CO: 32, KS: 3, ST: 2, PD: 1 }, 'optionA'],
    ];
    for (const [g, res] of cases) {
      const m = { ...metaOf(g), PADC: res === 'optionA' ? (g.CO - g.CI) / 2 : 0 };
      const out = g.n * m.HO * m.WO * g.CO;
      const data = {
        dy: seq(out, 6),
        w: seq(g.KS * g.KS * g.CI * g.CO, 7),
        dx: new Float32Array(g.n * g.H * g.W * g.CI),
        gout: seq(out, 8),
        out: seq(out, 9), // about half positive: the ReLU mask matters
      };
      const tiled = await run(convInputGradTiled(res), m, data, g.n, g.n, 'dx');
      const direct = await run(convInputGradV4(res), m, data, g.n, g.n, 'dx');
      expectClose(tiled, direct, `${res}: tiled vs direct`);
      const plain = await run(convInputGradTiled('none'), m, data, g.n, g.n, 'dx');
      expect(relMaxErr(tiled, plain).err, `${res}: the shortcut adds something`).toBeGreaterThan(1e-3);
    }
  });

  it.each(GEOMS)('weight gradient, %s: chunks + tree sum equal the direct kernel and the float64 reference', async (_l, g) => {
    const m0 = metaOf(g);
    const x = seq(g.n * g.H * g.W * g.CI, 10);
    const dy = seq(g.n * m0.HO * m0.WO * g.CO, 11);
    const K = g.KS * g.KS * g.CI;
    const size = K * g.CO;
    const M = g.n * m0.HO * m0.WO;
    for (const n of [g.n, g.n - 1]) {
      const ref = refBackward(g, x, new Float32Array(size), dy, n).dw;
      // the plan's chunking, and a forced split into several chunks (LEN 16) summed by the tree
      for (const { len, chunks } of [tiledWgradChunking(M, K, g.CO), { len: 16, chunks: Math.ceil(M / 16) }]) {
        const m = { ...m0, LEN: len, CHUNKS: chunks };
        const part = await run(convWeightGradTiled, m, { x, dy, out: new Float32Array(chunks * size) }, n, g.n, 'out');
        const sum =
          chunks > 1
            ? await run(chunkSumTree, { SIZE: size, CHUNKS: chunks }, { part, grad: new Float32Array(size) }, n, g.n, 'grad')
            : part;
        expectClose(sum, ref, `tiled, n=${n}, ${chunks} chunks`);
      }
      const direct = await run(convWeightGradV4, { ...m0, LEN: M, CHUNKS: 1 }, { x, dy, out: new Float32Array(size) }, n, g.n, 'out');
      expectClose(direct, ref, `direct, n=${n}`);
    }
  });

  it('the tree sum: every output, chunk counts around its 8 lanes, sizes not a multiple of its 32 outputs', async () => {
    for (const [size, chunks] of [
      [37, 1],
      [37, 7],
      [100, 8],
      [65, 9],
      [33, 64],
    ]) {
      const part = seq(size * chunks, size + chunks);
      const got = await run(chunkSumTree, { SIZE: size, CHUNKS: chunks }, { part, grad: new Float32Array(size) }, 2, 2, 'grad');
      const ref = Float64Array.from({ length: size }, (_, i) => {
        let s = 0;
        for (let c = 0; c < chunks; c++) s += part[c * size + i];
        return s;
      });
      expectClose(got, ref, `${size} × ${chunks}`);
    }
  });

  it('a scalar-channel first layer never runs tiled (it does not fit)', async () => {
    const g = { ci: 3, co: 16, ho: 32, wo: 32 };
    expect(layerConvVariant('tiled', g, 128)).toBe('direct');
    const x = seq(2 * 6 * 6 * 3, 12);
    const w = seq(9 * 3 * 16, 13);
    const geom: Geom = { n: 2, H: 6, W: 6, CI: 3, CO: 16, KS: 3, ST: 1, PD: 1 };
    const y = await run(convForward, metaOf(geom), { x, w, y: new Float32Array(2 * 36 * 16) }, 2, 2, 'y');
    expectClose(y, refForward(geom, x, w, 2), 'direct scalar forward');
  });
});

describe('the variant rule', () => {
  it('keeps software adapters on the direct kernels under auto, honours a forced choice', () => {
    const swift = { vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader driver 5.0.0' };
    const nvidia = { vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100' };
    expect(softwareAdapter(swift)).toBe(true);
    expect(softwareAdapter({ vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).toBe(true);
    expect(softwareAdapter({ isFallbackAdapter: true })).toBe(true);
    expect(softwareAdapter(nvidia)).toBe(false);
    expect(softwareAdapter(undefined)).toBe(false);
    expect(convVariantFor('auto', swift)).toBe('direct');
    expect(convVariantFor('auto', nvidia)).toBe('auto');
    expect(convVariantFor('tiled', swift)).toBe('tiled');
    expect(convVariantFor('direct', nvidia)).toBe('direct');
  });

  it('per layer: tiled where CI and CO are multiples of 16, under auto only for layers large enough', () => {
    const big = { ci: 16, co: 16, ho: 32, wo: 32 };
    const small = { ci: 64, co: 64, ho: 2, wo: 2 };
    expect(layerConvVariant('auto', big, 128)).toBe('tiled');
    expect(layerConvVariant('auto', small, 2)).toBe('direct');
    expect(layerConvVariant('tiled', small, 2)).toBe('tiled');
    expect(layerConvVariant('tiled', { ci: 8, co: 16, ho: 32, wo: 32 }, 128)).toBe('direct');
    expect(layerConvVariant('direct', big, 128)).toBe('direct');
  });
});
