/**
 * Browser tests of "bring your own data" (production build, Chromium, wasm backend): a generated CIFAR-10 binary
 * archive → CIFAR-10-LT histogram; a corrupt archive → a clear error naming the file, data and run unchanged; an
 * image folder of generated PNGs through the directory picker → its real counts, class names as text only; the
 * URL of uploaded data falls back to the embedded set with a notice; a run on an uploaded archive is autosaved with its
 * files and resumes after a reload. E2E_DIST=<dir> reuses an existing build.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { countsFor } from '../../src/core/data/longtail';
import { ARTIFACTS, POLL, e2eEnabled, openApp, phaseOf, stepOf, useApp, waitPhase as waitPhaseFor } from './harness';
import { CIFAR10_NAMES, cifarArchive, pngFolder } from '../helpers/upload-fixtures';
import { idbRecords, savedRuns } from './saved-runs';

const RUN = e2eEnabled();

/** Tiny run: 20 head-class images, IF 10, batch 16, 2 test images per class, wasm backend. */
const QUERY = 'backend=wasm&nmax=20&if=10&batch=16&eval=2&log=1&model=convnet&loss=ce';
const EVIL = '<img src=x onerror="window.__pwned=1">';

/** Remembers every value the upload progress bar showed, in window.__progress. */
function recordUploadProgress(): void {
  const w = window as unknown as { __progress: number[] };
  w.__progress = [];
  new MutationObserver(() => {
    const p = document.querySelector('[data-testid=upload-progress]') as HTMLProgressElement | null;
    if (p) w.__progress.push(p.value);
  }).observe(document, { subtree: true, childList: true, attributes: true });
}

/** The phases of these small runs come within a minute. */
const waitPhase = (page: Page, phases: string[], timeout = 60_000) => waitPhaseFor(page, phases, timeout);

const histogram = (page: Page) =>
  page.$$eval('[data-testid=class-histogram] rect[data-count]', (els) => els.map((e) => Number(e.getAttribute('data-count'))));
const histogramNames = (page: Page) =>
  page.$$eval('[data-testid=class-histogram] rect[data-count] title', (els) =>
    els.map((e) => e.textContent!.replace(/: \d+ images.*$/, '')),
  );
const datasetValue = (page: Page) => page.locator('[data-testid=field-dataset] select').inputValue();

