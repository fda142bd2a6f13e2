/** Reading data files in Node (the CLI's --data): non-regular files and oversized files refused up front. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../../src/core/data/errors';
import { MAX_DATA_FILE_BYTES, readBytes } from '../../../src/core/data/node-load';
import { loadDatasetForCli } from '../../../src/node/datasets';
import { rejected } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'ltpg-read-'));

describe('readBytes', () => {
  it('refuses /dev/zero, a FIFO and a directory without reading them', async () => {
    const fifo = join(dir, 'pipe.ltpg');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const cases: [string, string][] = [
      ['/dev/zero', 'a character device'],
      [fifo, 'a FIFO (named pipe)'],
      [dir, 'a directory'],
    ];
    for (const [path, kind] of cases) {
      // a FIFO with no writer would block an ordinary open, /dev/zero would stream forever: both return at once
      const e = await rejected(readBytes(path));
      expect(e).toBeInstanceOf(DataError);
      expect(e.message).toBe(`${path}: is ${kind}, not a regular file — give the path of a data file`);
    }
    // the CLI's --data goes through it
    const e = await rejected(loadDatasetForCli('cifar10-lt', '/dev/zero'));
    expect(e.message).toMatch(/^\/dev\/zero: is a character device/);
  });

  it('refuses a missing file and one larger than the limit; reads a regular file exactly', async () => {
    expect((await rejected(readBytes(join(dir, 'missing.tar.gz')))).message).toBe(`${join(dir, 'missing.tar.gz')}: not found`);
    const file = join(dir, 'data.bin');
    const bytes = new Uint8Array(5000).map((_, i) => i & 255);
    writeFileSync(file, bytes);
    expect(await readBytes(file)).toEqual(bytes);
    expect((await rejected(readBytes(file, 4096))).message).toBe(`${file}: is 5000 bytes, more than the 4096 bytes a data file may hold`);
    expect(MAX_DATA_FILE_BYTES).toBe(1024 ** 3);
  });
});
