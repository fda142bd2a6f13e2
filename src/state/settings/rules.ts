/**
 * The cross-field rules of the settings, in one place (pure; each returns new Settings):
 *  - a loss defined on one head forces that head;
 *  - the head-class image cap (`config.headImages`) is at least the smallest size at which every class keeps an
 *    image at this imbalance factor;
 *  - switching the data set clamps the imbalance factor to that data's range and picks the profiles it offers.
 */
import { patchSettings, type Settings } from './settings';
import { forcedHead } from '../../core/losses/registry';
import { EMBEDDED_SHAPE, previewCountsFor, shapeFor, type DataShape } from './data-shape';
import type { UploadedDataInfo } from '../../worker/upload-info';

/** One setting a rule changed: the URL parameter, the value it had, and why. */
export interface RuleChange {
  param: string;
  value: string;
  why: string;
}

/** The smallest head-class size (≥ the current one) at which every class keeps an image, or null if none fits. */
export function smallestHeadImages(s: Settings, shape: DataShape): number | null {
  const fits = (n: number | null) => Math.min(...previewCountsFor(patchSettings(s, { config: { headImages: n } }), shape)) >= 1;
  if (fits(s.config.headImages ?? null)) return s.config.headImages ?? null;
  for (let n = Math.max(1, Math.ceil(s.config.imbalance - 1e-9), s.config.headImages ?? 1); n <= shape.poolMax; n++) if (fits(n)) return n;
  return null;
}

/** Applies the cross-field rules: the forced head and a head-class size that keeps every class. */
export function normalise(s: Settings, shape: DataShape = EMBEDDED_SHAPE): { settings: Settings; changes: RuleChange[] } {
  const changes: RuleChange[] = [];
  let out = s;
  const forced = forcedHead(out.config.loss);
  if (forced && out.config.head !== forced.head) {
    changes.push({ param: 'head', value: out.config.head, why: `${forced.reason}; using ${forced.head}` });
    out = patchSettings(out, { config: { head: forced.head } });
  }
  const headImages = smallestHeadImages(out, shape);
  if (headImages !== (out.config.headImages ?? null)) {
    changes.push({
      param: 'nmax',
      value: String(out.config.headImages),
      why: `too small for IF ${out.config.imbalance} (a class would have no images); using ${headImages ?? 'all'}`,
    });
    out = patchSettings(out, { config: { headImages } });
  }
  return { settings: out, changes };
}

/**
 * `s` switched to data set `id`: the imbalance factor clamped to its range, folders start "as is", "as is" dropped
 * where it is not offered, and the head-class size raised if a class would be empty.
 */
export function switchDataset(s: Settings, id: string, uploads: readonly UploadedDataInfo[]): Settings {
  const shape = shapeFor(id, uploads) ?? EMBEDDED_SHAPE;
  const c = s.config;
  let profile = c.profile;
  if (shape.asIs && c.dataset !== shape.id) profile = 'asis';
  if (!shape.asIs && profile === 'asis') profile = 'exp';
  const next = patchSettings(s, {
    config: { dataset: shape.id, imbalance: Math.min(shape.maxIF, Math.max(shape.minIF, c.imbalance)), profile },
  });
  return normalise(next, shape).settings;
}
