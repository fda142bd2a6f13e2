/**
 * Main-thread responsiveness while training (the budget: "the main thread never blocks more than 50 ms while
 * training"). Trains a few epochs of the default configuration on the wasm backend in Chromium (production build)
 * and records, from Train to the end of the stage:
 *  - every long task (PerformanceObserver 'longtask', ≥ 50 ms) → the worst one,
 *  - the gaps between animation frames (requestAnimationFrame deltas) → p95 and max,
 *  - the machine's load average (the numbers mean little on a busy machine).
 * It PRINTS them and writes test-results/e2e/responsiveness.json; it asserts no timing (targets live in the
 * benchmarks), only that training finished and the charts got data.
 *
 * Env: RESP_QUERY overrides the URL configuration; RESP_PROFILE=1 also records a Chrome CPU profile
 * (test-results/e2e/responsiveness.cpuprofile, open it in Chrome DevTools → Performance) of the measured span;
 * E2E_DIST=<dir> reuses an existing `vite build` output instead of building (test/e2e/dist.ts).
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ARTIFACTS, chartPoints, e2eEnabled, openApp, useApp } from './harness';

const RUN = e2eEnabled('responsiveness');

/** Default configuration (1000 head-class images, IF 100, ConvNet, GCL, batch 64) on wasm, 3 epochs. */
const QUERY = process.env.RESP_QUERY ?? 'backend=wasm&epochs=3';

const percentile = (xs: number[], p: number): number => {
  if (!xs.length) return 0;
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const r1 = (x: number) => Math.round(x * 10) / 10;

/**
 * Records, while window.__resp.on: long tasks, the gaps between animation frames and the chart updates' labelled
 * measures (src/ui/charts/schedule.ts).
 */
function recordResponsiveness(): void {
  const w = window as unknown as { __resp: { on: boolean; longtasks: number[]; gaps: number[]; measures: Record<string, number[]> } };
  const r: typeof w.__resp = (w.__resp = { on: false, longtasks: [], gaps: [], measures: {} });
  try {
    // the chart updates label their tasks (src/ui/charts/schedule.ts): attributes the time to a chart
    new PerformanceObserver((list) => {
      if (!r.on) return;
      for (const e of list.getEntries()) if (e.name.startsWith('ltpg:')) (r.measures[e.name] ??= []).push(e.duration);
    }).observe({ type: 'measure' });
  } catch {
    /* no measure support */
  }
  try {
    new PerformanceObserver((list) => {
      if (!r.on) return;
      for (const e of list.getEntries()) r.longtasks.push(e.duration);
    }).observe({ type: 'longtask' });
  } catch {
    /* no longtask support */
  }
  let last = -1;
  const frame = (t: number) => {
    if (r.on && last >= 0) r.gaps.push(t - last);
    last = t;
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}

describe.runIf(RUN)('main-thread responsiveness while training (Chromium, wasm)', () => {
  const app = useApp();

  it('records the worst long task and the p95 frame gap during a few epochs of training', async () => {
    const { page, errors } = await openApp(app.browser, app.url, QUERY, { init: recordResponsiveness });
    expect(await page.locator('[data-backend]').getAttribute('data-backend')).toBe('wasm');
    await page.waitForTimeout(500); // let the first render settle

    const profile = process.env.RESP_PROFILE === '1';
    const cdp = profile ? await page.context().newCDPSession(page) : null;
    if (cdp) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
    }
    const load0 = loadavg()[0];
    await page.evaluate(() => {
      (window as unknown as { __resp: { on: boolean } }).__resp.on = true;
    });
    const t0 = Date.now();
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await page.waitForFunction(() => document.querySelector('[data-testid=phase]')?.getAttribute('data-phase') === 'stageDone', null, {
      timeout: 400_000,
      polling: 500,
    });
    await page.waitForTimeout(1000); // the last staggered chart updates
    const r = await page.evaluate(() => {
      const x = (window as unknown as { __resp: { on: boolean; longtasks: number[]; gaps: number[]; measures: Record<string, number[]> } })
        .__resp;
      x.on = false;
      return { longtasks: x.longtasks.slice(), gaps: x.gaps.slice(), measures: x.measures };
    });
    const seconds = (Date.now() - t0) / 1000;
    const load1 = loadavg()[0];
    if (cdp) {
      const { profile: prof } = await cdp.send('Profiler.stop');
      writeFileSync(join(ARTIFACTS, 'responsiveness.cpuprofile'), JSON.stringify(prof));
    }
    const points = await chartPoints(page);
    const epochs = Number(await page.getByTestId('epoch-counter').getAttribute('data-epoch'));

    const result = {
      query: QUERY,
      trainingSeconds: r1(seconds),
      worstLongTaskMs: r1(r.longtasks.length ? Math.max(...r.longtasks) : 0),
      longTasks: r.longtasks.length,
      longTasksMs: r.longtasks
        .map(r1)
        .sort((a, b) => b - a)
        .slice(0, 20),
      frames: r.gaps.length,
      p95FrameGapMs: r1(percentile(r.gaps, 95)),
      p99FrameGapMs: r1(percentile(r.gaps, 99)),
      maxFrameGapMs: r1(r.gaps.length ? Math.max(...r.gaps) : 0),
      /** Per labelled chart update: count, worst, mean and the slowest few (ms). */
      chartUpdates: Object.fromEntries(
        Object.entries(r.measures).map(([k, v]) => [
          k.replace(/^ltpg:/, ''),
          {
            count: v.length,
            worstMs: r1(Math.max(...v)),
            meanMs: r1(v.reduce((a, b) => a + b, 0) / v.length),
            slowestMs: v
              .slice()
              .sort((a, b) => b - a)
              .slice(0, 5)
              .map(r1),
          },
        ]),
      ),
      loadAverage1m: { before: Math.round(load0 * 100) / 100, after: Math.round(load1 * 100) / 100 },
      cpus: (await import('node:os')).cpus().length,
      epochCounter: epochs,
      chartPoints: points,
      at: new Date().toISOString(),
    };
    writeFileSync(join(ARTIFACTS, 'responsiveness.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(
      `[e2e] responsiveness (${QUERY}, ${result.trainingSeconds} s of training, load ${result.loadAverage1m.before}→${result.loadAverage1m.after}): ` +
        `worst long task ${result.worstLongTaskMs} ms (${result.longTasks} ≥ 50 ms), frame gap p95 ${result.p95FrameGapMs} ms / max ${result.maxFrameGapMs} ms over ${result.frames} frames`,
    );

    for (const id of ['loss', 'per-class', 'groups', 'confusion']) expect(points[id], id).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 600_000);
});
