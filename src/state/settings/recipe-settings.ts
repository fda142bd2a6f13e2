/**
 * The "Authors' recipe" switch on the page's settings (src/core/train/recipe.ts holds the recipe itself and the
 * script line of every option). The switch is not stored: settings are "the authors' recipe" when every setting
 * it changes has its value for the current loss, so editing one of them after the switch turns it off (and the
 * list under the toggle shows which).
 */
import { applyRecipe, authorsSettings, isAuthorsRecipe, type RecipeId, type RecipeSetting } from '../../core/train/recipe';
import type { LossId } from '../../core/losses/types';
import { makeSettings, PLAYGROUND_DEFAULTS, trainConfigOf, withLoss, type Settings } from './settings';

export function recipeOf(s: Settings): RecipeId {
  return isAuthorsRecipe(trainConfigOf(s)) ? 'authors' : 'ours';
}

/** `s` with the recipe's settings for its loss ('ours': the page's defaults for them). */
export function withRecipe(s: Settings, recipe: RecipeId): Settings {
  return makeSettings(applyRecipe(trainConfigOf(s), recipe, s.config.loss, PLAYGROUND_DEFAULTS.config), s.backend, s.threads);
}

/** Another loss; when the authors' recipe was on, it follows the new loss (its batch size, mixup, …). */
export function withLossKeepingRecipe(s: Settings, loss: LossId): Settings {
  const on = recipeOf(s) === 'authors';
  const next = withLoss(s, loss);
  return on ? withRecipe(next, 'authors') : next;
}

export interface RecipeRow extends RecipeSetting {
  /** The value in the settings now. */
  current: number | string;
  /** Whether it has the authors' value. */
  matches: boolean;
}

/** The settings the switch changes for the current loss, with their current values (the list under the toggle). */
export function recipeRows(s: Settings): RecipeRow[] {
  const c = s.config;
  const now: Record<RecipeSetting['key'], number | string> = {
    batchSize: c.batchSize,
    mixupAlpha: c.mixupAlpha ?? 0,
    linearInit: c.linearInit ?? 'uniform',
    fblCurriculum: c.fblCurriculum ?? 'scaled',
    'stage2.from': c.stage2.from ?? 'last',
    'stage2.sampler': c.stage2.sampler,
    'stage2.batchSize': c.stage2.batchSize,
  };
  return authorsSettings(c.loss).map((r) => ({ ...r, current: now[r.key], matches: now[r.key] === r.value }));
}
