/**
 * "Benchmark this device" in Chromium (SwiftShader WebGPU, production build): in test mode (tiny shapes) it runs to
 * the end with its table, chart, GPU time per kernel class (timestamp-query) and JSON, Cancel stops a second run,
 * and training works afterwards.
 */
import { describe, expect, it } from 'vitest';
import { e2eEnabled, openApp, stepOf, useApp } from './harness';

const RUN = e2eEnabled();
const TINY = 'backend=webgpu&nmax=20&if=10&batch=16&eval=2&log=1&model=convnet&loss=ce&epochs=2&augment=0';

describe.runIf(RUN)('device benchmark in Chromium', () => {
  const app = useApp();

  it('Benchmark this device runs to the end in test mode, and Cancel stops it', async () => {
    const { page, errors } = await openApp(app.browser, app.url, TINY, {
      ready: 120_000,
      init: () => localStorage.setItem('ltpg-bench-test', '1'),
    });
    // the benchmark sits in the backend badge's details panel
    await page.getByRole('button', { name: 'Backend details' }).click();
    await page.getByTestId('bench-open').click();
    const start = page.getByTestId('bench-start');
    await expect.poll(() => start.isEnabled(), { timeout: 60_000, interval: 100 }).toBe(true);
    await start.click();
    await expect.poll(() => page.getByTestId('bench-progress').count(), { timeout: 30_000, interval: 50 }).toBe(1);
    const result = page.getByTestId('bench-result');
    await expect.poll(() => result.count(), { timeout: 400_000, interval: 250 }).toBe(1);
    expect(await result.getAttribute('data-cancelled')).toBe('false');
    const doc = JSON.parse(await page.getByTestId('bench-json').inputValue());
    expect(doc.tool).toBe('long-tail-playground device benchmark');
    expect(doc.build).toMatch(/^\d+\.\d+\.\d+/);
    expect(doc.adapter.architecture).toBe('swiftshader');
    expect(doc.runtime).toMatch(/Chrom/);
    // Chromium's SwiftShader device (tfjs asks for timestamp-query where the adapter has it) times kernel classes
    expect(doc.gpuTimePerKernelClass).toBe('gpu timestamps');
    expect(doc.rows.map((r: { target: string; model: string }) => `${r.target}/${r.model}`)).toEqual([
      'fused/convnet',
      'tfjs-webgpu/convnet',
      'wasm/convnet',
      'fused/resnet32',
      'tfjs-webgpu/resnet32',
      'wasm/resnet32',
    ]);
    for (const r of doc.rows) expect(r.msPerStep, `${r.target}/${r.model}: ${r.error}`).toBeGreaterThan(0);
    expect(await page.getByTestId('bench-chart').locator('rect').count()).toBe(6);
    for (const r of doc.rows.filter((x: { target: string }) => x.target === 'fused')) {
      expect(Object.keys(r.gpuMsPerKernelClass).sort()).toEqual(['bn', 'conv', 'loss', 'pool', 'sgd']);
      for (const ms of Object.values(r.gpuMsPerKernelClass)) expect(ms).toBeGreaterThanOrEqual(0);
    }
    expect(await page.getByTestId('bench-classes').locator('tbody tr').count()).toBe(2);

    // a second run, cancelled while it runs: it stops with the rows that finished
    await start.click();
    await expect.poll(() => page.getByTestId('bench-progress').count(), { timeout: 30_000, interval: 50 }).toBe(1);
    await page.getByTestId('bench-cancel').click();
    await expect.poll(() => result.count(), { timeout: 120_000, interval: 100 }).toBe(1);
    expect(await result.getAttribute('data-cancelled')).toBe('true');
    expect(Number(await result.getAttribute('data-rows'))).toBeLessThan(6);
    // training still works afterwards (the worker is back on its backend)
    const stepButton = page.getByRole('button', { name: 'Step', exact: true });
    await expect.poll(() => stepButton.isEnabled(), { timeout: 60_000, interval: 100 }).toBe(true);
    await stepButton.click();
    await expect.poll(() => stepOf(page), { timeout: 240_000, interval: 250 }).toBe(1);
    expect(await page.locator('[data-backend]').getAttribute('data-backend')).toBe('webgpu');
    expect(errors).toEqual([]);
    await page.close();
  }, 900_000);
});
