import { Rng } from '../../../src/core/train/rng';
import type { ImageSet } from '../../../src/core/data/types';

/** A synthetic ImageSet with `counts[c]` images of class c (labels interleaved), random pixels. */
export function syntheticSet(
  counts: number[],
  shape: { height: number; width: number; channels: number },
  seed = 1,
  name = 'synthetic',
): ImageSet {
  const rng = new Rng(seed);
  const labels: number[] = [];
  counts.forEach((n, c) => {
    for (let i = 0; i < n; i++) labels.push(c);
  });
  rng.shuffle(labels);
  const px = shape.height * shape.width * shape.channels;
  const images = new Uint8Array(labels.length * px);
  for (let i = 0; i < images.length; i++) images[i] = rng.nextUint32() & 0xff;
  return {
    name,
    ...shape,
    numClasses: counts.length,
    classNames: counts.map((_, c) => `class ${c}`),
    images,
    labels: Uint16Array.from(labels),
  };
}

/** Runs fn and returns the thrown error (fails if nothing is thrown). */
export function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error, none was thrown');
}
