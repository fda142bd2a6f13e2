import { describe, expect, it } from 'vitest';
import { MAX_CLASS_NAME, classDisplayNames, cleanName } from '../../../src/core/data/names';

describe('cleanName / classDisplayNames (every class name, from any source)', () => {
  it('removes control, bidi-override, separator and BOM characters; NFC; trims', () => {
    expect(cleanName('  a\u202eb\u0000c  ')).toBe('abc');
    expect(cleanName('e\u0301')).toBe('\u00e9');
    expect(cleanName('\ufeffx\u2066y\u2069\u200fz\u061c\u2028')).toBe('xyz');
    expect(cleanName('tab\there\nnew\u0085line')).toBe('tabherenewline');
    expect(cleanName('T-shirt/top')).toBe('T-shirt/top'); // ordinary punctuation stays
    expect(cleanName('👨‍👩‍👧 family')).toBe('👨‍👩‍👧 family'); // zero-width joiners stay
    expect(cleanName('<img src=x onerror=alert(1)>')).toBe('<img src=x onerror=alert(1)>'); // text, not markup
  });

  it('replaces lone surrogates and caps the length in code points, ending in "…"', () => {
    expect(cleanName('a\ud800b\udc00c')).toBe('a\ufffdb\ufffdc');
    expect(cleanName('😀'.repeat(70))).toBe('😀'.repeat(MAX_CLASS_NAME - 1) + '…');
    expect(cleanName('x'.repeat(100_000))).toBe('x'.repeat(63) + '…');
    expect(cleanName('y'.repeat(10), 5)).toBe('yyyy…');
    // only a bounded prefix is looked at (8× the cap): a name hidden behind 1000 control characters cleans to
    // nothing, and gets a "class N" display name
    expect(cleanName('\u0000'.repeat(1000) + 'z'.repeat(10))).toBe('');
    expect(cleanName('\u0000'.repeat(100) + 'z'.repeat(1000))).toBe('z'.repeat(63) + '…');
    expect(cleanName('\u0000\u202e ')).toBe('');
  });

  it('display names are never empty and always distinct', () => {
    expect(classDisplayNames(['a', 'a\u0000', '\u0001', 'b', 'a'])).toEqual(['a', 'a (2)', 'class 3', 'b', 'a (3)']);
    const long = 'n'.repeat(200);
    const names = classDisplayNames([long, long]);
    expect(names[0]).toBe('n'.repeat(63) + '…');
    expect(names[1]).toBe('n'.repeat(58) + '… (2)');
    expect(new Set(names).size).toBe(2);
  });
});
