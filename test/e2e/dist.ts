/**
 * One production build shared by every browser test file. The first test file that needs it runs `vite build`
 * into `node_modules/.cache/ltpg-e2e/<key>` (key: size and mtime of every input file), the others wait for it
 * (an atomic mkdir is the lock), so the suite builds once however many e2e files run in parallel.
 * `E2E_DIST=<dir>` skips the build and serves that folder instead.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');
const CACHE = join(ROOT, 'node_modules/.cache/ltpg-e2e');
// the key also covers how the build is made (v2: NODE_ENV=production)
const BUILD_VERSION = 'v2';
const INPUTS = ['src', 'public', 'tools', 'index.html', 'vite.config.ts', 'package.json', 'tsconfig.json'];

function listFiles(p: string, out: string[]): void {
  if (!existsSync(p)) return;
  const st = statSync(p);
  if (st.isDirectory()) for (const f of readdirSync(p).sort()) listFiles(join(p, f), out);
  else out.push(`${p}:${st.size}:${Math.round(st.mtimeMs)}`);
}

function inputKey(): string {
  const files: string[] = [];
  for (const i of INPUTS) listFiles(join(ROOT, i), files);
  return createHash('sha256')
    .update(BUILD_VERSION + '\n' + files.join('\n'))
    .digest('hex')
    .slice(0, 16);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Folder holding the production build of the current sources (built at most once per source state). */
export async function productionBuild(timeoutMs = 240_000): Promise<string> {
  if (process.env.E2E_DIST) return process.env.E2E_DIST;
  const key = inputKey();
  const dir = join(CACHE, key);
  const done = join(dir, '.complete');
  const lock = `${dir}.lock`;
  mkdirSync(CACHE, { recursive: true });
  const t0 = Date.now();
  while (!existsSync(done)) {
    let mine = false;
    try {
      mkdirSync(lock);
      mine = true;
    } catch {
      // another test file is building; a lock older than the timeout is stale
      try {
        if (Date.now() - statSync(lock).mtimeMs > timeoutMs) rmSync(lock, { recursive: true, force: true });
      } catch {
        /* gone meanwhile */
      }
    }
    if (mine) {
      try {
        if (existsSync(done)) break;
        // drop builds older than an hour (a parallel test may still serve a recent one)
        for (const old of readdirSync(CACHE)) {
          const p = join(CACHE, old);
          if (old !== key && !old.endsWith('.lock') && Date.now() - statSync(p).mtimeMs > 3_600_000)
            rmSync(p, { recursive: true, force: true });
        }
        const r = spawnSync(
          process.execPath,
          [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', dir, '--emptyOutDir', '--logLevel', 'warn'],
          {
            // vitest runs with NODE_ENV=test, which would make vite bundle React's development build
            cwd: ROOT,
            encoding: 'utf8',
            timeout: timeoutMs,
            env: { ...process.env, NODE_ENV: 'production' },
          },
        );
        if (r.status !== 0) throw new Error(`vite build failed:\n${r.stdout}\n${r.stderr}`);
        writeFileSync(done, new Date().toISOString());
        console.log(`[e2e] vite build: ${((Date.now() - t0) / 1000).toFixed(1)} s → ${dir}`);
      } finally {
        rmSync(lock, { recursive: true, force: true });
      }
      break;
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for the e2e build in ${dir}`);
    await sleep(250);
  }
  return dir;
}
