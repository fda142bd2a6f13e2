/**
 * "Classroom link": the controls a teacher can hide, declared once. The dialog lists this table, the URL schema
 * parses `hide=<id>,<id>…` against it (src/state/settings/url-schema.ts), and the components ask it whether to render a
 * control (`useShown` in src/ui/ClassroomLink.tsx). Hidden controls are not rendered at all; their settings still come
 * from the URL, so a teacher can fix e.g. the loss and the imbalance factor and hide both.
 *
 * Ids are lower-case words (`[a-z0-9-]`), so they travel in a URL as they are.
 */
import { CHARTS, type ChartId } from '../session/chart-catalog';
import type { TrainConfig } from '../../core/train/config';

/** Where a hideable control lives; `config-*` are the sections of the configuration panel. */
export type HideArea = 'config-data' | 'config-model' | 'config-loss' | 'config-stage2' | 'header' | 'charts';

export interface Hideable<Id extends string = string> {
  id: Id;
  /** What the dialog's checkbox says. */
  label: string;
  area: HideArea;
  /** A keyboard shortcut that is switched off with the control (see src/ui/shortcuts.ts). */
  shortcut?: 'reset';
}

const CONTROLS = [
  { id: 'data', label: 'Data set and upload', area: 'config-data' },
  { id: 'imbalance', label: 'Imbalance factor, profile, head-class images, seed', area: 'config-data' },
  { id: 'histogram', label: 'Class histogram', area: 'config-data' },
  { id: 'model', label: 'Model and head', area: 'config-model' },
  { id: 'optimiser', label: 'Optimiser: learning rate, batch size, epochs, lr schedule, momentum, weight decay', area: 'config-model' },
  { id: 'sampling', label: 'Sampler, augmentation, test images per class', area: 'config-model' },
  { id: 'backend', label: 'Backend choice', area: 'config-model' },
  { id: 'loss', label: 'Loss picker', area: 'config-loss' },
  { id: 'loss-params', label: 'Loss hyperparameters', area: 'config-loss' },
  { id: 'stage2', label: 'GCL stage 2 (settings and the start button)', area: 'config-stage2' },
  { id: 'export', label: 'Export button (model, metrics, chart files)', area: 'header' },
  { id: 'reset', label: 'Reset button and the R shortcut', area: 'header', shortcut: 'reset' },
  { id: 'compare', label: 'Compare runs (pin, runs table, preset)', area: 'charts' },
] as const satisfies readonly Hideable[];

export type ChartHideId = `chart-${ChartId}`;
export type HideId = (typeof CONTROLS)[number]['id'] | ChartHideId;

