/**
 * Mounting a recharts chart costs far more than updating it (its store, axes, legend and tooltip register themselves
 * through a cascade of dispatches: 30–120 ms of main thread per chart on a 2-core machine). The charts therefore
 * mount early — while the page is idle, before the first data — and one per task: each asks for a turn, and a pump
 * grants one turn per macrotask, rendering that chart synchronously (flushSync) in it. A turn is recorded as a
 * performance measure `ltpg:mount:<label>` (the UI benchmark reports them apart from the updates while training).
 */
import { useEffect, useState } from 'react';
import { flushSync } from 'react-dom';

const queue: Array<() => void> = [];
let pumping = false;

function pump(): void {
  const next = queue.shift();
  if (next) next();
  if (queue.length) setTimeout(pump, 0);
  else pumping = false;
}

/** False until this component's turn has come (never on the server: effects do not run there). */
export function useMountTurn(label: string): boolean {
  const [ready, setReady] = useState(false);
  useEffect(() => {
    let alive = true;
    queue.push(() => {
      if (!alive) return;
      const t0 = performance.now();
      flushSync(() => setReady(true));
      performance.measure?.(`ltpg:mount:${label}`, { start: t0, end: performance.now() });
    });
    if (!pumping) {
      pumping = true;
      setTimeout(pump, 0);
    }
    return () => {
      alive = false;
    };
  }, [label]);
  return ready;
}
