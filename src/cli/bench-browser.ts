/**
 * Headless-Chromium part of `npm run bench`: bundles bench/browser/main.ts with esbuild, serves it (and the tfjs
 * wasm binaries) from a static server on 127.0.0.1, and runs the training step in a page per backend (webgpu,
 * webgl, wasm, cpu). Also the UI-responsiveness probe against a `vite build` of the app.
 */
import { createServer, type Server } from 'node:http';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { BackendName } from '../core/backend';
import type { StepPlan, StepResult } from './bench-step';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-webgpu',
  // lets Dawn expose timestamp queries where the adapter can (tfjs' per-kernel GPU times)
  '--enable-dawn-features=allow_unsafe_apis',
];

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ltpg': 'application/octet-stream',
  '.map': 'application/json',
  '.txt': 'text/plain',
};

/** A static file server for `root` on 127.0.0.1 (random port). */
export function serveStatic(root: string): Promise<{ url: string; close(): Promise<void> }> {
  const base = resolve(root);
  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    let p = normalize(join(base, decodeURIComponent(u.pathname)));
    if (!p.startsWith(base)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(p) && statSync(p).isDirectory()) p = join(p, 'index.html');
    if (!existsSync(p)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, {
      'content-type': MIME[extname(p)] ?? 'application/octet-stream',
      // cross-origin isolation: SharedArrayBuffer for tfjs' threaded wasm where available
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
      'cache-control': 'no-store',
    });
    res.end(readFileSync(p));
  });
  return new Promise((ok) => {
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      ok({ url: `http://127.0.0.1:${port}/`, close: () => new Promise<void>((c) => server.close(() => c())) });
    });
  });
}

/** Bundles the bench page into a temporary folder; returns the folder. */
export async function buildBenchPage(): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), 'ltp-bench-page-'));
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [resolve('bench/browser/main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outfile: join(out, 'main.js'),
    logLevel: 'error',
    // Node-only dynamic imports in src/core/backend.ts are guarded and never run in the page
    external: ['node:*', 'webgpu'],
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  copyFileSync(resolve('bench/browser/index.html'), join(out, 'index.html'));
  const wasmDir = resolve('node_modules/@tensorflow/tfjs-backend-wasm/dist');
  mkdirSync(join(out, 'wasm'), { recursive: true });
  for (const f of readdirSync(wasmDir)) if (f.endsWith('.wasm')) copyFileSync(join(wasmDir, f), join(out, 'wasm', f));
  return out;
}

type PwBrowser = import('playwright-core').Browser;

export async function launchChromium(): Promise<PwBrowser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

export interface BrowserRun {
  backend: BackendName;
  plans: StepPlan[];
  /** Wall-clock limit for this backend's page (ms). */
  timeoutMs: number;
}

export type BrowserResult = Partial<StepResult> & {
  ok: boolean;
  error?: string;
  init?: string;
  adapter?: unknown;
  timestampQuery?: boolean | null;
  backend: string;
};

/** Runs each backend's plans in its own fresh page. */
export async function runBrowserBench(
  runs: BrowserRun[],
  log: (s: string) => void,
): Promise<{ results: BrowserResult[]; chromium: string; error?: string }> {
  let page: Awaited<ReturnType<PwBrowser['newPage']>> | null = null;
  let browser: PwBrowser | null = null;
  let server: Awaited<ReturnType<typeof serveStatic>> | null = null;
  const results: BrowserResult[] = [];
  let version = '?';
  try {
    const dir = await buildBenchPage();
    server = await serveStatic(dir);
    browser = await launchChromium();
    version = browser.version();
    for (const r of runs) {
      const ctx = await browser.newContext();
      page = await ctx.newPage();
      const consoleLines: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') consoleLines.push(m.text().slice(0, 300));
      });
      await page.goto(server.url, { waitUntil: 'load' });
      await page.waitForFunction('window.ltpBench && window.ltpBench.ready === true', undefined, { timeout: 30_000 });
      const deadline = Date.now() + r.timeoutMs;
      for (const plan of r.plans) {
        const left = deadline - Date.now();
        if (left <= 0) {
          results.push({
            ok: false,
            backend: r.backend,
            ...plan,
            error: `skipped: the ${r.backend} page ran out of its ${Math.round(r.timeoutMs / 1000)} s budget`,
          } as BrowserResult);
          continue;
        }
        const t0 = Date.now();
        const res = await Promise.race([
          page.evaluate(
            ([b, p]) => (window as unknown as { ltpBench: { run(b: string, p: unknown): Promise<unknown> } }).ltpBench.run(b, p),
            [r.backend, plan] as const,
          ) as Promise<BrowserResult>,
          new Promise<BrowserResult>((ok) =>
            setTimeout(() => ok({ ok: false, backend: r.backend, error: `timed out after ${Math.round(left / 1000)} s` }), left),
          ),
        ]);
        const row = { ...plan, ...res, backend: r.backend } as BrowserResult;
        if (!res.ok && consoleLines.length) row.error = `${row.error} | console: ${consoleLines.slice(-3).join(' | ')}`;
        results.push(row);
        log(
          `browser ${r.backend} ${plan.model}/b${plan.batch}/${plan.input.join('x')}/${plan.loss}: ${res.ok ? `${res.medianMs?.toFixed(1)} ms/step` : res.error} (${((Date.now() - t0) / 1000).toFixed(0)} s)`,
        );
        if (!res.ok && /timed out/.test(res.error ?? '')) break;
      }
      await ctx.close().catch(() => {});
    }
  } catch (e) {
    return { results, chromium: version, error: (e as Error).message };
  } finally {
    await browser?.close().catch(() => {});
    await server?.close();
  }
  return { results, chromium: version };
}

