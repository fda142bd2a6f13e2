/**
 * The page's sweep queue (Compare runs, next to the preset): trains one run per value of the plan
 * (src/core/train/sweep.ts: same data, seed and so initial weights), pins each when its stage 1 is done, and keeps the
 * finished runs when cancelled. Its runs carry their own settings: the form is never changed, and when the queue
 * ends the next run is the form's again. Pins it needs are asked for before it starts. Its progress is its own small observable (the page reads it with
 * useSyncExternalStore); the results are the pinned runs themselves, read from the store by id.
 */
import { QueueRunner } from './run-wait';
import { MAX_PINNED, MAX_PINNED_RUNS } from '../session/slices/metrics';
import { askRoomForPins } from './pin-room';
import { makeSettings, trainConfigOf, type Settings } from '../settings/settings';
import { withSweepValue, type SweepPlan, type SweepRunResult, type SweepRunSpec } from '../../core/train/sweep';

export interface SweepStatus {
  plan: SweepPlan;
  /** The seeds each point of the plan trains with (one: the form's own). */
  seeds: number[];
  /** 0-based position of the run in training in the queue of plan.runs × seeds (the queue's length when done). */
  index: number;
  /** Run ids of the finished (pinned) runs, by plan index and seed. */
  done: { index: number; seed: number; runId: string; counts: number[] }[];
  state: 'running' | 'done' | 'cancelled' | 'failed';
  message?: string;
}

export class SweepRunner extends QueueRunner<SweepStatus> {
  /** Why a sweep cannot start now (null: it can). Free pins are not a reason: start() asks to make room. */
  blocker(): string | null {
    const s = this.st;
    if (this.running) return 'A sweep is running.';
    if (s.preset) return 'The preset is running.';
    if (!s.runSettings || s.phase === 'starting' || s.phase === 'loading' || s.busy) return 'Wait until the data is loaded.';
    if (s.phase === 'crashed') return 'Continue after the crash first.';
    return null;
  }

  /** The finished runs as sweep results (value, counts, epochs), in plan order. */
  results(): SweepRunResult[] {
    const st = this.status;
    if (!st) return [];
    const s = this.st;
    const runs = [...s.archived, ...(s.current ? [s.current] : [])];
    const out: SweepRunResult[] = [];
    for (const d of st.done) {
      const r = runs.find((x) => x.id === d.runId);
      if (!r) continue;
      const spec = st.plan.runs[d.index];
      const last = r.epochs[r.epochs.length - 1]?.stage ?? 1;
      out.push({
        value: spec.value,
        ...(spec.value2 !== undefined ? { value2: spec.value2 } : {}),
        seed: d.seed,
        label: spec.label,
        counts: d.counts,
        epochs: r.epochs.filter((e) => e.stage === last),
      });
    }
    return out;
  }

  /** The queue's runs in order: each point of the plan once per seed. */
  static queue(plan: SweepPlan, seeds: readonly number[]): { spec: SweepRunSpec; seed: number }[] {
    return plan.runs.flatMap((spec) => seeds.map((seed) => ({ spec, seed })));
  }

  /** Why a plan cannot be pinned whole (null: it can): pins count points, and the runs of all seeds must fit. */
  static tooBig(points: number, seeds: number): string | null {
    if (points > MAX_PINNED) return `the sweep has ${points} points, and at most ${MAX_PINNED} can be pinned`;
    const n = points * seeds;
    if (n > MAX_PINNED_RUNS) return `the sweep trains ${n} runs, and at most ${MAX_PINNED_RUNS} runs can be pinned`;
    return null;
  }

  /**
   * Trains the plan's runs on `base` with each value (each pair of values), once per seed (default: the form's),
   * pinning each. Resolves with how it ended; 'declined' when the user kept the pinned runs that would have had to
   * make room (nothing changed then).
   */
  async start(plan: SweepPlan, base: Settings, seeds: readonly number[] = [base.config.seed]): Promise<SweepStatus['state'] | 'declined'> {
    const why = this.blocker() ?? SweepRunner.tooBig(plan.runs.length, seeds.length);
    if (why) {
      this.set({ plan, seeds: [...seeds], index: 0, done: [], state: 'failed', message: why });
      return 'failed';
    }
    // one pin per point: a point's seeds are one group
    if (!(await askRoomForPins(this.st, plan.runs.length, 'The sweep'))) return 'declined';
    this.cancelled = false;
    const status: SweepStatus = { plan, seeds: [...seeds], index: 0, done: [], state: 'running' };
    this.set(status);
    const finish = async (state: SweepStatus['state'], message?: string) => {
      // the form was never touched: the next run is the user's own settings again
      await this.session.followForm().catch(() => undefined);
      this.set({ ...this.status!, state, ...(message ? { message } : {}) });
      return state;
    };
    const queue = SweepRunner.queue(plan, seeds);
    try {
      for (let i = 0; i < queue.length; i++) {
        if (this.cancelled) return await finish('cancelled');
        this.set({ ...this.status!, index: i });
        const { spec, seed } = queue[i];
        let config = withSweepValue(trainConfigOf(base), plan.param.id, spec.value);
        if (plan.param2 && spec.value2 !== undefined) config = withSweepValue(config, plan.param2.id, spec.value2);
        const settings = makeSettings({ ...config, seed }, base.backend, base.threads);
        const r = await this.trainOne(settings);
        if (r === 'cancelled') return await finish('cancelled');
        if (r !== 'ok')
          return await finish('failed', r === 'replaced' ? 'the run was replaced by another one (settings changed)' : 'training failed');
        const cur = this.st.current;
        const counts = this.st.summary?.counts ?? [];
        if (!cur || !this.st.pinCurrent())
          return await finish('failed', `run ${i + 1} could not be pinned (at most ${MAX_PINNED} pinned runs)`);
        this.set({ ...this.status!, done: [...this.status!.done, { index: spec.index, seed, runId: cur.id, counts }] });
      }
      this.set({ ...this.status!, index: queue.length });
      const what = plan.param2 ? `${plan.param.label} × ${plan.param2.label}` : plan.param.label;
      this.st.patchRun({
        announcement: `Sweep of ${what} finished: ${queue.length} runs pinned${seeds.length > 1 ? ` (${plan.runs.length} points × ${seeds.length} seeds)` : ''}.`,
      });
      return await finish('done');
    } catch (e) {
      return await finish('failed', e instanceof Error ? e.message : String(e));
    }
  }
}
