/**
 * Model exports in a browser that exposes WebGPU (Chromium with a SwiftShader adapter): with backend Auto (which
 * trains on wasm there) and on the fused WebGPU engine. The files are made from the worker's weight arrays, without
 * a WebGL / WebGPU context; each download is loaded back: the TensorFlow.js zip in the app (same test accuracy), the
 * safetensors file by the dialog's own Python snippet in PyTorch (strict load, finite outputs).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { CI, POLL, e2eEnabled, openApp, stepOf, useApp, waitPhase, waitStep } from './harness';
import { ROOT } from './dist';

const RUN = e2eEnabled();
const PY = '/usr/bin/python3';
const hasTorch = spawnSync(PY, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
const FMNIST_TEST = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz';
const TINY = 'nmax=20&if=10&batch=16&eval=2&log=1&model=convnet&loss=ce&head=linear&epochs=3';

async function oneEpoch(page: Page): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const s = await stepOf(page);
    await page.getByRole('button', { name: 'Step', exact: true }).click();
    await waitStep(page, s + 1, 120_000);
    await waitPhase(page, ['paused', 'ready', 'stageDone']);
  }
}

async function download(page: Page, name: string, tmp: string): Promise<{ name: string; bytes: Buffer }> {
  const [dl] = await Promise.all([
    page.waitForEvent('download', { timeout: 90_000 }),
    page.getByTestId('export-dialog').getByRole('button', { name, exact: true }).click(),
  ]);
  const path = join(tmp, `${Date.now()}-${dl.suggestedFilename()}`);
  await dl.saveAs(path);
  return { name: dl.suggestedFilename(), bytes: readFileSync(path) };
}

/** Runs the dialog's snippet verbatim on the file plus `n` Fashion-MNIST test images; returns the logits. */
function snippetLogits(snippet: string, file: Buffer, work: string, n: number): number[][] {
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'model.safetensors'), file);
  if (spawnSync(PY, ['-c', 'import safetensors.torch'], { encoding: 'utf8' }).status !== 0) {
    // stand-in for `pip install safetensors` (not packaged for Debian): load_file through the test suite's reader
    mkdirSync(join(work, 'safetensors'), { recursive: true });
    writeFileSync(join(work, 'safetensors', '__init__.py'), '');
    writeFileSync(
      join(work, 'safetensors', 'torch.py'),
      `import sys\nsys.path.insert(0, ${JSON.stringify(join(ROOT, 'test/core/export'))})\n` +
        'from load_safetensors import read_safetensors\n\ndef load_file(filename, device="cpu"):\n    return read_safetensors(filename)[0]\n',
    );
  }
  const idx = gunzipSync(readFileSync(FMNIST_TEST));
  writeFileSync(join(work, 'images.u8'), idx.subarray(16, 16 + n * 28 * 28));
  const script = `${snippet}
import numpy as np
_imgs = np.fromfile("images.u8", dtype=np.uint8).reshape(${n}, 28, 28, 1)
json.dump(predict(_imgs).double().tolist(), open("out.json", "w"))
`;
  writeFileSync(join(work, 'run.py'), script);
  const r = spawnSync(PY, ['run.py'], { cwd: work, encoding: 'utf8', env: { ...process.env, PYTHONPATH: work } });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(readFileSync(join(work, 'out.json'), 'utf8')) as number[][];
}

describe.runIf(RUN)('model export in a WebGPU-capable Chromium', () => {
  const app = useApp({ tmpPrefix: 'ltpg-exp-' });

  for (const [key, label, query] of [
    ['auto', 'backend Auto', TINY],
    ['fused', 'the fused WebGPU engine', `${TINY}&backend=webgpu&engine=fused`],
  ] as const) {
    it(`exports the model on ${label}; the zip loads back in the app, the safetensors file in PyTorch`, async () => {
      const context = await app.browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
      const page = await context.newPage();
      const { errors } = await openApp(page, app.url, query, { ready: 180_000 });
      await oneEpoch(page);
      await page.getByRole('button', { name: 'Export…' }).click();
      await expect.poll(() => page.getByTestId('export-dialog').isVisible(), POLL).toBe(true);
      const json = JSON.parse((await download(page, 'All metrics (JSON)', app.tmp)).bytes.toString('utf8'));
      const testAccuracy = json.epochs[0].testAccuracy as number;
      const st = await download(page, 'PyTorch (.safetensors)', app.tmp);
      expect(st.name).toBe('ltpg-ce-convnet-s1-e1.safetensors');
      const zip = await download(page, 'TensorFlow.js (.zip)', app.tmp);
      expect(zip.bytes.toString('latin1', 0, 2)).toBe('PK');
      const status = page.getByTestId('export-status');
      expect(await status.textContent()).toMatch(/Saved ltpg-ce-convnet-s1-e1\.tfjs\.zip/);
      const snippet = (await page.getByTestId('pytorch-snippet').textContent()) ?? '';

      // the zip back into the app: the same test accuracy
      const zipPath = join(app.tmp, `${key}.tfjs.zip`);
      writeFileSync(zipPath, zip.bytes);
      await page.getByLabel('Load a TensorFlow.js zip').setInputFiles(zipPath);
      await expect.poll(() => status.getAttribute('data-accuracy'), { ...POLL, timeout: 120_000 }).not.toBe('');
      expect(Number(await status.getAttribute('data-accuracy'))).toBe(testAccuracy);
      expect(errors.filter((e) => /shader|GLSL|export failed/i.test(e))).toEqual([]);
      await context.close();

      // the safetensors file into PyTorch with the dialog's snippet
      if (hasTorch || CI) {
        const logits = snippetLogits(snippet, st.bytes, join(app.tmp, `py-${key}`), 50);
        expect(logits).toHaveLength(50);
        expect(logits.every((r) => r.length === 10 && r.every(Number.isFinite))).toBe(true);
      }
    }, 300_000);
  }
});
