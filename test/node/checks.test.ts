/**
 * The CLI refuses bad flags and outputs before training (naming the flag), prints errors and warnings even with
 * --quiet, and refuses unusable data before any backend runs. Spawned through tsx on tiny data.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeDataset } from '../../src/core/data/pack';
import { crc32 } from '../../src/core/data/gzip';
import { tinyDataset } from '../helpers/tiny-dataset';

const dir = mkdtempSync(join(tmpdir(), 'ltp-cli-checks-'));
const pack = join(dir, 'tiny.ltpg');

function cli(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/train.ts', ...args], { encoding: 'utf8', timeout: 180_000 });
}

const tiny = ['--data', pack, '--imbalance', '10', '--model', 'convnet', '--loss', 'ce', '--batch', '16', '--backend', 'cpu'];

/** An uncompressed .ltpg whose header declares H×W×C images (the payload is zeros). */
function packOfSide(H: number, W: number, C: number): Uint8Array {
  const n = 2;
  const per = n + n * H * W * C;
  const setOf = (role: 'pool' | 'test', off: number) => ({
    role,
    name: role,
    n,
    height: H,
    width: W,
    channels: C,
    numClasses: 2,
    classNames: ['a', 'b'],
    labelsOffset: off,
    labelsLength: n,
    pixelsOffset: off + n,
    pixelsLength: n * H * W * C,
  });
  const payload = new Uint8Array(2 * per);
  const meta = {
    id: 'big',
    title: 'Big',
    mean: new Array(C).fill(0.5),
    std: new Array(C).fill(0.25),
    hflip: false,
    cropPad: 0,
    licence: '',
  };
  const header = { meta, sets: [setOf('pool', 0), setOf('test', per)], payloadLength: payload.length, payloadCrc32: crc32(payload) };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(10 + json.length + payload.length);
  out.set(new TextEncoder().encode('LTPG'));
  new DataView(out.buffer).setUint16(4, 1, true);
  new DataView(out.buffer).setUint32(6, json.length, true);
  out.set(json, 10);
  out.set(payload, 10 + json.length);
  return out;
}

beforeAll(() => {
  writeFileSync(pack, encodeDataset(tinyDataset({ classes: 4, poolPerClass: 60, testPerClass: 5 })));
});

describe('CLI checks before training', () => {
  it('seeds outside [0, 2^32), stage-2 and other out-of-range flags: exit 2 naming the flag, before anything runs', () => {
    const cases: [string[], string][] = [
      [['--seed', '4294967297'], '--seed: seed (seed) is 4294967297, expected an integer in [0, 4294967295]'],
      [['--seed', '1e300'], '--seed: seed (seed) is 1e+300'],
      [['--seed=-1'], '--seed: seed (seed) is -1'],
      [['--stage2-s', '0'], '--stage2-s: stage-2 scale s (stage2.s) is 0, expected a number in [1, 64]'],
      [['--stage2-m=-5'], '--stage2-m: stage-2 margin m (stage2.m) is -5, expected a number in [0, 0.5]'],
      [['--stage2-noise-mul=-100'], '--stage2-noise-mul: stage-2 cloud size (stage2.noiseMul) is -100'],
      [['--wd', '1e300'], '--wd: weight decay (weightDecay) is 1e+300, expected a number in [0, 1]'],
      [['--lr', '1e3'], '--lr: learning rate (lr) is 1000, expected a number in [0.00001, 10]'],
      [['--epochs', '1000000000'], '--epochs: epochs (epochs) is 1000000000, expected an integer in [1, 1000]'],
    ];
    for (const [args, want] of cases) {
      const r = cli([...tiny, ...args, '--quiet']);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(`error: ${want}`);
      expect(r.stderr).not.toMatch(/backend:/);
    }
  }, 400_000);

  it('every output path is checked before training: missing folder, a folder, two outputs on one file', () => {
    const sub = join(dir, 'a-folder');
    mkdirSync(sub, { recursive: true });
    const missing = join(dir, 'no', 'such', 'run.json');
    const cases: [string[], RegExp][] = [
      [['--out', missing], /--out: the folder of ".*run\.json" \(.*such\) does not exist/],
      [['--save-tfjs', join(dir, 'nope', 'm.zip')], /--save-tfjs: the folder of .* does not exist/],
      [['--out', sub], /--out: ".*a-folder" is a folder; give a file name/],
      [['--out', join(dir, 'x.json'), '--save-test-logits', join(dir, 'x.json')], /--save-test-logits and --out both write/],
      [['--out', ''], /--out needs a file name/],
    ];
    for (const [args, want] of cases) {
      const r = cli([...tiny, '--epochs', '1', ...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(want);
      expect(r.stderr).not.toMatch(/backend:|epoch 1\/1/);
    }
    expect(existsSync(missing)).toBe(false);
  }, 400_000);

  it('--data /dev/zero and a pack of 1024×1024 images are refused before any backend runs', () => {
    const zero = cli(['--data', '/dev/zero', '--epochs', '1']);
    expect(zero.status).toBe(1);
    expect(zero.stderr).toMatch(/\/dev\/zero: is a character device, not a regular file/);
    const big = join(dir, 'big.ltpg');
    writeFileSync(big, gzipSync(packOfSide(1024, 1024, 1), { level: 9 }));
    const r = cli(['--data', big, '--epochs', '1', '--backend', 'wasm']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/big\.ltpg: set "pool" holds 1024×1024×1 images; this app trains on 4–32 pixels a side/);
    expect(r.stderr).not.toMatch(/backend:|Aborted/);
  }, 400_000);
});

describe('CLI messages with --quiet', () => {
  it('a diverging run prints the loss warning and the halt (naming the weight decay) even with --quiet, exit 3', () => {
    const out = join(dir, 'halted.json');
    const args = [...tiny, '--lr', '4', '--wd', '1', '--momentum', '0', '--schedule', 'constant', '--no-warmup'];
    const r = cli([...args, '--epochs', '60', '--eval-per-class', '2', '--quiet', '--out', out]);
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/^warning: stage 1 epoch \d+: the training loss stayed at .*, over 10× its first value/m);
    expect(r.stderr).toMatch(/^Paused at step \d+ .*The weight decay \(1\) and the learning rate \(4\) are too high together/m);
    expect(r.stderr).not.toMatch(/backend:|test acc/);
    expect(existsSync(out)).toBe(true);
  }, 400_000);
});
