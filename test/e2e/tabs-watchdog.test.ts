/**
 * Browser tests (production build, Debian Chromium, wasm, tiny configuration) of two tabs and of a silent worker:
 *  - two tabs of one browser (two pages of one context: they share IndexedDB, Web Locks and BroadcastChannel)
 *    train at once: the second is told another tab is training (and trains); each run is saved under its own key;
 *    a reload offers both runs, newest first, each with its tab's label, and the first tab's run resumes;
 *  - the training worker closed from inside (`self.close()`, evaluated in the worker) or terminated from the page:
 *    no error event comes, yet the page leaves "running" within bounded time and continues from the last finished
 *    epoch on the next backend.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { join } from 'node:path';
import { ARTIFACTS, POLL, e2eEnabled, openApp, phaseOf, stepOf, useApp, waitPhase, waitStep } from './harness';
import { idbRecords, savedRuns } from './saved-runs';

const RUN = e2eEnabled();
const WASM = 'backend=wasm&nmax=20&if=10&batch=16&eval=2&log=1&model=convnet&s2.epochs=1&s2.batch=16';

const epochsDone = async (page: Page) => Number(await page.getByTestId('epoch-counter').getAttribute('data-epochs-done'));

async function trainEpochs(page: Page, n: number): Promise<void> {
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect.poll(() => epochsDone(page), { ...POLL, timeout: 120_000 }).toBeGreaterThanOrEqual(n);
}

async function pause(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await waitPhase(page, ['paused']);
}

/** Records the page's Workers (window.__workers) before its scripts run: test instrumentation, not app code. */
function recordWorkers(): void {
  const w = window as unknown as { __workers: Worker[]; Worker: typeof Worker };
  w.__workers = [];
  const Original = w.Worker;
  w.Worker = class extends Original {
    constructor(url: string | URL, opts?: WorkerOptions) {
      super(url, opts);
      w.__workers.push(this);
    }
  };
}

