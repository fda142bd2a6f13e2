import { describe, expect, it } from 'vitest';
import { parseSeedsParam, serialiseUrl, withSeeds } from '../../../src/state/settings/url-schema';
import { PLAYGROUND_DEFAULTS } from '../../../src/state/settings/settings';

describe('seeds= in the URL', () => {
  it('reads the field text, one seed when absent or empty', () => {
    expect(parseSeedsParam('?seeds=3')).toBe('3');
    expect(parseSeedsParam('epochs=2&seeds=1,7,9')).toBe('1,7,9');
    expect(parseSeedsParam('epochs=2')).toBe('1');
    expect(parseSeedsParam('seeds=')).toBe('1');
  });

  it('writes a count or a list, never the default one seed or a rejected text', () => {
    expect(withSeeds('a=1', '3')).toBe('a=1&seeds=3');
    expect(withSeeds('', ' 1, 7 ,9 ')).toBe('seeds=1,7,9');
    expect(withSeeds('a=1', '1')).toBe('a=1');
    expect(withSeeds('a=1', 'three')).toBe('a=1');
    expect(withSeeds('a=1', '1,,2')).toBe('a=1');
  });

  it('round-trips through a full page URL', () => {
    const q = withSeeds(serialiseUrl(PLAYGROUND_DEFAULTS, ['export']), '5');
    expect(parseSeedsParam(q)).toBe('5');
    expect(new URLSearchParams(q).get('hide')).toBe('export');
  });
});
