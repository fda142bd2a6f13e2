import { describe, expect, it } from 'vitest';
import { formatCompact, formatEta, MISSING, percent, percentMeanStd } from '../../src/core/format';

describe('one format for numbers', () => {
  it('percentages: fraction or percent in, one decimal, the unit asked for; one placeholder for every missing value', () => {
    expect(percent(0.5234)).toBe('52.3%');
    expect(percent(0.5234, { unit: ' %' })).toBe('52.3 %');
    expect(percent(0.5234, { unit: '' })).toBe('52.3');
    expect(percent(52.34, { from: 'percent', unit: ' %' })).toBe('52.3 %');
    expect(percent(1 / 3, { digits: 2 })).toBe('33.33%');
    for (const v of [null, undefined, Number.NaN, Infinity]) expect(percent(v)).toBe(MISSING);
    expect(MISSING).toBe('—');
    expect(formatEta(null)).toBe(MISSING);
    expect(formatCompact(Number.NaN)).toBe(MISSING);
  });

  it('a seed group as mean ± std', () => {
    expect(percentMeanStd({ n: 3, mean: 0.5, std: 0.0123 })).toBe('50.0 ± 1.2%');
    expect(percentMeanStd({ n: 1, mean: 0.5, std: 0 }, { unit: '' })).toBe('50.0 ± 0.0');
    expect(percentMeanStd({ n: 2, mean: 50, std: 1.25 }, { from: 'percent', unit: ' %' })).toBe('50.0 ± 1.3 %');
    expect(percentMeanStd({ n: 0, mean: Number.NaN, std: Number.NaN })).toBe(MISSING);
    expect(percentMeanStd(undefined)).toBe(MISSING);
  });
});
