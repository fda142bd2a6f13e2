/** The wasm threads setting: URL `threads=`, kept through the settings' rebuilds, and a new worker when it changes. */
import { describe, expect, it } from 'vitest';
import { planChange } from '../../../src/state/settings/change-policy';
import { PLAYGROUND_DEFAULTS, makeSettings, patchSettings } from '../../../src/state/settings/settings';
import { withRecipe } from '../../../src/state/settings/recipe-settings';
import { parseSettings, serialiseSettings } from '../../../src/state/settings/url-schema';

describe('wasm threads setting', () => {
  it('defaults to auto, round-trips through the URL and refuses a bad value', () => {
    expect(PLAYGROUND_DEFAULTS.threads).toBeUndefined();
    expect(new URLSearchParams(serialiseSettings(PLAYGROUND_DEFAULTS)).get('threads')).toBe('auto');
    const two = parseSettings('threads=2');
    expect(two.problems).toEqual([]);
    expect(two.settings.threads).toBe(2);
    expect(parseSettings(serialiseSettings(two.settings)).settings.threads).toBe(2);
    expect(patchSettings(two.settings, { threads: 'auto' }).threads).toBeUndefined();
    for (const bad of ['threads=0', 'threads=9', 'threads=1.5', 'threads=many']) {
      const r = parseSettings(bad);
      expect(r.settings.threads, bad).toBeUndefined();
      expect(
        r.problems.map((p) => p.param),
        bad,
      ).toEqual(['threads']);
    }
  });

  it('another count restarts the worker (like a backend); a live change or a recipe keeps the count', () => {
    const two = patchSettings(PLAYGROUND_DEFAULTS, { threads: 2 });
    const plan = planChange(PLAYGROUND_DEFAULTS, two);
    expect(plan.kind).toBe('backend');
    expect(plan.resetBecause).toEqual(['wasm threads']);
    const lr = patchSettings(two, { config: { lr: 0.05 } });
    expect(lr.threads).toBe(2);
    expect(planChange(two, lr).kind).toBe('live');
    expect(makeSettings(two.config, two.backend, two.threads).threads).toBe(2);
    expect(withRecipe(two, 'authors').threads).toBe(2);
  });
});
