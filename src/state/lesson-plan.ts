/**
 * The lesson's settings, shared by the app's Lesson (src/state/lesson.ts) and the measurement that vouches for its
 * claims (`npm run reproduce -- --lesson`, src/cli/reproduce.ts). One data subset and one initial backbone (one
 * seed) for every step; the steps differ only in the loss and its head.
 */
export const LESSON_PLAN = {
  dataset: 'fmnist-lt',
  imbalance: 100,
  headImages: 1000,
  evalPerClass: 50,
  model: 'convnet',
  batch: 64,
  epochs: 8,
  stage2Epochs: 3,
  stage2Batch: 64,
  /** The seeds of the committed measurement (docs/reproduction.md). */
  seeds: [1, 2, 3, 4, 5],
} as const;
