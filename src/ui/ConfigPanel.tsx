/**
 * The configuration panel: data (with the class histogram), model and optimiser, loss (controls generated from
 * the loss' hyperparameter schema) and GCL stage 2. Every control commits through the session, which applies
 * live settings at the next step and asks before a reset.
 *
 * A classroom link (src/state/settings/classroom.ts) can hide groups of controls: hidden ones are not rendered, a section
 * with nothing left is dropped, and the panel disappears when every section is gone.
 */
import { useMemo, useState } from 'react';
import { groupOf } from '../core/data/longtail';
import { LOSSES, LOSS_IDS } from '../core/losses/registry';
import type { HyperParamSpec, LossId } from '../core/losses/types';
import { HEAD_KINDS, MODEL_KINDS } from '../core/models/spec';
import type { EngineChoice, TrainConfig } from '../core/train/config';
import { EMBEDDED, patchSettings, type BackendChoice } from '../state/settings/settings';
import { forcedHead } from '../core/losses/registry';
import { ClassHistogram } from './ClassHistogram';
import { DataSource } from './DataSource';
import { EMBEDDED_SHAPE, infeasibility, previewCountsFor, shapeFor } from '../state/settings/data-shape';
import { switchDataset } from '../state/settings/rules';
import { usePg, usePlayground } from './context';
import { CheckField, NumberField, SelectField, SettingField } from './Fields';
import { RecipeOptions } from './RecipeOptions';
import { withLossKeepingRecipe } from '../state/settings/recipe-settings';
import { useChange } from './use-change';
import { useControlShown, useHidden } from './ClassroomLink';
import { useStage2 } from './use-stage2';
import { LossExplainer } from './LossExplainer';
import { openGallery } from './gallery-state';
import { areaShown, configPanelShown, type HideArea } from '../state/settings/classroom';
import { HEAD_IMAGE_OPTIONS } from '../core/data/first-visit-data';

/** Counts, groups and names reordered from the largest class to the smallest (stable). */
function sortedBySize(counts: number[], groups: ReturnType<typeof groupOf>[], names: string[]) {
  const order = counts.map((_, i) => i).sort((a, b) => counts[b] - counts[a] || a - b);
  return {
    order,
    counts: order.map((i) => counts[i]),
    groups: order.map((i) => groups[i]),
    classNames: order.map((i) => names[i] ?? `class ${i}`),
  };
}

