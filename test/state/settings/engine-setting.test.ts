/** The engine setting: URL `engine=`, the change policy (live: the trainer swaps at the next step). */
import { describe, expect, it } from 'vitest';
import { planChange } from '../../../src/state/settings/change-policy';
import { PLAYGROUND_DEFAULTS, patchSettings } from '../../../src/state/settings/settings';
import { parseSettings, serialiseSettings } from '../../../src/state/settings/url-schema';
import { ConfigError, validateConfig, type EngineChoice, type TrainConfig } from '../../../src/core/train/config';

describe('engine setting', () => {
  it('defaults to auto, round-trips through the URL and reports a bad value', () => {
    expect(PLAYGROUND_DEFAULTS.config.engine).toBe('auto');
    expect(new URLSearchParams(serialiseSettings(PLAYGROUND_DEFAULTS)).get('engine')).toBe('auto');
    for (const e of ['fused', 'tfjs', 'auto'] as const) {
      const s = patchSettings(PLAYGROUND_DEFAULTS, { config: { engine: e } });
      const back = parseSettings(serialiseSettings(s));
      expect(back.problems).toEqual([]);
      expect(back.settings.config.engine).toBe(e);
    }
    const bad = parseSettings('engine=cuda');
    expect(bad.settings.config.engine).toBe('auto');
    expect(bad.problems.map((p) => p.param)).toEqual(['engine']);
  });

  it('changing the engine is a live change (no reset)', () => {
    const to = patchSettings(PLAYGROUND_DEFAULTS, { config: { engine: 'tfjs' } });
    const plan = planChange(PLAYGROUND_DEFAULTS, to);
    expect(plan.kind).toBe('live');
    expect(plan.live).toEqual({ engine: 'tfjs' });
  });

  it('validateConfig refuses an unknown engine and accepts a missing one (older configs)', () => {
    const c = { ...PLAYGROUND_DEFAULTS.config } as TrainConfig;
    expect(() => validateConfig({ ...c, engine: 'gpu' as EngineChoice })).toThrow(ConfigError);
    const { engine: _drop, ...old } = c;
    void _drop;
    expect(() => validateConfig(old as TrainConfig)).not.toThrow();
  });
});
