/**
 * The first-visit data settings (part of PLAYGROUND_DEFAULTS in ./settings.ts): which long-tail subset and test
 * images the first run uses. A module of its own, without imports, because the build reads it too: the embedded
 * pack's first part holds exactly the images this draw selects (tools/vite/pack-parts.ts, core/data/pack-parts.ts).
 */
export const FIRST_VISIT_DATA = {
  imbalance: 100,
  profile: 'exp',
  stepMu: 0.5,
  headImages: 1000,
  seed: 1,
  evalPerClass: 50,
} as const;

/** The head-class sizes the settings offer (ui/ConfigPanel.tsx): part 0 also covers those below the first visit's. */
export const HEAD_IMAGE_OPTIONS = ['all', '2000', '1000', '500', '200', '100', '50', '20'] as const;
