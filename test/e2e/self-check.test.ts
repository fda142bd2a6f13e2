/**
 * The fused engine's self-check in Chromium (SwiftShader WebGPU, production build; switched on, as a software adapter
 * is not checked by default): it passes on the fused engine against tfjs webgpu in the worker, and a second page load
 * on the same adapter and build reuses the remembered pass instead of checking again; with the test-only wrong kernel
 * the check fails, the run trains on tfjs webgpu and the badge says why. Tiny on purpose: SwiftShader WebGPU is slow.
 */
import { describe, expect, it } from 'vitest';
import { e2eEnabled, openApp, stepOf, useApp } from './harness';

const RUN = e2eEnabled();
const TINY = 'backend=webgpu&nmax=20&if=10&batch=16&eval=2&log=1&model=convnet&loss=ce&epochs=2&augment=0';

describe.runIf(RUN)('fused engine self-check in Chromium', () => {
  const app = useApp();

  it('passes on the fused engine, and a second load remembers the pass', async () => {
    const { page, errors } = await openApp(app.browser, app.url, TINY, {
      ready: 120_000,
      init: () => localStorage.setItem('ltpg-selfcheck', 'on'),
    });
    const badge = page.locator('[data-backend]');
    const stepButton = page.getByRole('button', { name: 'Step', exact: true });
    for (const [load, cached] of [
      [1, 'false'],
      [2, 'true'],
    ] as const) {
      if (load === 2) await openApp(page, app.url, TINY, { ready: 120_000 });
      expect(await badge.getAttribute('data-selfcheck'), `load ${load}`).toBe('');
      await expect.poll(() => stepButton.isEnabled(), { timeout: 120_000, interval: 100 }).toBe(true);
      await stepButton.click();
      await expect.poll(() => badge.getAttribute('data-selfcheck'), { timeout: 240_000, interval: 250 }).not.toBe('');
      expect(await badge.getAttribute('data-selfcheck'), `load ${load}: ${await badge.getAttribute('title')}`).toBe('passed');
      expect(await badge.getAttribute('data-selfcheck-cached'), `load ${load}`).toBe(cached);
      await expect.poll(() => stepOf(page), { timeout: 240_000, interval: 250 }).toBe(1);
      expect(await badge.getAttribute('data-backend')).toBe('webgpu');
      expect(await badge.getAttribute('data-engine')).toBe('fused');
    }
    expect(errors).toEqual([]);
    await page.close();
  }, 900_000);

  it('a wrong kernel fails the check: the run trains on tfjs webgpu and the badge says why', async () => {
    const { page, errors } = await openApp(app.browser, app.url, TINY, {
      ready: 120_000,
      init: () => localStorage.setItem('ltpg-selfcheck', 'scaled-gradient'),
    });
    const badge = page.locator('[data-backend]');
    expect(await badge.getAttribute('data-engine')).toBe('fused');
    const stepButton = page.getByRole('button', { name: 'Step', exact: true });
    await expect.poll(() => stepButton.isEnabled(), { timeout: 120_000, interval: 100 }).toBe(true);
    await stepButton.click();
    await expect.poll(() => badge.getAttribute('data-selfcheck'), { timeout: 240_000, interval: 250 }).toBe('failed');
    await expect.poll(() => badge.getAttribute('data-engine'), { timeout: 30_000, interval: 100 }).toBe('tfjs');
    expect(await badge.getAttribute('title')).toMatch(/fused engine disagreed with tfjs on this GPU: .*max gradient error .*; using tfjs/);
    expect(await badge.textContent()).toMatch(/fused check failed/);
    await expect.poll(() => stepOf(page), { timeout: 240_000, interval: 250 }).toBe(1);
    expect(await badge.getAttribute('data-backend')).toBe('webgpu');
    expect(errors).toEqual([]);
    await page.close();
  }, 600_000);
});
