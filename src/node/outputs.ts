/**
 * The CLI's output files. Checked before any training, so a run is never lost to its output path: an existing
 * target must be a regular file (a FIFO would block the write forever, a device or a /proc file fails it), a
 * symbolic link is followed and its target's folder must exist, and no output may be one of the inputs (the data
 * pack would be replaced by the JSON). Written through a temporary file in the same folder that is renamed into
 * place, so a reader never sees half a file. When the final write still fails (a full disk, an I/O error), the
 * message names the file and the cause, and the bytes go to a fallback file (or stdout) that the message names.
 */
import {
  accessSync,
  closeSync,
  constants,
  fsyncSync,
  lstatSync,
  openSync,
  readlinkSync,
  realpathSync,
  renameSync,
  statSync,
  statfsSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';

/** Filesystems that are kernel interfaces (statfs f_type), where a result file has no business. */
const KERNEL_FS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, '/proc (procfs)'],
  [0x62656572, '/sys (sysfs)'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x27e0eb, 'cgroupfs'],
  [0x63677270, 'cgroup2fs'],
  [0x1cd1, 'devpts'],
  [0xcafe4a11, 'bpffs'],
  [0x62656570, 'configfs'],
  [0x6165676c, 'pstore'],
  [0xde5e81e4, 'efivarfs'],
]);

/** Where an output path leads. */
interface Target {
  /** The file that is replaced: symbolic links followed (a link stays a link; its target gets the new bytes). */
  path: string;
  /** What is there now (not followed further), or null. */
  existing: Stats | null;
  /** Whether the given path is a symbolic link. */
  viaLink: boolean;
}

const code = (e: unknown) => (e as NodeJS.ErrnoException).code;
const reason = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Follows symbolic links one by one with lstat, so a dangling link still says where it points. */
function follow(file: string): Target | string {
  let path = resolve(file);
  let viaLink = false;
  for (let hops = 0; hops < 40; hops++) {
    let st: Stats;
    try {
      st = lstatSync(path);
    } catch (e) {
      if (code(e) === 'ENOENT') return { path, existing: null, viaLink };
      if (code(e) === 'ENOTDIR') return `"${file}": a part of "${path}" is not a folder`;
      return `"${file}" cannot be inspected (${reason(e)})`;
    }
    if (!st.isSymbolicLink()) return { path, existing: st, viaLink };
    path = resolve(dirname(path), readlinkSync(path));
    viaLink = true;
  }
  return `"${file}": too many levels of symbolic links`;
}

function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** The kernel filesystem a folder is on (by its real path and by statfs), or null. */
function kernelFs(dir: string): string | null {
  let real = dir;
  try {
    real = realpathSync(dir);
  } catch {
    // the caller has already seen the folder exist; statfs below decides
  }
  if (real === '/proc' || real.startsWith('/proc/')) return '/proc (procfs)';
  if (real === '/sys' || real.startsWith('/sys/')) return '/sys (sysfs)';
  try {
    return KERNEL_FS.get(Number(statfsSync(real).type)) ?? null;
  } catch {
    return null;
  }
}

/** Problems with one output file, in a message naming the flag and the file, or null. Nothing is created. */
export function checkOutputFile(flag: string, file: string): string | null {
  if (file.trim() === '') return `${flag} needs a file name`;
  if (/^\/(dev\/(stdout|stderr|stdin|fd\/\d+)|proc\/(self|\d+)\/fd\/\d+)$/.test(file))
    return `${flag}: "${file}" is a standard stream (a file descriptor), not a regular file; give a file name`;
  const t = follow(file);
  if (typeof t === 'string') return `${flag}: ${t}`;
  const shown = t.viaLink ? `"${file}" (a symbolic link to "${t.path}")` : `"${file}"`;
  const dir = dirname(t.path);
  let ds: Stats;
  try {
    ds = statSync(dir);
  } catch {
    return t.viaLink
      ? `${flag}: "${file}" is a symbolic link to "${t.path}", whose folder ${dir} does not exist`
      : `${flag}: the folder of "${file}" (${dir}) does not exist`;
  }
  if (!ds.isDirectory()) return `${flag}: "${dir}" is not a folder`;
  const kernel = kernelFs(dir);
  if (kernel) return `${flag}: ${shown} is on ${kernel}, a kernel interface, not a place for files`;
  if (t.existing) {
    if (t.existing.isDirectory()) return `${flag}: ${shown} is a folder; give a file name`;
    if (!t.existing.isFile()) return `${flag}: ${shown} is ${kindOf(t.existing)}, not a regular file`;
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    return `${flag}: the folder "${dir}" is not writable`;
  }
  if (t.existing) {
    try {
      accessSync(t.path, constants.W_OK);
    } catch {
      return `${flag}: ${shown} exists and is not writable`;
    }
  }
  return null;
}

/** The file an output path writes (links followed), for telling two outputs on one file apart. */
export function outputIdentity(file: string): string {
  const t = follow(file);
  return typeof t === 'string' ? resolve(file) : t.path;
}

