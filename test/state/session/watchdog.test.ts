/**
 * The page's watchdog over a training worker that goes silent: with fake timers and a scripted worker (pings, slow
 * batches, a suspended page), and with the real engine in-process whose worker is closed from inside mid-run (the
 * page leaves "running" and continues from the last finished epoch on the next backend).
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../../../src/core/backend';
import { PlaygroundSession } from '../../../src/state/session/session';
import { patchSettings } from '../../../src/state/settings/settings';
import { createPlaygroundStore } from '../../../src/state/session/store';
import { TrainClient, type ClientEvent, type WorkerLike } from '../../../src/worker/client';
import { pongFor, type RunCheckpoint, type WorkerEvent } from '../../../src/worker/protocol';
import { inProcessClients, tinySettings, until } from '../../helpers/in-process-worker';

/** A worker the test scripts: it answers pings at once while `alive` and not `busy` (a busy one answers later). */
class ScriptedWorker implements WorkerLike {
  private listeners: ((ev: MessageEvent) => void)[] = [];
  alive = true;
  /** In a long synchronous kernel: pings wait until `finishBusy`. */
  busy = false;
  private queued: number[] = [];
  pings = 0;
  terminated = false;

  postMessage(m: unknown): void {
    const pong = pongFor(m);
    if (!pong || !this.alive) return;
    this.pings++;
    if (this.busy) this.queued.push(pong.id);
    else this.send(pong);
  }
  addEventListener(type: string, l: (ev: never) => void): void {
    if (type === 'message') this.listeners.push(l as (ev: MessageEvent) => void);
  }
  terminate(): void {
    this.terminated = true;
  }
  send(data: unknown): void {
    if (this.alive) for (const l of this.listeners) l({ data } as MessageEvent);
  }
  event(event: WorkerEvent): void {
    this.send({ kind: 'event', event });
  }
  batch(i: number, perEpoch = 5): void {
    this.event({
      type: 'batch',
      batch: { stage: 1, epoch: Math.floor(i / perEpoch), batch: i % perEpoch, batchesPerEpoch: perEpoch, step: i + 1, loss: 1, lr: 0.1 },
    });
  }
  /** The long kernel ends: the batch goes out, then the pings that waited. */
  finishBusy(i: number): void {
    this.busy = false;
    this.batch(i);
    for (const id of this.queued.splice(0)) this.send({ kind: 'pong', id });
  }
}

const fakeCheckpoint = { spec: { config: {} }, trainer: { epoch: 1, stage: 1 } } as unknown as RunCheckpoint;

function client() {
  const w = new ScriptedWorker();
  const c = new TrainClient(() => w);
  const events: ClientEvent[] = [];
  c.on((e) => events.push(e));
  const crash = () => events.find((e) => e.type === 'crash');
  return { w, c, events, crash };
}

