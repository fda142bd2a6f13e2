/** The saved-run check of the model's tensors: lengths from the model spec, finite values, before a run is offered. */
import { describe, expect, it } from 'vitest';
import { checkSavedRun } from '../../../src/state/persistence/saved-run-check';
import { Autosaver, MemoryAutosaveStorage, snapshotToSaved } from '../../../src/state/persistence/autosave';
import type { SavedRun } from '../../../src/state/persistence/run-store';
import { createPlaygroundStore } from '../../../src/state/session/store';
import { fakeSnapshot, tinySettings } from '../../helpers/saved-run';

const good = () => structuredClone(snapshotToSaved(fakeSnapshot(2), 5));

describe('checkSavedRun: the model tensors', () => {
  it('accepts the tensors of the spec', () => {
    expect(checkSavedRun(good())).toMatchObject({ ok: true });
  });

  it('names a tensor of the wrong length, a missing one, a foreign one, and a non-finite value', () => {
    const model = 'the convnet model (cosine head, 1 input channel, 10 classes)';
    const cases: [(r: SavedRun) => void, string][] = [
      [
        (r) => (r.checkpoint.trainer.weights['conv2.weight'] = new Float32Array(7)),
        `checkpoint.trainer.weights.conv2.weight has 7 values, expected 4608 for ${model}`,
      ],
      [
        (r) => delete r.checkpoint.trainer.weights['bn3.running_var'],
        `checkpoint.trainer.weights has no bn3.running_var (a tensor of ${model})`,
      ],
      [
        (r) => (r.checkpoint.trainer.weights['no.such.weight'] = new Float32Array(3)),
        `checkpoint.trainer.weights.no.such.weight is not a tensor of ${model}`,
      ],
      [
        (r) => (r.checkpoint.trainer.weights['linear.weight'] = new Float32Array(64 * 7)),
        `checkpoint.trainer.weights.linear.weight has 448 values, expected 640 for ${model}`,
      ],
      [
        (r) => r.checkpoint.trainer.weights['bn1.weight'].fill(Number.NaN),
        'checkpoint.trainer.weights.bn1.weight holds a non-finite value (NaN at index 0)',
      ],
      [
        (r) => (r.checkpoint.trainer.momentum['conv1.weight'][5] = Number.POSITIVE_INFINITY),
        'checkpoint.trainer.momentum.conv1.weight holds a non-finite value (Infinity at index 5)',
      ],
      [
        (r) => (r.checkpoint.trainer.momentum['conv1.weight'] = new Float32Array(2)),
        `checkpoint.trainer.momentum.conv1.weight has 2 values, expected 144 for ${model}`,
      ],
      [
        (r) =>
          (r.checkpoint.trainer.best = {
            epoch: 0,
            score: 1,
            selection: 'test',
            weights: { w: new Float32Array(1) },
            bnBatchesTracked: {},
          }),
        `checkpoint.trainer.best.weights.w is not a tensor of ${model}`,
      ],
    ];
    for (const [edit, why] of cases) {
      const r = good();
      edit(r);
      expect(checkSavedRun(r)).toEqual({ ok: false, why });
    }
  });

  it('every weight all NaN: set aside with the notice, never offered', async () => {
    const storage = new MemoryAutosaveStorage();
    const r = good();
    for (const a of Object.values(r.checkpoint.trainer.weights)) a.fill(Number.NaN);
    storage.run = r;
    const a = new Autosaver(storage, createPlaygroundStore(tinySettings()));
    expect(await a.init()).toBeNull();
    expect(a.offerStore.getState().offers).toEqual([]);
    expect(a.offerStore.getState().unreadable).toBe('checkpoint.trainer.weights.conv1.weight holds a non-finite value (NaN at index 0)');
    expect(storage.aside).not.toBeNull();
  });
});
