/**
 * Export → "Run bundle for PyTorch" in Chromium: the zip holds the files of the CLI's `--save-bundle` for the same
 * settings, byte for byte apart from the safetensors' `created` time stamps, plus train.py; and train.py replays
 * the app's run from it (the same subset and init, the app's step losses) in python3-torch.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { CI, POLL, e2eEnabled, openApp, useApp, waitPhase } from './harness';
import { ROOT } from './dist';
import { configToFlags } from '../../src/cli/flags';
import type { TrainConfig } from '../../src/core/train/config';

const RUN = e2eEnabled();
const PY = '/usr/bin/python3';
const hasTorch = spawnSync(PY, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
// 2 epochs of a tiny ConvNet run with augmentation on (crops and flips are in the bundle's steps)
const TINY = 'backend=wasm&nmax=40&if=10&batch=16&eval=2&log=1&model=convnet&loss=ce&head=linear&epochs=2&seed=3';

/** The safetensors header's ISO `created` time replaced by a fixed one of the same length. */
const withoutTime = (b: Uint8Array) =>
  Buffer.from(
    Buffer.from(b)
      .toString('latin1')
      .replace(/"created":"[^"]*"/, '"created":"0000-00-00T00:00:00.000Z"'),
    'latin1',
  );

describe.runIf(RUN)('the PyTorch run bundle from the app', () => {
  const app = useApp({ tmpPrefix: 'ltpg-bundle-' });

  it('is the CLI bundle of the same settings, and train.py replays it', async () => {
    const context = await app.browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
    const page = await context.newPage();
    const { errors } = await openApp(page, app.url, TINY, { ready: 180_000 });
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await waitPhase(page, ['stageDone'], 240_000);
    await page.getByRole('button', { name: 'Export…' }).click();
    const dialog = page.getByTestId('export-dialog');
    await expect.poll(() => dialog.isVisible(), POLL).toBe(true);
    const status = page.getByTestId('export-status');
    const [dl] = await Promise.all([
      page.waitForEvent('download', { timeout: 120_000 }).catch(async (e: unknown) => {
        throw new Error(`no download; the dialog says: ${await status.textContent().catch(() => '?')} (${String(e)})`);
      }),
      dialog.getByTestId('export-bundle').click(),
    ]);
    const zipPath = join(app.tmp, dl.suggestedFilename());
    await dl.saveAs(zipPath);
    expect(dl.suggestedFilename()).toBe('ltpg-ce-convnet-s1-e2-bundle.zip');
    // the commands name the unzipped folder
    await expect
      .poll(async () => (await dialog.getByTestId('bundle-command').first().textContent()) ?? '', POLL)
      .toContain('ltpg-ce-convnet-s1-e2-bundle/train.py ltpg-ce-convnet-s1-e2-bundle --reproduce');
    expect(errors).toEqual([]);
    await context.close();

    const files = unzipSync(readFileSync(zipPath));
    const appDir = join(app.tmp, 'app');
    const names: string[] = [];
    for (const [path, bytes] of Object.entries(files)) {
      const name = path.replace(/^ltpg-ce-convnet-s1-e2-bundle\//, '');
      names.push(name);
      mkdirSync(appDir, { recursive: true });
      writeFileSync(join(appDir, name), bytes);
    }
    expect(names.sort()).toEqual(
      ['indices.json', 'init.safetensors', 'model.safetensors', 'momentum.safetensors', 'run.json', 'steps.json', 'train.py'].sort(),
    );
    expect(readFileSync(join(appDir, 'train.py'), 'utf8')).toBe(readFileSync(join(ROOT, 'tools/pytorch/train.py'), 'utf8'));

    // the CLI with the settings the app recorded
    const run = JSON.parse(readFileSync(join(appDir, 'run.json'), 'utf8')) as { config: TrainConfig; steps: number };
    expect(run.steps).toBeGreaterThan(0);
    const cliDir = join(app.tmp, 'cli');
    const cli = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/train.ts',
        ...configToFlags(run.config),
        '--backend',
        'wasm',
        '--quiet',
        '--out',
        join(app.tmp, 'cli.json'),
        '--save-bundle',
        cliDir,
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 300_000 },
    );
    expect(cli.status, cli.stderr).toBe(0);
    expect(readdirSync(cliDir).sort()).toEqual(names.sort());
    for (const name of names) {
      const a = readFileSync(join(appDir, name));
      const b = readFileSync(join(cliDir, name));
      if (name.endsWith('.safetensors')) expect(withoutTime(a).equals(withoutTime(b)), name).toBe(true);
      else {
        if (name.endsWith('.json')) expect(JSON.parse(a.toString('utf8')), name).toEqual(JSON.parse(b.toString('utf8')));
        expect(a.toString('utf8'), name).toBe(b.toString('utf8'));
      }
    }

    // train.py replays the app's run
    if (hasTorch || CI) {
      const out = join(app.tmp, 'py.json');
      const py = spawnSync(PY, [join(appDir, 'train.py'), appDir, '--reproduce', '--out', out], { encoding: 'utf8', timeout: 300_000 });
      expect(py.status, py.stderr).toBe(0);
      const res = JSON.parse(readFileSync(out, 'utf8')) as { steps: { loss: number; appLoss: number }[] };
      expect(res.steps.length).toBe(run.steps);
      for (const s of res.steps) expect(Math.abs(s.loss - s.appLoss) / s.appLoss).toBeLessThan(1e-4);
    }
  }, 600_000);
});