describe.runIf(RUN)('two tabs and a silent worker (production build, wasm)', () => {
  const app = useApp();

  it('a second tab training is told; both runs are saved; a reload offers both, and the first tab’s run resumes', async () => {
    const t0 = Date.now();
    const context = await app.browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const one = await openApp(await context.newPage(), app.url, `${WASM}&loss=gcl&epochs=40`);
    await trainEpochs(one.page, 1);
    expect(await one.page.getByTestId('notice-tabs').count()).toBe(0);

    const two = await openApp(await context.newPage(), app.url, `${WASM}&loss=ce&head=linear&epochs=40`);
    await two.page.getByRole('button', { name: 'Train', exact: true }).click();
    const told = two.page.getByTestId('notice-tabs');
    await expect.poll(() => told.isVisible(), POLL).toBe(true);
    expect(await told.textContent()).toMatch(/^Another tab is training: the tab opened .* \(GCL · ConvNet\)\. Training here goes on/);
    // training is not blocked, and the first tab hears of the second
    await waitPhase(two.page, ['running']);
    await expect.poll(() => one.page.getByTestId('notice-tabs').isVisible(), POLL).toBe(true);
    expect(await one.page.getByTestId('notice-tabs').textContent()).toMatch(/\(CE · ConvNet\)/);
    await expect.poll(() => epochsDone(two.page), { ...POLL, timeout: 120_000 }).toBeGreaterThanOrEqual(1);

    // the first tab pauses, then the second: two records, the second tab's newest
    await pause(one.page);
    const firstEpochs = await epochsDone(one.page);
    await expect
      .poll(async () => (await savedRuns(one.page)).find((r) => r.run.label?.startsWith('GCL'))?.run.epochs?.length, POLL)
      .toBe(firstEpochs);
    await pause(two.page);
    const secondEpochs = await epochsDone(two.page);
    await expect
      .poll(async () => (await savedRuns(two.page)).find((r) => r.run.label?.startsWith('CE'))?.run.epochs?.length, POLL)
      .toBe(secondEpochs);
    expect((await savedRuns(two.page)).length).toBe(2);

    // the second tab reloads: both runs are offered, newest first, each with its tab; the first tab is still open
    await two.page.reload();
    await waitPhase(two.page, ['ready']);
    const offers = two.page.getByTestId('resume-offer');
    await expect.poll(() => offers.count(), POLL).toBe(2);
    expect(await two.page.getByTestId('resume-banner').textContent()).toMatch(/^2 saved runs in this browser, newest first:/);
    await two.page.evaluate(() => window.scrollTo(0, 0));
    await two.page.screenshot({ path: join(ARTIFACTS, 'resume-two-tabs.png') });
    const texts = await offers.allTextContents();
    expect(texts[0]).toMatch(
      new RegExp(`\\(epoch ${secondEpochs} of 40\\)\\?.*CE · ConvNet \\(the tab opened [^,]*\\), ${secondEpochs} epochs?`),
    );
    expect(texts[1]).toMatch(new RegExp(`\\(epoch ${firstEpochs} of 40\\)\\?.*GCL · ConvNet \\(the tab opened .*, still open\\)`));
    // never silently the wrong one: the first tab's run resumes here, where the first tab left it
    await offers.nth(1).getByRole('button', { name: 'Resume' }).click();
    await waitPhase(two.page, ['paused']);
    expect(await two.page.getByLabel('Loss function').inputValue()).toBe('gcl');
    expect(await epochsDone(two.page)).toBe(firstEpochs);
    // (from its last finished epoch: the batches after it were not saved)
    const firstStep = firstEpochs * 5;
    expect(await stepOf(two.page)).toBe(firstStep);
    await expect.poll(() => offers.count(), POLL).toBe(1);
    // and it trains on
    await two.page.getByRole('button', { name: 'Step', exact: true }).click();
    await waitStep(two.page, firstStep + 1, 60_000);
    expect(one.errors).toEqual([]);
    expect(two.errors).toEqual([]);
    console.log(`[e2e] two tabs: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await context.close();
  }, 300_000);

  it('a run saved by the earlier version (one record under "last") is migrated on load, offered and resumed', async () => {
    const context = await app.browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const { page, errors } = await openApp(await context.newPage(), app.url, `${WASM}&loss=ce&head=linear&epochs=3`);
    for (let i = 0; i < 5; i++) {
      await page.getByRole('button', { name: 'Step', exact: true }).click();
      await waitStep(page, i + 1, 60_000);
      await waitPhase(page, ['paused', 'ready']);
    }
    await expect.poll(async () => (await savedRuns(page)).length, POLL).toBe(1);
    // the store as the earlier version left it: the run under 'last', no index
    await page.evaluate(
      () =>
        new Promise<void>((ok, fail) => {
          const r = indexedDB.open('long-tail-playground');
          r.onsuccess = () => {
            const tx = r.result.transaction('runs', 'readwrite');
            const store = tx.objectStore('runs');
            const c = store.openCursor(IDBKeyRange.bound('run:', 'run:\uffff'));
            c.onsuccess = () => {
              if (!c.result) return;
              const { tab: _tab, ...rec } = c.result.value as Record<string, unknown>;
              store.put(rec, 'last');
              c.result.delete();
            };
            store.delete('index');
            tx.oncomplete = () => ok();
            tx.onerror = () => fail(tx.error);
          };
        }),
    );
    expect(await savedRuns(page)).toEqual([]);
    await page.reload();
    await waitPhase(page, ['ready']);
    const offers = page.getByTestId('resume-offer');
    await expect.poll(() => offers.count(), POLL).toBe(1);
    expect(await offers.textContent()).toMatch(/^Resume the run from .* \(epoch 1 of 3\)\? CE · ConvNet, 1 epoch of metrics/);
    expect((await idbRecords(page, 'last')).length).toBe(0);
    expect((await savedRuns(page)).map((r) => r.key)).toEqual([expect.stringMatching(/^earlier-\d+$/)]);
    await offers.getByRole('button', { name: 'Resume' }).click();
    await waitPhase(page, ['paused']);
    expect(await epochsDone(page)).toBe(1);
    expect(await stepOf(page)).toBe(5);
    expect(errors).toEqual([]);
    await context.close();
  }, 240_000);

  for (const how of ['closed from inside (self.close())', 'terminated'] as const) {
    it(`a worker ${how} mid-run: the page leaves "running" and continues from the last finished epoch`, async () => {
      const context = await app.browser.newContext({ viewport: { width: 1400, height: 1000 } });
      const page = await context.newPage();
      await page.addInitScript(recordWorkers);
      const { errors } = await openApp(page, app.url, `${WASM}&loss=ce&head=linear&epochs=60`);
      await trainEpochs(page, 2);
      await waitPhase(page, ['running']);
      const t0 = Date.now();
      if (how === 'terminated') await page.evaluate(() => (window as unknown as { __workers: Worker[] }).__workers.at(-1)!.terminate());
      else {
        const worker = page.workers().at(-1)!;
        // the worker ends inside evaluate: its answer may never come
        void worker.evaluate(() => (self as unknown as { close(): void }).close()).catch(() => undefined);
      }
      const crash = page.getByTestId('crash');
      await expect.poll(() => crash.isVisible(), { ...POLL, timeout: 90_000 }).toBe(true);
      const seconds = (Date.now() - t0) / 1000;
      expect(await phaseOf(page)).toBe('crashed');
      expect(await crash.textContent()).toMatch(
        /^Training stopped on wasm: the training worker stopped answering \(no message for \d+ s while training\)/,
      );
      const button = crash.getByRole('button', { name: /^Continue on cpu from the last finished epoch \(stage 1, epoch \d+\)$/ });
      const label = (await button.textContent())!;
      const epoch = Number(/epoch (\d+)\)$/.exec(label)![1]);
      expect(epoch).toBeGreaterThanOrEqual(2);
      await button.click();
      await waitPhase(page, ['paused']);
      expect(await epochsDone(page)).toBe(epoch);
      const step = await stepOf(page);
      expect(step).toBe(epoch * 5);
      await page.getByRole('button', { name: 'Step', exact: true }).click();
      await waitStep(page, step + 1, 60_000);
      expect(errors).toEqual([]);
      console.log(`[e2e] worker ${how}: noticed after ${seconds.toFixed(1)} s`);
      await context.close();
    }, 300_000);
  }
});
