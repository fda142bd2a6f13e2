/**
 * Seed groups of the shown runs: runs whose settings differ only in their seed (core/train/groups.ts) are one
 * configuration measured several times. The charts draw a group as its mean with a ± std band, the runs table as
 * one row of mean ± std, and pins count groups.
 */
import { groupBy, seedGroupKey } from '../../core/train/groups';
import type { TrainConfig } from '../../core/train/config';
import type { Settings } from '../settings/settings';

/** What a run needs here: its id and the settings it started with. */
interface Grouped {
  id: string;
  settings?: Settings | null;
}

const keys = new WeakMap<Settings, string>();

/** The run's group key (settings are immutable: computed once per settings object); a run without settings is its own. */
export function groupKeyOf(r: Grouped): string {
  const s = r.settings;
  if (!s) return `run:${r.id}`;
  let k = keys.get(s);
  if (k === undefined) {
    k = seedGroupKey(s.config as TrainConfig);
    keys.set(s, k);
  }
  return k;
}

const seedOf = (r: Grouped): number | null => r.settings?.config.seed ?? null;

/**
 * The runs as groups in order of first appearance: runs of one configuration with distinct seeds form a group; a
 * run whose seed an earlier member has already (the same run again, e.g. the next run of the form) is one of its own.
 */
export function seedGroups<T extends Grouped>(runs: readonly T[]): { key: string; runs: T[] }[] {
  const out: { key: string; runs: T[] }[] = [];
  for (const g of groupBy(runs, groupKeyOf)) {
    const seen = new Set<number | null>();
    const members: T[] = [];
    const again: T[] = [];
    for (const r of g.items) {
      if (seen.has(seedOf(r))) again.push(r);
      else {
        seen.add(seedOf(r));
        members.push(r);
      }
    }
    out.push({ key: g.key, runs: members });
    for (const r of again) out.push({ key: `${g.key}#${r.id}`, runs: [r] });
  }
  return out;
}

/** Every run of a group has a seed: "seed 3". */
export const seedText = (r: Grouped): string => `seed ${seedOf(r) ?? '?'}`;

/** A group's name from its first run's: "CE · ConvNet · 3 seeds" (a " #2" the label got as a duplicate dropped). */
export function groupLabel(label: string, n: number): string {
  return `${label.replace(/ \(earlier\)$/, '').replace(/ #\d+$/, '')} · ${n} seeds`;
}
