/**
 * First-visit timings of the production build in headless Chromium, with and without a software WebGPU adapter
 * (`--enable-unsafe-webgpu`): seconds from navigation start to Train enabled, and to the first chart point after
 * pressing Train at once. Every run is a fresh browser context (empty caches and storage: a first visit). Prints a
 * line per visit and the median per build and browser, with the badge's text at Train-enabled and afterwards.
 *
 *   npx tsx tools/bench/first-visit.ts [--runs 2] [--dist <built folder>]... [--label <name>]...
 *
 * Without --dist the current sources are built (NODE_ENV=production, as the e2e tests build) into a temporary folder.
 * Several --dist folders (e.g. a build of the main branch and one of this branch) are visited in turn, visit by visit,
 * so that a busy machine slows each of them alike.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../../test/e2e/browser';
import { serveStatic } from '../../test/e2e/server';

function args(name: string): string[] {
  return process.argv.flatMap((a, i) => (a === `--${name}` && process.argv[i + 1] ? [process.argv[i + 1]] : []));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

interface Visit {
  trainS: number;
  chartS: number;
  badgeAtTrain: string;
  badgeAfter: string;
}

const badgeText = (page: Page) =>
  page
    .locator('[data-backend]')
    .first()
    .getAttribute('aria-label')
    .then((t) => t ?? '');

async function visit(browser: Browser, url: string): Promise<Visit> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  await page.addInitScript(() => localStorage.setItem('ltpg:intro-dismissed', '1'));
  await page.goto(`${url}/`);
  const train = page.getByRole('button', { name: 'Train', exact: true });
  // performance.now() counts from the navigation's start
  const trainMs = await (
    await page.waitForFunction(
      () => {
        const b = [...document.querySelectorAll('button')].find((x) => x.textContent === 'Train');
        return b && !b.disabled ? performance.now() : false;
      },
      null,
      { polling: 20, timeout: 180_000 },
    )
  ).jsonValue();
  const badgeAtTrain = await badgeText(page);
  await train.click();
  const chartMs = await (
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid=chart-groups]')?.getAttribute('data-points')) > 0 && performance.now(),
      null,
      { polling: 50, timeout: 300_000 },
    )
  ).jsonValue();
  // the badge once nothing is measured any more (a measurement waiting for the run to end: after it), or after 60 s
  await page
    .waitForFunction(
      () => {
        const b = document.querySelector('[data-backend]');
        return (
          !!b?.getAttribute('data-backend') && !b.getAttribute('data-measuring') && !/choosing/i.test(b.getAttribute('aria-label') ?? '')
        );
      },
      null,
      { timeout: 60_000 },
    )
    .catch(() => undefined);
  const badgeAfter = await badgeText(page);
  await context.close();
  return { trainS: (trainMs as number) / 1000, chartS: (chartMs as number) / 1000, badgeAtTrain, badgeAfter };
}

function build(): string {
  const out = mkdtempSync(join(tmpdir(), 'ltpg-first-visit-'));
  const r = spawnSync(
    process.execPath,
    ['node_modules/vite/bin/vite.js', 'build', '--outDir', out, '--emptyOutDir', '--logLevel', 'warn'],
    {
      stdio: 'inherit',
      env: { ...process.env, NODE_ENV: 'production' },
    },
  );
  if (r.status !== 0) throw new Error('vite build failed');
  return out;
}

async function main(): Promise<void> {
  const runs = Number(args('runs')[0] ?? 2);
  const dists = args('dist').length ? args('dist') : [build()];
  const labels = dists.map((d, i) => args('label')[i] ?? d);
  const servers = await Promise.all(dists.map((d) => serveStatic(d)));
  console.log(`${runs} fresh-profile visits per build and browser: ${labels.join(', ')}`);
  const rows: string[] = [];
  try {
    for (const webgpu of [true, false]) {
      const flags = CHROMIUM_ARGS.filter((a) => webgpu || a !== '--enable-unsafe-webgpu');
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: flags, headless: true });
      const label = webgpu ? 'with --enable-unsafe-webgpu' : 'default (no WebGPU)';
      const got = servers.map(() => [] as Visit[]);
      try {
        for (let i = 0; i < runs; i++) {
          for (const [k, server] of servers.entries()) {
            const v = await visit(browser, server.url);
            got[k].push(v);
            console.log(
              `${labels[k]}\t${label}\trun ${i + 1}\tTrain enabled ${v.trainS.toFixed(1)} s\tfirst chart ${v.chartS.toFixed(1)} s`,
            );
            console.log(`  badge at Train: ${v.badgeAtTrain}\n  badge after:    ${v.badgeAfter}`);
          }
        }
      } finally {
        await browser.close();
      }
      for (const [k, vs] of got.entries()) {
        const t = vs.map((v) => v.trainS);
        const c = vs.map((v) => v.chartS);
        rows.push(
          `| ${labels[k]} | ${label} | ${median(t).toFixed(1)} (${t.map((x) => x.toFixed(1)).join(', ')}) | ${median(c).toFixed(1)} (${c.map((x) => x.toFixed(1)).join(', ')}) |`,
        );
      }
    }
  } finally {
    await Promise.all(servers.map((s) => s.close()));
  }
  console.log('\n| build | browser | Train enabled, s: median (runs) | first chart, s: median (runs) |\n|---|---|---|---|');
  console.log(rows.join('\n'));
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
