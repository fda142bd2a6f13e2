/**
 * Browser tests of the reliability guards in the production build (Debian Chromium, wasm, tiny configuration):
 *  - a malformed saved run (a version-1 record whose checkpoint lacks trainer.config) no longer blanks the page:
 *    after a reload the page works, says "A saved run could not be read (…); it was set aside", keeps the record
 *    under another key, and Discard deletes it;
 *  - a panel that fails (here the charts, in a browser whose ResizeObserver throws, and the export dialog, whose
 *    showModal throws) is replaced by a line naming it with Retry / Dismiss; the rest of the page trains on;
 *  - the Content-Security-Policy: served as a header and as a <meta> in index.html, and no violation is reported
 *    while the app loads, trains on wasm, and opens its dialogs.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { POLL, e2eEnabled, openApp, stepOf, useApp, waitPhase, waitStep } from './harness';
import { CONTENT_SECURITY_POLICY } from '../../src/csp';
import { pngFolder, zipFolder } from '../helpers/upload-fixtures';
import { idbRecords, savedRuns } from './saved-runs';

const RUN = e2eEnabled();
const WASM = 'backend=wasm&nmax=20&if=10&batch=16&eval=2&log=1&model=convnet&loss=ce&head=linear&epochs=3';

/** Records CSP violations in the page (window.__csp) before its scripts run. */
function recordCsp(): void {
  const w = window as unknown as { __csp: string[] };
  w.__csp = [];
  document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
}

const violations = (page: Page) => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
const cspConsole = (errors: string[]) => errors.filter((e) => /Content Security Policy|Refused to/i.test(e));

async function step(page: Page): Promise<void> {
  const s = await stepOf(page);
  await page.getByRole('button', { name: 'Step', exact: true }).click();
  await waitStep(page, s + 1, 60_000);
  await waitPhase(page, ['paused', 'ready', 'stageDone']);
}

