/**
 * Browser tests of the export dialog and of autosave / resume: the production build in Debian's Chromium on the
 * wasm backend with a tiny configuration (78 training images in 5 batches of 16, 20 test images). Downloads are
 * caught by playwright and checked byte by byte: the TensorFlow.js zip loads back after a reload with the same
 * test accuracy; the safetensors file is parsed by the small reader below; the metrics CSV / JSON have the right
 * rows; a chart PNG is a PNG. Autosave: train 2 epochs, reload, resume → same history, training continues.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ARTIFACTS, POLL, e2eEnabled, openApp, stepOf, useApp, waitPhase, waitStep } from './harness';
import { savedRuns } from './saved-runs';

const RUN = e2eEnabled();

const WASM = 'backend=wasm&nmax=20&if=10&batch=16&eval=2&log=1&model=convnet&s2.epochs=1&s2.batch=16';

/** Clicks Step `n` times, each time waiting for the step counter. */
async function steps(page: Page, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const s = await stepOf(page);
    await page.getByRole('button', { name: 'Step', exact: true }).click();
    await waitStep(page, s + 1, 60_000);
    await waitPhase(page, ['paused', 'ready', 'stageDone']);
  }
}

/** Clicks a button of the export dialog and resolves with the downloaded file. */
async function download(page: Page, name: string | RegExp, tmp: string): Promise<{ name: string; bytes: Buffer }> {
  const [dl] = await Promise.all([
    page.waitForEvent('download', { timeout: 60_000 }),
    page
      .getByTestId('export-dialog')
      .getByRole('button', { name, exact: typeof name === 'string' })
      .click(),
  ]);
  const path = join(tmp, `${Date.now()}-${dl.suggestedFilename()}`);
  await dl.saveAs(path);
  return { name: dl.suggestedFilename(), bytes: readFileSync(path) };
}

async function openExport(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Export…' }).click();
  await expect.poll(() => page.getByTestId('export-dialog').isVisible(), POLL).toBe(true);
}

async function closeExport(page: Page): Promise<void> {
  await page.getByTestId('export-dialog').getByRole('button', { name: 'Close', exact: true }).click();
  await expect.poll(() => page.getByTestId('export-dialog').isVisible(), POLL).toBe(false);
}

async function metricsJson(page: Page, tmp: string): Promise<{ epochs: Record<string, unknown>[]; batches: unknown[] }> {
  await openExport(page);
  const f = await download(page, 'All metrics (JSON)', tmp);
  await closeExport(page);
  return JSON.parse(f.bytes.toString('utf8'));
}

/** A minimal, independent safetensors reader: 8-byte little-endian header length, JSON header, raw data. */
function readSafetensors(b: Buffer) {
  const n = Number(b.readBigUInt64LE(0));
  type Entry = { dtype: string; shape: number[]; data_offsets: [number, number] };
  const raw = JSON.parse(b.subarray(8, 8 + n).toString('utf8')) as Record<string, unknown>;
  const metadata = (raw.__metadata__ ?? {}) as Record<string, string>;
  delete raw.__metadata__;
  const data = b.subarray(8 + n);
  const tensors = new Map<string, { dtype: string; shape: number[]; values: Float32Array | null }>();
  for (const [name, t] of Object.entries(raw as Record<string, Entry>)) {
    const [s, e] = t.data_offsets;
    const size = t.shape.reduce((a, d) => a * d, 1);
    const width = t.dtype === 'F32' ? 4 : t.dtype === 'I64' ? 8 : 0;
    expect(e - s, name).toBe(size * width);
    const values = t.dtype === 'F32' ? new Float32Array(data.buffer.slice(data.byteOffset + s, data.byteOffset + e)) : null;
    tensors.set(name, { dtype: t.dtype, shape: t.shape, values });
  }
  return { tensors, metadata, dataLength: data.length };
}

