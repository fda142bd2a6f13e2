import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initNodeWebGPU } from '../../../src/core/backend';

const dawn = await initNodeWebGPU();
const CI = process.env.CI === 'true';
if (!dawn.ok && !CI) console.warn(`[bench-gpu-bundle.test] SKIPPING: WebGPU (Dawn) could not start: ${dawn.reason}`);
const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** A bin folder with the shell tools run.sh may use, and no node. */
function toolsWithoutNode(dir: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const tools = [
    'bash',
    'sh',
    'xz',
    'dpkg',
    'dpkg-deb',
    'tar',
    'zstd',
    'gzip',
    'dirname',
    'cat',
    'chmod',
    'mv',
    'mkdir',
    'ls',
    'grep',
    'rm',
    'cp',
    'ldconfig',
  ];
  for (const t of tools) {
    const r = spawnSync('bash', ['-c', `command -v ${t}`], { encoding: 'utf8', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
    if (r.status === 0) symlinkSync(r.stdout.trim(), join(bin, t));
  }
  // the distribution's python (PyTorch where installed), not a version manager's shim
  if (existsSync('/usr/bin/python3')) symlinkSync('/usr/bin/python3', join(bin, 'python3'));
  return bin;
}

describe('npm run bench:gpu -- --bundle', () => {
  it.skipIf(!dawn.ok && !CI)(
    'builds a folder under 64 MiB whose run.sh --tiny runs without Node on PATH (SwiftShader) and writes the JSON',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'ltp-gpubundle-'));
      try {
        check(dir);
      } finally {
        // ≈ 300 MB once unpacked
        rmSync(dir, { recursive: true, force: true });
      }
    },
    480_000,
  );
});

/** Builds the bundle in `dir`, runs a fresh copy's run.sh --tiny without node on PATH, checks the JSON's fields. */
function check(dir: string): void {
  const bundle = join(dir, 'bundle');
  const b = spawnSync(process.execPath, ['--import', 'tsx', 'tools/bench/gpu.ts', '--bundle', bundle], {
    encoding: 'utf8',
    timeout: 240_000,
  });
  expect(b.status, b.stderr).toBe(0);
  for (const f of [
    'bench.mjs',
    'node.xz',
    'run.sh',
    'torch_step.py',
    'node_modules/webgpu/index.js',
    'node_modules/webgpu/package.json',
    'node_modules/webgpu/dist/linux-x64/dawn.node.xz',
  ]) {
    expect(existsSync(join(bundle, f)), f).toBe(true);
  }
  expect(existsSync(join(bundle, 'node')), 'Node travels compressed').toBe(false);
  const size = spawnSync('du', ['-sb', bundle], { encoding: 'utf8' }).stdout.split('\t')[0];
  expect(Number(size)).toBeLessThanOrEqual(64 * 2 ** 20);
  expect(statSync(join(bundle, 'run.sh')).mode & 0o111).not.toBe(0);

  const bin = toolsWithoutNode(dir);
  const env = { HOME: dir, PATH: bin, VK_ICD_FILENAMES: ICD };
  expect(spawnSync('bash', ['-c', 'command -v node'], { env }).status, 'no node on PATH').not.toBe(0);
  const out = join(dir, 'result.json');
  // a fresh copy of the folder, as on the GPU machine
  expect(spawnSync('cp', ['-r', bundle, join(dir, 'copy')]).status).toBe(0);
  const r = spawnSync(join(dir, 'copy', 'run.sh'), ['--tiny', '--out', out], { encoding: 'utf8', env, timeout: 240_000 });
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
  const doc = JSON.parse(readFileSync(out, 'utf8')) as {
    tiny: boolean;
    webgpu: { ok: boolean; reason: string; adapter: { architecture?: string }; timestampQuery: boolean };
    results: {
      config: string;
      convAsked: string;
      convVariant: string;
      lossesAgree: boolean;
      fused: {
        medianMs: number;
        imgPerSec: number;
        stepsMs: number[];
        dispatches: number;
        classMs: Record<string, number>;
        classTiming: string;
        losses: number[];
      };
      tfjs: { medianMs: number; imgPerSec: number; losses: number[] };
      modelled: { convVariant: string; dispatches: number; profiles: { profile: string; ms: number }[] };
    }[];
    torch: { status: string; results: { tf32?: boolean; medianMs?: number }[] };
  };
  expect(doc.tiny).toBe(true);
  expect(doc.webgpu.ok, doc.webgpu.reason).toBe(true);
  // the packaged Vulkan loader served (no system one here), not Chromium's
  expect(doc.webgpu.reason).not.toMatch(/Chromium libvulkan/);
  expect(existsSync(join(dir, 'copy', 'sysroot'))).toBe(existsSync('/usr/lib/x86_64-linux-gnu/libvulkan.so.1') ? false : true);
  expect(typeof doc.webgpu.timestampQuery).toBe('boolean');
  expect(doc.results.map((x) => x.config)).toEqual(['convnet/b2/8x8x1/ce', 'resnet8/b2/8x8x3/ce']);
  for (const x of doc.results) {
    expect(x.lossesAgree, x.config).toBe(true);
    expect(x.fused.stepsMs.length).toBeGreaterThanOrEqual(3);
    for (const v of [x.fused.medianMs, x.fused.imgPerSec, x.tfjs.medianMs, x.tfjs.imgPerSec]) expect(v).toBeGreaterThan(0);
    // --tiny asks for 'auto', which is the direct kernels on a software adapter; the modelled plan is the one that ran
    expect([x.convAsked, x.convVariant, x.modelled.convVariant]).toEqual(['auto', 'direct', 'direct']);
    expect(x.fused.dispatches).toBe(x.modelled.dispatches);
    expect(Object.keys(x.fused.classMs).sort()).toEqual(['bn', 'conv', 'loss', 'pool', 'sgd']);
    expect(x.fused.classTiming).toBe(doc.webgpu.timestampQuery ? 'gpu timestamps' : 'wall clock');
    expect(x.modelled.profiles.map((p) => p.profile)).toEqual(['h100', 'igpu']);
  }
  expect(doc.results[0].fused.dispatches).toBe(40);
  expect(doc.results[1].fused.dispatches).toBe(72);
  if (doc.torch.status === 'measured') {
    expect(doc.torch.results.length).toBe(4);
    for (const t of doc.torch.results) expect(t.medianMs).toBeGreaterThan(0);
  }
}