describe('watchdog (fake timers, a scripted worker)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a worker that stops answering: pinged once, then the crash path after the bound, with the last checkpoint', () => {
    vi.useFakeTimers();
    const { w, crash } = client();
    w.event({ type: 'state', state: 'running' });
    for (let i = 0; i < 5; i++) {
      vi.advanceTimersByTime(200);
      w.batch(i);
    }
    vi.advanceTimersByTime(300); // the epoch's evaluation
    w.event({ type: 'checkpoint', checkpoint: fakeCheckpoint });
    for (let i = 5; i < 8; i++) {
      vi.advanceTimersByTime(200);
      w.batch(i);
    }
    // alive and idle between batches: pings are answered, nothing happens however long
    vi.advanceTimersByTime(60_000);
    expect(crash()).toBeUndefined();
    expect(w.pings).toBeGreaterThan(20);
    // gone (self.close(), killed): no message at all any more
    w.alive = false;
    const pingsBefore = w.pings;
    vi.advanceTimersByTime(19_000); // the bound: max(20 s, 10 × the longest gap)
    expect(crash()).toBeUndefined();
    vi.advanceTimersByTime(2_000);
    const c = crash();
    expect(c?.type === 'crash' && c.crash.message).toMatch(
      /^the training worker stopped answering \(no message for 2\d s while training\)$/,
    );
    expect(c?.type === 'crash' && c.crash.checkpoint).toBe(fakeCheckpoint);
    expect(w.terminated).toBe(true);
    expect(pingsBefore).toBe(w.pings); // a dead worker takes no pings (one was sent, nothing came back)
  });

  it('a slow worker busy in long kernels (30 s a batch, pings answered only between them) is never killed', () => {
    vi.useFakeTimers();
    const { w, crash } = client();
    w.event({ type: 'state', state: 'running' });
    for (let i = 0; i < 12; i++) {
      w.busy = true;
      vi.advanceTimersByTime(30_000);
      w.finishBusy(i);
    }
    expect(crash()).toBeUndefined();
    // then it hangs for good: the bound is 10 × 30 s
    w.busy = true;
    vi.advanceTimersByTime(290_000);
    expect(crash()).toBeUndefined();
    vi.advanceTimersByTime(12_000);
    expect(crash()).toBeDefined();
  });

  it('the first batch may take up to 2 minutes (kernels compiling); an epoch end not yet measured gets 100 batch gaps', () => {
    vi.useFakeTimers();
    const { w, crash } = client();
    w.event({ type: 'state', state: 'running' });
    w.busy = true;
    vi.advanceTimersByTime(110_000);
    w.finishBusy(0);
    for (let i = 1; i < 5; i++) {
      w.busy = true;
      vi.advanceTimersByTime(500);
      w.finishBusy(i);
    }
    // the first epoch's end (evaluation of the test set): 100 × 0.5 s = 50 s, but at least the first-batch bound
    w.busy = true;
    vi.advanceTimersByTime(115_000);
    expect(crash()).toBeUndefined();
    w.busy = false;
    w.event({ type: 'checkpoint', checkpoint: fakeCheckpoint });
    expect(crash()).toBeUndefined();
  });

  it('a page that was itself suspended does not blame the worker; a paused run is not watched', () => {
    vi.useFakeTimers();
    const { w, crash } = client();
    w.event({ type: 'state', state: 'running' });
    for (let i = 0; i < 3; i++) {
      vi.advanceTimersByTime(100);
      w.batch(i);
    }
    w.busy = true; // (the worker froze with the tab)
    vi.setSystemTime(Date.now() + 10 * 60_000); // ten minutes pass without a tick
    vi.advanceTimersByTime(1000);
    w.finishBusy(3);
    vi.advanceTimersByTime(5000);
    expect(crash()).toBeUndefined();
    w.event({ type: 'state', state: 'paused' });
    w.alive = false;
    const pings = w.pings;
    vi.advanceTimersByTime(30 * 60_000);
    expect(crash()).toBeUndefined();
    expect(w.pings).toBe(pings);
  });
});

describe('watchdog (real engine in-process, a worker closed from inside mid-run)', () => {
  beforeAll(async () => {
    await initBackend({ order: ['cpu'] });
  });

  it('the page leaves "running", offers the last finished epoch on the next backend, and continues from it', async () => {
    const settings = patchSettings(tinySettings(), { backend: 'wasm', config: { epochs: 3 } }); // order wasm → cpu
    const store = createPlaygroundStore(settings);
    // bounds of a test: 1.5 s at least, 10 × the longest gap, looked at every 50 ms
    const { createClient, workers } = inProcessClients({
      backend: 'requested',
      watchdog: { firstBatchMs: 10_000, minMs: 1500, tickMs: 50 },
    });
    const session = new PlaygroundSession(store, { createClient, schedule: (cb) => setTimeout(cb, 5), flushIntervalMs: 0 });
    const s = () => store.getState();
    await session.start();
    await session.train();
    await until(() => (s().current?.epochs.length ?? 0) >= 1 && (s().progress?.step ?? 0) > s().current!.epochs[0].step);
    const t0 = Date.now();
    workers[0].close();
    await until(() => s().phase === 'crashed', 60_000);
    const waited = Date.now() - t0;
    const crash = s().crash!;
    expect(crash.message).toMatch(/^the training worker stopped answering/);
    expect(crash.nextOrder).toEqual(['cpu']);
    expect(crash.checkpoint?.trainer.epoch).toBeGreaterThanOrEqual(1);
    expect(waited).toBeLessThan(60_000);
    await session.continueAfterCrash();
    expect(s().phase).toBe('paused');
    expect(s().backend?.backend).toBe('cpu');
    expect(s().progress?.step).toBe(crash.checkpoint!.trainer.globalStep);
    await session.train();
    await until(() => s().phase === 'stageDone', 60_000);
    expect(s().current!.epochs.map((m) => m.epoch)).toEqual([0, 1, 2]);
    session.dispose();
  }, 120_000);
});
