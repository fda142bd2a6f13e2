/** The bench's browser page: bundled as `npm run bench` does, served, and one tiny step trained on wasm in Chromium. */
import { describe, expect, it } from 'vitest';
import { buildBenchPage, launchChromium, serveStatic } from '../../../tools/bench/browser';
import { e2eEnabled } from '../../e2e/harness';

describe.runIf(e2eEnabled('bench page'))('the bench page', () => {
  it('finds its wasm binaries and times a step on wasm', async () => {
    const server = await serveStatic(await buildBenchPage());
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(server.url, { waitUntil: 'load' });
      await page.waitForFunction('window.ltpBench && window.ltpBench.ready === true', undefined, { timeout: 30_000 });
      const plan = { model: 'convnet', batch: 4, input: [8, 8, 1], loss: 'ce', steps: 1, warmup: 0 };
      const r = (await page.evaluate(`window.ltpBench.run('wasm', ${JSON.stringify(plan)}, 1)`)) as {
        ok: boolean;
        error?: string;
        medianMs?: number;
      };
      expect(r.ok, r.error).toBe(true);
      expect(r.medianMs).toBeGreaterThan(0);
    } finally {
      await browser.close();
      await server.close();
    }
  }, 120_000);
});
