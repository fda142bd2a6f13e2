/**
 * The record of what ran, in Chromium on the production build: a live lr change during epoch 2 leaves the run's
 * label, run-config.json and the "Continue in PyTorch" command at the initial lr, and each of them (plus the runs
 * table and the metrics JSON) states the change and where it took effect.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { POLL, e2eEnabled, openApp, stepOf, useApp, waitPhase, waitStep } from './harness';

const RUN = e2eEnabled();
const TINY = 'backend=wasm&nmax=20&if=10&batch=16&eval=2&log=1&model=convnet&loss=ce&head=linear&epochs=3&lr=0.1';
const CHANGE = 'learning rate changed at epoch 2 (after step 5): 0.1 → 0.05';

async function steps(page: Page, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const s = await stepOf(page);
    await page.getByRole('button', { name: 'Step', exact: true }).click();
    await waitStep(page, s + 1, 60_000);
    await waitPhase(page, ['paused', 'ready', 'stageDone']);
  }
}

async function download(page: Page, locator: ReturnType<Page['getByTestId']>, tmp: string): Promise<string> {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), locator.click()]);
  const path = join(tmp, `${Date.now()}-${dl.suggestedFilename()}`);
  await dl.saveAs(path);
  return readFileSync(path, 'utf8');
}

describe.runIf(RUN)('records of what ran (Chromium, production build, wasm)', () => {
  const app = useApp({ tmpPrefix: 'ltpg-rec-' });

  it('a live lr change is logged; the label, config and command keep the initial lr and state the change', async () => {
    const context = await app.browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
    const page = await context.newPage();
    const { errors } = await openApp(page, app.url, TINY);
    await steps(page, 5); // epoch 1 at lr 0.1
    const lr = page.getByLabel('Learning rate', { exact: true });
    await lr.fill('0.05');
    await lr.press('Enter');
    await expect.poll(() => page.url(), POLL).toContain('lr=0.05');
    await steps(page, 5); // epoch 2 at lr 0.05

    const row = page.locator('[data-testid=compare-runs] tbody tr').first();
    await expect.poll(() => row.getByTestId('run-changes').textContent(), POLL).toBe(`changed live: ${CHANGE}`);
    expect(await row.locator('.runs-name').textContent()).not.toMatch(/0\.05/);

    await page.getByRole('button', { name: 'Export…' }).click();
    await expect.poll(() => page.getByTestId('export-dialog').isVisible(), POLL).toBe(true);
    const cfg = JSON.parse(await download(page, page.getByTestId('download-run-config'), app.tmp));
    expect(cfg.config.lr).toBe(0.1);
    expect(cfg.changes).toEqual([{ stage: 1, epoch: 2, step: 5, key: 'lr', from: 0.1, to: 0.05 }]);
    expect(cfg.changesText).toEqual([CHANGE]);
    expect(await page.getByTestId('pytorch-command').first().innerText()).toMatch(/--lr 0\.1\b/);
    expect(await page.getByTestId('pytorch-not-carried').innerText()).toContain(CHANGE);
    const metrics = JSON.parse(
      await download(page, page.getByTestId('export-dialog').getByRole('button', { name: 'All metrics (JSON)', exact: true }), app.tmp),
    );
    expect(metrics.settings.config.lr).toBe(0.1);
    expect(metrics.changesText).toEqual([CHANGE]);
    expect(errors).toEqual([]);
    await context.close();
  }, 240_000);
});
