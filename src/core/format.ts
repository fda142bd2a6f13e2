/**
 * Text for numbers, shared by the page and the CLI: one placeholder for a missing value and one way to write a
 * percentage, so a table in the app, a chart's text alternative and the CLI's report say the same thing.
 */

/** What a missing value (null, undefined, NaN, ±∞) reads as. */
export const MISSING = '—';

type Unit = '%' | ' %' | '';
interface PercentOptions {
  /** After the number: '%' (default), ' %', or nothing (a table whose header says %). */
  unit?: Unit;
  /** Decimals (default 1). */
  digits?: number;
  /** The value is a fraction (default: 0.523 → 52.3) or already in percent (52.3 → 52.3). */
  from?: 'fraction' | 'percent';
}

const finite = (v: number | null | undefined): v is number => v !== null && v !== undefined && Number.isFinite(v);

/** 0.523 → "52.3%"; missing → "—". */
export function percent(v: number | null | undefined, o: PercentOptions = {}): string {
  if (!finite(v)) return MISSING;
  const x = o.from === 'percent' ? v : 100 * v;
  return `${x.toFixed(o.digits ?? 1)}${o.unit ?? '%'}`;
}

/** A seed group's mean ± std of fractions, "52.3 ± 1.2%"; no runs → "—". */
export function percentMeanStd(s: { n: number; mean: number; std: number } | undefined, o: PercentOptions = {}): string {
  if (!s || s.n === 0 || !finite(s.mean)) return MISSING;
  const k = o.from === 'percent' ? 1 : 100;
  const d = o.digits ?? 1;
  return `${(k * s.mean).toFixed(d)} ± ${(k * s.std).toFixed(d)}${o.unit ?? '%'}`;
}

/** Seconds as "m:ss" or "h:mm:ss"; missing → "—". */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return MISSING;
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}

/** A setting's value as typed back into a field: integers as they are, others to 4 significant digits. */
export function formatNumber(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (Number.isInteger(v)) return a >= 1e6 ? v.toExponential(1) : String(v);
  if (a >= 1e6 || a < 1e-6) return v.toExponential(2);
  if (a < 1e-3) return String(Number(v.toPrecision(3)));
  return Number(v.toPrecision(4)).toString();
}

/** Compact number for charts and tables: `digits` significant digits; missing → "—". */
export function formatCompact(v: number | null | undefined, digits = 3): string {
  if (!finite(v)) return MISSING;
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(digits - 1);
  return String(Number(v.toPrecision(digits)));
}
