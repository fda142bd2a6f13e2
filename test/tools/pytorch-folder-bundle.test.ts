/**
 * The run bundle of an uploaded image folder → `python3 tools/pytorch/train.py BUNDLE --reproduce`: a zip of
 * PNGs built here (3 classes, RGB of several sizes, resized to 32×32) goes through the upload's builder and a 1-epoch ConvNet run (the
 * trainer, recorder and bundle writer the app's worker uses; test/cli/train-folder-cli.test.ts has the CLI's). train.py replays it from
 * the bundle's data.safetensors without the files, or decodes the files itself with --data-root; a missing file
 * and --full are refused with messages.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { zipSync } from 'fflate';
import { buildFolderDataset } from '../../src/core/data/folder';
import { FOLDER_TARGETS } from '../../src/core/data/folder-limits';
import { encodePng, pngDecoder } from '../../src/core/data/png';
import { Rng } from '../../src/core/rng';
import { Trainer, type StepRecord } from '../../src/core/train/trainer';
import { bundleFiles, identityOrder } from '../../src/core/export/bundle';
import { exportInfoFromTrainer } from '../../src/core/export/info';
import { exportSafetensors } from '../../src/core/export/safetensors';
import { TRAIN_PY } from '../../src/node/bundle';
import { PY, probeTorch, tinyConfig, useCpu } from '../core/export/helpers';

const ready = probeTorch('train.py folder bundle');
const dir = mkdtempSync(join(tmpdir(), 'ltp-folder-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CLASSES = ['cat', 'dog', 'owl'];
const PER_CLASS = [14, 8, 5];

/**
 * The PNG files of the upload ("pets/<class>/<n>.png"): per class a base colour plus noise, in sizes that are shrunk
 * (area averaging, non-integer factors), enlarged (bilinear) and cropped to 32×32.
 */
function pngFiles(): { path: string; bytes: Uint8Array }[] {
  const rng = new Rng(7);
  const out: { path: string; bytes: Uint8Array }[] = [];
  CLASSES.forEach((name, c) => {
    for (let k = 0; k < PER_CLASS[c]; k++) {
      const [w, h] = [
        [45, 37],
        [20, 24],
        [64, 50],
        [32, 32],
      ][k % 4];
      const data = new Uint8Array(w * h * 3);
      for (let i = 0; i < data.length; i++) data[i] = Math.min(255, 60 * c + (i % 3) * 40 + rng.int(90));
      out.push({ path: `pets/${name}/img${k + 1}.png`, bytes: encodePng({ width: w, height: h, colorType: 2, data }) });
    }
  });
  return out;
}

