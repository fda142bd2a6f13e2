/** A tiny synthetic, learnable dataset (C classes of 8×8×1 images with class-specific bright blocks + noise). */
import type { Dataset, ImageSet } from '../../src/core/data/types';
import { Rng } from '../../src/core/rng';

function makeSet(name: string, perClass: number[], side: number, channels: number, rng: Rng): ImageSet {
  const C = perClass.length;
  const N = perClass.reduce((a, b) => a + b, 0);
  const px = side * side * channels;
  const images = new Uint8Array(N * px);
  const labels = new Uint16Array(N);
  let i = 0;
  for (let c = 0; c < C; c++) {
    for (let k = 0; k < perClass[c]; k++, i++) {
      labels[i] = c;
      const bx = (c % 2) * (side / 2);
      const by = (Math.floor(c / 2) % 2) * (side / 2);
      for (let y = 0; y < side; y++) {
        for (let x = 0; x < side; x++) {
          const inBlock = x >= bx && x < bx + side / 2 && y >= by && y < by + side / 2;
          for (let ch = 0; ch < channels; ch++) {
            const base = inBlock ? 190 : 50;
            const v = base + 40 * rng.normal();
            images[i * px + (y * side + x) * channels + ch] = Math.max(0, Math.min(255, Math.round(v)));
          }
        }
      }
    }
  }
  // interleave so the set is not sorted by class (like real data)
  const order = rng.shuffle(Array.from({ length: N }, (_, j) => j));
  const img2 = new Uint8Array(N * px);
  const lab2 = new Uint16Array(N);
  order.forEach((src, dst) => {
    img2.set(images.subarray(src * px, (src + 1) * px), dst * px);
    lab2[dst] = labels[src];
  });
  return {
    name,
    height: side,
    width: side,
    channels,
    numClasses: C,
    classNames: Array.from({ length: C }, (_, c) => `class ${c}`),
    images: img2,
    labels: lab2,
  };
}

export function tinyDataset(
  opts: { classes?: number; poolPerClass?: number; testPerClass?: number; seed?: number; side?: number; channels?: number } = {},
): Dataset {
  const C = opts.classes ?? 4;
  const side = opts.side ?? 8;
  const channels = opts.channels ?? 1;
  const rng = new Rng(opts.seed ?? 7);
  return {
    meta: {
      id: 'tiny',
      title: 'Tiny synthetic',
      mean: new Array(channels).fill(0.5),
      std: new Array(channels).fill(0.25),
      hflip: false,
      cropPad: 1,
      licence: 'generated',
    },
    pool: makeSet('tiny-train', new Array(C).fill(opts.poolPerClass ?? 60), side, channels, rng),
    test: makeSet('tiny-test', new Array(C).fill(opts.testPerClass ?? 20), side, channels, rng),
  };
}