function DataSection() {
  const settings = usePg((s) => s.settings);
  const uploads = usePg((s) => s.uploads);
  const change = useChange();
  const c = settings.config;
  const headImages = c.headImages ?? null;
  const shape = shapeFor(c.dataset, uploads) ?? EMBEDDED_SHAPE;
  // the histogram follows the IF slider while it moves (before the change is committed)
  const [draftIf, setDraftIf] = useState<number | null>(null);
  const counts = useMemo(() => {
    try {
      return previewCountsFor(draftIf === null ? settings : patchSettings(settings, { config: { imbalance: draftIf } }), shape);
    } catch {
      return [];
    }
  }, [settings, draftIf, shape]);
  const groups = counts.map(groupOf);
  const problem = infeasibility(counts, shape);
  const hidden = useHidden();
  return (
    <section className="panel-section" aria-labelledby="sec-data">
      <h2 id="sec-data">Data</h2>
      {!hidden.has('data') && (
        <>
          <SelectField
            label="Data set"
            value={c.dataset}
            options={[
              { value: EMBEDDED.id, label: EMBEDDED.title },
              ...uploads.map((u) => ({ value: u.id, label: shapeFor(u.id, uploads)!.title })),
            ]}
            help="Fashion-MNIST (28×28 grey clothes, 10 classes, © Zalando, MIT) packed with this app, or data you load below (kept in this tab only)."
            onCommit={(v) => change((s) => switchDataset(s, v, uploads))}
            testId="field-dataset"
          />
          <DataSource />
        </>
      )}
      {!hidden.has('imbalance') && (
        <>
          <SettingField
            path="imbalance"
            slider
            value={c.imbalance}
            data={{ min: shape.minIF, max: shape.maxIF }}
            disabled={c.profile === 'asis'}
            disabledReason={c.profile === 'asis' ? 'The profile "as is" keeps the data’s own imbalance.' : undefined}
            help={`IF = n_max / n_min: images of the largest class over the smallest (this pool serves ${shape.minIF}–${shape.maxIF}).`}
            onDraft={setDraftIf}
            onCommit={(v) => change({ config: { imbalance: v } }).finally(() => setDraftIf(null))}
            testId="field-imbalance"
          />
          <SelectField
            label="Profile"
            value={c.profile}
            options={[
              ...(shape.asIs || c.profile === 'asis' ? [{ value: 'asis' as const, label: 'As is (every image, its real imbalance)' }] : []),
              { value: 'exp' as const, label: 'Exponential' },
              { value: 'step' as const, label: 'Step' },
            ]}
            help="Exponential: counts fall geometrically from head to tail; step: the tail half shares one small count; as is: no subsampling."
            testId="field-profile"
            onCommit={(v) => change({ config: { profile: v } })}
          />
          {c.profile === 'step' && <SettingField path="stepMu" value={c.stepMu} onCommit={(v) => change({ config: { stepMu: v } })} />}
          <SelectField
            label="Head-class images"
            value={headImages === null ? 'all' : (String(headImages) as (typeof HEAD_IMAGE_OPTIONS)[number])}
            options={[
              ...HEAD_IMAGE_OPTIONS.filter((v) => v === 'all' || Number(v) < shape.poolMax).map((v) => ({
                value: v,
                label: v === 'all' ? `${shape.poolMax} (full)` : v,
              })),
              ...(headImages !== null &&
              !(HEAD_IMAGE_OPTIONS.includes(String(headImages) as (typeof HEAD_IMAGE_OPTIONS)[number]) && headImages < shape.poolMax)
                ? [{ value: String(headImages) as (typeof HEAD_IMAGE_OPTIONS)[number], label: String(headImages) }]
                : []),
            ]}
            help="n_max: images of the largest class; the others follow the profile. Smaller = faster epochs and a real few-shot tail."
            onCommit={(v) => change({ config: { headImages: v === 'all' ? null : Number(v) } })}
            testId="field-nmax"
          />
          <SettingField path="seed" value={c.seed} onCommit={(v) => change({ config: { seed: v } })} />
        </>
      )}
      {/* "as is": the classes sorted by size, so the data's own imbalance reads as a tail */}
      {!hidden.has('histogram') && (
        <ClassHistogram
          {...(c.profile === 'asis' ? sortedBySize(counts, groups, shape.classNames) : { counts, groups, classNames: shape.classNames })}
          onBar={(i) => openGallery(c.profile === 'asis' ? sortedBySize(counts, groups, shape.classNames).order[i] : i)}
        />
      )}
      {problem && (
        <p className="field-reason" role="note" data-testid="profile-problem">
          {problem}
        </p>
      )}
    </section>
  );
}

