/**
 * "Authors' recipe" toggle (next to the loss picker) and the short list of the settings it changes for the current
 * loss — each editable, with the authors' script line as its help — plus the validation split. The recipe and the
 * lines live in src/core/train/recipe.ts; src/state/settings/recipe-settings.ts applies it to the settings.
 */
import { patchSettings } from '../state/settings/settings';
import { recipeOf, recipeRows, withRecipe, type RecipeRow } from '../state/settings/recipe-settings';
import { numberField } from '../core/train/config-fields';
import { usePg } from './context';
import { CheckField, SelectField, SettingField } from './Fields';
import { useChange } from './use-change';
import { useHidden } from './ClassroomLink';
import { controlShown } from '../state/settings/classroom';

function RowControl({ row }: { row: RecipeRow }) {
  const change = useChange();
  const help = `Authors: ${row.value} — ${row.source}`;
  const testId = `recipe-${row.key.replace('.', '-')}`;
  switch (row.key) {
    case 'batchSize':
    case 'stage2.batchSize':
      return (
        <SettingField
          path={row.key}
          label={row.key === 'batchSize' ? 'Recipe: batch size' : 'Recipe: stage-2 batch size'}
          value={row.current as number}
          help={help}
          testId={testId}
          onCommit={(v) => change(row.key === 'batchSize' ? { config: { batchSize: v } } : { stage2: { batchSize: v } })}
        />
      );
    case 'mixupAlpha':
      return (
        <SettingField
          path="mixupAlpha"
          value={row.current as number}
          help={`${numberField('mixupAlpha').help} ${help}`}
          testId={testId}
          onCommit={(v) => change({ config: { mixupAlpha: v || undefined } })}
        />
      );
    case 'linearInit':
      return (
        <SelectField
          label="Linear-head init"
          value={row.current as 'uniform' | 'kaiming'}
          options={[
            { value: 'uniform', label: 'PyTorch default U(±1/√D)' },
            { value: 'kaiming', label: 'kaiming_normal_ N(0, 2/D)' },
          ]}
          help={`Only the linear head (CE, Balanced Softmax, FBL, …). ${help}`}
          testId={testId}
          onCommit={(v) => change({ config: { linearInit: v === 'uniform' ? undefined : v } })}
        />
      );
    case 'fblCurriculum':
      return (
        <SelectField
          label="FBL curriculum α(t)"
          value={row.current as 'scaled' | 'official'}
          options={[
            { value: 'scaled', label: 'Scaled (t/(T − T/20))²' },
            { value: 'official', label: 'Official (t/190)² at T = 200, sampled' },
          ]}
          help={help}
          testId={testId}
          onCommit={(v) => change({ config: { fblCurriculum: v === 'scaled' ? undefined : v } })}
        />
      );
    case 'stage2.from':
      return (
        <SelectField
          label="Stage 2 starts from"
          value={row.current as 'last' | 'best'}
          options={[
            { value: 'last', label: 'The last stage-1 epoch' },
            { value: 'best', label: 'The best stage-1 epoch' },
          ]}
          help={`Best = highest validation score when a validation split is on, else highest test accuracy. ${help}`}
          testId={testId}
          onCommit={(v) => change({ stage2: { from: v === 'last' ? undefined : v } })}
        />
      );
    case 'stage2.sampler':
      return (
        <SelectField
          label="Recipe: stage-2 sampler"
          value={row.current as 'cben' | 'classBalanced'}
          options={[
            { value: 'cben', label: 'CBEN' },
            { value: 'classBalanced', label: 'Class-balanced' },
          ]}
          help={help}
          testId={testId}
          onCommit={(v) => change({ stage2: { sampler: v } })}
        />
      );
  }
}

export function RecipeOptions() {
  const settings = usePg((s) => s.settings);
  const change = useChange();
  const on = recipeOf(settings) === 'authors';
  const rows = recipeRows(settings);
  const off = rows.filter((r) => !r.matches);
  // a classroom link keeps out what would change a hidden setting (the toggle changes several)
  const hidden = useHidden();
  const toggleShown = controlShown('recipe-toggle', hidden);
  const valShown = controlShown('validation-split', hidden);
  const shownRows = rows.filter((r) => controlShown(`recipe-${r.key}`, hidden));
  if (!toggleShown && !valShown && !shownRows.length) return null;
  return (
    <div className="recipe" role="group" aria-label="Training recipe" data-testid="recipe-options">
      {toggleShown && (
        <CheckField
          label="Authors’ recipe"
          checked={on}
          help="Sets, for this loss, what the authors' training scripts use: batch size, mixup, linear-head init, FBL curriculum, GCL stage 2 from the best epoch with a class-balanced sampler. Each stays editable below."
          testId="field-recipe"
          onCommit={(v) => change((s) => withRecipe(s, v ? 'authors' : 'ours'))}
        />
      )}
      <p className="loss-summary" data-testid="recipe-status">
        {on
          ? 'Every setting below has the authors’ value.'
          : off.length === rows.length
            ? 'Our recipe.'
            : `Differs from the authors’ recipe in: ${off.map((r) => r.label).join(', ')}.`}
      </p>
      {shownRows.map((r) => (
        <RowControl key={r.key} row={r} />
      ))}
      {valShown && (
        <SettingField
          path="valFraction"
          value={settings.config.valFraction ?? 0}
          testId="field-val-fraction"
          onCommit={(v) => change((s) => patchSettings(s, { config: { valFraction: v || undefined } }))}
        />
      )}
    </div>
  );
}
