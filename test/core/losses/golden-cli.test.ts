/** `npm run golden -- <file>`: exit 0 all pass, 1 any failure, 2 usage / unreadable / malformed file. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../../..');
const GOLDEN = join(ROOT, 'test/fixtures/golden/losses.json');
const TSX = join(ROOT, 'node_modules/.bin/tsx');

function run(...args: string[]) {
  const r = spawnSync(TSX, ['src/cli/golden.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('golden CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'golden-cli-'));

  it('passes on the fixture: one line per case/loss, exit 0', () => {
    const r = run(GOLDEN);
    expect(r.code, r.err).toBe(0);
    const data = JSON.parse(readFileSync(GOLDEN, 'utf8')) as { cases: { losses: object }[] };
    const nEntries = data.cases.reduce((a, c) => a + Object.keys(c.losses).length, 0);
    const lines = r.out.split('\n').filter((l) => / \/ /.test(l) && !/perClass/.test(l));
    expect(lines.length).toBe(nEntries);
    expect(lines.every((l) => l.startsWith('PASS') && /loss rel .*gradInput .*gradFeatures .*gradWeight/.test(l))).toBe(true);
    expect(r.out).toMatch(/ALL PASS/);
  });

  it('exit 1 when an entry is off', () => {
    const data = JSON.parse(readFileSync(GOLDEN, 'utf8'));
    const c = data.cases[0];
    const name = Object.keys(c.losses)[0];
    c.losses[name].loss *= 1.001;
    const f = join(dir, 'bad.json');
    writeFileSync(f, JSON.stringify(data));
    const r = run(f);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(new RegExp(`FAIL  ${c.name} / ${name.replace('.', '\\.')}`));
  });

  it('exit 2 on usage error, unreadable file, or a file of the wrong shape', () => {
    expect(run().code).toBe(2);
    const missing = run(join(dir, 'nope.json'));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/cannot read/);
    const f = join(dir, 'shape.json');
    writeFileSync(f, JSON.stringify({ cases: [{ name: 'x' }] }));
    const wrong = run(f);
    expect(wrong.code).toBe(2);
    expect(wrong.err).toMatch(/not a golden loss file/);
  });
});
