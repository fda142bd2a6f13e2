/**
 * Training a queued run and waiting for it to finish a stage — shared by the run queues of the page (the Compare
 * runs preset in compare.ts, the sweep in sweep-runner.ts, the seeds in seed-runner.ts, the lesson).
 */
import type { PlaygroundSession } from '../session/session';
import type { Settings } from '../settings/settings';
import type { PlaygroundState, PlaygroundStore } from '../session/store';

export type WaitResult = 'ok' | 'failed' | 'replaced' | 'cancelled';

export interface WaitHooks {
  /** Whether the queue was cancelled (checked on every store change). */
  cancelled(): boolean;
  /** Receives the function that ends the wait with 'cancelled' (and null once the wait is over). */
  setWake(wake: (() => void) | null): void;
}

/** Resolves when the run `id` has finished `stage` (or failed, was replaced, or the queue was cancelled). */
export function waitStageDone(store: PlaygroundStore, id: string, stage: 1 | 2, hooks: WaitHooks): Promise<WaitResult> {
  return new Promise<WaitResult>((resolve) => {
    const check = (s: PlaygroundState): WaitResult | null => {
      if (hooks.cancelled()) return 'cancelled';
      if (s.current?.id !== id) return 'replaced';
      if (s.phase === 'crashed' || s.phase === 'error') return 'failed';
      if (s.phase === 'stageDone' && s.summary?.stage === stage && !s.busy) return 'ok';
      return null;
    };
    const now = check(store.getState());
    if (now) {
      resolve(now);
      return;
    }
    let off: () => void = () => undefined;
    const done = (r: WaitResult) => {
      off();
      hooks.setWake(null);
      resolve(r);
    };
    hooks.setWake(() => done('cancelled'));
    off = store.subscribe((s) => {
      const r = check(s);
      if (r) done(r);
    });
  });
}

/**
 * Starts a run of `settings` (not shown as a form change), trains stage 1 and waits for it; `stage2` also runs the
 * classifier re-training and waits for that. The queue's `hooks` can cancel at every wait.
 */
export async function trainQueuedRun(
  session: PlaygroundSession,
  settings: Settings,
  hooks: WaitHooks,
  opts: { stage2?: boolean } = {},
): Promise<WaitResult> {
  await session.startRun(settings, { show: false });
  if (hooks.cancelled()) return 'cancelled';
  const id = session.store.getState().current?.id;
  if (!id) return 'failed';
  await session.train();
  const r1 = await waitStageDone(session.store, id, 1, hooks);
  if (r1 !== 'ok' || !opts.stage2) return r1;
  await session.startStage2();
  return waitStageDone(session.store, id, 2, hooks);
}

/**
 * What the seed and sweep queues share: an observable status (`subscribe` / `getStatus`, for useSyncExternalStore),
 * `running`, `cancel()` between batches, and training one queued run on the session.
 */
export abstract class QueueRunner<S extends { state: 'running' | 'done' | 'cancelled' | 'failed' }> {
  protected status: S | null = null;
  protected cancelled = false;
  private wake: (() => void) | null = null;
  private readonly waitHooks: WaitHooks = { cancelled: () => this.cancelled, setWake: (w) => (this.wake = w) };
  private readonly listeners = new Set<() => void>();

  constructor(protected readonly session: PlaygroundSession) {}

  protected get st(): PlaygroundState {
    return this.session.store.getState();
  }

  subscribe = (f: () => void): (() => void) => {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  };

  getStatus = (): S | null => this.status;

  protected set(s: S | null): void {
    this.status = s;
    for (const f of this.listeners) f();
  }

  get running(): boolean {
    return this.status?.state === 'running';
  }

  /** Stops the queue after the batch in flight; the finished runs stay pinned. */
  cancel(): void {
    if (!this.running) return;
    this.cancelled = true;
    this.wake?.();
  }

  protected trainOne(settings: Settings): Promise<WaitResult> {
    return trainQueuedRun(this.session, settings, this.waitHooks);
  }
}
