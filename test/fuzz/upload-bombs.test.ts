/**
 * Crafted uploads read in a fresh child process, as the CLI and the worker read them (upload-bombs.ts): each must be
 * refused (or decoded) with its message, in bounded time, at a bounded peak RSS (the kernel's high-water mark).
 * The bounds are generous; the same cases on the code before the checks took 1.2–2.2 GB, or did not finish.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCase, runChild, type BombCase } from './upload-bombs';

const GB = 1e9;
const dir = mkdtempSync(join(tmpdir(), 'ltp-upload-bombs-'));
const paths = new Map<BombCase, string>();

beforeAll(async () => {
  for (const id of ['overlap-zip', 'copies-zip', 'png-64mpx', 'data-1gib'] as const) paths.set(id, await makeCase(id, dir));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a case; the child's own time and the wall time of the whole run are both bounded. */
function run(id: BombCase, path: string, limitS: number) {
  const t0 = Date.now();
  const r = runChild(id, path, limitS * 1000);
  return { ...r, wall: (Date.now() - t0) / 1000 };
}

describe('upload bombs, in a child process', () => {
  it('the 60 KB zip of 1,000 entries pointing at one 64-Mpx 16-bit PNG is refused at once', () => {
    const r = run('overlap-zip', paths.get('overlap-zip')!, 60);
    expect(r.outcome).toMatch(
      /^bomb\.zip: corrupt \.zip archive: member "pets\/b\/001\.png" shares its data with member "pets\/a\/000\.png" .*— refused \(a damaged zip or a zip bomb\)$/,
    );
    expect(r.peakRss).toBeLessThan(1.5 * GB);
    expect(r.seconds).toBeLessThan(10);
  }, 90_000);

  it('1,000 copies of that PNG (no shared data) are stopped by the decode budget from the headers', () => {
    const r = run('copies-zip', paths.get('copies-zip')!, 240);
    expect(r.outcome).toMatch(
      /^bomb\.zip:pets\/a: class "a" has no readable image \(500 image files, none could be decoded; e\.g\. bomb\.zip:pets\/a\/000\.png: image is 8192×8192 \(67\.1 megapixels\), more than the 16\.8 megapixels accepted/,
    );
    expect(r.peakRss).toBeLessThan(1.5 * GB);
    expect(r.seconds).toBeLessThan(180);
  }, 300_000);

  it('a single 64-Mpx PNG in a folder is skipped by its header; the decoder itself streams it at a fraction of its raw size', () => {
    const skipped = run('png-64mpx', paths.get('png-64mpx')!, 60);
    expect(skipped.outcome).toBe(
      'accepted; skipped: pets/a/big.png: image is 8192×8192 (67.1 megapixels), more than the 16.8 megapixels accepted — ' +
        'it is resized to 32×32: downscale it first',
    );
    expect(skipped.peakRss).toBeLessThan(0.5 * GB);
    expect(skipped.seconds).toBeLessThan(10);
    // 8192² RGBA at 16 bits: 537 MB of raw rows; the 8-bit output is 268 MB
    const decoded = run('png-decode', paths.get('png-64mpx')!, 240);
    expect(decoded.outcome).toBe('decoded 8192×8192×4');
    expect(decoded.peakRss).toBeLessThan(0.8 * GB);
    expect(decoded.seconds).toBeLessThan(180);
  }, 330_000);

  it('a 1 GiB sparse file of the wrong type as --data is refused from its first bytes', () => {
    const pack = run('data-1gib', paths.get('data-1gib')!, 60);
    expect(pack.outcome).toBe('data-1gib: not an LTPG data file (magic "????", expected "LTPG")');
    expect(pack.peakRss).toBeLessThan(0.4 * GB);
    expect(pack.seconds).toBeLessThan(10);
    const cifar = run('cifar-1gib', paths.get('data-1gib')!, 60);
    expect(cifar.outcome).toBe(
      'data-1gib: neither gzip data nor a tar archive — expected cifar-10-binary.tar.gz or cifar-100-binary.tar.gz',
    );
    expect(cifar.peakRss).toBeLessThan(0.4 * GB);
  }, 150_000);

  it('the CLI given a CIFAR tar with a 40 MB long-name record exits 1 with a short stderr', () => {
    const tar = new Uint8Array(512 + 40_000_128 + 1024);
    const head = (size: number) => {
      const b = new Uint8Array(512);
      const put = (off: number, s: string) => b.set(new TextEncoder().encode(s), off);
      put(0, '././@LongLink');
      put(100, '0000644\0');
      put(124, size.toString(8).padStart(11, '0') + '\0');
      b[156] = 0x4c; // 'L'
      put(257, 'ustar  \0');
      b.fill(0x20, 148, 156);
      put(
        148,
        b
          .reduce((a, v) => a + v, 0)
          .toString(8)
          .padStart(6, '0') + '\0 ',
      );
      return b;
    };
    tar.set(head(40_000_000), 0);
    tar.fill(0x61, 512, 512 + 40_000_000);
    const path = join(dir, 'long-name.tar');
    writeFileSync(path, tar);
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli/train.ts', '--dataset', 'cifar10-lt', '--data', path, '--epochs', '1'],
      {
        encoding: 'utf8',
        timeout: 120_000,
        maxBuffer: 64 << 20,
      },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /long-name\.tar: corrupt tar archive: the GNU long-name record at byte 0 is 40000000 bytes, more than the 8192 bytes accepted/,
    );
    expect(r.stderr.length).toBeLessThan(2000);
  }, 150_000);
});
