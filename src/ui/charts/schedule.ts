/**
 * Spreads chart updates over time so the main thread never does all of them in one task: each chart shows a
 * snapshot of its props that follows the live props at most every `minIntervalMs`, and no sooner than `delayMs`
 * after a change (the panel gives every chart a different delay, so an epoch's worth of re-rendering becomes one
 * short task per chart). The latest value always lands (a pending update picks up newer values, never starves).
 */
import { useEffect, useRef, useState } from 'react';
import { flushSync } from 'react-dom';

/**
 * `label`: the update renders and commits synchronously inside its own timer task (flushSync), so React cannot merge
 * the updates of several charts into one long commit, and the task is recorded as a performance measure named
 * `label` (DevTools → Performance → Timings; the e2e responsiveness test reports them).
 */
export function useScheduled<T>(value: T, delayMs: number, minIntervalMs: number, enabled = true, label?: string): T {
  const [shown, setShown] = useState(value);
  const latest = useRef(value);
  const shownRef = useRef(value);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const lastAt = useRef(-Infinity);

  useEffect(() => {
    latest.current = value;
    if (!enabled || value === shownRef.current || timer.current !== null) return;
    const wait = Math.max(delayMs, lastAt.current + minIntervalMs - performance.now(), 0);
    timer.current = setTimeout(() => {
      timer.current = null;
      lastAt.current = performance.now();
      shownRef.current = latest.current;
      if (!label) {
        setShown(() => latest.current);
        return;
      }
      const t0 = performance.now();
      flushSync(() => setShown(() => latest.current));
      performance.measure?.(label, { start: t0, end: performance.now() });
    }, wait);
  }, [value, delayMs, minIntervalMs, enabled, label]);

  useEffect(
    () => () => {
      if (timer.current !== null) clearTimeout(timer.current);
      timer.current = null;
    },
    [],
  );

  return enabled ? shown : value;
}

/**
 * `value` as of the last render where `key` changed: later values with the same key are ignored, so what is derived
 * from it (memoised on it) is not recomputed (e.g. the runs, keyed by their epochs arrays, while only batches arrive).
 */
export function useStableBy<T>(value: T, key: string): T {
  const [held, setHeld] = useState({ key, value });
  if (held.key !== key) {
    setHeld({ key, value });
    return value;
  }
  return held.value;
}
