/**
 * Export → "Run bundle for PyTorch" in Chromium: the zip holds the files of the CLI's `--save-bundle` for the same
 * settings (for an uploaded image folder: the same folder and upload choices), byte for byte apart from the
 * safetensors' `created` time stamps, plus train.py; and train.py replays
 * the app's run from it (the same subset and init, the app's step losses) in python3-torch. Both train with tfjs on
 * wasm (the app with ?backend=wasm, the CLI with --backend wasm), so even model.safetensors and the step losses agree
 * to the bit.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { CI, POLL, e2eEnabled, openApp, useApp, waitPhase } from './harness';
import { ROOT } from './dist';
import { configToFlags } from '../../src/node/flags';
import { pngFolder } from '../helpers/upload-fixtures';
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
      const res = JSON.parse(readFileSync(out, 'utf8')) as {
        steps: { step: number; loss: number; appLoss: number }[];
        epochs: { trainLoss: number }[];
        initHash: string;
      };
      expect(res.initHash).toBe((run as unknown as { initHash: string }).initHash);
      expect(res.steps.length).toBe(run.steps);
      const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
      // float32 in both engines: the first steps agree to 1e-4, later ones drift apart slowly (1e-3 by the end)
      res.steps.forEach((s, i) => expect(rel(s.loss, s.appLoss), `step ${s.step}`).toBeLessThan(i < 10 ? 1e-4 : 1e-3));
      // the app's epoch losses: the CLI's, whose steps.json is the app's byte for byte
      const cliEpochs = (JSON.parse(readFileSync(join(app.tmp, 'cli.json'), 'utf8')) as { epochs: { trainLoss: number }[] }).epochs;
      expect(res.epochs.length).toBe(cliEpochs.length);
      res.epochs.forEach((e, i) => expect(rel(e.trainLoss, cliEpochs[i].trainLoss), `epoch ${i + 1}`).toBeLessThan(1e-3));

      // "Open PyTorch results": train.py's --out drawn beside the browser run, pinned
      await dialog.getByTestId('open-pytorch-results').setInputFiles(out);
      await expect
        .poll(async () => (await dialog.getByTestId('pytorch-results-status').textContent()) ?? '', POLL)
        .toContain('Opened py.json: “PyTorch reproduce: ce convnet”, 2 epochs');
      await dialog.getByRole('button', { name: 'Close', exact: true }).click();
      await expect.poll(async () => (await page.getByTestId('pinned-count').textContent()) ?? '', POLL).toMatch(/^1 of \d+ pinned$/);
      expect(await page.getByTestId('run-row').count()).toBe(2);
      const loss = page.getByTestId('chart-loss');
      const series = await loss.locator('.ltc-series path[data-series]').evaluateAll((ps) => ps.map((p) => p.getAttribute('data-series')));
      expect(series.filter((x) => x?.endsWith('loss')).length).toBe(2);
      expect((await loss.locator('.ltc-legend li').allTextContents()).some((x) => x.includes('PyTorch reproduce'))).toBe(true);
      // a file that is not a results document is refused with its reason
      await page.getByRole('button', { name: 'Export…' }).click();
      const bad = join(app.tmp, 'not-results.json');
      writeFileSync(bad, '{"epochs": 3}');
      await dialog.getByTestId('open-pytorch-results').setInputFiles(bad);
      await expect
        .poll(async () => (await dialog.getByTestId('pytorch-results-status').textContent()) ?? '', POLL)
        .toContain('not-results.json is not the JSON of train.py --out');
      expect(await page.getByTestId('run-row').count()).toBe(2);
      expect(errors).toEqual([]);
    }
    await context.close();
  }, 600_000);

  it('of an uploaded image folder carries its file names and decoded images, and train.py replays it', async () => {
    const classes = ['cat', 'dog', 'owl'];
    for (const f of pngFolder('pets', classes, [16, 8, 5])) {
      mkdirSync(dirname(join(app.tmp, f.path)), { recursive: true });
      writeFileSync(join(app.tmp, f.path), f.bytes);
    }
    const context = await app.browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
    const page = await context.newPage();
    const { errors } = await openApp(page, app.url, TINY.replace('epochs=2', 'epochs=1').replace('batch=16', 'batch=8'), {
      ready: 180_000,
    });
    await page.locator('[data-testid=data-source] > summary').click();
    await page.getByTestId('upload-folder').setInputFiles(join(app.tmp, 'pets'));
    await expect.poll(() => page.locator('[data-testid=field-dataset] select').inputValue(), POLL).toBe('folder@1');
    await waitPhase(page, ['ready'], 120_000);
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await waitPhase(page, ['stageDone'], 240_000);
    await page.getByRole('button', { name: 'Export…' }).click();
    const dialog = page.getByTestId('export-dialog');
    await expect.poll(() => dialog.isVisible(), POLL).toBe(true);
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 120_000 }), dialog.getByTestId('export-bundle').click()]);
    const zipPath = join(app.tmp, dl.suggestedFilename());
    await dl.saveAs(zipPath);
    // no papers' scale for an uploaded folder; the original files instead
    const lines = await dialog.getByTestId('bundle-command').allTextContents();
    expect(lines.some((l) => l.includes('--full'))).toBe(false);
    expect(lines.some((l) => l.includes('--data-root IMAGE_FOLDER'))).toBe(true);
    expect(errors).toEqual([]);
    await context.close();

    const dir = join(app.tmp, 'folder-bundle');
    mkdirSync(dir, { recursive: true });
    const names: string[] = [];
    for (const [path, bytes] of Object.entries(unzipSync(readFileSync(zipPath)))) {
      const name = path.replace(/^[^/]*\//, '');
      names.push(name);
      writeFileSync(join(dir, name), bytes);
    }
    expect(names).toContain('data.safetensors');
    const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as {
      config: TrainConfig;
      initHash: string;
      dataset: {
        id: string;
        subsetHash: string;
        source: { kind: string; folders: string[]; height: number; channels: number; testFraction: number; splitSeed: number };
      };
    };
    expect(run.dataset.id).toBe('folder');
    expect(run.dataset.source).toMatchObject({ kind: 'folder', folders: classes, height: 32, channels: 3 });
    // the upload's session id ("folder@1") is recorded without its number: the CLI's id for an image folder
    expect(run.config.dataset).toBe('folder');

    // the CLI on the same folder with the settings and upload choices the app recorded: the same bundle
    const src = run.dataset.source;
    const cliDir = join(app.tmp, 'folder-cli');
    const cli = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/train.ts',
        ...configToFlags(run.config),
        '--data',
        join(app.tmp, 'pets'),
        '--image-size',
        src.channels === 1 ? 'grey28' : 'rgb32',
        '--test-fraction',
        String(src.testFraction),
        '--split-seed',
        String(src.splitSeed),
        '--backend',
        'wasm',
        '--quiet',
        '--out',
        join(app.tmp, 'folder-cli.json'),
        '--save-bundle',
        cliDir,
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 300_000 },
    );
    expect(cli.status, cli.stderr).toBe(0);
    expect(readdirSync(cliDir).sort()).toEqual(names.slice().sort());
    for (const name of names) {
      const a = readFileSync(join(dir, name));
      const b = readFileSync(join(cliDir, name));
      if (name.endsWith('.safetensors')) expect(withoutTime(a).equals(withoutTime(b)), name).toBe(true);
      else {
        if (name.endsWith('.json')) expect(JSON.parse(a.toString('utf8')), name).toEqual(JSON.parse(b.toString('utf8')));
        expect(a.toString('utf8'), name).toBe(b.toString('utf8'));
      }
    }
    const idx = JSON.parse(readFileSync(join(dir, 'indices.json'), 'utf8')) as { files: { train: string[][]; test: string[][] } };
    expect(idx.files.train[2].length + idx.files.test[2].length).toBe(5);
    expect(idx.files.train[0][0]).toMatch(/^cat\/\d{3}\.png$/);
    const steps = (JSON.parse(readFileSync(join(dir, 'steps.json'), 'utf8')) as { steps: { loss: number; positions: number[] }[] }).steps;
    // the app's epoch loss: its step losses weighted by batch size, as the trainer averages them
    const appEpoch = steps.reduce((a, s) => a + s.loss * s.positions.length, 0) / steps.reduce((a, s) => a + s.positions.length, 0);

    if (hasTorch || CI) {
      const out = join(app.tmp, 'folder-py.json');
      const py = spawnSync(PY, [join(dir, 'train.py'), dir, '--reproduce', '--out', out], { encoding: 'utf8', timeout: 300_000 });
      expect(py.status, py.stderr).toBe(0);
      const res = JSON.parse(readFileSync(out, 'utf8')) as {
        dataset: { subsetHash: string };
        initHash: string;
        steps: { step: number; loss: number; appLoss: number }[];
        epochs: { trainLoss: number }[];
      };
      expect(res.dataset.subsetHash).toBe(run.dataset.subsetHash);
      expect(res.initHash).toBe(run.initHash);
      expect(res.steps.length).toBe(steps.length);
      const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
      res.steps.slice(0, 10).forEach((s) => expect(rel(s.loss, s.appLoss), `step ${s.step}`).toBeLessThan(1e-4));
      expect(rel(res.epochs[0].trainLoss, appEpoch)).toBeLessThan(1e-3);
      // the original files decoded by PIL and resized by train.py's port of the app's resize: the browser's pixels
      const fromFiles = join(app.tmp, 'folder-root.json');
      const root = spawnSync(PY, [join(dir, 'train.py'), dir, '--reproduce', '--data-root', join(app.tmp, 'pets'), '--out', fromFiles], {
        encoding: 'utf8',
        timeout: 300_000,
      });
      expect(root.status, root.stderr).toBe(0);
      expect((JSON.parse(readFileSync(fromFiles, 'utf8')) as { dataset: { subsetHash: string } }).dataset.subsetHash).toBe(
        run.dataset.subsetHash,
      );
    }
  }, 600_000);
});
