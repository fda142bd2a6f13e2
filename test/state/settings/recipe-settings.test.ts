import { describe, expect, it } from 'vitest';
import { PLAYGROUND_DEFAULTS, patchSettings } from '../../../src/state/settings/settings';
import { recipeOf, recipeRows, withLossKeepingRecipe, withRecipe } from '../../../src/state/settings/recipe-settings';
import { parseSettings, serialiseSettings } from '../../../src/state/settings/url-schema';
import { diffConfig } from '../../../src/core/train/config-fields';
import { trainConfigOf } from '../../../src/state/settings/settings';

describe("the Authors' recipe switch on the settings", () => {
  it('turns on for the loss, shows every setting it changes, and turns off again to the page defaults', () => {
    const d = PLAYGROUND_DEFAULTS; // GCL
    expect(recipeOf(d)).toBe('ours');
    const a = withRecipe(d, 'authors');
    expect(recipeOf(a)).toBe('authors');
    expect(a.config.mixupAlpha).toBe(1);
    expect(a.config.stage2.from).toBe('best');
    expect(a.config.stage2.sampler).toBe('classBalanced');
    const rows = recipeRows(a);
    expect(rows.map((r) => r.key)).toEqual(['batchSize', 'mixupAlpha', 'linearInit', 'stage2.from', 'stage2.sampler', 'stage2.batchSize']);
    expect(rows.every((r) => r.matches)).toBe(true);
    const o = withRecipe(a, 'ours');
    expect(o.config.stage2).toEqual(d.config.stage2);
    expect(trainConfigOf(o)).toEqual(trainConfigOf(d));
  });

  it('an edited setting turns the switch off and is named; a new loss keeps the recipe on', () => {
    const a = withRecipe(PLAYGROUND_DEFAULTS, 'authors');
    const edited = patchSettings(a, { config: { mixupAlpha: 0.4 } });
    expect(recipeOf(edited)).toBe('ours');
    expect(
      recipeRows(edited)
        .filter((r) => !r.matches)
        .map((r) => r.label),
    ).toEqual(['mixup α']);
    const ldam = withLossKeepingRecipe(a, 'ldam');
    expect(recipeOf(ldam)).toBe('authors');
    expect([ldam.config.batchSize, ldam.config.mixupAlpha]).toEqual([128, 0]);
    expect(recipeOf(withLossKeepingRecipe(PLAYGROUND_DEFAULTS, 'ldam'))).toBe('ours');
  });

  it('URL: recipe=authors applies the recipe; edited values after it win; default links round-trip unchanged', () => {
    const a = parseSettings('loss=gcl&recipe=authors');
    expect(a.problems).toEqual([]);
    expect(recipeOf(a.settings)).toBe('authors');
    const back = parseSettings(serialiseSettings(a.settings));
    expect(back.problems).toEqual([]);
    expect(trainConfigOf(back.settings)).toEqual(trainConfigOf(a.settings));
    const e = parseSettings('loss=gcl&recipe=authors&mixup=0.5&val=0.2');
    expect([e.settings.config.mixupAlpha, e.settings.config.valFraction]).toEqual([0.5, 0.2]);
    const d = parseSettings(serialiseSettings(PLAYGROUND_DEFAULTS));
    expect(diffConfig(trainConfigOf(PLAYGROUND_DEFAULTS), trainConfigOf(d.settings))).toEqual({ live: {}, reset: [], stage2: false });
    expect(parseSettings('recipe=theirs').problems[0].param).toBe('recipe');
    expect(parseSettings('val=0.9').problems[0].param).toBe('val');
  });
});
