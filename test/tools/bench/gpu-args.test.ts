import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const gpuBench = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'tools/bench/gpu.ts', ...args], { encoding: 'utf8', timeout: 60_000 });

describe('npm run bench:gpu: its arguments', () => {
  it('--help prints every option and starts nothing; an unknown option is refused before any device starts', () => {
    const help = gpuBench(['--help']);
    expect(help.status).toBe(0);
    for (const flag of ['--bundle', '--tiny', '--steps', '--warmup', '--conv-variant', '--torch-script', '--out'])
      expect(help.stdout).toContain(flag);
    expect(help.stderr).not.toMatch(/WebGPU: /);
    const bad = gpuBench(['--tiny', '--stpes', '3']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/Unknown option '--stpes'/);
    expect(bad.stderr).not.toMatch(/WebGPU: /);
  });
});