describe.runIf(RUN)('bring your own data in Chromium (production build, wasm)', () => {
  const app = useApp({ tmpPrefix: 'ltpg-upload-' });
  const open = (query: string) =>
    openApp(app.browser, app.url, query, { viewport: { width: 1400, height: 1100 }, init: recordUploadProgress, ready: 90_000 });

  it('CIFAR-10 archive → CIFAR-10-LT; a corrupt archive → error naming the file, data and run unchanged', async () => {
    const { page, errors } = await open(QUERY);
    await page.locator('[data-testid=data-source] > summary').click();
    // limits and where to get CIFAR are stated before anything is picked
    const link = page.getByRole('link', { name: 'https://www.cs.toronto.edu/~kriz/cifar.html' });
    expect(await link.getAttribute('href')).toBe('https://www.cs.toronto.edu/~kriz/cifar.html');
    expect(await page.getByTestId('data-source').textContent()).toMatch(/binary version.*Up to 20000 images.*MB of memory/s);

    const t0 = Date.now();
    const archive = Buffer.from(cifarArchive('cifar10', 60, 10));
    await page.getByTestId('upload-cifar').setInputFiles({ name: 'cifar-10-binary.tar.gz', mimeType: 'application/gzip', buffer: archive });
    await expect.poll(() => datasetValue(page), POLL).toBe('cifar10-lt@1');
    await waitPhase(page, ['ready']);
    console.log(
      `[e2e] CIFAR-10 fixture (${(archive.length / 1e6).toFixed(1)} MB) uploaded and configured in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    expect((await page.evaluate(() => (window as unknown as { __progress: number[] }).__progress)).length).toBeGreaterThan(0);
    const lt = countsFor(10, 20, { imbalance: 10, profile: 'exp' });
    await expect.poll(() => histogram(page), POLL).toEqual(lt);
    expect(await histogramNames(page)).toEqual(CIFAR10_NAMES);
    expect(await page.getByTestId('upload-note').first().textContent()).toMatch(
      /non-standard record count: 600 training \/ 100 test records/,
    );
    expect(await page.getByTestId('running-line').textContent()).toMatch(/CIFAR-10-LT IF 10/);

    // train a step, then a corrupt archive: clear error, nothing else changes
    await page.getByRole('button', { name: 'Step', exact: true }).click();
    await expect.poll(() => stepOf(page), POLL).toBe(1);
    const phaseBefore = await phaseOf(page);
    const corrupt = archive.subarray(0, Math.floor(archive.length / 2));
    await page.getByTestId('upload-cifar').setInputFiles({ name: 'broken-cifar.tar.gz', mimeType: 'application/gzip', buffer: corrupt });
    await expect.poll(() => page.getByTestId('upload-error').count(), POLL).toBe(1);
    expect(await page.getByTestId('upload-error').textContent()).toMatch(
      /^broken-cifar\.tar\.gz: .*the current data set and run are unchanged/,
    );
    expect(await page.getByTestId('notice-upload-error').textContent()).toMatch(/Could not load broken-cifar\.tar\.gz/);
    expect(await datasetValue(page)).toBe('cifar10-lt@1');
    expect(await histogram(page)).toEqual(lt);
    expect(await stepOf(page)).toBe(1);
    expect(await phaseOf(page)).toBe(phaseBefore);
    // the run still trains
    await page.getByRole('button', { name: 'Step', exact: true }).click();
    await expect.poll(() => stepOf(page), POLL).toBe(2);
    await page.screenshot({ path: join(ARTIFACTS, 'data-upload-cifar.png'), fullPage: true });

    // autosave keeps the uploaded files: finish an epoch, reload, resume on the same CIFAR-10-LT subset
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await expect
      .poll(async () => Number(await page.getByTestId('epoch-counter').getAttribute('data-epochs-done')), POLL)
      .toBeGreaterThanOrEqual(1);
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await waitPhase(page, ['paused', 'stageDone']);
    // the run's record refers to its upload recipe, stored once under the recipe's fingerprint
    await expect
      .poll(async () => {
        const ref = (await savedRuns(page))[0]?.run.uploadRef;
        return !!ref && (await idbRecords(page, 'upload:')).some((u) => u.key === `upload:${ref}`);
      }, POLL)
      .toBe(true);
    const savedEpochs = Number(await page.getByTestId('epoch-counter').getAttribute('data-epochs-done'));
    await page.reload();
    await waitPhase(page, ['ready'], 90_000);
    expect(await datasetValue(page)).toBe('fmnist-lt'); // uploaded data can't live in the URL
    const banner = page.getByTestId('resume-banner');
    await expect.poll(() => banner.isVisible(), POLL).toBe(true);
    expect(await banner.textContent()).toMatch(/Resume the run on cifar-10-binary\.tar\.gz from /);
    await banner.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => banner.count(), POLL).toBe(0);
    await waitPhase(page, ['paused', 'stageDone']);
    expect(await datasetValue(page)).toMatch(/^cifar10-lt@\d+$/);
    await expect.poll(() => histogram(page), POLL).toEqual(lt);
    expect(await page.getByTestId('running-line').textContent()).toMatch(/CIFAR-10-LT IF 10/);
    expect(Number(await page.getByTestId('epoch-counter').getAttribute('data-epochs-done'))).toBe(savedEpochs);
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);

  it('image folder via the directory picker → its real counts; class names are text; the URL falls back', async () => {
    const classes = ['cat', 'dog', EVIL.replace(/\//g, '')];
    const files = pngFolder('pets', classes, [30, 9, 4]);
    for (const f of files) {
      const p = join(app.tmp, f.path);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, f.bytes);
    }
    writeFileSync(join(app.tmp, 'pets', 'README.txt'), 'not an image');
    const { page, errors } = await open(QUERY);
    await page.locator('[data-testid=data-source] > summary').click();
    await page.getByTestId('upload-target').selectOption('grey28');
    await page.getByTestId('upload-test-fraction').fill('0.25');
    await page.getByTestId('upload-folder').setInputFiles(join(app.tmp, 'pets'));
    await expect.poll(() => datasetValue(page), POLL).toBe('folder@1');
    await waitPhase(page, ['ready']);
    // as is: every pool image (¾ of each class; the rest is the held-out test set), capped by n_max = 20
    const info = await page
      .getByTestId('upload-classes')
      .locator('li')
      .evaluateAll((els) => els.map((e) => ({ text: e.textContent, n: Number(e.getAttribute('data-count')) })));
    const pool = Object.fromEntries(info.map((x) => [x.text!.replace(/ — .*$/, ''), x.n]));
    expect(pool).toEqual({ cat: 22, dog: 7, [classes[2]]: 3 });
    expect(await page.locator('[data-testid=field-profile] select').inputValue()).toBe('asis');
    const names = await histogramNames(page);
    const counts = await histogram(page);
    // sorted from the largest class: the data's own imbalance
    expect(counts).toEqual([20, 7, 3]);
    expect(names).toEqual(['cat', 'dog', classes[2]]);
    expect(await page.getByTestId('running-line').textContent()).toMatch(/pets as is, 30 training images/);
    expect(names.map((n, i) => [n, counts[i]]).every(([n, c]) => c === Math.min(20, pool[n as string]))).toBe(true);
    // text only: no element was made from the class name
    expect(await page.locator('[data-testid=data-source] img, [data-testid=class-histogram] img').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.getByTestId('upload-info').textContent()).toMatch(/28×28 grey/);
    expect(await page.getByTestId('upload-info').textContent()).toMatch(/1 skipped file/);
    await page.screenshot({ path: join(ARTIFACTS, 'data-upload-folder.png'), fullPage: true });

    // the URL can't carry uploaded data: opening it gives the embedded set and a notice
    const url = new URL(page.url());
    expect(url.searchParams.get('dataset')).toBe('folder@1');
    const again = await open(url.search.slice(1));
    expect(await datasetValue(again.page)).toBe('fmnist-lt');
    expect(await again.page.getByTestId('notice-url').textContent()).toMatch(/dataset=folder@1: uploaded data is not loaded in this tab/);
    await again.page.close();
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);
});
