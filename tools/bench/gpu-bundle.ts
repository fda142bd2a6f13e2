/**
 * `npm run bench:gpu -- --bundle DIR`: a self-contained folder that runs the GPU comparison (bench-gpu.ts) on a
 * Linux x64 machine with a GPU and no Node: the bench as one ESM file (esbuild), an xz copy of this Node binary,
 * Dawn's dawn.node (stripped, xz) with the webgpu package's index.js / package.json, the Vulkan loader's Debian
 * packages (unpacked with dpkg -x only when the machine has no libvulkan.so.1), the PyTorch script and run.sh.
 * The Node copy and the packages are cached under node_modules/.cache/gpu-bundle/.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The Vulkan loader and the GL dispatch libraries NVIDIA's Vulkan ICD links against. */
export const VULKAN_DEBS = ['libvulkan1', 'libegl1', 'libglvnd0', 'libopengl0', 'libgl1', 'libglx0', 'libgles2'] as const;
/** The folder's size limit (what a device run may carry). */
export const BUNDLE_LIMIT = 64 * 2 ** 20;

const CACHE = path.resolve('node_modules/.cache/gpu-bundle');

function sh(cmd: string, args: string[], opts: { cwd?: string } = {}): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.error?.message ?? (r.stderr || '').trim().slice(-400)}`);
}

/** xz of `src` into `dst`, reusing a cached copy keyed by the source's size and mtime. */
function xzCached(src: string, key: string, dst: string, strip: boolean): void {
  const st = statSync(src);
  const cached = path.join(CACHE, `${key}-${st.size}-${Math.floor(st.mtimeMs)}${strip ? '-stripped' : ''}.xz`);
  if (!existsSync(cached)) {
    mkdirSync(CACHE, { recursive: true });
    const tmp = `${cached}.tmp`;
    copyFileSync(src, tmp);
    if (strip) sh('strip', ['--strip-unneeded', tmp]);
    sh('xz', ['-f', '-T0', '-6', tmp]);
    rmSync(cached, { force: true });
    copyFileSync(`${tmp}.xz`, cached);
    rmSync(`${tmp}.xz`);
  }
  copyFileSync(cached, dst);
}

/** The .deb files of VULKAN_DEBS (apt-get download, cached); the names missing when a download fails. */
function vulkanDebs(dir: string, log: (s: string) => void): string[] {
  const cache = path.join(CACHE, 'debs');
  mkdirSync(cache, { recursive: true });
  const have = (p: string) => readdirSync(cache).some((f) => f.startsWith(`${p}_`) && f.endsWith('.deb'));
  const want = VULKAN_DEBS.filter((p) => !have(p));
  if (want.length) {
    const r = spawnSync('apt-get', ['download', ...want], { cwd: cache, encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0)
      log(`apt-get download failed (${(r.stderr || r.error?.message || '').trim().slice(-200)}); run.sh says how to add them`);
  }
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(cache)) if (f.endsWith('.deb')) copyFileSync(path.join(cache, f), path.join(dir, f));
  return VULKAN_DEBS.filter((p) => !have(p));
}

const RUN_SH = (missingDebs: string[]) => `#!/bin/bash
# The GPU comparison without Node: ./run.sh [--tiny] [--out FILE] [--steps N] [--warmup N]
# Writes one JSON (default: ./bench-gpu.json beside this script). Needs xz (or python3) and, when the machine has
# no libvulkan.so.1, dpkg (the loader's packages are in debs/ and are unpacked here, not into /).
set -euo pipefail
HERE="$(cd "$(dirname "\${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"
unxz_to() { # src.xz dst
  if [ -s "$2" ]; then return; fi
  if command -v xz >/dev/null 2>&1; then xz -dc "$1" > "$2.tmp"
  else python3 -c 'import lzma,sys,shutil; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2.tmp"; fi
  mv "$2.tmp" "$2"
}
unxz_to node.xz node
chmod +x node
unxz_to node_modules/webgpu/dist/linux-x64/dawn.node.xz node_modules/webgpu/dist/linux-x64/dawn.node
LIBS="/usr/local/nvidia/lib64:/usr/local/nvidia/lib"
have_vulkan() {
  for d in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib /lib/x86_64-linux-gnu /usr/local/nvidia/lib64; do
    [ -e "$d/libvulkan.so.1" ] && return 0
  done
  ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1' && return 0
  return 1
}
if ! have_vulkan || [ "\${BENCH_GPU_LOCAL_VULKAN:-}" = 1 ]; then
  if ls debs/*.deb >/dev/null 2>&1; then
    mkdir -p sysroot
    for d in debs/*.deb; do dpkg -x "$d" sysroot; done
    LIBS="$HERE/sysroot/usr/lib/x86_64-linux-gnu:$LIBS"
  else
    echo "run.sh: no libvulkan.so.1 and no packages in debs/ — on a Debian machine: (cd debs && apt-get download ${VULKAN_DEBS.join(' ')})" >&2
  fi
fi
${missingDebs.length ? `# packages that could not be downloaded when this bundle was made: ${missingDebs.join(' ')}\n` : ''}export LD_LIBRARY_PATH="$LIBS\${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
OUT="$HERE/bench-gpu.json"
ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT="$2"; shift 2 ;;
    *) ARGS+=("$1"); shift ;;
  esac
done
exec ./node bench.mjs --torch-script "$HERE/torch_step.py" --out "$OUT" "\${ARGS[@]}"
`;

/** Builds the folder; returns its size in bytes (throws over BUNDLE_LIMIT). */
export async function writeBundle(dir: string, log: (s: string) => void): Promise<number> {
  const out = path.resolve(dir);
  mkdirSync(out, { recursive: true });
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [path.resolve('tools/bench/gpu.ts')],
    outfile: path.join(out, 'bench.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    external: ['webgpu', 'esbuild'],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  log('bundled bench.mjs');
  xzCached(process.execPath, 'node', path.join(out, 'node.xz'), false);
  log(`node ${process.version} (xz)`);
  const web = path.resolve('node_modules/webgpu');
  const dawnDir = path.join(out, 'node_modules/webgpu/dist/linux-x64');
  mkdirSync(dawnDir, { recursive: true });
  for (const f of ['index.js', 'package.json']) copyFileSync(path.join(web, f), path.join(out, 'node_modules/webgpu', f));
  xzCached(path.join(web, 'dist/linux-x64/dawn.node'), 'dawn', path.join(dawnDir, 'dawn.node.xz'), true);
  log('dawn.node (stripped, xz)');
  const missing = vulkanDebs(path.join(out, 'debs'), log);
  copyFileSync(path.resolve('tools/bench/torch_step.py'), path.join(out, 'torch_step.py'));
  writeFileSync(path.join(out, 'run.sh'), RUN_SH(missing));
  chmodSync(path.join(out, 'run.sh'), 0o755);
  const size = dirSize(out);
  log(`bundle ${out}: ${(size / 2 ** 20).toFixed(1)} MiB${missing.length ? `; packages missing: ${missing.join(' ')}` : ''}`);
  if (size > BUNDLE_LIMIT) throw new Error(`bundle is ${(size / 2 ** 20).toFixed(1)} MiB, over the 64 MiB limit`);
  return size;
}

function dirSize(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return st.size;
  return readdirSync(p).reduce((s, f) => s + dirSize(path.join(p, f)), 0);
}
