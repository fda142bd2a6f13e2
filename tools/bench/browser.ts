/**
 * Headless-Chromium part of `npm run bench`: bundles tools/bench/page/main.ts with esbuild, serves it (and the tfjs
 * wasm binaries) from a static server on 127.0.0.1, and runs the training step in a page per backend (webgpu,
 * webgl, wasm, cpu). Also the UI-responsiveness probe against a `vite build` of the app.
 */
import { createServer, type Server } from 'node:http';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { BackendName } from '../../src/core/backend';
import type { StepPlan, BenchStepResult } from './step';
import { patchThreadedModule } from '../vite/wasm-threads';
import { CHROMIUM, CHROMIUM_ARGS as BASE_ARGS } from '../../test/e2e/browser';

/** The tests' Chromium flags, plus Dawn's timestamp queries where the adapter can (tfjs' per-kernel GPU times). */
export const CHROMIUM_ARGS = [...BASE_ARGS, '--enable-dawn-features=allow_unsafe_apis'];

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
    entryPoints: [resolve('tools/bench/page/main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outfile: join(out, 'main.js'),
    logLevel: 'error',
    // Node-only dynamic imports in src/core/backend.ts are guarded and never run in the page
    external: ['node:*', 'webgpu'],
    define: { 'process.env.NODE_ENV': '"production"' },
    // the app build's change to tfjs' threaded module (tools/vite/wasm-threads.ts): threads past half the cores
    plugins: [
      {
        name: 'wasm-threads',
        setup(b) {
          b.onLoad({ filter: /tfjs-backend-wasm-threaded-simd\.js$/ }, (args) => ({
            contents: patchThreadedModule(readFileSync(args.path, 'utf8')),
            loader: 'js',
          }));
        },
      },
    ],
  });
  copyFileSync(resolve('tools/bench/page/index.html'), join(out, 'index.html'));
  const wasmDir = resolve('node_modules/@tensorflow/tfjs-backend-wasm/dist');
  mkdirSync(join(out, 'wasm'), { recursive: true });
  for (const f of readdirSync(wasmDir)) if (f.endsWith('.wasm')) copyFileSync(join(wasmDir, f), join(out, 'wasm', f));
  return out;
}

/**
 * Bundles the chart fixture page (test/ui/charts/page: the live charts fed with synthetic runs) in production mode
 * (React's production build, minified) into `out` (default: a new temporary folder); returns the folder.
 */
