import { describe, expect, it } from 'vitest';
import { createPlaygroundStore } from '../../../src/state/session/store';
import { PlaygroundSession } from '../../../src/state/session/session';
import { createSessionServices } from '../../../src/state/session/services';
import { TrainClient, type WorkerLike } from '../../../src/worker/client';
import { parseSettings } from '../../../src/state/settings/url-schema';

const idle: WorkerLike = { postMessage() {}, addEventListener() {}, terminate() {} };
const session = () =>
  new PlaygroundSession(createPlaygroundStore(parseSettings('').settings), { createClient: () => new TrainClient(() => idle) });

describe('session services', () => {
  it('are made per session: two sessions share no queue or lesson', () => {
    const a = createSessionServices(session());
    const b = createSessionServices(session());
    for (const k of ['preset', 'seeds', 'sweep', 'lesson'] as const) expect(a[k]).not.toBe(b[k]);
  });

  it("keep the Lesson's step in the storage they are given, and nowhere without one", () => {
    const kept = new Map<string, string>();
    const storage = {
      getItem: (k: string) => kept.get(k) ?? null,
      setItem: (k: string, v: string) => void kept.set(k, v),
      removeItem: (k: string) => void kept.delete(k),
    };
    const s = session();
    const withStorage = createSessionServices(s, storage);
    withStorage.lesson.open(0);
    expect([...kept.values()].join('')).toContain('"open":true');
    // a second page load over the same storage finds the lesson open
    const again = createSessionServices(session(), storage);
    again.lesson.init('');
    expect(again.lesson.get().open).toBe(true);
    const without = createSessionServices(session());
    without.lesson.open(0);
    expect(without.lesson.get().open).toBe(true);
  });
});
