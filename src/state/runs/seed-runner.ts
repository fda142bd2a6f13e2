/**
 * The page's seed queue (Compare runs → Seeds): trains the form's settings once per seed — the same settings with
 * `seed` replaced, so each seed redraws the subset and the initial weights — and pins each, so the charts and the
 * runs table show the group's mean ± std. The form is never changed; pins are asked for before it starts; it can
 * be cancelled between batches (the finished seeds stay pinned). Progress is its own small observable.
 */
import { QueueRunner } from './run-wait';
import { askRoomForPins } from './pin-room';
import { patchSettings, type Settings } from '../settings/settings';

export interface SeedQueueStatus {
  seeds: number[];
  /** 0-based index of the seed in training (seeds.length when done). */
  index: number;
  state: 'running' | 'done' | 'cancelled' | 'failed';
  message?: string;
}

/** The settings of one seed's run. */
export const withSeedSetting = (s: Settings, seed: number): Settings => patchSettings(s, { config: { seed } });

export class SeedRunner extends QueueRunner<SeedQueueStatus> {
  /** Why the queue cannot start now (null: it can). */
  blocker(): string | null {
    const s = this.st;
    if (this.running) return 'The seeds are running.';
    if (s.preset) return 'The preset is running.';
    if (!s.runSettings || s.phase === 'starting' || s.phase === 'loading' || s.busy) return 'Wait until the data is loaded.';
    if (s.phase === 'crashed') return 'Continue after the crash first.';
    return null;
  }

  /** Trains `base` once per seed, pinning each; resolves with how it ended ('declined': the user kept the pins). */
  async start(base: Settings, seeds: readonly number[]): Promise<SeedQueueStatus['state'] | 'declined'> {
    const why = this.blocker();
    if (why) {
      this.set({ seeds: [...seeds], index: 0, state: 'failed', message: why });
      return 'failed';
    }
    // one configuration: one pin (pins count groups)
    if (!(await askRoomForPins(this.st, 1, `${seeds.length} seeds`))) return 'declined';
    this.cancelled = false;
    this.set({ seeds: [...seeds], index: 0, state: 'running' });
    const finish = async (state: SeedQueueStatus['state'], message?: string) => {
      await this.session.followForm().catch(() => undefined);
      this.set({ ...this.status!, state, ...(message ? { message } : {}) });
      return state;
    };
    try {
      for (let i = 0; i < seeds.length; i++) {
        if (this.cancelled) return await finish('cancelled');
        this.set({ ...this.status!, index: i });
        const r = await this.trainOne(withSeedSetting(base, seeds[i]));
        if (r === 'cancelled') return await finish('cancelled');
        if (r !== 'ok')
          return await finish('failed', r === 'replaced' ? 'the run was replaced by another one (settings changed)' : 'training failed');
        if (!this.st.pinCurrent()) return await finish('failed', `seed ${seeds[i]} could not be pinned`);
      }
      this.set({ ...this.status!, index: seeds.length });
      this.st.patchRun({ announcement: `${seeds.length} seeds finished and pinned: the charts show their mean ± std.` });
      return await finish('done');
    } catch (e) {
      return await finish('failed', e instanceof Error ? e.message : String(e));
    }
  }
}