export async function buildChartsPage(out = mkdtempSync(join(tmpdir(), 'ltp-charts-page-'))): Promise<string> {
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [resolve('test/ui/charts/page/main.tsx')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outfile: join(out, 'main.js'),
    minify: true,
    jsx: 'automatic',
    logLevel: 'error',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  copyFileSync(resolve('test/ui/charts/page/index.html'), join(out, 'index.html'));
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
  /** wasm: the threads asked for (the page is cross-origin isolated); default 1. */
  wasmThreads?: number;
}

export type BrowserResult = Partial<BenchStepResult> & {
  ok: boolean;
  error?: string;
  init?: string;
  adapter?: unknown;
  timestampQuery?: boolean | null;
  backend: string;
  /** wasm: the threads tfjs ran with. */
  wasmThreads?: number;
};

/** Runs each backend's plans in its own fresh page. */
export async function runBrowserBench(
  runs: BrowserRun[],
  log: (s: string) => void,
): Promise<{ results: BrowserResult[]; chromium: string; error?: string }> {
  let page: Awaited<ReturnType<PwBrowser['newPage']>>;
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
            ([b, p, t]) =>
              (window as unknown as { ltpBench: { run(b: string, p: unknown, t: number): Promise<unknown> } }).ltpBench.run(b, p, t),
            [r.backend, plan, r.wasmThreads ?? 1] as const,
          ) as Promise<BrowserResult>,
          new Promise<BrowserResult>((ok) =>
            setTimeout(() => ok({ ok: false, backend: r.backend, error: `timed out after ${Math.round(left / 1000)} s` }), left),
          ),
        ]);
        const row = { ...plan, ...res, backend: r.backend } as BrowserResult;
        if (!res.ok && consoleLines.length) row.error = `${row.error} | console: ${consoleLines.slice(-3).join(' | ')}`;
        results.push(row);
        log(
          `browser ${r.backend}${r.backend === 'wasm' ? ` (${res.wasmThreads ?? '?'} thr)` : ''} ${plan.model}/b${plan.batch}/${plan.input.join('x')}/${plan.loss}: ${res.ok ? `${res.medianMs?.toFixed(1)} ms/step` : res.error} (${((Date.now() - t0) / 1000).toFixed(0)} s)`,
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
  /** The charts at CIFAR-100-LT size (9 runs × 100 classes) on the fixture page: cost per chart. */
  charts?: ChartsUiResult;
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
 * The UI part of `npm run bench`: the app while it trains (measureApp) and the charts at 9 runs × 100 classes on
 * their fixture page, per chart (measureCharts, in `charts`).
 */
export async function measureUi(
  seconds: number,
  log: (s: string) => void,
  appDir?: string,
  reuseDist = false,
): Promise<UiResult & { app?: string }> {
  const app = await measureApp(seconds, log, appDir, reuseDist);
  const charts = await measureCharts(Math.max(10, seconds), log);
  return { ...app, charts };
}

/**
 * Opens the built app, presses its Train button, records main-thread long tasks (PerformanceObserver) and
 * requestAnimationFrame gaps for `seconds`, then presses Pause. Skips (with the reason) when the app does not
 * build or shows no Train button.
 */
async function measureApp(
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

// ---------------------------------------------------------------------------------------------------------------
// The charts at 9 runs × 100 classes, per chart (the chart fixture page, production build)

/** The cost of one chart's updates: the main-thread task that holds each update (wall and CPU time), its render. */
export interface ChartCost {
  /** Scheduled updates (most are no-ops: the chart's data did not change, its memo skips the render). */
  updates: number;
  /** Updates that re-rendered the chart (render ≥ 1 ms); the medians are over these. */
  renders: number;
  /** Wall-clock duration of the task holding the update (what a user feels; inflated by other processes). */
  worstTaskMs: number;
  medianTaskMs: number;
  /** CPU time of the main thread in that task (trace `tdur`: what the chart itself costs). */
  worstTaskCpuMs: number;
  medianTaskCpuMs: number;
  /** The React render + commit inside it (performance.measure around the flushSync update). */
  worstRenderMs: number;
  medianRenderMs: number;
}

export interface ChartsUiResult {
  status: 'measured' | 'error';
  message: string;
  scenario: string;
  /** Seconds of simulated training (batches every 250 ms, an epoch every 85 batches). */
  seconds: number;
  epochs: number;
  batches: number;
  /** Rounds in which every run's epochs were replaced (every chart re-renders once, each in its own task). */
  touchRounds: number;
  viewport: { width: number; height: number };
  cpus: number;
  load1: { before: number; after: number };
  /** Every main-thread task in the measured span (trace RunTask), worst one: wall and CPU time. */
  worstTaskMs: number;
  worstTaskCpuMs: number;
  /** PerformanceObserver long tasks (≥ 50 ms wall) in the live-training span. */
  longTasks: number;
  worstLongTaskMs: number;
  p95FrameGapMs: number;
  /** Main-thread tasks that hold a rendering update (style, layout, paint), worst: wall and CPU time. */
  worstFrameTaskMs: number;
  worstFrameTaskCpuMs: number;
  perChart: Record<string, ChartCost>;
  /** Points drawn per chart at the end (the cards' data-points: feature-space dots, confusion cells, …). */
  points?: Record<string, number>;
  /**
   * Page load, not while training: each chart mounts in its own task once the page is idle (mount-queue.ts); the
   * worst such task, and the page's first render (all the cards, before recharts mounts the charts).
   */
  mountMs?: number;
  mountCpuMs?: number;
  perChartMount?: Record<string, ChartCost>;
  /** The page's first React render (all cards; recharts mounts later), wall ms. */
  firstRenderMs?: number;
  targetMs: 50;
}

interface TraceEvent {
  name: string;
  cat: string;
  ph: string;
  ts: number;
  dur?: number;
  tdur?: number;
  pid: number;
  tid: number;
  args?: { name?: string };
}

const median = (v: number[]) => {
  if (!v.length) return NaN;
  const s = v.slice().sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
};
const round1 = (x: number) => Math.round(x * 10) / 10;

/**
 * Per-chart cost from a Chrome trace: each `ltpg:chart:<id>` user-timing mark (the labelled update of one chart,
 * src/ui/charts/schedule.ts) is attributed to the main-thread RunTask that contains it.
 */
export function chartCostsFromTrace(
  events: readonly TraceEvent[],
  prefix = 'ltpg:chart:',
): {
  perChart: Record<string, ChartCost>;
  worstTaskMs: number;
  worstTaskCpuMs: number;
  worstFrameTaskMs: number;
  worstFrameTaskCpuMs: number;
} {
  // the page's main thread: where its marks are (a navigation may start a new renderer)
  const mark = events.find((e) => e.cat === 'blink.user_timing' && e.name.startsWith('ltpg:'));
  const main = mark ?? events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const onMain = (e: TraceEvent) => !main || (e.pid === main.pid && e.tid === main.tid);
  const tasks = events.filter((e) => e.name === 'RunTask' && e.ph === 'X' && onMain(e)).sort((a, b) => a.ts - b.ts);
  const taskAt = (ts: number) => {
    let lo = 0;
    let hi = tasks.length - 1;
    let found: TraceEvent | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (tasks[mid].ts <= ts) {
        found = tasks[mid];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found && found.ts + (found.dur ?? 0) >= ts ? found : undefined;
  };
  const begins = new Map<string, TraceEvent[]>();
  const ends = new Map<string, TraceEvent[]>();
  for (const e of events) {
    if (e.cat !== 'blink.user_timing' || !e.name.startsWith(prefix)) continue;
    const m = e.ph === 'b' ? begins : e.ph === 'e' ? ends : null;
    if (!m) continue;
    const list = m.get(e.name) ?? [];
    list.push(e);
    m.set(e.name, list);
  }
  const perChart: Record<string, ChartCost> = {};
  for (const [name, bs] of begins) {
    const es = (ends.get(name) ?? []).slice().sort((a, b) => a.ts - b.ts);
    const all: Array<{ wall: number; cpu: number; render: number }> = [];
    bs.sort((a, b) => a.ts - b.ts).forEach((b, k) => {
      const t = taskAt(b.ts);
      if (!t) return;
      const e = es[k];
      all.push({ wall: (t.dur ?? 0) / 1000, cpu: (t.tdur ?? t.dur ?? 0) / 1000, render: e ? (e.ts - b.ts) / 1000 : NaN });
    });
    const real = all.filter((u) => u.render >= 1);
    perChart[name.slice(prefix.length)] = {
      updates: all.length,
      renders: real.length,
      worstTaskMs: round1(Math.max(0, ...all.map((u) => u.wall))),
      medianTaskMs: round1(median(real.map((u) => u.wall))),
      worstTaskCpuMs: round1(Math.max(0, ...all.map((u) => u.cpu))),
      medianTaskCpuMs: round1(median(real.map((u) => u.cpu))),
      worstRenderMs: round1(Math.max(0, ...all.map((u) => u.render).filter(Number.isFinite))),
      medianRenderMs: round1(median(real.map((u) => u.render))),
    };
  }
  // tasks that hold a rendering update (style / layout / paint after the updates)
  const frames = events.filter(
    (e) => onMain(e) && (e.name === 'UpdateLayoutTree' || e.name === 'Layout' || e.name === 'Paint' || e.name === 'PrePaint'),
  );
  const frameTasks = new Set<TraceEvent>();
  for (const f of frames) {
    const t = taskAt(f.ts);
    if (t) frameTasks.add(t);
  }
  const ft = [...frameTasks];
  return {
    perChart,
    worstTaskMs: round1(Math.max(0, ...tasks.map((t) => (t.dur ?? 0) / 1000))),
    worstTaskCpuMs: round1(Math.max(0, ...tasks.map((t) => (t.tdur ?? t.dur ?? 0) / 1000))),
    worstFrameTaskMs: round1(Math.max(0, ...ft.map((t) => (t.dur ?? 0) / 1000))),
    worstFrameTaskCpuMs: round1(Math.max(0, ...ft.map((t) => (t.tdur ?? t.dur ?? 0) / 1000))),
  };
}

/**
 * The charts while "training" with 9 runs × 100 classes (8 finished CIFAR-100-LT sized runs of different losses and
 * the current GCL run from scratch; synthetic metrics, test/ui/charts/page): batches every 250 ms, an epoch every
 * 85 batches, for `seconds`; then `touchRounds` rounds in which every chart re-renders (the KPS chart included,
 * which the current run does not change). Chrome's trace gives each chart update's task (wall and CPU time).
 */
export async function measureCharts(
  seconds: number,
  log: (s: string) => void,
  touchRounds = 3,
  page_: 'cifar100' | 'seeds' = 'cifar100',
): Promise<ChartsUiResult> {
  const viewport = { width: 1440, height: 1000 };
  const base = {
    scenario:
      page_ === 'seeds'
        ? '9 seed groups × 5 seeds × 100 classes (each group drawn as its mean with ± std bands over 5 seeds) plus the current run (CIFAR-100-LT sized: IF 100, 500 head images, 85 batches per epoch, 20 epochs per finished run; synthetic metrics), charts at 1,440 px'
        : '9 runs × 100 classes (CIFAR-100-LT sized: IF 100, 500 head images, 85 batches per epoch, 20 epochs per finished run; synthetic metrics; feature spaces of 5,000 test images, all drawn — the app sends at most 2,000), charts at 1,440 px',
    targetMs: 50 as const,
    viewport,
    cpus: (await import('node:os')).cpus().length,
  };
  const os = await import('node:os');
  let browser: PwBrowser | null = null;
  let server: Awaited<ReturnType<typeof serveStatic>> | null = null;
  const load0 = os.loadavg()[0];
  try {
    log('ui charts: bundling the chart fixture page …');
    server = await serveStatic(await buildChartsPage());
    browser = await launchChromium();
    const page = await browser.newPage({ viewport });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // the first render of all charts with the 9 runs (not while training): its task from the trace
    await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink.user_timing'] });
    await page.goto(`${server.url}?scenario=${page_}&live=1`, { waitUntil: 'load' });
    await page.waitForFunction('window.__charts && window.__charts.ready === true', undefined, { timeout: 60_000 });
    // the charts mount one per task after the first render
    await page.waitForFunction('document.querySelectorAll(".recharts-surface").length >= 9', undefined, { timeout: 60_000 });
    await page.waitForTimeout(1500);
    const mountTrace = JSON.parse((await browser.stopTracing()).toString()) as { traceEvents: TraceEvent[] };
    await page.evaluate('window.__charts.prepare()');
    await page.waitForTimeout(500);
    const mounts = chartCostsFromTrace(mountTrace.traceEvents, 'ltpg:mount:');
    const first = chartCostsFromTrace(mountTrace.traceEvents, 'ltpg:first-render');
    await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink.user_timing'] });
    await page.evaluate('window.__charts.startLive()');
    log(`ui charts: training simulated for ${seconds} s (9 runs × 100 classes)`);
    await page.waitForTimeout(seconds * 1000);
    const rec = (await page.evaluate('window.__charts.stopLive()')) as {
      longtasks: Array<{ duration: number }>;
      frames: number[];
      epochs: number;
      batches: number;
    };
    await page.waitForTimeout(1000);
    for (let k = 0; k < touchRounds; k++) {
      await page.evaluate('window.__charts.touchAll()');
      await page.waitForTimeout(1500);
    }
    const trace = JSON.parse((await browser.stopTracing()).toString()) as { traceEvents: TraceEvent[] };
    const costs = chartCostsFromTrace(trace.traceEvents);
    const points = (await page.evaluate(
      `Object.fromEntries([...document.querySelectorAll('[data-testid^="chart-"][data-points]')].map((c) => [c.getAttribute('data-testid').slice(6), Number(c.getAttribute('data-points'))]))`,
    )) as Record<string, number>;
    const gaps = rec.frames
      .slice(1)
      .map((t, i) => t - rec.frames[i])
      .sort((a, b) => a - b);
    if (errors.length) throw new Error(`page errors: ${errors.slice(0, 3).join(' | ')}`);
    return {
      ...base,
      status: 'measured',
      message: 'headless Chromium, production build of the charts (esbuild, NODE_ENV=production), software rendering',
      seconds,
      epochs: rec.epochs,
      batches: rec.batches,
      touchRounds,
      load1: { before: Math.round(load0 * 100) / 100, after: Math.round(os.loadavg()[0] * 100) / 100 },
      longTasks: rec.longtasks.length,
      worstLongTaskMs: round1(Math.max(0, ...rec.longtasks.map((t) => t.duration))),
      p95FrameGapMs: round1(gaps.length ? gaps[Math.min(gaps.length - 1, Math.floor(0.95 * gaps.length))] : NaN),
      ...costs,
      points,
      mountMs: Math.max(0, ...Object.values(mounts.perChart).map((c) => c.worstTaskMs)),
      mountCpuMs: Math.max(0, ...Object.values(mounts.perChart).map((c) => c.worstTaskCpuMs)),
      perChartMount: mounts.perChart,
      // its task also evaluates the page's module, which builds the synthetic runs: the render alone
      firstRenderMs: first.perChart['']?.worstRenderMs,
    };
  } catch (e) {
    return {
      ...base,
      status: 'error',
      message: (e as Error).message.split('\n')[0],
      seconds,
      epochs: 0,
      batches: 0,
      touchRounds,
      load1: { before: load0, after: os.loadavg()[0] },
      worstTaskMs: NaN,
      worstTaskCpuMs: NaN,
      longTasks: 0,
      worstLongTaskMs: NaN,
      p95FrameGapMs: NaN,
      worstFrameTaskMs: NaN,
      worstFrameTaskCpuMs: NaN,
      perChart: {},
    };
  } finally {
    await browser?.close().catch(() => {});
    await server?.close();
  }
}

/** The per-chart table (markdown) of a charts measurement. */
export function chartsMarkdown(r: ChartsUiResult): string {
  if (r.status !== 'measured') return `Charts at ${r.scenario.split(' (')[0]}: ${r.status} — ${r.message}`;
  const ok = (ms: number) => (ms <= r.targetMs ? 'yes' : '**no**');
  const lines = [
    `Charts at ${r.scenario}; ${r.seconds} s of simulated training (${r.epochs} epochs, ${r.batches} batches) + ${r.touchRounds} rounds re-rendering every chart; ${r.cpus} CPUs, load average ${r.load1.before} → ${r.load1.after}.`,
    '',
    '| chart | re-renders (of scheduled updates) | task wall ms (median / worst) | task CPU ms (median / worst) | React render ms (median / worst) | wall worst ≤ 50 ms | CPU worst ≤ 50 ms |',
    '|---|---:|---:|---:|---:|---|---|',
  ];
  const pts = (id: string) => (r.points?.[id] !== undefined ? ` (${r.points[id].toLocaleString('en')} points)` : '');
  for (const [id, c] of Object.entries(r.perChart).sort((a, b) => b[1].worstTaskCpuMs - a[1].worstTaskCpuMs))
    lines.push(
      `| ${id}${pts(id)} | ${c.renders} (${c.updates}) | ${c.medianTaskMs} / ${c.worstTaskMs} | ${c.medianTaskCpuMs} / ${c.worstTaskCpuMs} | ${c.medianRenderMs} / ${c.worstRenderMs} | ${ok(c.worstTaskMs)} | ${ok(c.worstTaskCpuMs)} |`,
    );
  lines.push(
    '',
    `Worst main-thread task: ${r.worstTaskMs} ms wall, ${r.worstTaskCpuMs} ms CPU; rendering (style/layout/paint) tasks worst ${r.worstFrameTaskMs} ms wall, ${r.worstFrameTaskCpuMs} ms CPU; ` +
      `long tasks while training ${r.longTasks} (worst ${r.worstLongTaskMs} ms wall); p95 frame gap ${r.p95FrameGapMs} ms. ` +
      `Page load (not while training): first render of the cards ${r.firstRenderMs ?? '–'} ms, ` +
      `then each chart's mount in its own task, worst ${r.mountMs ?? '–'} ms wall / ${r.mountCpuMs ?? '–'} ms CPU` +
      (r.perChartMount
        ? ` (${Object.entries(r.perChartMount)
            .map(([k, c]) => `${k} ${c.worstTaskCpuMs}`)
            .join(', ')} ms CPU).`
        : '.'),
  );
  return lines.join('\n');
}
