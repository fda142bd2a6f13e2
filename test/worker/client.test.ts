import { describe, expect, it } from 'vitest';
import { TrainClient, nextBackends, type WorkerLike } from '../../src/worker/client';
import { answer, type Request, type RequestOf, type RunCheckpoint, type WorkerMessage } from '../../src/worker/protocol';

/** A fake worker: records requests; the test answers them. */
class FakeWorker implements WorkerLike {
  sent: Request[] = [];
  terminated = false;
  private handlers: { message: ((ev: MessageEvent) => void)[]; error: ((ev: Event) => void)[] } = { message: [], error: [] };
  constructor(private readonly auto?: (r: Request, w: FakeWorker) => void) {}
  postMessage(m: unknown): void {
    this.sent.push(m as Request);
    this.auto?.(m as Request, this);
  }
  addEventListener(type: 'message' | 'error', l: (ev: never) => void): void {
    (this.handlers[type] as unknown[]).push(l);
  }
  terminate(): void {
    this.terminated = true;
  }
  deliver(m: WorkerMessage): void {
    for (const h of this.handlers.message) h({ data: m } as MessageEvent);
  }
  crash(message: string): void {
    for (const h of this.handlers.error) h({ message } as unknown as Event);
  }
}

const fakeCheckpoint = {
  spec: { config: {}, data: { nMax: null } },
  trainer: { epoch: 3, stage: 1, weights: {}, momentum: {} },
} as unknown as RunCheckpoint;

describe('TrainClient', () => {
  it('matches responses to requests by id and subscribes to events', async () => {
    const w = new FakeWorker();
    const c = new TrainClient(() => w);
    const seen: string[] = [];
    const off = c.on((e) => seen.push(e.type));
    const p1 = c.request('pause', {});
    const p2 = c.request('run', {});
    expect(w.sent.map((r) => [r.id, r.type])).toEqual([
      [1, 'pause'],
      [2, 'run'],
    ]);
    w.deliver({ kind: 'response', id: 2, type: 'run', ok: true, result: { started: true } });
    w.deliver({ kind: 'response', id: 1, type: 'pause', ok: false, error: 'nope' });
    await expect(p2).resolves.toEqual({ started: true });
    await expect(p1).rejects.toThrow('nope');
    w.deliver({ kind: 'event', event: { type: 'state', state: 'running' } });
    off();
    w.deliver({ kind: 'event', event: { type: 'state', state: 'paused' } });
    expect(seen).toEqual(['state']);
  });

  it('a worker error rejects pending requests and reports a crash with the backends left', async () => {
    const w = new FakeWorker((r, fw) => {
      if (r.type === 'init')
        fw.deliver(answer(r as RequestOf<'init'>, { result: { backend: 'webgpu', reason: 'webgpu (first choice)', tried: [] } }));
    });
    const c = new TrainClient(() => w);
    await c.init(['webgpu', 'webgl', 'wasm', 'cpu']);
    w.deliver({ kind: 'event', event: { type: 'checkpoint', checkpoint: fakeCheckpoint } });
    const crashes: unknown[] = [];
    c.on((e) => {
      if (e.type === 'crash') crashes.push(e.crash);
    });
    const pending = c.request('step', {});
    w.crash('boom');
    await expect(pending).rejects.toThrow('boom');
    expect(crashes).toEqual([{ message: 'boom', backend: 'webgpu', nextOrder: ['webgl', 'wasm', 'cpu'], checkpoint: fakeCheckpoint }]);
    await expect(c.request('run', {})).rejects.toThrow('boom');
  });

  it('a fatal event (device lost) is a crash; continueOnNextBackend restores the checkpoint on a new worker', async () => {
    const workers: FakeWorker[] = [];
    const c = new TrainClient(() => {
      const w = new FakeWorker((r, fw) => {
        const reply = (result: unknown) =>
          queueMicrotask(() => fw.deliver({ kind: 'response', id: r.id, type: r.type, ok: true, result } as WorkerMessage));
        if (r.type === 'init') reply({ backend: r.order[0], reason: `${r.order[0]} (first choice)`, tried: [] });
        if (r.type === 'restore') reply({ stage: 1, epoch: r.checkpoint.trainer.epoch, step: 30 });
      });
      workers.push(w);
      return w;
    });
    await c.init();
    workers[0].deliver({ kind: 'event', event: { type: 'checkpoint', checkpoint: fakeCheckpoint } });
    workers[0].deliver({ kind: 'event', event: { type: 'fatal', message: 'GPU device lost', backend: 'webgpu' } });
    expect(c.crashInfo?.nextOrder).toEqual(['webgl', 'wasm', 'cpu']);
    const r = await c.continueOnNextBackend();
    expect(workers[0].terminated).toBe(true);
    expect(r.init.backend).toBe('webgl');
    expect(r.restored).toBe(true);
    expect(workers[1].sent.map((q) => q.type)).toEqual(['init', 'restore']);
    expect(c.crashInfo).toBeNull();
  });

  it('nextBackends', () => {
    expect(nextBackends(['webgpu', 'webgl', 'wasm', 'cpu'], 'webgl')).toEqual(['wasm', 'cpu']);
    expect(nextBackends(['wasm', 'cpu'], 'cpu')).toEqual([]);
    expect(nextBackends(['wasm', 'cpu'], null)).toEqual(['wasm', 'cpu']);
  });
});
