/**
 * SIGINT / SIGTERM sent to a real CLI process mid-training: the first stops after the current batch and writes
 * the finished epochs (exit 130 / 143), a second one ends the process at once, and an interrupted `reproduce`
 * resumes from its last finished epoch when run again.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeDataset } from '../../src/core/data/pack';
import { tinyDataset } from '../helpers/tiny-dataset';

const dir = mkdtempSync(join(tmpdir(), 'ltp-cli-signals-'));
const pack = join(dir, 'tiny.ltpg');
/** 32×32×3 images and 256 test images: exporting the test logits after a stop takes seconds on the cpu backend. */
const pack32 = join(dir, 'tiny32.ltpg');
const tiny = ['--data', pack, '--imbalance', '10', '--model', 'convnet', '--batch', '16', '--backend', 'cpu'];

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Spawns a CLI and calls `when(stderr, child)` on every stderr chunk (with the whole stderr so far), so the test
 * can send its signals when training has reached a point.
 */
function run(script: string, args: string[], when: (stderr: string, kill: (s: NodeJS.Signals) => void) => void): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `src/cli/${script}.ts`, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const limit = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no exit within 240 s; stderr:\n${stderr}`));
    }, 240_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      when(stderr, (s) => child.kill(s));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(limit);
      // the pipes may still hold the last bytes
      setTimeout(() => resolve({ code, signal, stdout, stderr }), 50);
    });
  });
}

/** Sends `signal` once, when stderr first matches `pattern`. */
function once(pattern: RegExp, signal: NodeJS.Signals) {
  let sent = false;
  return (stderr: string, kill: (s: NodeJS.Signals) => void) => {
    if (!sent && pattern.test(stderr)) {
      sent = true;
      kill(signal);
    }
  };
}

beforeAll(() => {
  writeFileSync(pack, encodeDataset(tinyDataset({ classes: 4, poolPerClass: 60, testPerClass: 5 })));
  writeFileSync(pack32, encodeDataset(tinyDataset({ classes: 4, poolPerClass: 16, testPerClass: 64, side: 32, channels: 3 })));
});

describe('signals during training', () => {
  it('SIGINT after the first epoch: exit 130, the partial JSON holds the finished epochs and says "interrupted"', async () => {
    const out = join(dir, 'int.json');
    const r = await run('train', [...tiny, '--loss', 'ce', '--epochs', '500', '--out', out], once(/epoch 1\/500:/, 'SIGINT'));
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain(`SIGINT: stopping after the current batch; the finished epochs are written to ${out}`);
    expect(r.stderr).toContain(`wrote ${out}`);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect(doc.halted).toBe('interrupted');
    expect(doc.epochs.length).toBeGreaterThanOrEqual(1);
    expect(doc.epochs.length).toBeLessThan(500);
    expect(doc.epochs.map((e: { epoch: number }) => e.epoch)).toEqual(doc.epochs.map((_: unknown, i: number) => i));
    expect(doc.final.testAccuracy).toBe(doc.epochs.at(-1).testAccuracy);
  }, 300_000);

  it('SIGTERM: exit 143, the result and the asked-for export are written; stage 2 is not started', async () => {
    const out = join(dir, 'term.json');
    const st = join(dir, 'term.safetensors');
    const args = [...tiny, '--loss', 'gcl', '--epochs', '500', '--stage2', '--stage2-epochs', '1', '--out', out, '--save-safetensors', st];
    const r = await run('train', args, once(/epoch 1\/500:/, 'SIGTERM'));
    expect(r.code, r.stderr).toBe(143);
    expect(r.stderr).toContain('SIGTERM: stopping after the current batch');
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect(doc.halted).toBe('interrupted');
    expect(doc.epochs.length).toBeGreaterThanOrEqual(1);
    expect(doc.stage2Epochs).toEqual([]);
    expect(readFileSync(st).length).toBeGreaterThan(1000);
  }, 300_000);

  it('no --out: the partial JSON goes to stdout', async () => {
    const r = await run('train', [...tiny, '--loss', 'ce', '--epochs', '500'], once(/epoch 1\/500:/, 'SIGINT'));
    expect(r.code, r.stderr).toBe(130);
    const doc = JSON.parse(r.stdout);
    expect(doc.halted).toBe('interrupted');
    expect(doc.epochs.length).toBeGreaterThanOrEqual(1);
  }, 300_000);

  it('a second signal ends the process at once (here inside the test-logits export that follows the stop)', async () => {
    const out = join(dir, 'twice.json');
    const logits = join(dir, 'twice-logits.json');
    let first = false;
    let second = false;
    const args = ['--data', pack32, '--imbalance', '1', '--model', 'convnet', '--loss', 'ce', '--batch', '16', '--backend', 'cpu'];
    const r = await run('train', [...args, '--epochs', '50', '--out', out, '--save-test-logits', logits], (stderr, kill) => {
      if (!first && /batch \d+\/\d+/.test(stderr)) {
        first = true;
        kill('SIGINT');
      } else if (first && !second && stderr.includes(`wrote ${out}`)) {
        // the stop has happened, the JSON is written and the export runs: this one must not wait for it
        second = true;
        kill('SIGINT');
      }
    });
    expect(second, r.stderr).toBe(true);
    // ended by the signal itself (a shell reports 130), not by a graceful exit after the export
    expect(r.signal, r.stderr).toBe('SIGINT');
    expect(existsSync(logits)).toBe(false);
    expect(JSON.parse(readFileSync(out, 'utf8')).halted).toBe('interrupted');
  }, 300_000);

  it('--sweep: a signal stops the current run, skips the rest and writes the runs so far', async () => {
    const out = join(dir, 'sweep.json');
    const r = await run(
      'train',
      [...tiny, '--loss', 'ce', '--epochs', '500', '--sweep', 'lr=0.1,0.05', '--out', out],
      once(/epoch 1\/500:/, 'SIGINT'),
    );
    expect(r.code, r.stderr).toBe(130);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect(doc.halted).toBe('interrupted');
    expect(doc.runs).toHaveLength(1);
    expect(doc.runs[0].result.halted).toBe('interrupted');
    expect(doc.summary).toHaveLength(1);
  }, 300_000);
});

describe('reproduce, interrupted and run again', () => {
  const common = (out: string) => [
    '--quick',
    '--model',
    'convnet',
    '--epochs',
    '6',
    '--batch',
    '16',
    '--eval-per-class',
    '5',
    '--backend',
    'cpu',
    '--runs',
    'ce',
    '--imbalance',
    '10',
    '--data',
    pack,
    '--no-png',
    '--quiet',
    '--out',
    out,
  ];

  it('SIGINT after a checkpoint: exit 130 naming it; the same command resumes and ends with the numbers of an uninterrupted run', async () => {
    const a = join(dir, 'repro-a');
    const straight = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/reproduce.ts', ...common(a)], {
      encoding: 'utf8',
      timeout: 240_000,
    });
    expect(straight.status, straight.stderr).toBe(0);

    const b = join(dir, 'repro-b');
    const ck = join(b, 'checkpoints', 'ce.json');
    let sent = false;
    const r = await new Promise<Ended>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/reproduce.ts', ...common(b)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const watch = setInterval(() => {
        if (!sent && existsSync(ck)) {
          sent = true;
          child.kill('SIGINT');
        }
      }, 5);
      child.on('exit', (code, signal) => {
        clearInterval(watch);
        setTimeout(() => resolve({ code, signal, stdout, stderr }), 50);
      });
    });
    expect(sent).toBe(true);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(new RegExp(`SIGINT: stopped ce after \\d epochs this session; its last finished epoch is in ${ck}`));
    expect(existsSync(join(b, 'ce.json'))).toBe(false);
    const saved = JSON.parse(readFileSync(ck, 'utf8')) as { epochs: unknown[] };
    expect(saved.epochs.length).toBeGreaterThanOrEqual(1);
    expect(saved.epochs.length).toBeLessThan(6);

    const again = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/reproduce.ts', ...common(b).filter((x) => x !== '--quiet')], {
      encoding: 'utf8',
      timeout: 240_000,
    });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toContain(`CE: resuming after epoch ${saved.epochs.length}`);
    const ra = JSON.parse(readFileSync(join(a, 'ce.json'), 'utf8'));
    const rb = JSON.parse(readFileSync(join(b, 'ce.json'), 'utf8'));
    expect(rb.sessions).toBe(2);
    expect(rb.halted).toBeNull();
    expect(rb.epochs.map((e: { trainLoss: number }) => e.trainLoss)).toEqual(ra.epochs.map((e: { trainLoss: number }) => e.trainLoss));
    expect(rb.epochs.map((e: { perClassAccuracy: number[] }) => e.perClassAccuracy)).toEqual(
      ra.epochs.map((e: { perClassAccuracy: number[] }) => e.perClassAccuracy),
    );
  }, 600_000);
});
