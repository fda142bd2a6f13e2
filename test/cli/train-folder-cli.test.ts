/**
 * `npm run train -- --data DIR_OR_ZIP`: the CLI trains on an image folder (one sub-folder per class) or a .zip of it
 * through the worker's upload parser, the same data set for both; bad folders are refused with the problem named
 * and nothing written; the bundle it writes replays in `python3 tools/pytorch/train.py BUNDLE --reproduce`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pngFolder, zipFolder } from '../helpers/upload-fixtures';
import { PY, probeTorch } from '../core/export/helpers';

const dir = mkdtempSync(join(tmpdir(), 'ltp-folder-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TINY = ['--model', 'convnet', '--loss', 'ce', '--epochs', '1', '--batch', '8', '--seed', '3', '--backend', 'wasm', '--quiet'];

function cli(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/train.ts', ...args], { encoding: 'utf8', timeout: 120_000 });
}

/** Writes `files` under `base` (paths such as "pets/cat/000.png"). */
function writeTree(base: string, files: { path: string; bytes: Uint8Array }[]): void {
  for (const f of files) {
    mkdirSync(dirname(join(base, f.path)), { recursive: true });
    writeFileSync(join(base, f.path), f.bytes);
  }
}

const FILES = pngFolder('pets', ['cat', 'dog', 'owl'], [16, 8, 5]);
writeTree(dir, FILES);
writeFileSync(join(dir, 'pets.zip'), zipFolder(FILES));

interface Run {
  config: { dataset: string; profile: string };
  initHash: string;
  dataset: { id: string; subsetHash: string; counts: number[]; source: Record<string, unknown> };
}
const readJson = <T>(path: string) => JSON.parse(readFileSync(path, 'utf8')) as T;
const stepLosses = (bundle: string) => readJson<{ steps: { loss: number }[] }>(join(bundle, 'steps.json')).steps.map((s) => s.loss);

