/**
 * Names of runs for the legends and the runs table: the loss with its key hyperparameters (the ones that define
 * the method, plus every one that differs from the loss' defaults), the model, and the head where the loss leaves
 * it open. E.g. "KPS s=15 GA · ConvNet", "LDAM-DRW m=0.5 · ResNet-8", "GCL stage 2 · ConvNet",
 * "CE · ConvNet (cosine s=30)". Derived from the loss schemas (src/core/losses/registry.ts).
 */
import { LOSSES } from '../../core/losses/registry';
import { ignoredOnHead } from '../../core/losses/head-scale';
import type { HyperParamSpec, LossId } from '../../core/losses/types';
import { MODEL_KINDS } from '../../core/models/spec';
import type { Settings } from '../settings/settings';
import { forcedHead } from '../../core/losses/registry';

/** Short loss names for legends. */
export const LOSS_SHORT: Readonly<Record<LossId, string>> = {
  ce: 'CE',
  ldam: 'LDAM-DRW',
  balancedSoftmax: 'Balanced Softmax',
  logitAdjust: 'Logit adj.',
  cbce: 'CB-CE',
  kps: 'KPS',
  fbl: 'FBL',
  gcl: 'GCL',
};

/** Hyperparameters always named in the label (they are what distinguishes the method's variants). */
const KEY_PARAMS: Partial<Record<LossId, readonly string[]>> = { kps: ['s', 'ga'], ldam: ['maxM'] };

/** Symbols used in labels instead of the schema keys. */
const SYMBOL: Record<string, string> = { maxM: 'm', noiseMul: 'cloud', focalGamma: 'γ', beta: 'β', tau: 'τ', scale: 's' };

const num = (v: number) => String(Number(v.toPrecision(4)));

function paramText(spec: HyperParamSpec, v: number): string {
  if (spec.kind === 'boolean') return v ? spec.key.toUpperCase() : `no ${spec.key.toUpperCase()}`;
  return `${SYMBOL[spec.key] ?? spec.key}=${num(v)}`;
}

export function modelName(kind: string): string {
  return (
    MODEL_KINDS.find((m) => m.kind === kind)
      ?.label.split(' (')[0]
      .replace(/^Small /, '') ?? kind
  );
}

/** The head a run trains with (forced by the loss, or the chosen one). */
export function runHead(s: Settings): 'cosine' | 'linear' {
  return forcedHead(s.config.loss)?.head ?? s.config.head;
}

/** Loss part of the label: short name plus key and non-default hyperparameters. */
export function lossText(s: Settings, stage: 1 | 2 = 1): string {
  const c = s.config;
  const def = LOSSES[c.loss];
  const head = runHead(s);
  const keys = KEY_PARAMS[c.loss] ?? [];
  const parts: string[] = [LOSS_SHORT[c.loss]];
  for (const spec of def.schema) {
    // the scale of the losses that work on either head is ignored on a linear head
    if (ignoredOnHead(def.head, spec.key, head)) continue;
    const v = c.lossParams[spec.key] ?? spec.default;
    if (keys.includes(spec.key) || Math.abs(v - spec.default) > 1e-12) parts.push(paramText(spec, v));
  }
  if (stage === 2) parts.push('stage 2');
  return parts.join(' ');
}

/** "KPS s=15 GA · ConvNet"; stage 2 runs (GCL) say so. */
export function runLabel(s: Settings, stage: 1 | 2 = 1): string {
  const def = LOSSES[s.config.loss];
  const head = runHead(s);
  const headText = def.head === 'any' && head === 'cosine' ? ' (cosine head)' : '';
  return `${lossText(s, stage)} · ${modelName(s.config.model)}${headText}`;
}

/** The data subset in words: "fmnist-lt IF 100 (exp), 1000 head images, seed 1". */
export function dataText(s: Settings): string {
  const c = s.config;
  const prof = c.profile === 'asis' ? 'as is' : `IF ${c.imbalance} (${c.profile}${c.profile === 'step' ? ` μ=${c.stepMu}` : ''})`;
  return `${c.dataset} ${prof}, ${c.headImages ?? 'all'} head images, seed ${c.seed}`;
}

/** The training settings in words (what the label leaves out). */
export function trainText(s: Settings): string {
  const c = s.config;
  return `${c.epochs} epoch${c.epochs === 1 ? '' : 's'}, batch ${c.batchSize}, lr ${num(c.lr)}, ${runHead(s)} head, sampler ${c.sampler}`;
}