function ModelSection() {
  const c = usePg((s) => s.settings.config);
  const backend = usePg((s) => s.settings.backend);
  const threads = usePg((s) => s.settings.threads);
  const change = useChange();
  const forced = forcedHead(c.loss);
  const hidden = useHidden();
  const model = !hidden.has('model');
  const training = !hidden.has('optimiser') || !hidden.has('sampling');
  const title = model && training ? 'Model and optimiser' : model ? 'Model' : training ? 'Optimiser' : 'Backend';
  return (
    <section className="panel-section" aria-labelledby="sec-model">
      <h2 id="sec-model">{title}</h2>
      {model && (
        <>
          <SelectField
            label="Model"
            value={c.model}
            options={MODEL_KINDS.map((m) => ({ value: m.kind, label: m.label }))}
            help={MODEL_KINDS.find((m) => m.kind === c.model)?.help}
            onCommit={(v) => change({ config: { model: v } })}
            testId="field-model"
          />
          <SelectField
            label="Head"
            value={forced ? forced.head : c.head}
            options={HEAD_KINDS.map((h) => ({ value: h.head, label: h.label }))}
            disabled={!!forced}
            disabledReason={forced ? `Forced: ${forced.reason}.` : undefined}
            help="Cosine: logits are cosines of normalised features and weights (scaled by s); linear: z = fW + b."
            onCommit={(v) => change({ config: { head: v } })}
            testId="field-head"
          />
        </>
      )}
      {!hidden.has('optimiser') && (
        <>
          <SettingField path="batchSize" value={c.batchSize} onCommit={(v) => change({ config: { batchSize: v } })} />
          <SettingField path="epochs" value={c.epochs} onCommit={(v) => change({ config: { epochs: v } })} />
          <SettingField path="lr" value={c.lr} onCommit={(v) => change({ config: { lr: v } })} testId="field-lr" />
          <SelectField
            label="LR schedule"
            value={c.schedule}
            options={[
              { value: 'auto', label: 'Auto (the authors’ schedule for the loss)' },
              { value: 'step01', label: 'Steps ×0.1, ×0.01' },
              { value: 'step001', label: 'Steps ×0.01, ×0.0001' },
              { value: 'constant', label: 'Constant' },
            ]}
            help="Learning-rate steps at 80 % and 90 % of the epochs (after a short warm-up)."
            onCommit={(v) => change({ config: { schedule: v } })}
          />
          <SettingField path="momentum" value={c.momentum} onCommit={(v) => change({ config: { momentum: v } })} />
          <SettingField path="weightDecay" value={c.weightDecay} onCommit={(v) => change({ config: { weightDecay: v } })} />
        </>
      )}
      {!hidden.has('sampling') && (
        <>
          <SelectField
            label="Sampler"
            value={c.sampler}
            options={[
              { value: 'instance', label: 'Instance (every image once per epoch)' },
              { value: 'classBalanced', label: 'Class-balanced' },
              { value: 'cben', label: 'CBEN (effective-number balanced)' },
            ]}
            help="How training images are drawn; applies from the next step."
            onCommit={(v) => change({ config: { sampler: v } })}
            testId="field-sampler"
          />
          <CheckField
            label="Augmentation (random crop)"
            checked={c.augment}
            help="Random crop with zero padding (applies at the next step)."
            onCommit={(v) => change({ config: { augment: v } })}
          />
          <CheckField
            label="Horizontal flips"
            checked={c.hflip}
            help="Random left-right flips (applies at the next step)."
            onCommit={(v) => change({ config: { hflip: v } })}
          />
          <SettingField
            path="evalPerClass"
            value={c.evalPerClass ?? 1000}
            help="Evaluated after every epoch (1000 = the whole Fashion-MNIST test set); fewer = faster epochs."
            onCommit={(v) => change({ config: { evalPerClass: v >= 1000 ? null : v } })}
          />
        </>
      )}
      {!hidden.has('backend') && (
        <SelectField<BackendChoice>
          label="Backend"
          value={backend}
          options={[
            { value: 'auto', label: 'Auto (WebGPU → WebGL → wasm → cpu)' },
            { value: 'webgpu', label: 'WebGPU' },
            { value: 'webgl', label: 'WebGL' },
            { value: 'wasm', label: 'WebAssembly' },
            { value: 'cpu', label: 'CPU (plain JS)' },
          ]}
          help="Compute backend of the training worker; changing it restarts the worker."
          onCommit={(v) => change({ backend: v })}
        />
      )}
      {!hidden.has('backend') && (backend === 'auto' || backend === 'wasm') && (
        <SelectField<string>
          label="WASM threads"
          value={threads === undefined ? 'auto' : String(threads)}
          options={['auto', '1', '2', '4', '8'].map((v) => ({
            value: v,
            label: v === 'auto' ? 'Auto (the cores less one, at most 8)' : v,
          }))}
          help="Threads of the WebAssembly backend (more than one needs a cross-origin-isolated page: the backend badge says how many run and why); changing it restarts the worker."
          onCommit={(v) => change({ threads: v === 'auto' ? 'auto' : Number(v) })}
          testId="field-threads"
        />
      )}
      {!hidden.has('backend') && (backend === 'auto' || backend === 'webgpu') && (
        <SelectField<EngineChoice>
          label="Engine"
          value={c.engine ?? 'auto'}
          options={[
            { value: 'auto', label: 'Auto (fused on WebGPU, else tfjs)' },
            { value: 'fused', label: 'Fused WebGPU' },
            { value: 'tfjs', label: 'tfjs' },
          ]}
          help="Fused WebGPU: the whole training step as a few hundred prepared GPU dispatches; tfjs: one tfjs kernel per operation. Changing it keeps the weights: the run switches at the next step."
          onCommit={(v) => change({ config: { engine: v } })}
          testId="field-engine"
        />
      )}
    </section>
  );
}

function HyperParamControl({ spec, value, onCommit }: { spec: HyperParamSpec; value: number; onCommit(v: number): Promise<boolean> }) {
  if (spec.kind === 'boolean') {
    return (
      <CheckField
        label={spec.label}
        checked={!!value}
        help={spec.help}
        onCommit={(v) => onCommit(v ? 1 : 0)}
        testId={`hp-${spec.key}`}
        name={`lp.${spec.key}`}
      />
    );
  }
  return (
    <NumberField
      label={spec.label}
      value={value}
      min={spec.min}
      max={spec.max}
      step={spec.step}
      unit={spec.unit}
      help={spec.help}
      onCommit={onCommit}
      testId={`hp-${spec.key}`}
      name={`lp.${spec.key}`}
    />
  );
}

