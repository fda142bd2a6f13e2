/**
 * Run / pause / single-step / stop at batch granularity over a Trainer. The loop yields to the event loop
 * between batches so a worker can receive messages (pause, hyperparameter changes) while training.
 * `onEpochEnd` (optional) runs after every finished epoch, before the next step and before the epoch's events are
 * emitted (the worker takes its crash-recovery checkpoint there, and may move the run to another backend: a new
 * Trainer rebuilt from that boundary, handed over with `replaceTrainer`).
 */
import type { Trainer, StepOutcome, BatchInfo, EpochMetrics, Halt } from './trainer';

export type ControllerEvent =
  | { type: 'batch'; batch: BatchInfo }
  | { type: 'epoch'; metrics: EpochMetrics }
  | { type: 'halt'; halt: Halt }
  | { type: 'stageDone'; stage: 1 | 2 }
  | { type: 'state'; state: ControllerState };

export type ControllerState = 'idle' | 'running' | 'paused' | 'stopped';

export class TrainController {
  state: ControllerState = 'idle';
  private loop: Promise<void> | null = null;
  private stepping: Promise<StepOutcome | null> | null = null;

  constructor(
    private current: Trainer,
    private readonly emit: (e: ControllerEvent) => void,
    private readonly onEpochEnd?: (trainer: Trainer) => Promise<void>,
  ) {}

  get trainer(): Trainer {
    return this.current;
  }

  /** The run goes on with `t` (the same run rebuilt elsewhere) from the next step; only between two steps. */
  replaceTrainer(t: Trainer): void {
    this.current = t;
  }

  /** Work waiting for the gap between two steps of the running loop (between()). */
  private gapTasks: (() => Promise<void>)[] = [];

  /**
   * Runs `fn` between two steps — after the step in flight, before the next — so it never overlaps one (a read of
   * the model while training: "Try an image"). At once when nothing is stepping.
   */
  between<T>(fn: () => Promise<T>): Promise<T> {
    if (this.state !== 'running') {
      return (async () => {
        if (this.stepping) await this.stepping.catch(() => null);
        return fn();
      })();
    }
    return new Promise<T>((resolve, reject) => this.gapTasks.push(() => fn().then(resolve, reject)));
  }

  private async runGapTasks(): Promise<void> {
    while (this.gapTasks.length) await this.gapTasks.shift()!();
  }

  /** Resolves once no step is in flight (a loop that was paused has exited). Never while running. */
  async settled(): Promise<void> {
    await this.loop?.catch(() => undefined);
    if (this.stepping) await this.stepping.catch(() => null);
  }

  /** One trainer step, then the epoch hook when it finished an epoch. */
  private async stepTrainer(): Promise<StepOutcome> {
    const out = await this.trainer.step();
    if (out.epoch && this.onEpochEnd) await this.onEpochEnd(this.trainer);
    return out;
  }

  private setState(s: ControllerState): void {
    if (this.state === s) return;
    this.state = s;
    this.emit({ type: 'state', state: s });
  }

  private handle(out: StepOutcome): void {
    const logEvery = this.trainer.config.logEvery;
    if (out.batch.step % logEvery === 0 || out.epoch || out.halt) this.emit({ type: 'batch', batch: out.batch });
    if (out.halt) {
      this.emit({ type: 'halt', halt: out.halt });
      this.setState('paused');
    }
    if (out.epoch) this.emit({ type: 'epoch', metrics: out.epoch });
    if (out.stageDone) {
      this.emit({ type: 'stageDone', stage: out.epoch!.stage });
      this.setState('paused');
    }
  }

  /** One batch (only while not running). */
  async stepOnce(): Promise<StepOutcome | null> {
    if (this.state === 'running' || this.state === 'stopped' || this.trainer.stageDone) return null;
    this.stepping = this.stepTrainer();
    const out = await this.stepping;
    this.stepping = null;
    if (out) this.handle(out);
    if (this.state === 'idle') this.setState('paused');
    return out;
  }

  /** Trains until the stage ends, pause() or stop(). Resolves when the loop has exited. */
  run(): Promise<void> {
    if (this.state === 'running' || this.state === 'stopped') return this.loop ?? Promise.resolve();
    this.setState('running');
    this.loop = (async () => {
      if (this.stepping) await this.stepping;
      while (this.state === 'running' && !this.trainer.stageDone) {
        const out = await this.stepTrainer();
        this.handle(out);
        await this.runGapTasks();
        await yieldToEventLoop();
      }
      if (this.state === 'running') this.setState('paused');
      await this.runGapTasks();
    })();
    return this.loop;
  }

  /** Stops after the batch in flight; resolves when the loop has exited. */
  async pause(): Promise<void> {
    if (this.state === 'running') this.setState('paused');
    await this.loop;
  }

  async stop(): Promise<void> {
    this.setState('stopped');
    // a loop or step that failed (a lost device) has already reported its error to whoever started it
    await this.loop?.catch(() => undefined);
    if (this.stepping) await this.stepping.catch(() => null);
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