/** A chart's title up to its first ':', '—', '(' or ',' (the whole title when that leaves a bare name like "KPS"). */
function chartLabel(title: string): string {
  const short = title.split(/[:—(,]/)[0].trim();
  return short.length >= 8 ? short : title;
}

/** The table: every hideable control, in the order of the dialog and of `hide=` in the URL. */
export const HIDEABLE: readonly Hideable<HideId>[] = [
  ...CONTROLS,
  ...CHARTS.map((c) => ({ id: `chart-${c.id}` as ChartHideId, label: chartLabel(c.title), area: 'charts' as const })),
];

export const HIDE_IDS: readonly HideId[] = HIDEABLE.map((h) => h.id);

/** The dialog's groups (areas in this order). */
export const HIDE_AREAS: readonly { area: HideArea; title: string }[] = [
  { area: 'config-data', title: 'Data' },
  { area: 'config-model', title: 'Model and optimiser' },
  { area: 'config-loss', title: 'Loss' },
  { area: 'config-stage2', title: 'Stage 2' },
  { area: 'header', title: 'Header buttons' },
  { area: 'charts', title: 'Charts' },
];

export function isHideId(v: string): v is HideId {
  return (HIDE_IDS as readonly string[]).includes(v);
}

export const chartHideId = (id: ChartId): ChartHideId => `chart-${id}`;

/** Known ids, without duplicates, in table order (the canonical form of `hide=`). */
export function canonicalHide(ids: Iterable<string>): HideId[] {
  const set = new Set(ids);
  return HIDE_IDS.filter((id) => set.has(id));
}

/** True when at least one control of the area is shown (an area with everything hidden is not rendered). */
export function areaShown(area: HideArea, hidden: ReadonlySet<HideId> | readonly HideId[]): boolean {
  const has = (id: HideId) => ('has' in hidden ? hidden.has(id) : hidden.includes(id));
  return HIDEABLE.some((h) => h.area === area && !has(h.id));
}

/** True when the configuration panel has anything left to show. */
export function configPanelShown(hidden: ReadonlySet<HideId> | readonly HideId[]): boolean {
  return (['config-data', 'config-model', 'config-loss', 'config-stage2'] as const).some((a) => areaShown(a, hidden));
}

/** The hide ids that stand for settings (the configuration panel's groups, less the histogram, which shows data). */
export type SettingHideId = Exclude<Extract<(typeof CONTROLS)[number], { area: `config-${string}` }>['id'], 'histogram'>;

export const SETTING_HIDE_IDS: readonly SettingHideId[] = HIDEABLE.filter((h) => h.area.startsWith('config-') && h.id !== 'histogram').map(
  (h) => h.id as SettingHideId,
);

/** Which hide id holds each training setting (every key of the configuration). */
export const SETTING_HIDE_ID: Readonly<Record<keyof TrainConfig, SettingHideId>> = {
  dataset: 'data',
  valFraction: 'data',
  imbalance: 'imbalance',
  profile: 'imbalance',
  stepMu: 'imbalance',
  headImages: 'imbalance',
  seed: 'imbalance',
  model: 'model',
  head: 'model',
  linearInit: 'model',
  batchSize: 'optimiser',
  epochs: 'optimiser',
  lr: 'optimiser',
  momentum: 'optimiser',
  weightDecay: 'optimiser',
  schedule: 'optimiser',
  warmup: 'optimiser',
  sampler: 'sampling',
  augment: 'sampling',
  hflip: 'sampling',
  evalPerClass: 'sampling',
  mixupAlpha: 'sampling',
  logEvery: 'sampling',
  engine: 'backend',
  loss: 'loss',
  lossParams: 'loss-params',
  fblCurriculum: 'loss-params',
  stage2: 'stage2',
};

/**
 * The one rule of a classroom link: a hidden setting takes with it every control that would change it. A setting's
 * own fields are hidden by its id; this map lists every other control that changes settings, with the settings it
 * changes, and each of them asks `controlShown` (through `useControlShown` in src/ui/ClassroomLink.tsx) before it
 * renders. The sweep's parameters are listed one by one: the sweep offers the ones still shown and disappears when
 * none is left.
 */
export const CONTROL_CHANGES = {
  /** Trains CE (linear head), KPS, FBL and GCL with their default hyperparameters, GCL through stage 2. */
  preset: ['loss', 'loss-params', 'model', 'stage2'],
  /** Trains the settings once per seed: each seed redraws the subset (the seed is in the imbalance group). */
  seeds: ['imbalance'],
  'sweep-loss-param': ['loss-params'],
  'sweep-lr': ['optimiser'],
  'sweep-batchSize': ['optimiser'],
  'sweep-imbalance': ['imbalance'],
  /** Replaces the whole configuration with the loaded model's. */
  'load-model': SETTING_HIDE_IDS,
  /** Restores the saved run's settings. */
  resume: SETTING_HIDE_IDS,
  /** On: the loss' authors' settings; off: clears mixup, linear init, FBL curriculum, stage-2 source and sampler. */
  'recipe-toggle': ['optimiser', 'sampling', 'model', 'loss-params', 'stage2'],
  'recipe-batchSize': ['optimiser'],
  'recipe-mixupAlpha': ['sampling'],
  'recipe-linearInit': ['model'],
  'recipe-fblCurriculum': ['loss-params'],
  'recipe-stage2.from': ['stage2'],
  'recipe-stage2.sampler': ['stage2'],
  'recipe-stage2.batchSize': ['stage2'],
  /** Holds part of the training images out: it changes the training data. */
  'validation-split': ['data'],
  /** Starts the GCL classifier re-training (the header's button and the stage-2 section's). */
  'stage2-start': ['stage2'],
  /**
   * The Lesson's steps: each sets the loss (default hyperparameters), the head and the stage-2 settings; the plan's
   * data, optimiser and sampling values apply only to the settings a link shows (src/state/session/lesson.ts).
   */
  lesson: ['loss', 'loss-params', 'model', 'stage2'],
} as const satisfies Record<string, readonly SettingHideId[]>;

export type SettingControl = keyof typeof CONTROL_CHANGES;

/** False when a classroom link hides a setting this control would change (then it is not rendered). */
export function controlShown(control: SettingControl, hidden: ReadonlySet<HideId> | readonly HideId[]): boolean {
  const has = (id: HideId) => ('has' in hidden ? hidden.has(id) : hidden.includes(id));
  return !CONTROL_CHANGES[control].some(has);
}

/** The control of one sweep parameter ('lr' | 'batchSize' | 'imbalance' | a loss hyperparameter key). */
export function sweepControl(paramId: string): SettingControl {
  return paramId === 'lr' || paramId === 'batchSize' || paramId === 'imbalance' ? `sweep-${paramId}` : 'sweep-loss-param';
}

/** The sweep is offered while at least one of its parameters is. */
export const sweepShown = (hidden: ReadonlySet<HideId> | readonly HideId[]) =>
  (['sweep-loss-param', 'sweep-lr', 'sweep-batchSize', 'sweep-imbalance'] as const).some((c) => controlShown(c, hidden));
