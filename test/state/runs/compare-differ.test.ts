/** "Show only settings that differ": the parts of the runs' settings that are not shared by every run. */
import { describe, expect, it } from 'vitest';
import { onlyDiffering } from '../../../src/state/runs/compare';

describe('onlyDiffering', () => {
  it('drops the parts every list has, keeps the rest in order', () => {
    const a = ['6 epochs', 'batch 32', 'lr 0.1', 'cosine head', 'sampler random'];
    const b = ['6 epochs', 'batch 32', 'lr 0.05', 'cosine head', 'sampler class-balanced'];
    const c = ['6 epochs', 'batch 64', 'lr 0.1', 'cosine head', 'sampler random', 'engine wasm'];
    expect(onlyDiffering([a, b, c])).toEqual([
      ['batch 32', 'lr 0.1', 'sampler random'],
      ['batch 32', 'lr 0.05', 'sampler class-balanced'],
      ['batch 64', 'lr 0.1', 'sampler random', 'engine wasm'],
    ]);
  });

  it('identical lists leave nothing; a single list (nothing to compare with) stays whole', () => {
    expect(
      onlyDiffering([
        ['a', 'b'],
        ['b', 'a'],
      ]),
    ).toEqual([[], []]);
    expect(onlyDiffering([['a', 'b']])).toEqual([['a', 'b']]);
    expect(onlyDiffering([])).toEqual([]);
  });
});
