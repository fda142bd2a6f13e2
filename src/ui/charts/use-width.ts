import { useLayoutEffect, useRef, useState } from 'react';

/**
 * The width of a container element in px, followed with a ResizeObserver (which reports after layout, so there is
 * no forced synchronous layout inside a commit); `fixed` (tests, server rendering) is used as is.
 */
export function useWidth(fixed: number | undefined) {
  const ref = useRef<HTMLDivElement>(null);
  const [measured, setMeasured] = useState(0);
  useLayoutEffect(() => {
    if (fixed || !ref.current) return;
    const el = ref.current;
    if (typeof ResizeObserver === 'undefined') {
      setMeasured(Math.floor(el.clientWidth));
      return;
    }
    const ro = new ResizeObserver((entries) => {
      const e = entries[entries.length - 1];
      if (e) setMeasured(Math.floor(e.contentRect.width));
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [fixed]);
  return { ref, width: fixed ?? measured };
}