function trainPy(bundle: string, extra: string[]) {
  return spawnSync(PY, [join(bundle, 'train.py'), bundle, ...extra], { encoding: 'utf8', timeout: 120_000 });
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe.skipIf(!ready)('folder upload bundle → train.py', () => {
  const bundle = join(dir, 'bundle');
  const root = join(dir, 'pets');
  const appSteps: number[] = [];
  let appEpochLoss = NaN;

  it('writes the file names per class and split, the decode settings and the decoded pixels', async () => {
    await useCpu();
    const files = pngFiles();
    for (const f of files) {
      mkdirSync(dirname(join(dir, f.path)), { recursive: true });
      writeFileSync(join(dir, f.path), f.bytes);
    }
    const zip = zipSync(Object.fromEntries(files.map((f) => [f.path, f.bytes])));
    const { dataset } = await buildFolderDataset(zip, {
      decoder: pngDecoder,
      target: FOLDER_TARGETS.rgb32,
      testFraction: 0.25,
      seed: 3,
      archiveName: 'pets.zip',
    });
    const steps: StepRecord[] = [];
    const cfg = tinyConfig({
      dataset: 'folder',
      model: 'convnet',
      profile: 'asis',
      imbalance: 1,
      epochs: 1,
      batchSize: 4,
      augment: true,
      hflip: true,
    });
    const t = new Trainer(dataset, cfg, { onStep: (s) => steps.push(s) });
    await t.syncModel();
    const init = exportSafetensors(t.model, exportInfoFromTrainer(t, 'cpu'));
    for (;;) {
      const r = await t.step();
      if (r.halt) throw new Error(r.halt.message);
      if (r.epoch) {
        appEpochLoss = r.epoch.trainLoss;
        break;
      }
    }
    await t.syncModel();
    const model = exportSafetensors(t.model, exportInfoFromTrainer(t, 'cpu'));
    const out = await bundleFiles({
      trainer: t,
      init,
      model,
      steps,
      epochsDone: 1,
      official: { pool: identityOrder(dataset.pool.labels.length), test: identityOrder(dataset.test.labels.length) },
    });
    t.dispose();
    appSteps.push(...steps.map((s) => s.loss));
    mkdirSync(bundle, { recursive: true });
    for (const [name, data] of out) writeFileSync(join(bundle, name), data);
    writeFileSync(join(bundle, 'train.py'), readFileSync(TRAIN_PY));

    expect(out.map(([n]) => n)).toContain('data.safetensors');
    const run = JSON.parse(readFileSync(join(bundle, 'run.json'), 'utf8')) as {
      dataset: { id: string; classNames: string[]; source: Record<string, unknown> };
    };
    expect(run.dataset.id).toBe('folder');
    expect(run.dataset.classNames).toEqual(CLASSES);
    expect(run.dataset.source).toEqual({
      kind: 'zip',
      name: 'pets.zip',
      folders: CLASSES,
      height: 32,
      width: 32,
      channels: 3,
      fit: 'crop',
      testFraction: 0.25,
      splitSeed: 3,
    });
    const idx = JSON.parse(readFileSync(join(bundle, 'indices.json'), 'utf8')) as {
      train: number[];
      test: number[];
      files: { train: string[][]; test: string[][] };
    };
    // every file once, in its class, in one split; the split as the builder made it (round(0.25·n) test images)
    CLASSES.forEach((name, c) => {
      const all = [...idx.files.train[c], ...idx.files.test[c]].sort();
      expect(all).toEqual(Array.from({ length: PER_CLASS[c] }, (_, k) => `${name}/img${k + 1}.png`).sort());
      expect(idx.files.test[c].length).toBe(Math.round(0.25 * PER_CLASS[c]));
    });
    expect(idx.train.length).toBe(idx.files.train.flat().length); // 'asis', IF 1: the whole pool
    expect(idx.test).toEqual(Array.from({ length: idx.files.test.flat().length }, (_, i) => i));
  }, 60_000);

  it('replays the run from the bundle alone: same subset and init, the step and epoch losses', () => {
    expect(appSteps.length).toBeGreaterThan(3);
    const out = join(dir, 'py.json');
    const py = trainPy(bundle, ['--reproduce', '--out', out]);
    expect(py.status, py.stderr).toBe(0);
    const run = JSON.parse(readFileSync(join(bundle, 'run.json'), 'utf8')) as { initHash: string; dataset: { subsetHash: string } };
    const res = JSON.parse(readFileSync(out, 'utf8')) as {
      dataset: { subsetHash: string };
      initHash: string;
      steps: { step: number; loss: number; appLoss: number }[];
      epochs: { trainLoss: number }[];
    };
    expect(res.dataset.subsetHash).toBe(run.dataset.subsetHash);
    expect(res.initHash).toBe(run.initHash);
    expect(res.steps.map((s) => s.appLoss)).toEqual(appSteps);
    for (const s of res.steps.slice(0, 10)) expect(rel(s.loss, s.appLoss), `step ${s.step}`).toBeLessThan(1e-4);
    expect(rel(res.epochs[0].trainLoss, appEpochLoss)).toBeLessThan(1e-3);
  }, 120_000);

  it('decodes and resizes the original files with --data-root (PIL): the app pixels, so the same subset hash', () => {
    const out = join(dir, 'root.json');
    const py = trainPy(bundle, ['--reproduce', '--data-root', root, '--out', out]);
    expect(py.status, py.stderr).toBe(0);
    expect(py.stderr).toMatch(/decoding the files with PIL and resizing them as the app does; pixels may differ slightly/);
    expect(py.stderr).not.toMatch(/subset hash/);
    const run = JSON.parse(readFileSync(join(bundle, 'run.json'), 'utf8')) as { dataset: { subsetHash: string } };
    const res = JSON.parse(readFileSync(out, 'utf8')) as { dataset: { subsetHash: string }; epochs: { trainLoss: number }[] };
    expect(res.dataset.subsetHash).toBe(run.dataset.subsetHash);
    expect(rel(res.epochs[0].trainLoss, appEpochLoss)).toBeLessThan(1e-3);
  }, 120_000);

  it('names a file missing under --data-root, and refuses --full', () => {
    const idx = JSON.parse(readFileSync(join(bundle, 'indices.json'), 'utf8')) as { files: { train: string[][] } };
    const gone = idx.files.train[2][0];
    const partial = join(dir, 'partial');
    cpSync(root, partial, { recursive: true });
    rmSync(join(partial, gone));
    const miss = trainPy(bundle, ['--reproduce', '--data-root', partial]);
    expect(miss.status).not.toBe(0);
    expect(miss.stderr).toContain(`${join(partial, gone)}: missing — indices.json names it (training image of class 'owl')`);
    const full = trainPy(bundle, ['--full', '--print-config']);
    expect(full.status).not.toBe(0);
    expect(full.stderr).toMatch(/--full: the papers' protocol is defined for Fashion-MNIST and CIFAR-10\/100-LT; .* uploaded image folder/);
  }, 60_000);
});
