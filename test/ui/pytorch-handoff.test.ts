import { describe, expect, it } from 'vitest';
import { bundleCommands } from '../../src/ui/PytorchHandoff';

describe('bundleCommands', () => {
  it('offers the papers’ scale for an official data set, and the original files instead for an uploaded folder', () => {
    const official = bundleCommands('run', 3);
    expect(official.some((c) => c.line.includes('--full'))).toBe(true);
    const folder = bundleCommands('run', 3, true);
    expect(folder.some((c) => c.line.includes('--full'))).toBe(false);
    const root = folder.filter((c) => c.line.includes('--data-root'));
    expect(root).toHaveLength(1);
    expect(root[0].title).toMatch(/pixels may differ slightly/);
    // the rows both share: replay, continue, GPU, torchrun, seeds
    expect(folder.slice(0, 5)).toEqual(official.slice(0, 5));
  });
});
