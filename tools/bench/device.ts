/**
 * `npm run bench -- --device-only [--test] [--out FILE]`: the app's "Benchmark this device" in Node (core/device-bench.ts)
 * — the fused engine on a Dawn device, tfjs on WebGPU (Dawn) and on wasm — printed as the same JSON the app copies.
 * `--test`: tiny shapes, one warm-up and two timed steps.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { initBackend, initNodeWebGPU } from '../../src/core/backend';
import { DEVICE_BENCH, DEVICE_BENCH_TEST, runDeviceBench, type DeviceBenchResult } from '../../src/core/device-bench';

export async function deviceOnly(argv: string[]): Promise<DeviceBenchResult> {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: { 'device-only': { type: 'boolean' }, test: { type: 'boolean' }, out: { type: 'string' } },
  });
  const gpu = await initNodeWebGPU();
  let device: GPUDevice | null = null;
  if (gpu.ok) {
    // timestamp-query where the adapter has it: the fused rows then carry GPU time per kernel class
    const adapter = await navigator.gpu.requestAdapter();
    const features: GPUFeatureName[] = adapter?.features.has('timestamp-query') ? ['timestamp-query'] : [];
    device = (await adapter?.requestDevice({ requiredFeatures: features })) ?? null;
  }
  await initBackend({ order: ['wasm', 'cpu'] });
  const log = (s: string) => process.stderr.write(`\r\x1b[K${s}`);
  const r = await runDeviceBench({
    plan: v.test ? DEVICE_BENCH_TEST : DEVICE_BENCH,
    device,
    onProgress: (p) => log(`[${p.done}/${p.total}] ${p.label}`),
  });
  process.stderr.write('\n');
  const json = `${JSON.stringify(r, null, 2)}\n`;
  if (v.out) writeFileSync(v.out, json);
  process.stdout.write(json);
  device?.destroy();
  return r;
}
