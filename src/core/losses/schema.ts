/** Hyperparameter schema helpers shared by the loss descriptions (pure). */
import type { HyperParamSpec, LossParams } from './types';

/** Number hyperparameter spec. */
export function numParam(
  key: string,
  label: string,
  def: number,
  min: number,
  max: number,
  step: number,
  help: string,
  unit?: string,
): HyperParamSpec {
  const spec: HyperParamSpec = { key, label, kind: 'number', default: def, min, max, step, help };
  if (unit !== undefined) spec.unit = unit;
  return spec;
}

/** Boolean (0/1) hyperparameter spec. */
export function boolParam(key: string, label: string, def: 0 | 1, help: string): HyperParamSpec {
  return { key, label, kind: 'boolean', default: def, min: 0, max: 1, step: 1, help };
}

/** Cosine-head logit scale used by the losses that work on either head. */
export const SCALE_PARAM: HyperParamSpec = numParam(
  'scale',
  'Cosine scale s',
  30,
  1,
  100,
  1,
  'Multiplies cosine-head outputs before the softmax (ignored on a linear head).',
);

/**
 * Fill missing keys from the schema defaults; reject non-finite values. Unknown keys are passed through.
 * `who` names the loss in the error message.
 */
export function resolveParams(schema: readonly HyperParamSpec[], params: LossParams | undefined, who: string): LossParams {
  const out: LossParams = { ...(params ?? {}) };
  for (const spec of schema) {
    const v = out[spec.key];
    if (v === undefined) out[spec.key] = spec.default;
    else if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new Error(`${who}: hyperparameter '${spec.key}' must be a finite number, got ${String(v)}`);
    }
  }
  return out;
}

/** Schema defaults as a params object. */
export function schemaDefaults(schema: readonly HyperParamSpec[]): LossParams {
  const out: LossParams = {};
  for (const spec of schema) out[spec.key] = spec.default;
  return out;
}

/** Throws when the counts don't match the classifier width. */
export function checkClassCount(counts: readonly number[], C: number, who: string): void {
  if (counts.length !== C) {
    throw new Error(`${who}: ctx.counts has ${counts.length} classes but the classifier output has ${C} columns`);
  }
}
