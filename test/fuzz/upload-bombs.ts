/**
 * Crafted uploads that cost decoding time rather than inflated bytes, and the child process that reads them the way
 * the CLI and the worker do, reporting peak memory and seconds.
 *
 *   npx tsx test/fuzz/upload-bombs.ts [case …]   # all cases, or some (overlap-zip, png-decode, …); files go to
 *                                                # a temporary folder and are removed
 *
 * - overlap-zip: a ~60 KB folder zip whose 1,000 directory entries all point at one member: a 64-Mpx 16-bit RGBA
 *   PNG of zeros (deflated twice: the PNG's IDAT, then the zip member).
 * - copies-zip: the same, with 1,000 copies of the member (~1 MB): what the decode budget alone must stop.
 * - png-64mpx: a folder of two classes, one of them holding that PNG as a plain file (with one small image).
 * - png-decode: that PNG given to the PNG decoder itself (its own cap is 64 Mpx), then resized to 32×32.
 * - data-1gib / cifar-1gib: a sparse 1 GiB file of zeros given as `--data` for fmnist-lt / cifar10-lt.
 *
 * The child prints one JSON line: { outcome, peakRss, seconds } (peakRss: `process.resourceUsage().maxRSS`, the
 * kernel's high-water mark, in bytes; seconds: from just before the read to the end).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, ftruncateSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDeflate, deflateRawSync } from 'node:zlib';
import { crc32 } from '../../src/core/data/gzip';
import { pngChunk } from '../../src/core/data/png';

const MiB = 1024 * 1024;
const HERE = fileURLToPath(import.meta.url);

export type BombCase = 'overlap-zip' | 'copies-zip' | 'png-64mpx' | 'png-decode' | 'data-1gib' | 'cifar-1gib';

/** A PNG of zeros, `side`×`side` RGBA at 16 bits: the zlib stream is made by streaming zero rows through zlib. */
export async function zeroPng(side: number): Promise<Uint8Array> {
  const rowBytes = 1 + side * 8;
  const z = createDeflate({ level: 9 });
  const parts: Buffer[] = [];
  z.on('data', (b: Buffer) => parts.push(b));
  const done = new Promise((r) => z.on('end', r));
  const zeros = new Uint8Array(MiB);
  for (let left = rowBytes * side; left > 0; left -= MiB) {
    if (!z.write(zeros.subarray(0, Math.min(MiB, left)))) await new Promise((r) => z.once('drain', r));
  }
  z.end();
  await done;
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, side);
  dv.setUint32(4, side);
  ihdr[8] = 16;
  ihdr[9] = 6;
  const sig = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return new Uint8Array(
    Buffer.concat([
      sig,
      pngChunk('IHDR', ihdr),
      pngChunk('IDAT', new Uint8Array(Buffer.concat(parts))),
      pngChunk('IEND', new Uint8Array(0)),
    ]),
  );
}

/**
 * A folder zip of `entries` images, all holding `data` (deflated once): `shared` true writes the member once and
 * points every directory entry at it, false writes a copy per entry.
 */
export function imageZip(data: Uint8Array, entries: number, shared: boolean): Uint8Array {
  const enc = new TextEncoder();
  const comp = new Uint8Array(deflateRawSync(data, { level: 9 }));
  const crc = crc32(data);
  const parts: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  let at = 0;
  for (let i = 0; i < entries; i++) {
    const name = enc.encode(`pets/${i % 2 ? 'b' : 'a'}/${String(i).padStart(3, '0')}.png`);
    if (i === 0 || !shared) {
      const local = new Uint8Array(30 + name.length);
      const lv = new DataView(local.buffer);
      lv.setUint32(0, 0x04034b50, true);
      lv.setUint16(4, 20, true);
      lv.setUint16(8, 8, true);
      lv.setUint32(14, crc, true);
      lv.setUint32(18, comp.length, true);
      lv.setUint32(22, data.length, true);
      lv.setUint16(26, name.length, true);
      local.set(name, 30);
      parts.push(local, comp);
      at = offset;
      offset += local.length + comp.length;
    }
    const c = new Uint8Array(46 + name.length);
    const cv = new DataView(c.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, 8, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, comp.length, true);
    cv.setUint32(24, data.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, at, true);
    c.set(name, 46);
    centrals.push(c);
  }
  const cdSize = centrals.reduce((a, c) => a + c.length, 0);
  const e = new Uint8Array(22);
  const ev = new DataView(e.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries, true);
  ev.setUint16(10, entries, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  return new Uint8Array(Buffer.concat([...parts, ...centrals, e]));
}

/** A sparse file of `bytes` zeros (no disk blocks used). */
export function sparseFile(path: string, bytes: number): void {
  const fd = openSync(path, 'w');
  try {
    ftruncateSync(fd, bytes);
  } finally {
    closeSync(fd);
  }
}

/** Writes the input of one case into `dir`; returns the path to read (a file, or a folder for png-64mpx). */
export async function makeCase(id: BombCase, dir: string): Promise<string> {
  const path = join(dir, id);
  if (id === 'overlap-zip') writeFileSync(path, imageZip(await zeroPng(8192), 1000, true));
  else if (id === 'copies-zip') writeFileSync(path, imageZip(await zeroPng(8192), 1000, false));
  else if (id === 'png-64mpx' || id === 'png-decode') writeFileSync(path, await zeroPng(8192));
  else sparseFile(path, 1024 * MiB);
  return path;
}

export interface ChildResult {
  outcome: string;
  peakRss: number;
  seconds: number;
}

/** Reads one case in a fresh process (node + tsx) and returns what the child printed. */
export function runChild(id: BombCase, path: string, timeoutMs = 600_000): ChildResult & { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', HERE, '--child', id, path], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
    timeout: timeoutMs,
  });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  let res: ChildResult = {
    outcome: `child failed (${r.status ?? r.signal}): ${(r.stderr || r.stdout).slice(-500)}`,
    peakRss: NaN,
    seconds: NaN,
  };
  try {
    res = JSON.parse(line) as ChildResult;
  } catch {
    // keep the failure text
  }
  return { ...res, status: r.status, stderr: r.stderr };
}

