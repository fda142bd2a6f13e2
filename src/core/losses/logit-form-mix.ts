/**
 * Mixup in the logit form: the authors' GCL script calls the loss twice per mixed batch — once with the first
 * images' labels, once with the second images' — each call reducing with its own (weighted) mean and drawing its
 * own GCL noise, and combines them as λ·L_a + (1 − λ)·L_b. Float64 specification of the fused executor's
 * two-term loss kernel (see ./logit-form.ts for one term).
 */
import { evalLogitForm, type LogitForm } from './logit-form';

export interface MixTerm {
  labels: ArrayLike<number>;
  /** ε before |·| ([B×C]) when form.usesNoise, else null. */
  noise: ArrayLike<number> | null;
}

/** λ·L(a) + (1 − λ)·L(b) and its gradients w.r.t. the classifier output and the feature norms. */
export function evalLogitFormMix(
  form: LogitForm,
  output: ArrayLike<number>,
  featureNorm: ArrayLike<number>,
  a: MixTerm,
  b: MixTerm,
  lambda: number,
): { loss: number; gradOutput: Float64Array; gradNorm: Float64Array } {
  if (!(lambda >= 0 && lambda <= 1)) throw new Error(`evalLogitFormMix: λ must be in [0, 1], got ${lambda}`);
  if (a.labels.length !== b.labels.length) {
    throw new Error(`evalLogitFormMix: the two label sets differ in length (${a.labels.length} vs ${b.labels.length})`);
  }
  const ra = evalLogitForm(form, output, a.labels, featureNorm, a.noise);
  const rb = evalLogitForm(form, output, b.labels, featureNorm, b.noise);
  const mix = (x: Float64Array, y: Float64Array) => x.map((v, i) => lambda * v + (1 - lambda) * y[i]);
  return {
    loss: lambda * ra.loss + (1 - lambda) * rb.loss,
    gradOutput: mix(ra.gradOutput, rb.gradOutput),
    gradNorm: mix(ra.gradNorm, rb.gradNorm),
  };
}
