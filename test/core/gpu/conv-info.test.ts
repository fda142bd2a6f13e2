/** The backend panel's words for the fused executor's convolutions, and the plan's layer counts behind them. */
import { describe, expect, it } from 'vitest';
import { convKernelsText } from '../../../src/core/gpu/conv-info';
import { buildPlan } from '../../../src/core/gpu/plan';
import { buildSpec } from '../../../src/core/models';
import { LIMITS } from './plan-fixtures';

const info = (asked: 'auto' | 'direct' | 'tiled', software: boolean, tiledLayers: number, layers = 31) => ({
  asked,
  software,
  tiledLayers,
  layers,
});

describe('convKernelsText', () => {
  it('says direct and why: the setting, a software adapter, or no layer that fits', () => {
    expect(convKernelsText(info('auto', true, 0))).toBe('direct kernels (software adapter: the tiled ones are slower there)');
    expect(convKernelsText(info('direct', false, 0))).toBe('direct kernels (set to direct)');
    expect(convKernelsText(info('auto', false, 0))).toBe('direct kernels (no layer is large enough for the tiled ones)');
    expect(convKernelsText(info('tiled', true, 0, 2))).toBe('direct kernels (set to tiled; no layer has channels in multiples of 16)');
  });

  it('says on how many layers the tiled kernels run, and why the others do not', () => {
    expect(convKernelsText(info('tiled', true, 30))).toBe(
      'tiled on 30 of 31 layers (set to tiled; 1 layer keeps the direct ones: channels not in multiples of 16)',
    );
    expect(convKernelsText(info('auto', false, 19))).toBe(
      'tiled on 19 of 31 layers (hardware adapter; 12 layers keep the direct ones: too small or channels not in multiples of 16)',
    );
    expect(convKernelsText(info('auto', false, 4, 4))).toBe('tiled on 4 of 4 layers (hardware adapter)');
    expect(convKernelsText(info('tiled', false, 4, 4))).toBe('tiled on 4 of 4 layers (set to tiled)');
  });
});

describe('Plan.convLayers', () => {
  const spec = buildSpec({ kind: 'resnet32', head: 'linear', inputShape: [32, 32, 3], numClasses: 10 });
  it('ResNet-32: 31 convolutions; tiled on all but the 3-channel stem when forced, none when direct', () => {
    expect(buildPlan(spec, 2, LIMITS, 'tiled').convLayers).toEqual({ layers: 31, tiled: 30 });
    expect(buildPlan(spec, 2, LIMITS, 'direct').convLayers).toEqual({ layers: 31, tiled: 0 });
  });
  it('auto: the large layers of a large batch, none of a tiny one', () => {
    const big = buildPlan(spec, 128, LIMITS, 'auto').convLayers;
    expect(big.layers).toBe(31);
    expect(big.tiled).toBeGreaterThan(0);
    expect(big.tiled).toBeLessThanOrEqual(30);
    expect(buildPlan(spec, 2, LIMITS, 'auto').convLayers.tiled).toBe(0);
  });
});
