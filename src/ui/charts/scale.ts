/** Axis bounds and ticks computed from the data (pure): the charts hand recharts explicit domains and ticks. */

export interface AxisSpec {
  label: string;
  /** Axis width in px (tick labels and title). */
  width: number;
  /** Fixed bounds; 'auto' → a nice bound around the data; a function of the data maximum for the upper bound. */
  domain?: [number | 'auto', number | 'auto' | ((dataMax: number) => number)];
  format?: (v: number) => string;
  /** Integer ticks only. */
  integer?: boolean;
  /** Axis line colour. */
  stroke?: string;
  /** Logarithmic axis (the domain must be positive). */
  log?: boolean;
  /** Ticks given with a fixed domain (the scale is used as is). */
  ticks?: readonly number[];
}

/** Nice step for `span / count` (1, 2, 2.5, 5 × 10^k). */
function niceStep(span: number, count: number, integer: boolean): number {
  const raw = span / Math.max(1, count - 1);
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  const step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * p;
  return integer ? Math.max(1, Math.ceil(step)) : step;
}

/** Domain and ticks of an axis: auto bounds are widened to a multiple of the tick step (default lower bound 0). */
export function niceScale(dataMin: number, dataMax: number, axis: Pick<AxisSpec, 'domain' | 'integer'>, count = 5) {
  const [dLo, dHi] = axis.domain ?? [0, 'auto'];
  let lo = dLo === 'auto' ? (Number.isFinite(dataMin) ? dataMin : 0) : dLo;
  let hi =
    typeof dHi === 'function'
      ? dHi(Number.isFinite(dataMax) ? dataMax : 0)
      : dHi === 'auto'
        ? Number.isFinite(dataMax)
          ? dataMax
          : 1
        : dHi;
  if (!(hi > lo)) hi = lo + 1;
  const step = niceStep(hi - lo, count, !!axis.integer);
  if (dLo === 'auto') lo = Math.floor(lo / step) * step;
  if (dHi === 'auto') hi = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  const first = Math.ceil(lo / step - 1e-9) * step;
  for (let v = first, i = 0; v <= hi + step * 1e-9 && i < 50; v = first + ++i * step) ticks.push(Number(v.toPrecision(12)));
  return { lo, hi, ticks };
}

/** The smallest 1, 2 or 5 × 10^k that is ≥ v (> 0). */
export function niceAbove(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const f of [1, 2, 5, 10]) if (f * p >= v * (1 - 1e-9)) return Number((f * p).toPrecision(12));
  return 10 * p;
}

/**
 * Bounds and ticks of a log axis over [dataMin, dataMax] (> 0): the lower bound down to a power of ten, the upper one
 * up to 1, 2 or 5 × 10^k unless `fixedHi`; ticks at powers of ten, and at 2 and 5 × 10^k when under two decades.
 */
export function logScale(dataMin: number, dataMax: number, fixedHi?: number): { lo: number; hi: number; ticks: number[] } {
  const hiRaw = fixedHi ?? dataMax;
  let hi = Number.isFinite(hiRaw) && hiRaw > 0 ? hiRaw : 1;
  let lo = Number.isFinite(dataMin) && dataMin > 0 ? 10 ** Math.floor(Math.log10(Math.min(dataMin, hi))) : hi / 10;
  if (fixedHi === undefined) hi = niceAbove(hi);
  if (!(hi > lo)) lo = hi / 10;
  const d0 = Math.floor(Math.log10(lo));
  const d1 = Math.ceil(Math.log10(hi));
  const fine = d1 - d0 <= 2;
  const ticks: number[] = [];
  for (let d = d0; d <= d1; d++)
    for (const f of fine ? [1, 2, 5] : [1]) {
      const v = Number((f * 10 ** d).toPrecision(12));
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) ticks.push(v);
    }
  return { lo, hi, ticks };
}

/** [min, max] of the finite values ([Infinity, -Infinity] when none). */
export function extent(values: Iterable<number | null | undefined>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v === null || v === undefined || !Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}
