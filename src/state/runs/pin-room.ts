/**
 * Room for a queue's pins (sweep, preset): a queue that pins n runs asks before it starts to unpin the oldest pinned
 * runs it needs room for — never after, and never silently.
 */
import { MAX_PINNED, pinnedCount, type RunRecord } from '../session/slices/metrics';
import type { PlaygroundState } from '../session/store';

/** The oldest pinned runs that must go for `n` more pins (empty: there is room). */
export function pinsToFree(s: PlaygroundState, n: number): RunRecord[] {
  const short = n - (MAX_PINNED - pinnedCount(s));
  if (short <= 0) return [];
  const pinned = [...s.archived.filter((r) => r.pinned), ...(s.current?.pinned ? [s.current] : [])];
  return pinned.slice(0, short);
}

/** Asks to unpin the runs pinsToFree names; true when there is room (now), false when the user keeps them. */
export async function askRoomForPins(s: PlaygroundState, n: number, what: string): Promise<boolean> {
  const drop = pinsToFree(s, n);
  if (drop.length === 0) return true;
  const ok = await s.askConfirm(
    `${what} pins ${n} runs`,
    `${pinnedCount(s)} of at most ${MAX_PINNED} runs are pinned. Unpin the ${drop.length} oldest (${drop.map((r) => `“${r.label}”`).join(', ')}) to make room? They leave the charts.`,
    'Unpin and start',
  );
  if (!ok) return false;
  for (const r of drop) s.unpinRun(r.id);
  return true;
}
