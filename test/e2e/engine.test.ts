/**
 * The fused WebGPU engine in the browser: with the default settings on WebGPU (Chromium, SwiftShader)
 * the run trains on the fused executor — the badge says so, and its details panel names the convolution kernels —
 * and a tiny epoch fills the charts; switching the engine to tfjs mid-run is a live change (no reset) and the next
 * epoch says it ran on tfjs.
 * Tiny on purpose: SwiftShader WebGPU is slow.
 */
import { describe, expect, it } from 'vitest';
import { POLL, chartPoints, e2eEnabled, openApp, stepOf, useApp, waitPhase } from './harness';

const RUN = e2eEnabled();

/** 78 training images in 5 batches of 16, 20 test images per evaluation, two epochs of CE on a ConvNet. */
const TINY = 'backend=webgpu&nmax=20&if=10&batch=16&eval=2&log=1&model=convnet&loss=ce&epochs=2&augment=0';

describe.runIf(RUN)('fused WebGPU engine in Chromium (production build)', () => {
  const app = useApp();

  it('on the WebGPU backend, engine Auto trains a tiny epoch on the fused engine, charts fill, and a switch to tfjs is live', async () => {
    const { page, errors } = await openApp(app.browser, app.url, TINY, { ready: 120_000 });
    const badge = page.locator('[data-backend]');
    expect(await badge.getAttribute('data-backend')).toBe('webgpu');
    expect(await badge.getAttribute('data-engine')).toBe('fused');
    expect(await badge.getAttribute('aria-label')).toMatch(/^Backend: webgpu, engine fused/);
    const engine = page.getByTestId('field-engine').locator('select');
    expect(await engine.inputValue()).toBe('auto');
    expect(new URL(page.url()).searchParams.get('engine')).toBe('auto');

    // one epoch = 5 steps, taken one at a time so the run is paused (not finished) afterwards
    const stepButton = page.getByRole('button', { name: 'Step', exact: true });
    for (let i = 1; i <= 5; i++) {
      await expect.poll(() => stepButton.isEnabled(), { timeout: 120_000, interval: 100 }).toBe(true);
      await stepButton.click();
      await expect.poll(() => stepOf(page), { timeout: 120_000, interval: 100 }).toBe(i);
    }
    for (const id of ['loss', 'per-class', 'groups', 'confusion']) {
      await expect.poll(async () => (await chartPoints(page))[id], { timeout: 120_000, interval: 250, message: id }).toBeGreaterThan(0);
    }
    await waitPhase(page, ['paused'], 60_000);
    // the backend panel says which convolution kernels the fused engine runs, and why
    await page.getByRole('button', { name: 'Backend details' }).click();
    const conv = page.getByTestId('backend-panel-conv');
    await expect.poll(() => conv.textContent(), POLL).toBe('direct kernels (software adapter: the tiled ones are slower there)');

    // the engine changes at the next step: no reset question, the step counter goes on
    await engine.selectOption('tfjs');
    await expect.poll(() => badge.getAttribute('data-engine'), POLL).toBe('tfjs');
    expect(await conv.count()).toBe(0); // no fused engine, no convolution kernels of its own
    await page.getByRole('button', { name: 'Backend details' }).click(); // closed: it would cover the controls
    expect(new URL(page.url()).searchParams.get('engine')).toBe('tfjs');
    await expect.poll(() => stepButton.isEnabled(), POLL).toBe(true);
    await stepButton.click();
    // tfjs' WebGPU kernels compile at their first use (≈ 20 s on SwiftShader)
    await expect.poll(() => stepOf(page), { timeout: 180_000, interval: 250 }).toBe(6);
    expect(await page.getByRole('dialog').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 420_000);
});
