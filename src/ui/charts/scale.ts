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
