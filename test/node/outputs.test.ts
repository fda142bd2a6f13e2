/**
 * Output paths of `npm run train` and `npm run reproduce`: refused before training when a run would be lost to
 * them (a FIFO, a dangling link, a device, /proc, an input), written atomically, and kept when the disk is full
 * (a real full tmpfs, mounted in a private mount namespace). Spawned through tsx on tiny data.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
  chmodSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeDataset } from '../../src/core/data/pack';
import { tinyDataset } from '../helpers/tiny-dataset';
import { EMBEDDED_PACK } from '../../src/node/datasets';
import { writeFileAtomic } from '../../src/node/outputs';

const dir = mkdtempSync(join(tmpdir(), 'ltp-cli-outputs-'));
const pack = join(dir, 'tiny.ltpg');
const tiny = ['--data', pack, '--imbalance', '10', '--model', 'convnet', '--loss', 'ce', '--batch', '16', '--backend', 'cpu'];

function cli(script: 'train' | 'reproduce', args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, ['--import', 'tsx', `src/cli/${script}.ts`, ...args], {
    encoding: 'utf8',
    timeout: 180_000,
    env,
  });
}
const train = (args: string[]) => cli('train', [...tiny, ...args]);

/** Refused before training: exit 2, the message, nothing trained. */
function refused(r: ReturnType<typeof cli>, want: string | RegExp) {
  expect(r.error, 'the CLI was killed by the test timeout').toBeUndefined();
  expect(r.status, r.stderr).toBe(2);
  if (typeof want === 'string') expect(r.stderr).toContain(`error: ${want}`);
  else expect(r.stderr).toMatch(want);
  expect(r.stderr).not.toMatch(/backend:|epoch 1\//);
}

/** Whether a private mount namespace (for a small full tmpfs) can be made here. */
const canMount = (() => {
  try {
    execFileSync('unshare', ['-r', '-m', 'sh', '-c', `mount -t tmpfs -o size=4k tmpfs "${dir}"`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!canMount) console.warn('[outputs.test] SKIPPING the full-disk cases: unshare -r -m (a private tmpfs mount) is not allowed here');

/**
 * The train CLI with `mnt` a 8 KiB tmpfs filled to the last byte (an older `run.json` in it first): a real
 * ENOSPC on every write there.
 */
function trainOnFullDisk(mnt: string, args: string[], env: Record<string, string> = {}) {
  mkdirSync(mnt, { recursive: true });
  const script = [
    'mount -t tmpfs -o size=8k tmpfs "$0"',
    'printf old > "$0/run.json"',
    'head -c 65536 /dev/zero > "$0/fill" 2>/dev/null',
    'env "$@"',
    'rc=$?',
    'printf "\\nthe older run.json holds: %s\\n" "$(cat "$0/run.json")" >&2',
    'exit $rc',
  ].join('; ');
  const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const cmd = [process.execPath, '--import', 'tsx', 'src/cli/train.ts', ...tiny, ...args];
  return spawnSync('unshare', ['-r', '-m', 'sh', '-c', script, mnt, ...envArgs, ...cmd], { encoding: 'utf8', timeout: 180_000 });
}

beforeAll(() => {
  writeFileSync(pack, encodeDataset(tinyDataset({ classes: 4, poolPerClass: 60, testPerClass: 5 })));
});

describe('output paths, checked before training', () => {
  it('a FIFO with no reader is refused at once (no hang): --out and --save-test-logits', () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(statSync(fifo).isFIFO()).toBe(true);
    const t0 = Date.now();
    refused(train(['--epochs', '1', '--out', fifo]), `--out: "${fifo}" is a FIFO (named pipe), not a regular file`);
    refused(train(['--epochs', '1', '--save-test-logits', fifo]), `--save-test-logits: "${fifo}" is a FIFO (named pipe)`);
    // generous: two refusals are seconds; a write into the FIFO would block until the test timeout
    expect(Date.now() - t0).toBeLessThan(150_000);
    expect(statSync(fifo).isFIFO()).toBe(true);
  }, 400_000);

  it('a dangling symbolic link into a missing folder is refused; into an existing folder it is written through', () => {
    const dangling = join(dir, 'dangling.json');
    symlinkSync(join(dir, 'no-such-folder', 'run.json'), dangling);
    refused(
      train(['--epochs', '1', '--out', dangling]),
      `--out: "${dangling}" is a symbolic link to "${join(dir, 'no-such-folder', 'run.json')}", whose folder ${join(dir, 'no-such-folder')} does not exist`,
    );
    // a link to a file still to be made: the file is made, the link stays a link
    mkdirSync(join(dir, 'elsewhere'));
    const link = join(dir, 'link.json');
    symlinkSync(join('elsewhere', 'run.json'), link);
    const r = train(['--epochs', '1', '--quiet', '--out', link]);
    expect(r.status, r.stderr).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(join('elsewhere', 'run.json'));
    expect(JSON.parse(readFileSync(join(dir, 'elsewhere', 'run.json'), 'utf8')).epochs).toHaveLength(1);
    expect(readdirSync(join(dir, 'elsewhere'))).toEqual(['run.json']); // no temporary file left
  }, 400_000);

  it('/dev/full, /proc/version, /sys and /dev/stdout are refused naming the flag and the file', () => {
    refused(train(['--epochs', '1', '--out', '/dev/full']), '--out: "/dev/full" is a character device, not a regular file');
    refused(train(['--epochs', '1', '--save-tfjs', '/dev/full']), '--save-tfjs: "/dev/full" is a character device, not a regular file');
    refused(
      train(['--epochs', '1', '--out', '/proc/version']),
      '--out: "/proc/version" is on /proc (procfs), a kernel interface, not a place for files',
    );
    refused(
      train(['--epochs', '1', '--save-safetensors', '/sys/kernel/m.safetensors']),
      '--save-safetensors: "/sys/kernel/m.safetensors" is on /sys (sysfs), a kernel interface, not a place for files',
    );
    refused(train(['--epochs', '1', '--out', '/dev/stdout']), '--out: "/dev/stdout" is a standard stream (a file descriptor)');
  }, 400_000);

  it('--out on the --data file (by name, through a hard link) or on the embedded pack: refused, the input unchanged', () => {
    const before = readFileSync(pack);
    refused(
      train(['--epochs', '1', '--out', pack]),
      `--out: "${pack}" is the same file as --data ("${pack}"); writing it would replace the input — choose another file`,
    );
    const hard = join(dir, 'hard-link.ltpg');
    linkSync(pack, hard);
    refused(train(['--epochs', '1', '--save-tfjs', hard]), `--save-tfjs: "${hard}" is the same file as --data ("${pack}")`);
    expect(readFileSync(pack).equals(before)).toBe(true);
    const embedded = readFileSync(EMBEDDED_PACK);
    const r = cli('train', ['--epochs', '1', '--backend', 'cpu', '--out', EMBEDDED_PACK]);
    refused(r, `--out: "${EMBEDDED_PACK}" is the same file as the embedded pack`);
    expect(readFileSync(EMBEDDED_PACK).equals(embedded)).toBe(true);
  }, 400_000);

  it('reproduce: its folder must be a folder, its files regular, none of them the --data pack', () => {
    const base = ['--quick', '--model', 'convnet', '--epochs', '1', '--backend', 'cpu', '--runs', 'ce', '--data', pack];
    refused(cli('reproduce', [...base, '--out', pack]), `--out: "${pack}" is a file, not a folder`);
    refused(cli('reproduce', [...base, '--out', '/proc/sys']), '--out: "/proc/sys" is on /proc (procfs)');
    const withFifo = join(dir, 'repro-fifo');
    mkdirSync(withFifo);
    execFileSync('mkfifo', [join(withFifo, 'summary.json')]);
    refused(cli('reproduce', [...base, '--out', withFifo]), `--out: "${join(withFifo, 'summary.json')}" is a FIFO (named pipe)`);
    const holdsData = join(dir, 'repro-data');
    mkdirSync(holdsData);
    linkSync(pack, join(holdsData, 'ce.json'));
    refused(
      cli('reproduce', [...base, '--fresh', '--out', holdsData]),
      `--out: "${join(holdsData, 'ce.json')}" is the same file as --data`,
    );
    // --fresh has not deleted it
    expect(existsSync(join(holdsData, 'ce.json'))).toBe(true);
  }, 400_000);
});

describe('writes', () => {
  it('writeFileAtomic replaces a file whole, keeps its permission bits, leaves no temporary file, never opens a FIFO', () => {
    const d = mkdtempSync(join(tmpdir(), 'ltp-atomic-'));
    const f = join(d, 'a.json');
    writeFileSync(f, 'old');
    chmodSync(f, 0o600);
    writeFileAtomic(f, '{"new": true}');
    expect(readFileSync(f, 'utf8')).toBe('{"new": true}');
    expect(statSync(f).mode & 0o777).toBe(0o600);
    const fifo = join(d, 'p');
    execFileSync('mkfifo', [fifo]);
    writeFileAtomic(fifo, 'x'); // would block forever if it opened the FIFO
    expect(statSync(fifo).isFile()).toBe(true);
    expect(readdirSync(d).sort()).toEqual(['a.json', 'p']);
    expect(() => writeFileAtomic(join(d, 'missing', 'b.json'), 'x')).toThrow(`could not write "${join(d, 'missing', 'b.json')}": ENOENT`);
  });

  it.skipIf(!canMount)(
    'a full disk: the error names the file and the cause, the result goes to a fallback file it names',
    () => {
      const mnt = join(dir, 'full');
      const out = join(mnt, 'run.json');
      const zip = join(mnt, 'model.zip');
      const r = trainOnFullDisk(mnt, ['--epochs', '2', '--quiet', '--out', out, '--save-tfjs', zip]);
      expect(r.status, r.stderr).toBe(1);
      const m = /error: --out: could not write "(.*?)": ENOSPC: no space left on device, write; saved it to (\S+) instead/.exec(r.stderr);
      expect(m, r.stderr).not.toBeNull();
      expect(m![1]).toBe(out);
      const doc = JSON.parse(readFileSync(m![2], 'utf8'));
      expect(doc.epochs).toHaveLength(2);
      expect(doc.halted).toBeNull();
      const z = new RegExp(
        `error: --save-tfjs: could not write "${zip}": ENOSPC: no space left on device, write; saved it to (\\S+) instead`,
      ).exec(r.stderr);
      expect(z, r.stderr).not.toBeNull();
      expect(readFileSync(z![1]).subarray(0, 2).toString()).toBe('PK');
      // the failed write left the older file whole
      expect(r.stderr).toContain('the older run.json holds: old\n');
      for (const f of [m![2], z![1]]) rmSync(f);
    },
    400_000,
  );

  it.skipIf(!canMount)(
    'a full disk and a full temporary folder: the result JSON goes to stdout',
    () => {
      const mnt = join(dir, 'full2');
      const out = join(mnt, 'run.json');
      const r = trainOnFullDisk(mnt, ['--epochs', '1', '--quiet', '--out', out], { TMPDIR: mnt });
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(
          `error: --out: could not write "${out}": ENOSPC: no space left on device, write; the fallback failed too \\(could not write ".*": ENOSPC.*\\); the result is on stdout instead`,
        ),
      );
      expect(JSON.parse(r.stdout).epochs).toHaveLength(1);
    },
    400_000,
  );
});
