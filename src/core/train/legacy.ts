/**
 * Migrations of records written by earlier versions (pure; used by the model-zip loader and by saved runs):
 * the head-class cap once lived in the run spec's `data.nMax`; it is now `config.headImages`.
 */

/** The head-class cap an old run spec kept in `data.nMax` (null: none). Throws an Error naming the field if malformed. */
export function legacyHeadCap(runSpec: unknown): number | null {
  if (runSpec === undefined || runSpec === null) return null;
  const data = typeof runSpec === 'object' ? (runSpec as { data?: unknown }).data : undefined;
  const nMax = data && typeof data === 'object' ? (data as { nMax?: unknown }).nMax : undefined;
  if (nMax === undefined || nMax === null) return null;
  if (typeof nMax !== 'number' || !Number.isInteger(nMax) || nMax < 1 || nMax > 1e7) {
    throw new Error(`runSpec.data.nMax is ${String(nMax)}, expected null or a positive integer`);
  }
  return nMax;
}
