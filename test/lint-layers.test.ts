/**
 * The layer rules of the lint gate (tools/lint/layers.js): which src folder may import which, core's own order,
 * and the import cycles — the ones listed as known are exactly the ones there (a fixed one leaves the list).
 */
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORE_ORDER, KNOWN_CYCLES, importCycles, layerProblem } from '../tools/lint/layers.js';

const ROOT = resolve(__dirname, '..');
const src = (p: string) => join(ROOT, 'src', p);

describe('layer rules', () => {
  it('core → worker → state → ui and core → worker → node → cli: only downward imports', () => {
    expect(layerProblem(src('core/train/trainer.ts'), src('state/settings/settings.ts'))).toMatch(/src\/core may not import src\/state/);
    expect(layerProblem(src('worker/engine.ts'), src('ui/App.tsx'))).toMatch(/src\/worker may not import src\/ui/);
    expect(layerProblem(src('cli/train.ts'), src('ui/Header.tsx'))).toMatch(/src\/cli may not import src\/ui/);
    expect(layerProblem(src('ui/Header.tsx'), src('cli/train.ts'))).toMatch(/src\/ui may not import src\/cli/);
    expect(layerProblem(src('ui/Header.tsx'), src('core/rng.ts'))).toBeNull();
    expect(layerProblem(src('cli/train.ts'), src('state/session/session.ts'))).toMatch(/src\/cli may not import src\/state/);
    expect(layerProblem(src('node/train-sweep.ts'), src('state/settings/settings.ts'))).toMatch(/src\/node may not import src\/state/);
    expect(layerProblem(src('node/flags.ts'), src('cli/train.ts'))).toMatch(/src\/node may not import src\/cli/);
    expect(layerProblem(src('cli/train.ts'), src('node/flags.ts'))).toBeNull();
    expect(layerProblem(src('node/train-sweep.ts'), src('core/train/sweep.ts'))).toBeNull();
    expect(layerProblem(src('main.tsx'), src('ui/App.tsx'))).toBeNull();
  });

  it("core's folders in their order; the backend modules on top", () => {
    expect(CORE_ORDER[0]).toBe('rng');
    expect(layerProblem(src('core/data/longtail.ts'), src('core/rng.ts'))).toBeNull();
    expect(layerProblem(src('core/data/longtail.ts'), src('core/train/config.ts'))).toMatch(/core\/data may not import core\/train/);
    expect(layerProblem(src('core/gpu/device.ts'), src('core/export/index.ts'))).toMatch(/core\/gpu may not import core\/export/);
    expect(layerProblem(src('core/train/trainer.ts'), src('core/gpu/device.ts'))).toBeNull();
    expect(layerProblem(src('core/train/trainer.ts'), src('core/backend.ts'))).toMatch(/core\/train may not import core\/backend/);
    expect(layerProblem(src('core/backend-probe.ts'), src('core/backend.ts'))).toBeNull();
  });

  it('the known import cycles are exactly the ones there', () => {
    const found = new Set([...importCycles().values()].map((c) => c.map((f) => relative(ROOT, join(ROOT, f))).join(', ')));
    expect([...found].sort()).toEqual([...KNOWN_CYCLES].sort());
  });
});
