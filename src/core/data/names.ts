/**
 * Class names (and other short user strings) from any source — CIFAR meta files, folder names, .ltpg headers, model
 * zips — cleaned one way before the app shows them: NFC-normalised, control, bidi-override, line-separator and BOM
 * characters removed, lone UTF-16 surrogates replaced by U+FFFD, trimmed and capped (in code points, ending in
 * "…"). The result is plain text: the UI renders it as text, never as markup. Zero-width joiners stay (emoji
 * sequences and some scripts need them).
 */

/** Longest class name kept (in characters); longer names are cut and end with "…". */
export const MAX_CLASS_NAME = 64;

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** A user string made safe to show as text: control / bidi characters removed, NFC, trimmed, capped at `max`. */
export function cleanName(s: string, max = MAX_CLASS_NAME): string {
  const src = String(s);
  // work on a bounded prefix, so a 100 MB "name" costs no more than a long one
  const bound = Math.max(64, max * 8);
  const t = src.slice(0, bound).replace(LONE_SURROGATE, '\ufffd').normalize('NFC').replace(CONTROL, '').trim();
  const cps = Array.from(t);
  if (cps.length === 0) return '';
  return cps.length > max || src.length > bound ? cps.slice(0, max - 1).join('') + '…' : t;
}

/**
 * Display names for a list of raw class names: cleaned, never empty (`class N` for a name that cleans to nothing)
 * and distinct (a repeat gets " (2)", " (3)", …), in the same order.
 */
export function classDisplayNames(raw: readonly string[]): string[] {
  const used = new Set<string>();
  return raw.map((r, i) => {
    const base = cleanName(r) || `class ${i + 1}`;
    let name = base;
    for (let k = 2; used.has(name); k++) name = `${cleanName(r, MAX_CLASS_NAME - 5) || `class ${i + 1}`} (${k})`;
    used.add(name);
    return name;
  });
}
