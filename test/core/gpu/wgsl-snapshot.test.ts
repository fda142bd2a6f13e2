/**
 * Every WGSL variant the fused executor can compile, as reviewed files: a change to a kernel's source shows up as a
 * snapshot diff (`npx vitest run -u test/core/gpu/wgsl-snapshot.test.ts` rewrites them). The index lists each
 * variant's sha256 and which variants each model × head plan uses.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { KernelDef } from '../../../src/core/gpu/kernels';
import { planCases, UNUSED } from './plan-fixtures';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('WGSL snapshot', () => {
  const variants = new Map<string, string>();
  const add = (k: KernelDef) => {
    const seen = variants.get(k.name);
    if (seen !== undefined && seen !== k.code) throw new Error(`two different sources named '${k.name}'`);
    variants.set(k.name, k.code);
  };
  const usage: Record<string, string[]> = {};
  for (const c of planCases()) {
    const names = new Set<string>();
    for (const d of [...c.plan.train, ...c.plan.frozen, ...c.plan.eval]) {
      add(d.src);
      names.add(d.src.name);
    }
    usage[`${c.kind}/${c.head}/maxBatch ${c.maxBatch}${c.conv === 'tiled' ? '/tiled' : ''}`] = [...names].sort();
  }
  const planned = new Set(variants.keys());
  for (const k of UNUSED) add(k);

  it('has one source per variant name, and the unused list is really unused', () => {
    expect(variants.size).toBeGreaterThan(30);
    for (const k of UNUSED) expect(planned.has(k.name), k.name).toBe(false);
  });

  it('matches the committed index', async () => {
    const index = {
      variants: Object.fromEntries([...variants].sort(([a], [b]) => a.localeCompare(b)).map(([n, code]) => [n, sha256(code)])),
      plans: usage,
    };
    await expect(`${JSON.stringify(index, null, 2)}\n`).toMatchFileSnapshot('__snapshots__/wgsl/index.json');
  });

  for (const [name, code] of variants) {
    it(`matches the committed source of ${name}`, async () => {
      await expect(code).toMatchFileSnapshot(`__snapshots__/wgsl/${name}.wgsl`);
    });
  }
});
