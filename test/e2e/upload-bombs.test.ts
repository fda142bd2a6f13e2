/**
 * Decode budgets in the browser (production build, wasm): a 61 KB folder zip whose 1,000 directory entries all
 * point at one 64-Mpx 16-bit PNG is refused at once, naming the members, and so is a zip of 1,000 separate copies
 * (the decode budget, counted from the image headers before anything is decoded); the run that was loaded trains on.
 */
import { describe, expect, it } from 'vitest';
import { imageZip, zeroPng } from '../fuzz/upload-bombs';
import { POLL, e2eEnabled, openApp, stepOf, useApp } from './harness';

const RUN = e2eEnabled();
const QUERY = 'backend=wasm&nmax=20&if=10&batch=16&eval=2&log=1&model=convnet&loss=ce&head=linear&epochs=1';

describe.runIf(RUN)('upload bombs in Chromium (production build, wasm)', () => {
  const app = useApp();

  it('an overlapping zip and a zip of 1,000 huge images are refused quickly; the current run trains on', async () => {
    const png = await zeroPng(8192);
    const context = await app.browser.newContext({ viewport: { width: 1400, height: 1100 } });
    const { page, errors } = await openApp(await context.newPage(), app.url, QUERY, { ready: 90_000 });
    await page.locator('[data-testid=data-source] > summary').click();
    const cases = [
      { name: 'overlap.zip', bytes: imageZip(png, 1000, true), why: /shares its data with member/ },
      { name: 'copies.zip', bytes: imageZip(png, 1000, false), why: /pixels|larger than 4096×4096|decode/ },
    ];
    for (const c of cases) {
      const t0 = Date.now();
      await page.getByTestId('upload-zip').setInputFiles({ name: c.name, mimeType: 'application/zip', buffer: Buffer.from(c.bytes) });
      await expect.poll(() => page.getByTestId('upload-error').textContent(), { ...POLL, timeout: 60_000 }).toMatch(c.why);
      const text = (await page.getByTestId('upload-error').textContent()) ?? '';
      expect(text).toContain(c.name);
      expect(text.length).toBeLessThan(1_000);
      console.log(
        `[e2e] ${c.name} (${c.bytes.length} bytes) refused after ${((Date.now() - t0) / 1000).toFixed(1)} s: ${text.slice(0, 200)}`,
      );
    }
    // the embedded data and its run are still there and train
    const s = await stepOf(page);
    await page.getByRole('button', { name: 'Step', exact: true }).click();
    await expect.poll(() => stepOf(page), POLL).toBe(s + 1);
    expect(errors.filter((e) => !/Could not load/.test(e))).toEqual([]);
    await context.close();
  }, 240_000);
});
