/** Small text formatters for the UI. */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '–';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}

export function formatNumber(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (Number.isInteger(v)) return a >= 1e6 ? v.toExponential(1) : String(v);
  if (a >= 1e6 || a < 1e-6) return v.toExponential(2);
  if (a < 1e-3) return String(Number(v.toPrecision(3)));
  return Number(v.toPrecision(4)).toString();
}