// ---------------------------------------------------------------------------------------------------------------
// UI responsiveness while the app trains

export interface UiResult {
  status: 'measured' | 'skipped' | 'error';
  message: string;
  backend?: string;
  seconds?: number;
  longTasks?: number;
  worstLongTaskMs?: number;
  frames?: number;
  p95FrameGapMs?: number;
  maxFrameGapMs?: number;
  targetMs: 50;
}

function newestMtime(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let m = st.mtimeMs;
  for (const f of readdirSync(p)) m = Math.max(m, newestMtime(join(p, f)));
  return m;
}

/** dist/ when it holds a build newer than the app's sources, else null. */
function freshDist(): string | null {
  const dist = resolve('dist');
  if (!existsSync(join(dist, 'index.html'))) return null;
  const built = statSync(join(dist, 'index.html')).mtimeMs;
  const src = Math.max(newestMtime(resolve('src')), statSync(resolve('index.html')).mtimeMs);
  return built >= src ? dist : null;
}

/** Builds the app with Vite into a temporary folder (dist/ is left alone); null + reason when it does not build. */
function buildApp(log: (s: string) => void): { dir: string } | { error: string } {
  const out = mkdtempSync(join(tmpdir(), 'ltp-bench-app-'));
  log('ui: vite build …');
  const r = spawnSync(
    process.execPath,
    [resolve('node_modules/vite/bin/vite.js'), 'build', '--outDir', out, '--emptyOutDir', '--logLevel', 'error'],
    {
      encoding: 'utf8',
      timeout: 240_000,
      env: { ...process.env, NODE_ENV: 'production' }, // React's production build
    },
  );
  if (r.status !== 0)
    return { error: `vite build failed (${r.status ?? r.signal}): ${(r.stderr || r.stdout || '').trim().split('\n').slice(-3).join(' ')}` };
  if (!existsSync(join(out, 'index.html'))) return { error: 'vite build produced no index.html' };
  return { dir: out };
}

/**
 * Opens the built app, presses its Train button, records main-thread long tasks (PerformanceObserver) and
 * requestAnimationFrame gaps for `seconds`, then presses Pause. Skips (with the reason) when the app does not
 * build or shows no Train button.
 */
