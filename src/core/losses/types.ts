/**
 * Loss descriptions: what the page, the URL schema and the trainer need to know about a loss without tfjs —
 * identity, head, hyperparameter schema, capabilities, chartable per-class vectors and the common logit form
 * (./logit-form.ts). The tfjs computation of each loss lives in ./compute/ and is used only by the trainer.
 */
import type { HeadKind } from '../models/types';
import type { LogitForm } from './logit-form';

/** The stage-1 lr schedules of the losses' recipes (src/core/train/schedules.ts runs them). */
export type LrSchedule = 'step01' | 'step001' | 'constant';

export type LossId = 'ce' | 'ldam' | 'balancedSoftmax' | 'logitAdjust' | 'cbce' | 'kps' | 'fbl' | 'gcl';

export interface HyperParamSpec {
  key: string;
  label: string;
  kind: 'number' | 'boolean';
  default: number; // booleans: 0 / 1
  min: number;
  max: number;
  step: number;
  unit?: string;
  /** One-line meaning, shown on hover/focus. */
  help: string;
}

export type LossParams = Record<string, number>;

/** What a loss needs to know about the run at a step: class counts, head, and the schedule switches in force. */
export interface LossContext {
  /** Training count per class, in the model's class order (per-class vectors are computed from these). */
  counts: number[];
  /** FBL curriculum factor α(t) in force. */
  alpha: number;
  /** KPS gradient adjustment switched on (after the GA start epoch). */
  gaActive: boolean;
  /** LDAM: DRW class weights switched on (after the DRW start epoch). */
  drwActive: boolean;
  /**
   * Optional: the head producing the output. Losses defined on either head (CE, CB-CE, Balanced Softmax, logit
   * adjustment) multiply a cosine head's output by their `scale` hyperparameter; absent = 'linear' (no scale).
   */
  head?: HeadKind;
}

/** A schedule switch a loss reacts to: KPS gradient adjustment ('ga'), LDAM's deferred re-weighting ('drw'). */
export type LossSwitch = 'ga' | 'drw';

/** The charts an explainer can point to (the ids of src/state/session/chart-catalog.ts; the UI checks the match by type). */
export type MechanismChartId = 'loss' | 'per-class' | 'groups' | 'feature-norm' | 'feature-space' | 'gcl-cloud' | 'kps' | 'confusion';

/** A further part of an explainer (e.g. GCL's stage 2): its own equations and intuition. */
export interface ExplainerSection {
  title: string;
  /** TeX, each rendered as a display equation (KaTeX). */
  equations: readonly string[];
  intuition: string;
}

/**
 * Why the loss works, for the "About this loss" dialog: lives next to the schema so adding a loss
 * means adding its explainer (a unit test checks every registered loss has a complete one that KaTeX renders).
 */
export interface LossExplainer {
  /** TeX, each rendered as a display equation (KaTeX); the notation of docs/losses.md. */
  equations: readonly string[];
  /** Two or three sentences of intuition. */
  intuition: string;
  /** The chart that shows the mechanism, and what to look for on it. */
  chart: MechanismChartId;
  chartHint: string;
  /** What each hyperparameter of the schema does (one entry per schema key). */
  params: Readonly<Record<string, string>>;
  paper: { authors: string; title: string; venue: string; year: number };
  more?: readonly ExplainerSection[];
}

export interface LossDescription {
  id: LossId;
  label: string;
  /** One sentence for the UI. */
  summary: string;
  /** Head the loss is defined on ('any': works with both; CE uses `scale` on a cosine head). */
  head: HeadKind | 'any';
  schema: readonly HyperParamSpec[];
  /** Equations, intuition, mechanism chart, hyperparameters and paper (the "About this loss" dialog). */
  explainer: LossExplainer;
  /** The lr schedule of the authors' scripts for this loss (the 'auto' schedule). */
  schedule: LrSchedule;
  /** The loss draws GCL noise every step (its sampled cloud is charted). */
  usesNoise: boolean;
  /** The loss has a second stage (GCL: classifier re-training with CBEN sampling on the frozen backbone). */
  twoStage: boolean;
  /** The schedule switch this loss reacts to, and the hyperparameter that enables it (null: always when in force). */
  switch: { kind: LossSwitch; param: string | null } | null;
  /** Logit scale on a cosine head with these params (test loss, softmax confidence); 1 on a linear head. */
  inferenceScale(params: LossParams, head: HeadKind): number;
  /**
   * Chartable per-class quantities actually in force, as plain numbers (e.g. GCL cloud amplitude, KPS scale and
   * margin, FBL stimulus α·A·d̂_c, LDAM margin, class weights). Keys are stable identifiers. Throws on counts the
   * loss cannot use (equal counts, a zero count).
   */
  perClass(params: LossParams, ctx: LossContext): Record<string, number[]>;
  /** The loss as per-class numbers of the common logit form (for executors other than tfjs). */
  logitForm(params: LossParams, ctx: LossContext): LogitForm;
}
