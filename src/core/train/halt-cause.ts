/**
 * Why a step was refused (a non-finite loss or gradient), in words that name the setting at fault rather than
 * always the learning rate:
 *  - weight decay: SGD with momentum μ on the decay term alone, w ← w − lr·wd·w (+ μ·velocity), is stable only
 *    while lr·wd < 2(1 + μ); past that, with an unusual weight decay, the weights grow by a constant factor every
 *    step whatever the data, so the weight decay (or both, when the learning rate is itself unusual) is named;
 *  - the first step of a run: nothing was updated yet, so the loss hyperparameters or the data are at fault;
 *  - otherwise the learning rate (the weights grew until the loss overflowed).
 * Also a watch on the training loss: an epoch whose mean loss stays above 10× the first batch's loss is worth a
 * warning even when everything stays finite (lr 10 trains to a loss of 1e9 at chance accuracy).
 */

/** Learning rates above this are unusual for these models (the UI's slider ends at 1). */
const USUAL_LR = 1;
/** Weight decays above this are unusual (the UI's slider ends at 0.01). */
const USUAL_WD = 0.01;

export interface HaltFacts {
  step: number;
  stage: 1 | 2;
  /** 0-based epoch and batch within the stage. */
  epoch: number;
  batch: number;
  loss: number;
  gradientSum: number;
  lr: number;
  weightDecay: number;
  momentum: number;
  /** Steps applied before this one in the whole run (0: this was the run's first step). */
  stepsBefore: number;
}

const fmt = (v: number) => (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : String(+v.toPrecision(4)));

/** The sentence shown when training pauses on a non-finite step. */
export function haltMessage(f: HaltFacts): string {
  const what = !Number.isFinite(f.loss) ? `the loss became ${f.loss}` : `the gradient became ${f.gradientSum}`;
  const where = `Paused at step ${f.step} (stage ${f.stage}, epoch ${f.epoch + 1}, batch ${f.batch + 1}): ${what}.`;
  const keep = 'the weights are those of the last good step.';
  const decay = f.lr * f.weightDecay;
  const bound = 2 * (1 + f.momentum);
  const wdUnusual = f.weightDecay > USUAL_WD;
  if (decay >= bound && wdUnusual) {
    const culprit =
      f.lr <= USUAL_LR
        ? `The weight decay (${fmt(f.weightDecay)}) is too high`
        : `The weight decay (${fmt(f.weightDecay)}) and the learning rate (${fmt(f.lr)}) are too high together`;
    // the decay term is applied after the finiteness check, so the weights may already have overflowed
    return `${where} ${culprit}: lr × weight decay = ${fmt(decay)} ≥ 2(1 + momentum) = ${fmt(bound)}, so the decay alone makes the weights grow every step — lower it and start a new run.`;
  }
  if (f.stepsBefore === 0) {
    return `${where} This is the run's first step, before any update, so the learning rate is not the cause: a loss hyperparameter (or the data) makes the loss overflow — check them; ${keep}`;
  }
  return `${where} The learning rate (${fmt(f.lr)}) is probably too high — lower it and resume; ${keep}`;
}

/** Warns once per stage when an epoch's mean training loss stays above `factor` × the stage's first batch loss. */
export class LossWatch {
  private first: number | null = null;
  private warned = false;
  constructor(private readonly factor = 10) {}

  /** Call with every batch loss (only the first of the stage is kept). */
  batch(loss: number): void {
    if (this.first === null && Number.isFinite(loss) && loss > 0) this.first = loss;
  }

  /** Call with an epoch's mean training loss; returns a warning the first time it stays above factor × first. */
  epoch(meanLoss: number, epoch: number, stage: 1 | 2): string | null {
    if (this.warned || this.first === null || !(meanLoss > this.factor * this.first)) return null;
    this.warned = true;
    return (
      `warning: stage ${stage} epoch ${epoch + 1}: the training loss stayed at ${fmt(meanLoss)}, over ${this.factor}× its first value ` +
      `(${fmt(this.first)}) for the whole epoch — training is diverging; the learning rate (or the weight decay) is probably too high.`
    );
  }

  /** A new stage starts: its first loss is the new reference. */
  reset(): void {
    this.first = null;
    this.warned = false;
  }
}