async function child(id: BombCase, path: string): Promise<void> {
  const { readBytes } = await import('../../src/core/data/node-load');
  const { buildFolderDataset } = await import('../../src/core/data/folder');
  const { FOLDER_TARGETS } = await import('../../src/core/data/folder-limits');
  const { decodePng, encodePng, pngDecoder } = await import('../../src/core/data/png');
  const { loadDatasetForCli } = await import('../../src/node/datasets');
  const { readFileSync } = await import('node:fs');
  const t0 = performance.now();
  let outcome = 'accepted';
  try {
    const opts = { decoder: pngDecoder, target: FOLDER_TARGETS.rgb32, testFraction: 0.2, seed: 1 };
    if (id === 'overlap-zip' || id === 'copies-zip') {
      await buildFolderDataset(await readBytes(path), { ...opts, archiveName: 'bomb.zip' });
    } else if (id === 'png-64mpx') {
      const small = encodePng({ width: 2, height: 2, colorType: 2, data: new Array(12).fill(7) });
      const r = await buildFolderDataset(
        [
          { path: 'pets/a/big.png', bytes: readFileSync(path) },
          { path: 'pets/a/small.png', bytes: small },
          { path: 'pets/b/1.png', bytes: small },
          { path: 'pets/b/2.png', bytes: small },
        ],
        opts,
      );
      outcome = `accepted; skipped: ${r.report.skipped.map((s) => `${s.file}: ${s.reason}`).join('; ') || 'none'}`;
    } else if (id === 'png-decode') {
      const img = decodePng(readFileSync(path), 'big.png');
      const { resizeImage } = await import('../../src/core/data/resize');
      resizeImage(img, FOLDER_TARGETS.rgb32);
      outcome = `decoded ${img.width}×${img.height}×${img.channels}`;
    } else if (id === 'data-1gib') await loadDatasetForCli('fmnist-lt', path);
    else await loadDatasetForCli('cifar10-lt', path);
  } catch (e) {
    outcome = e instanceof Error ? e.message : String(e);
  }
  const seconds = (performance.now() - t0) / 1000;
  const peakRss = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(JSON.stringify({ outcome, peakRss, seconds }) + '\n');
}

async function main(only: string[]): Promise<void> {
  const all: BombCase[] = ['overlap-zip', 'copies-zip', 'png-64mpx', 'png-decode', 'data-1gib', 'cifar-1gib'];
  const ids = all.filter((id) => only.length === 0 || only.includes(id));
  const dir = mkdtempSync(join(tmpdir(), 'ltpg-upload-bombs-'));
  try {
    console.log('| Case | Outcome | Peak RSS | Seconds |');
    console.log('|---|---|---|---|');
    for (const id of ids) {
      const path = await makeCase(id, dir);
      const r = runChild(id, path, Number(process.env.BOMB_TIMEOUT_MS ?? 600_000));
      rmSync(path, { force: true });
      const outcome = r.outcome.replace(/\|/g, '\\|').slice(0, 400);
      console.log(`| ${id} | ${outcome} | ${(r.peakRss / 1e6).toFixed(0)} MB | ${r.seconds.toFixed(2)} |`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') await child(process.argv[3] as BombCase, process.argv[4]);
else if (process.argv[2] === '--make') console.log(await makeCase(process.argv[3] as BombCase, process.argv[4]));
else if (process.argv[1] === HERE) await main(process.argv.slice(2));