describe.runIf(RUN)('export dialog and autosave in Chromium (production build, wasm)', () => {
  const app = useApp({ tmpPrefix: 'ltpg-dl-' });

  it('exports: tfjs zip (reload → load back → same test accuracy → trains on), safetensors, metrics CSV/JSON, chart PNG', async () => {
    const t0 = Date.now();
    const context = await app.browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
    const page = await context.newPage();
    const { errors } = await openApp(page, app.url, `${WASM}&loss=ce&head=linear&epochs=3`);
    await steps(page, 5); // one epoch of 5 batches
    expect(await page.getByTestId('epoch-counter').getAttribute('data-epochs-done')).toBe('1');
    await expect.poll(async () => Number(await page.getByTestId('chart-loss').getAttribute('data-points')), POLL).toBeGreaterThan(0);

    await openExport(page);
    expect(await page.getByTestId('pytorch-snippet').textContent()).toMatch(/load_file\(path\)/);
    // metrics
    const csv = await download(page, 'Per-epoch CSV', app.tmp);
    expect(csv.name).toBe('ltpg-ce-convnet-s1-e1.epochs.csv');
    const rows = csv.bytes.toString('utf8').trimEnd().split('\r\n');
    expect(rows.length).toBe(2);
    expect(rows[0]).toMatch(/^stage,epoch,.*test_accuracy/);
    const perClass = (await download(page, 'Per-class CSV', app.tmp)).bytes.toString('utf8').trimEnd().split('\r\n');
    expect(perClass.length).toBe(1 + 10);
    expect(perClass[1]).toMatch(/^1,1,0,T-shirt\/top,20,(many|medium|few),/);
    const json = JSON.parse((await download(page, 'All metrics (JSON)', app.tmp)).bytes.toString('utf8'));
    expect(json.epochs.length).toBe(1);
    expect(json.batches.length).toBe(5);
    const testAccuracy = json.epochs[0].testAccuracy as number;
    expect(Number(rows[1].split(',')[9])).toBe(testAccuracy);
    // a chart as PNG
    const png = await download(page, /^PNG: Training loss and test accuracy/, app.tmp);
    expect(png.name).toBe('ltpg-ce-convnet-s1-e1.loss.png');
    expect([...png.bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.bytes.toString('latin1', 12, 16)).toBe('IHDR');
    expect(png.bytes.readUInt32BE(16)).toBeGreaterThan(400);
    expect(png.bytes.length).toBeGreaterThan(5000); // not a blank canvas
    writeFileSync(join(ARTIFACTS, 'chart-loss-export.png'), png.bytes);
    const cm = await download(page, /^PNG: Confusion matrix/, app.tmp);
    expect(cm.bytes.toString('latin1', 1, 4)).toBe('PNG');
    writeFileSync(join(ARTIFACTS, 'chart-confusion-export.png'), cm.bytes);
    // safetensors
    const st = await download(page, 'PyTorch (.safetensors)', app.tmp);
    expect(st.name).toBe('ltpg-ce-convnet-s1-e1.safetensors');
    const f = readSafetensors(st.bytes);
    expect(f.metadata.format).toBe('long-tail-playground/safetensors');
    expect(f.metadata.model).toBe('convnet');
    expect(f.metadata.head).toBe('linear');
    expect(f.metadata.loss).toBe('ce');
    expect(f.metadata.epoch).toBe('1');
    expect(f.metadata.backend).toBe('wasm');
    expect(JSON.parse(f.metadata.input_shape)).toEqual([1, 28, 28]);
    expect(JSON.parse(f.metadata.class_counts)[0]).toBe(20);
    expect(JSON.parse(f.metadata.mean)).toHaveLength(1);
    const conv1 = f.tensors.get('conv1.weight')!;
    expect(conv1.dtype).toBe('F32');
    expect(conv1.shape.slice(1)).toEqual([1, 3, 3]); // [out, in, kh, kw]
    const lin = f.tensors.get('linear.weight')!;
    expect(lin.shape[0]).toBe(10); // nn.Linear [out, in]
    expect(f.tensors.get('linear.bias')!.shape).toEqual([10]);
    expect(f.tensors.get('bn1.num_batches_tracked')).toEqual({ dtype: 'I64', shape: [], values: null });
    expect(lin.values!.some((v) => v !== 0)).toBe(true);
    // TensorFlow.js
    const zip = await download(page, 'TensorFlow.js (.zip)', app.tmp);
    expect(zip.name).toBe('ltpg-ce-convnet-s1-e1.tfjs.zip');
    expect(zip.bytes.toString('latin1', 0, 2)).toBe('PK');
    expect(zip.bytes.includes(Buffer.from('model.json'))).toBe(true);
    expect(await page.getByTestId('export-status').textContent()).toMatch(/Saved ltpg-ce-convnet-s1-e1\.tfjs\.zip/);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(ARTIFACTS, 'export-dialog.png') });
    await closeExport(page);

    // reload: a fresh page (the autosaved run is offered; ignore it), then load the zip back
    await page.reload();
    await waitPhase(page, ['ready']);
    await expect.poll(() => page.getByTestId('resume-banner').isVisible(), POLL).toBe(true);
    await page.getByRole('button', { name: 'Discard' }).click();
    await expect.poll(() => page.getByTestId('resume-banner').count(), POLL).toBe(0);
    const zipPath = join(app.tmp, 'model.tfjs.zip');
    writeFileSync(zipPath, zip.bytes);
    await openExport(page);
    await page.getByLabel('Load a TensorFlow.js zip').setInputFiles(zipPath);
    const status = page.getByTestId('export-status');
    await expect.poll(() => status.getAttribute('data-accuracy'), { ...POLL, timeout: 60_000 }).not.toBe('');
    expect(Number(await status.getAttribute('data-accuracy'))).toBe(testAccuracy);
    expect(await status.textContent()).toMatch(/Loaded model\.tfjs\.zip \(stage 1, epoch 1 of 3\): test accuracy/);
    await closeExport(page);
    await waitPhase(page, ['paused']);
    expect(await page.getByLabel('Loss function').inputValue()).toBe('ce');
    expect(await stepOf(page)).toBe(5);
    // and training continues from epoch 1 to the end
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await waitPhase(page, ['stageDone']);
    expect(await page.getByTestId('epoch-counter').textContent()).toBe('3 / 3');
    expect(await stepOf(page)).toBe(15);
    expect(errors).toEqual([]);
    console.log(`[e2e] export test: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await context.close();
  }, 240_000);

  it('autosave → reload → resume banner → resume with the same history; training continues', async () => {
    const t0 = Date.now();
    const context = await app.browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
    const page = await context.newPage();
    const { errors } = await openApp(page, app.url, `${WASM}&loss=gcl&epochs=4&lr=0.05`);
    expect(await page.getByTestId('resume-banner').count()).toBe(0);
    await steps(page, 10); // two epochs
    const before = await metricsJson(page, app.tmp);
    expect(before.epochs.length).toBe(2);
    const url = page.url();
    // let the autosave land
    await expect.poll(async () => (await savedRuns(page)).map((r) => r.run.epochs?.length), POLL).toEqual([2]);

    // reload with other settings in the URL
    await page.goto(`${app.url}/?${WASM}&loss=ce&head=linear&epochs=2`);
    await waitPhase(page, ['ready']);
    const banner = page.getByTestId('resume-banner');
    await expect.poll(() => banner.isVisible(), POLL).toBe(true);
    expect(await banner.textContent()).toMatch(/Resume the run from \d+ \w+ \d{4} \d\d:\d\d \(epoch 2 of 4\)\?/);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(ARTIFACTS, 'resume-banner.png') });
    await banner.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => banner.count(), POLL).toBe(0);
    await waitPhase(page, ['paused']);
    expect(page.url()).toBe(url);
    expect(await page.getByLabel('Loss function').inputValue()).toBe('gcl');
    expect(await stepOf(page)).toBe(10);
    expect(await page.getByTestId('epoch-counter').getAttribute('data-epochs-done')).toBe('2');
    expect(await page.getByTestId('announcement').textContent()).toMatch(/Resumed the run from .* at epoch 2 of 4/);
    const after = await metricsJson(page, app.tmp);
    expect(after.epochs).toEqual(before.epochs);
    expect(after.batches).toEqual(before.batches);
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await waitPhase(page, ['stageDone']);
    const done = await metricsJson(page, app.tmp);
    expect(done.epochs.length).toBe(4);
    // the feature space is kept on the newest epoch only (state/session/slices/metrics.ts appendEpochs): compare without it
    const noFeatureSpace = (es: typeof before.epochs) => es.map(({ featureSpace: _fs, ...e }) => e);
    expect(noFeatureSpace(done.epochs.slice(0, 2))).toEqual(noFeatureSpace(before.epochs));
    expect(done.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    expect(await stepOf(page)).toBe(20);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(ARTIFACTS, 'resumed.png'), fullPage: true });
    expect(errors).toEqual([]);
    console.log(`[e2e] autosave test: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await context.close();
  }, 240_000);

  it('a storage error (quota) is reported and training continues', async () => {
    const context = await app.browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    await page.addInitScript(() => {
      IDBObjectStore.prototype.put = function put(): IDBRequest {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      };
    });
    const { errors } = await openApp(page, app.url, `${WASM}&loss=ce&head=linear&epochs=2`);
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await waitPhase(page, ['stageDone']);
    const notice = page.getByTestId('notice-autosave');
    await expect.poll(() => notice.isVisible(), POLL).toBe(true);
    expect(await notice.textContent()).toMatch(/Autosave failed.*storage for this site is full.*Training continues/);
    expect(await page.getByTestId('epoch-counter').textContent()).toBe('2 / 2');
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);
});