/** An output that is an input (same real path, or same device and inode: a hard link), in a message, or null. */
export function checkNotInputs(
  outputs: readonly (readonly [flag: string, file: string | undefined])[],
  inputs: readonly (readonly [what: string, file: string | undefined])[],
): string | null {
  const ins: { what: string; file: string; st: Stats; real: string }[] = [];
  for (const [what, file] of inputs) {
    if (file === undefined) continue;
    try {
      ins.push({ what, file, st: statSync(file), real: realpathSync(file) });
    } catch {
      // a missing input is the data loader's message to give
    }
  }
  for (const [flag, file] of outputs) {
    if (file === undefined) continue;
    const t = follow(file);
    if (typeof t === 'string' || !t.existing) continue;
    let st: Stats;
    let real: string;
    try {
      st = statSync(t.path);
      real = realpathSync(t.path);
    } catch {
      continue;
    }
    for (const i of ins) {
      if (real === i.real || (st.dev === i.st.dev && st.ino === i.st.ino))
        return `${flag}: "${file}" is the same file as ${i.what} ("${i.file}"); writing it would replace the input — choose another file`;
    }
  }
  return null;
}

/**
 * An output folder (created with its parents when missing) and the files the run will write or read in it:
 * the folder must be a folder or be creatable, off the kernel filesystems, writable, and each of the files
 * that exists must pass checkOutputFile and not be an input.
 */
export function checkOutputFolder(
  flag: string,
  dir: string,
  files: readonly string[],
  inputs: readonly (readonly [what: string, file: string | undefined])[],
): string | null {
  if (dir.trim() === '') return `${flag} needs a folder name`;
  let probe = resolve(dir);
  for (;;) {
    const t = follow(probe);
    if (typeof t === 'string') return `${flag}: ${t}`;
    if (t.existing) {
      let st: Stats;
      try {
        st = statSync(t.path);
      } catch (e) {
        return `${flag}: "${probe}" cannot be inspected (${reason(e)})`;
      }
      if (!st.isDirectory()) return `${flag}: "${probe}" is ${st.isFile() ? 'a file' : kindOf(st)}, not a folder`;
      const kernel = kernelFs(t.path);
      if (kernel) return `${flag}: "${probe}" is on ${kernel}, a kernel interface, not a place for files`;
      try {
        accessSync(t.path, constants.W_OK);
      } catch {
        return `${flag}: the folder "${probe}" is not writable`;
      }
      break;
    }
    const up = dirname(probe);
    if (up === probe) return `${flag}: no folder of "${dir}" exists`;
    probe = up;
  }
  const paths = files.map((f) => join(dir, f));
  for (const sub of new Set(paths.map((p) => dirname(p)))) {
    const t = follow(sub);
    if (typeof t === 'string') return `${flag}: ${t}`;
    if (t.existing && !statSync(t.path).isDirectory()) return `${flag}: "${sub}" is in the way: it is not a folder`;
  }
  for (const p of paths) {
    const t = follow(p);
    if (typeof t === 'string') return `${flag}: ${t}`;
    if (!t.existing && !t.viaLink) continue;
    const bad = checkOutputFile(flag, p);
    if (bad) return bad;
  }
  return checkNotInputs(
    paths.map((p) => [flag, p] as const),
    inputs,
  );
}

/** A write that failed, naming the file and the cause. */
export class OutputWriteError extends Error {
  constructor(
    readonly file: string,
    cause: unknown,
  ) {
    super(`could not write "${file}": ${reason(cause)}`, { cause });
  }
}

let tmpCount = 0;

/**
 * Writes `data` to `file` through a temporary file in the same folder, flushed to disk and renamed into place:
 * the old file stays whole until the new one is complete, and a FIFO appearing there is replaced, never opened.
 * An existing file keeps its permission bits.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const t = follow(file);
  if (typeof t === 'string') throw new OutputWriteError(file, new Error(t));
  const tmp = join(dirname(t.path), `.${basename(t.path)}.${process.pid}-${tmpCount++}.tmp`);
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'wx', t.existing?.isFile() ? t.existing.mode & 0o777 : 0o666);
    for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, t.path);
  } catch (e) {
    if (fd !== null) {
      try {
        closeSync(fd);
      } catch {
        // the write error is the one to report
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      // never created, or already gone
    }
    throw new OutputWriteError(file, e);
  }
}

export type Saved = { ok: true } | { ok: false; message: string };

/**
 * writeFileAtomic, and when that fails the same bytes to a fallback file in the temporary folder — or, for the
 * run's result (`toStdout`), to stdout when that fails too — so a finished result is never dropped. The message
 * names the flag, the file, the cause and where the bytes went.
 */
export function saveOutput(flag: string, file: string, data: string | Uint8Array, toStdout = false): Saved {
  let first: unknown;
  try {
    writeFileAtomic(file, data);
    return { ok: true };
  } catch (e) {
    first = e;
  }
  const why = `${flag}: ${reason(first)}`;
  const fallback = join(tmpdir(), `long-tail-playground-${process.pid}-${Date.now()}-${basename(file)}`);
  try {
    writeFileAtomic(fallback, data);
    return { ok: false, message: `${why}; saved it to ${fallback} instead` };
  } catch (e) {
    const also = `the fallback failed too (${reason(e)})`;
    if (!toStdout) return { ok: false, message: `${why}; ${also}, so this file is not saved` };
    process.stdout.write(typeof data === 'string' ? `${data}\n` : data);
    return { ok: false, message: `${why}; ${also}; the result is on stdout instead` };
  }
}
