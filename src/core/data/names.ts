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

/** Longest file or member name put into a message (in characters). */
export const MAX_MESSAGE_NAME = 200;

/**
 * A file or member name for a message: cleaned like a class name and at most `max` characters; a longer one keeps
 * its start and its end (where the file's own name is) around a "…". Only the two ends of a huge name are looked
 * at, so a 40 MB name costs no more than a long one.
 */
export function messageName(s: string, max = MAX_MESSAGE_NAME): string {
  const src = String(s);
  const clean = (t: string) => t.replace(LONE_SURROGATE, '\ufffd').normalize('NFC').replace(CONTROL, '');
  const bound = max * 4;
  const whole = src.length <= 2 * bound ? Array.from(clean(src).trim()) : null;
  if (whole && whole.length <= max) return whole.join('');
  const head = whole ?? Array.from(clean(src.slice(0, bound)).trimStart());
  const tail = whole ?? Array.from(clean(src.slice(-bound)).trimEnd());
  const keep = max - 1;
  return head.slice(0, Math.ceil(keep / 2)).join('') + '…' + tail.slice(tail.length - Math.floor(keep / 2)).join('');
}