function LossSection() {
  const c = usePg((s) => s.settings.config);
  const change = useChange();
  const def = LOSSES[c.loss];
  const hidden = useHidden();
  const [explain, setExplain] = useState(false);
  return (
    <section className="panel-section" aria-labelledby="sec-loss">
      <h2 id="sec-loss">Loss</h2>
      {hidden.has('loss') ? (
        <p className="loss-fixed" data-testid="loss-fixed">
          <strong>{def.label}</strong> (set by this classroom link)
        </p>
      ) : (
        <SelectField<LossId>
          label="Loss function"
          value={c.loss}
          options={LOSS_IDS.map((id) => ({ value: id, label: LOSSES[id].label }))}
          help="Changing the loss type restarts the run (the earlier run stays on the charts)."
          onCommit={(v) => change((s) => withLossKeepingRecipe(s, v))}
          testId="field-loss"
        />
      )}
      <RecipeOptions />
      <p className="loss-summary">
        {def.summary}{' '}
        <button type="button" className="link-button" data-testid="explain-loss" onClick={() => setExplain(true)}>
          About this loss
        </button>
      </p>
      <LossExplainer loss={c.loss} open={explain} onClose={() => setExplain(false)} />
      {!hidden.has('loss-params') && (
        <div className="hyper" aria-label={`${def.label} hyperparameters`} role="group">
          {def.schema.map((spec) => (
            <HyperParamControl
              key={`${c.loss}-${spec.key}`}
              spec={spec}
              value={c.lossParams[spec.key] ?? spec.default}
              onCommit={(v) => change((s) => patchSettings(s, { lossParams: { ...s.config.lossParams, [spec.key]: v } }))}
            />
          ))}
        </div>
      )}
    </section>
  );
}

function Stage2Section() {
  const c = usePg((s) => s.settings.config);
  const runLoss = usePg((s) => s.runSettings?.config.loss);
  const { twoStage, reason, canStart } = useStage2();
  const startShown = useControlShown('stage2-start');
  const change = useChange();
  const s2 = c.stage2;
  const set =
    <K extends keyof TrainConfig['stage2']>(k: K) =>
    (v: TrainConfig['stage2'][K]) =>
      change({ stage2: { [k]: v } as Partial<TrainConfig['stage2']> });
  // only two-stage losses (GCL) get a stage 2: the run's loss once one exists, else the chosen one
  if (!twoStage) return null;
  return (
    <section className="panel-section" aria-labelledby="sec-stage2">
      <h2 id="sec-stage2">GCL stage 2: classifier re-training</h2>
      <p className="loss-summary">
        Freezes the backbone and re-trains the {runLoss === 'gcl' ? 'GCL' : 'cosine'} classifier with a balanced sampler, the GCL loss
        (focal γ) and a cosine lr schedule.
      </p>
      <SelectField
        label="Stage-2 sampler"
        value={s2.sampler}
        options={[
          { value: 'cben', label: 'CBEN (effective-number balanced)' },
          { value: 'classBalanced', label: 'Class-balanced' },
        ]}
        help="Stage 2 draws balanced batches so the classifier sees the tail as often as the head."
        onCommit={set('sampler')}
      />
      <SettingField path="stage2.epochs" value={s2.epochs} onCommit={set('epochs')} />
      <SettingField path="stage2.s" value={s2.s} onCommit={set('s')} />
      <SettingField path="stage2.m" value={s2.m} onCommit={set('m')} />
      <SettingField path="stage2.focalGamma" value={s2.focalGamma} onCommit={set('focalGamma')} />
      {startShown && <StartStage2Button disabledReason={reason} disabled={!canStart} />}
    </section>
  );
}

function StartStage2Button({ disabled, disabledReason }: { disabled: boolean; disabledReason: string }) {
  const { session } = usePlayground();
  return (
    <div className="stage2-start">
      <button
        type="button"
        className="primary"
        disabled={disabled}
        aria-describedby={disabledReason ? 'stage2-reason' : undefined}
        onClick={() => void session.startStage2()}
      >
        Start stage 2
      </button>
      {disabledReason && (
        <span id="stage2-reason" className="field-reason">
          {disabledReason}
        </span>
      )}
    </div>
  );
}

export function ConfigPanel() {
  const hidden = useHidden();
  if (!configPanelShown(hidden)) return null;
  const shown = (a: HideArea) => areaShown(a, hidden);
  return (
    <aside className="config-panel" aria-label="Configuration">
      {shown('config-data') && <DataSection />}
      {shown('config-model') && <ModelSection />}
      {shown('config-loss') && <LossSection />}
      {shown('config-stage2') && <Stage2Section />}
    </aside>
  );
}