describe.runIf(RUN)('nothing a saved run or a failing panel does breaks the page (production build, wasm)', () => {
  const app = useApp();

  it('the CSP is sent as a header and set in index.html', async () => {
    const res = await fetch(`${app.url}/`);
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    const html = await res.text();
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html);
    expect(meta?.[1].replaceAll('&#39;', "'")).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/https?:|\*|'unsafe-eval'/);
  });

  it('a malformed saved run is set aside with a notice; the page works and Discard deletes it', async () => {
    const context = await app.browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    await page.addInitScript(recordCsp);
    const { errors } = await openApp(page, app.url, WASM);
    // one epoch (5 batches of 16): a real record lands in IndexedDB
    for (let i = 0; i < 5; i++) await step(page);
    await expect
      .poll(async () => (await savedRuns(page))[0]?.run.epochs?.length ?? 0, {
        timeout: 60_000,
        interval: 250,
      })
      .toBeGreaterThanOrEqual(1);
    await page
      .getByRole('button', { name: 'Pause', exact: true })
      .click()
      .catch(() => undefined);
    // break it the way a saved run can be broken: version 1, but the checkpoint has no trainer.config
    await page.evaluate(
      () =>
        new Promise<void>((ok, fail) => {
          const r = indexedDB.open('long-tail-playground');
          r.onsuccess = () => {
            const tx = r.result.transaction('runs', 'readwrite');
            const store = tx.objectStore('runs');
            // the page's one saved run (one record per run, key 'run:<tab>-<n>')
            const c = store.openCursor(IDBKeyRange.bound('run:', 'run:\uffff'));
            c.onsuccess = () => {
              if (!c.result) return;
              const rec = c.result.value as { version: number; checkpoint: { trainer: { config?: unknown } } };
              delete rec.checkpoint.trainer.config;
              c.result.update(rec);
            };
            tx.oncomplete = () => ok();
            tx.onerror = () => fail(tx.error);
          };
        }),
    );
    await page.reload();
    await waitPhase(page, ['ready']);
    const notice = page.getByTestId('unreadable-run');
    await expect.poll(() => notice.isVisible(), POLL).toBe(true);
    expect(await notice.textContent()).toMatch(
      /^A saved run could not be read \(checkpoint\.trainer\.config is undefined, expected an object\); it was set aside\./,
    );
    expect(await page.getByTestId('resume-banner').filter({ hasText: 'Resume the run' }).count()).toBe(0);
    // kept under another key, not deleted; the page trains
    expect(await savedRuns(page)).toEqual([]);
    const aside = await idbRecords(page, 'aside:');
    expect(aside.map((r) => (r.value as { version: number }).version)).toEqual([1]);
    await step(page);
    expect(await stepOf(page)).toBe(1);
    await notice.getByRole('button', { name: 'Discard' }).click();
    await expect.poll(() => notice.count(), POLL).toBe(0);
    expect(await idbRecords(page, 'aside:')).toEqual([]);
    await page.reload();
    await waitPhase(page, ['ready']);
    expect(await page.getByTestId('unreadable-run').count()).toBe(0);
    expect(await violations(page)).toEqual([]);
    expect(cspConsole(errors)).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  }, 240_000);

  it('a failing panel shows what failed with Retry / Dismiss; the rest of the page keeps training', async () => {
    const context = await app.browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    await page.addInitScript(recordCsp);
    // a browser whose ResizeObserver and <dialog>.showModal throw (both restorable, for Retry)
    await page.addInitScript(() => {
      const w = window as unknown as Record<string, unknown>;
      w.__ro = window.ResizeObserver;
      w.__showModal = HTMLDialogElement.prototype.showModal;
      window.ResizeObserver = class {
        constructor() {
          throw new Error('ResizeObserver is broken in this browser');
        }
      } as unknown as typeof ResizeObserver;
      HTMLDialogElement.prototype.showModal = () => {
        throw new Error('showModal is broken in this browser');
      };
    });
    const { errors } = await openApp(page, app.url, WASM);
    const failed = page.locator('[data-testid=panel-failed][data-panel=charts]');
    await expect.poll(() => failed.isVisible(), POLL).toBe(true);
    expect(await failed.textContent()).toMatch(
      /^The charts failed: ResizeObserver is broken in this browser\. The rest of the page still works/,
    );
    // the configuration panel and the controls still work
    const lr = page.getByLabel('Learning rate', { exact: true });
    await lr.fill('0.05');
    await lr.press('Enter');
    await step(page);
    await step(page);
    expect(await stepOf(page)).toBe(2);
    // a dialog that fails: Dismiss closes it, the button still works afterwards
    await page.getByRole('button', { name: 'Export…' }).click();
    const dlg = page.locator('[data-testid=panel-failed][data-panel="export dialog"]');
    await expect.poll(() => dlg.isVisible(), POLL).toBe(true);
    expect(await dlg.textContent()).toMatch(/The export dialog failed: showModal is broken in this browser/);
    await dlg.getByRole('button', { name: 'Dismiss' }).click();
    await expect.poll(() => dlg.count(), POLL).toBe(0);
    // the browser recovers: Retry draws the charts, the dialog opens
    await page.evaluate(() => {
      const w = window as unknown as Record<string, unknown>;
      window.ResizeObserver = w.__ro as typeof ResizeObserver;
      HTMLDialogElement.prototype.showModal = w.__showModal as () => void;
    });
    await failed.getByRole('button', { name: 'Retry' }).click();
    await expect.poll(() => failed.count(), POLL).toBe(0);
    await expect.poll(() => page.locator('[data-testid^="chart-"]').count(), POLL).toBeGreaterThan(3);
    await page.getByRole('button', { name: 'Export…' }).click();
    await expect.poll(() => page.getByTestId('export-dialog').isVisible(), POLL).toBe(true);
    await page.getByTestId('export-dialog').getByRole('button', { name: 'Close', exact: true }).click();
    await step(page);
    expect(await stepOf(page)).toBe(3);
    expect(await violations(page)).toEqual([]);
    expect(cspConsole(errors)).toEqual([]);
    // the only console errors are React's reports of the two caught failures
    expect(errors.filter((e) => !/is broken in this browser|The above error occurred/.test(e))).toEqual([]);
    await context.close();
  }, 240_000);

  it('a folder zip with one image per class: a note, training works, and no NaN anywhere on the page', async () => {
    const context = await app.browser.newContext({ viewport: { width: 1400, height: 1100 } });
    const page = await context.newPage();
    await page.addInitScript(recordCsp);
    const { errors } = await openApp(page, app.url, 'backend=wasm&batch=16&eval=2&log=1&model=convnet&loss=ce&head=linear&epochs=2');
    await page.locator('[data-testid=data-source] > summary').click();
    const zip = zipFolder(pngFolder('single', ['ant', 'bee', 'cow'], [1, 1, 1]));
    await page.getByTestId('upload-zip').setInputFiles({ name: 'single.zip', mimeType: 'application/zip', buffer: Buffer.from(zip) });
    await expect.poll(() => page.locator('[data-testid=field-dataset] select').inputValue(), POLL).toMatch(/^folder@\d+$/);
    await waitPhase(page, ['ready']);
    const notes = await page.getByTestId('upload-note').allTextContents();
    expect(notes.join(' ')).toMatch(/no test images: every class has a single readable image, which is kept for training/);
    await step(page);
    await expect.poll(async () => Number(await page.getByTestId('epoch-counter').getAttribute('data-epochs-done')), POLL).toBe(1);
    const text = await page.evaluate(() => document.body.innerText);
    expect(text).not.toMatch(/NaN/);
    expect(await page.locator('svg text').evaluateAll((els) => els.filter((e) => /NaN/.test(e.textContent ?? '')).length)).toBe(0);
    expect(await violations(page)).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  }, 180_000);
});
