import { describe, expect, it } from 'vitest';
import { applyRecipe, authorsSettings, isAuthorsRecipe } from '../../../src/core/train/recipe';
import { DEFAULT_CONFIG, validateConfig, type TrainConfig } from '../../../src/core/train/config';
import { LOSS_IDS } from '../../../src/core/losses/registry';
import type { LossId } from '../../../src/core/losses/types';

const base = (loss: LossId): TrainConfig => ({ ...structuredClone(DEFAULT_CONFIG), loss, batchSize: 100 });

describe("the authors' recipe", () => {
  it('sets each loss to its script defaults', () => {
    const g = applyRecipe(base('gcl'), 'authors');
    expect([g.batchSize, g.mixupAlpha, g.linearInit, g.fblCurriculum]).toEqual([64, 1, 'kaiming', undefined]);
    expect([g.stage2.from, g.stage2.sampler, g.stage2.batchSize]).toEqual(['best', 'classBalanced', 64]);
    const l = applyRecipe(base('ldam'), 'authors');
    expect([l.batchSize, l.mixupAlpha, l.stage2.from, l.stage2.sampler]).toEqual([128, 0, undefined, 'cben']);
    const f = applyRecipe(base('fbl'), 'authors');
    expect([f.batchSize, f.mixupAlpha, f.fblCurriculum]).toEqual([64, 0, 'official']);
    const k = applyRecipe(base('kps'), 'authors');
    expect([k.batchSize, k.mixupAlpha]).toEqual([64, 0]);
  });

  it('every setting names its source script line; every result validates', () => {
    for (const id of LOSS_IDS) {
      for (const s of authorsSettings(id)) expect(s.source, `${id} ${s.key}`).toMatch(/line|no mixup/);
      const c = applyRecipe(base(id), 'authors');
      expect(() => validateConfig(c)).not.toThrow();
      expect(isAuthorsRecipe(c)).toBe(true);
      expect(isAuthorsRecipe(applyRecipe(c, 'ours'))).toBe(false);
    }
  });

  it("'ours' goes back to the defaults, keeps the batch size, and leaves the input alone", () => {
    const a = applyRecipe(base('gcl'), 'authors');
    const frozen = JSON.stringify(a);
    const o = applyRecipe(a, 'ours');
    expect(JSON.stringify(a)).toBe(frozen);
    expect(o.mixupAlpha).toBeUndefined();
    expect(o.linearInit).toBeUndefined();
    expect(o.stage2).toEqual({ ...DEFAULT_CONFIG.stage2 });
    expect(o.batchSize).toBe(64);
    // an edited setting after the switch: no longer "the authors' recipe"
    expect(isAuthorsRecipe({ ...a, mixupAlpha: 0.5 })).toBe(false);
  });
});