describe('npm run train -- --data IMAGE_FOLDER', () => {
  it('trains on a folder and on the same files zipped: the same subset, split and step losses', () => {
    const a = cli([...TINY, '--data', join(dir, 'pets'), '--out', join(dir, 'a.json'), '--save-bundle', join(dir, 'a')]);
    expect(a.status, a.stderr).toBe(0);
    const b = cli([...TINY, '--data', join(dir, 'pets.zip'), '--out', join(dir, 'b.json'), '--save-bundle', join(dir, 'b')]);
    expect(b.status, b.stderr).toBe(0);
    const ra = readJson<Run>(join(dir, 'a', 'run.json'));
    const rb = readJson<Run>(join(dir, 'b', 'run.json'));
    // the app's id and start profile for an uploaded folder; every image ("as is")
    expect(ra.config).toMatchObject({ dataset: 'folder', profile: 'asis' });
    expect(ra.dataset.id).toBe('folder');
    expect(ra.dataset.counts.reduce((x, y) => x + y, 0)).toBe(13 + 6 + 4);
    expect(ra.dataset.source).toMatchObject({ kind: 'folder', name: 'pets', folders: ['cat', 'dog', 'owl'], height: 32, channels: 3 });
    expect(rb.dataset.source).toMatchObject({ kind: 'zip', name: 'pets.zip', testFraction: 0.2, splitSeed: 3 });
    expect(rb.dataset.subsetHash).toBe(ra.dataset.subsetHash);
    expect(rb.initHash).toBe(ra.initHash);
    expect(stepLosses(join(dir, 'b'))).toEqual(stepLosses(join(dir, 'a')));
    expect(stepLosses(join(dir, 'a')).length).toBe(3);
    for (const f of ['indices.json', 'steps.json', 'data.safetensors'])
      expect(readFileSync(join(dir, 'b', f)).equals(readFileSync(join(dir, 'a', f))), f).toBe(true);
    const idx = readJson<{ files: { train: string[][]; test: string[][] } }>(join(dir, 'a', 'indices.json'));
    expect(idx.files.train.map((c) => c.length)).toEqual([13, 6, 4]);
    expect(idx.files.test[2]).toHaveLength(1);
    expect(idx.files.train[0][0]).toMatch(/^cat\/\d{3}\.png$/);
    const out = readJson<{ config: { dataset: string }; dataset: { title: string } }>(join(dir, 'a.json'));
    expect(out.config.dataset).toBe('folder');
    expect(out.dataset.title).toBe('pets');
  }, 60_000);

  it('takes the upload dialog’s image size, test fraction and split seed', () => {
    const r = cli([
      ...TINY,
      '--data',
      join(dir, 'pets.zip'),
      '--image-size',
      'grey28',
      '--test-fraction',
      '0.25',
      '--split-seed',
      '9',
      '--out',
      join(dir, 'g.json'),
      '--save-bundle',
      join(dir, 'g'),
    ]);
    expect(r.status, r.stderr).toBe(0);
    const run = readJson<Run>(join(dir, 'g', 'run.json'));
    expect(run.dataset.source).toMatchObject({ height: 28, width: 28, channels: 1, testFraction: 0.25, splitSeed: 9 });
    expect(run.dataset.counts).toEqual([12, 6, 4]);
    // out of range, or an image folder's setting without an image folder: usage errors
    const bad = cli([...TINY, '--data', join(dir, 'pets'), '--test-fraction', '0.9']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--test-fraction must be a number from 0.05 to 0.5; got "0.9"');
    const notFolder = cli([...TINY, '--image-size', 'grey28']);
    expect(notFolder.status).toBe(2);
    expect(notFolder.stderr).toContain("--image-size is an image folder's setting");
    const mixed = cli([...TINY, '--dataset', 'fmnist-lt', '--data', join(dir, 'pets')]);
    expect(mixed.status).toBe(2);
    expect(mixed.stderr).toContain('is an image folder, but --dataset is fmnist-lt');
  }, 60_000);

  it('refuses a bad folder with the problem named, and writes nothing', () => {
    const png = FILES[0].bytes;
    const cases: [string, { path: string; bytes: Uint8Array }[], RegExp][] = [
      // images directly in the folder, no class sub-folders: as the app's picker, the folder is one class
      [
        'flat',
        [0, 1, 2].map((k) => ({ path: `flat/${k}.png`, bytes: png })),
        /flat: only one class folder \("flat"\) — at least 2 classes are needed; expected one folder per class/,
      ],
      // a class whose only file is not an image
      [
        'text',
        [
          { path: 'text/cat/1.png', bytes: png },
          { path: 'text/dog/notes.txt', bytes: new TextEncoder().encode('not an image') },
        ],
        /text\/dog: class folder holds no images \(1 other file\)/,
      ],
      // a class with no readable image
      [
        'broken',
        [
          { path: 'broken/cat/1.png', bytes: png },
          { path: 'broken/dog/1.png', bytes: png.slice(0, 40) },
        ],
        /broken\/dog: class "dog" has no readable image/,
      ],
    ];
    for (const [name, files, message] of cases) {
      writeTree(join(dir, 'bad'), files);
      const out = join(dir, `${name}.json`);
      const bundle = join(dir, `${name}-bundle`);
      const r = cli([...TINY, '--data', join(dir, 'bad', name), '--out', out, '--save-bundle', bundle]);
      expect(r.status, `${name}: ${r.stderr}`).toBe(1);
      expect(r.stderr, name).toMatch(message);
      expect(existsSync(out) || existsSync(bundle), name).toBe(false);
    }
    // a .zip that is not one
    writeFileSync(join(dir, 'bad', 'fake.zip'), 'plain text');
    const r = cli([...TINY, '--data', join(dir, 'bad', 'fake.zip'), '--out', join(dir, 'fake.json')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('fake.zip: is not a .zip archive');
    expect(existsSync(join(dir, 'fake.json'))).toBe(false);
  }, 60_000);
});

describe.skipIf(!probeTorch('CLI folder bundle'))('CLI image-folder bundle → train.py --reproduce', () => {
  it('replays the CLI run: the same subset and init, the CLI’s step and epoch losses', () => {
    const bundle = join(dir, 'a');
    if (!existsSync(join(bundle, 'run.json'))) {
      const r = cli([...TINY, '--data', join(dir, 'pets'), '--out', join(dir, 'a.json'), '--save-bundle', bundle]);
      expect(r.status, r.stderr).toBe(0);
    }
    const run = readJson<Run>(join(bundle, 'run.json'));
    const cliEpoch = readJson<{ epochs: { trainLoss: number }[] }>(join(dir, 'a.json')).epochs[0].trainLoss;
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
    for (const extra of [[], ['--data-root', join(dir, 'pets')]]) {
      const out = join(dir, `py${extra.length}.json`);
      const py = spawnSync(PY, [join(bundle, 'train.py'), bundle, '--reproduce', ...extra, '--out', out], {
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(py.status, py.stderr).toBe(0);
      const res = readJson<{
        dataset: { subsetHash: string };
        initHash: string;
        steps: { step: number; loss: number; appLoss: number }[];
        epochs: { trainLoss: number }[];
      }>(out);
      expect(res.dataset.subsetHash).toBe(run.dataset.subsetHash);
      expect(res.initHash).toBe(run.initHash);
      expect(res.steps.length).toBe(3);
      res.steps.forEach((s) => expect(rel(s.loss, s.appLoss), `step ${s.step}`).toBeLessThan(1e-4));
      expect(rel(res.epochs[0].trainLoss, cliEpoch)).toBeLessThan(1e-3);
    }
  }, 60_000);
});
