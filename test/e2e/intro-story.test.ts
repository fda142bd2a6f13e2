/**
 * The introduction tells the run's own story: on the first-visit defaults (a long-tail loss) its last step says
 * so and offers to start with the cross-entropy baseline, which then is the run the Train button trains.
 */
import { describe, expect, it } from 'vitest';
import { POLL, e2eEnabled, openApp, useApp } from './harness';

const RUN = e2eEnabled();
const TINY = 'backend=wasm&nmax=20&if=10&batch=16&eval=2&log=1&model=convnet&epochs=1';

describe.runIf(RUN)('the introduction and the first run (Chromium, production build, wasm)', () => {
  const app = useApp();

  it('on the default long-tail loss the last step says so; "Start with cross-entropy" makes the run CE', async () => {
    const context = await app.browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const { page, errors } = await openApp(await context.newPage(), app.url, TINY, { intro: true, ready: 90_000 });
    expect(await page.getByLabel('Loss function').inputValue()).toBe('gcl');
    await page.getByTestId('intro-next').click();
    await page.getByTestId('intro-next').click();
    const last = page.getByTestId('intro-last');
    expect(await last.innerText()).toMatch(/set to GCL, a long-tail loss/);
    expect(await last.innerText()).not.toMatch(/train with plain cross-entropy and watch/);
    await page.getByTestId('intro-start-ce').click();
    await expect.poll(() => page.getByLabel('Loss function').inputValue(), POLL).toBe('ce');
    await expect.poll(() => page.url(), POLL).toContain('loss=ce');
    expect(await page.getByTestId('intro').count()).toBe(0);
    expect(await page.locator('dialog.confirm[open]').count()).toBe(0); // nothing trained: no question
    expect(errors).toEqual([]);
    await context.close();
  }, 200_000);
});