export async function measureUi(
  seconds: number,
  log: (s: string) => void,
  appDir?: string,
  reuseDist = false,
): Promise<UiResult & { app?: string }> {
  const base = { targetMs: 50 as const };
  let dir = appDir;
  let app = appDir ? `given build ${appDir}` : '';
  if (!dir && reuseDist) {
    const fresh = freshDist();
    if (fresh) {
      dir = fresh;
      app = 'the existing dist/ (newer than every file under src/ and index.html)';
    }
  }
  if (!dir) {
    app = 'a fresh vite build (temporary folder)';
    const b = buildApp(log);
    if ('error' in b) return { ...base, status: 'skipped', message: `app not measurable: ${b.error}` };
    dir = b.dir;
  }
  let browser: PwBrowser | null = null;
  const server = await serveStatic(dir);
  try {
    browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(server.url, { waitUntil: 'load' });
    const train = page.getByRole('button', { name: /^\s*(▶\s*)?train\b/i }).first();
    try {
      await train.waitFor({ state: 'visible', timeout: 20_000 });
    } catch {
      return {
        ...base,
        status: 'skipped',
        message: 'app built, but the page shows no button named "Train" within 20 s (the playground UI is not ready yet)',
      };
    }
    const readyBy = Date.now() + 60_000;
    while (!(await train.isEnabled()) && Date.now() < readyBy) await page.waitForTimeout(250);
    if (!(await train.isEnabled()))
      return {
        ...base,
        status: 'skipped',
        message: 'the app shows a Train button, but it stayed disabled for 60 s (data / backend not ready)',
      };
    // plain strings: tsx/esbuild would wrap arrow functions with a __name helper the page lacks
    await page.evaluate(`(() => {
      const w = window;
      w.__ltpUi = { long: [], frames: [] };
      try {
        new PerformanceObserver((l) => { for (const e of l.getEntries()) w.__ltpUi.long.push(e.duration); })
          .observe({ type: 'longtask', buffered: false });
      } catch (e) { /* no longtask support */ }
      const tick = (t) => { w.__ltpUi.frames.push(t); requestAnimationFrame(tick); };
      requestAnimationFrame(tick);
    })()`);
    await train.click();
    log(`ui: pressed Train; observing ${seconds} s`);
    await page.waitForTimeout(seconds * 1000);
    const data = (await page.evaluate('window.__ltpUi')) as { long: number[]; frames: number[] };
    const pause = page.getByRole('button', { name: /pause/i }).first();
    const pausable = await pause.isVisible().catch(() => false);
    if (pausable) await pause.click().catch(() => {});
    const backendText = (await page
      .evaluate('(document.body.innerText.match(/\\b(webgpu|webgl|wasm|cpu)\\b/i) || [null])[0]')
      .catch(() => null)) as string | null;
    const gaps = data.frames
      .slice(1)
      .map((t, i) => t - data.frames[i])
      .sort((a, b) => a - b);
    const p95 = gaps.length ? gaps[Math.min(gaps.length - 1, Math.floor(0.95 * gaps.length))] : NaN;
    return {
      ...base,
      app,
      status: 'measured',
      message: `${pausable ? 'Train → observe → Pause' : 'Train → observe (no Pause button found)'}; headless Chromium, software rendering`,
      backend: backendText ?? undefined,
      seconds,
      longTasks: data.long.length,
      worstLongTaskMs: data.long.length ? Math.max(...data.long) : 0,
      frames: data.frames.length,
      p95FrameGapMs: p95,
      maxFrameGapMs: gaps.length ? gaps[gaps.length - 1] : NaN,
    };
  } catch (e) {
    return { ...base, status: 'error', message: (e as Error).message.split('\n')[0] };
  } finally {
    await browser?.close().catch(() => {});
    await server.close();
  }
}
