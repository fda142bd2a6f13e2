import { describe, expect, it } from 'vitest';
import { featureSpace } from '../../src/core/metrics/feature-space';
import { packFeatureSpace, unpackFeatureSpace } from '../../src/worker/feature-space-wire';

describe('feature space on the wire', () => {
  it('packs the points as float32 / int32 in transferable buffers and unpacks to the same picture', () => {
    const n = 300;
    const D = 8;
    const f = Float32Array.from({ length: n * D }, (_, i) => Math.sin(i * 0.37) * (1 + (i % 5)));
    const y = Int32Array.from({ length: n }, (_, i) => i % 3);
    const W = Float32Array.from({ length: D * 3 }, (_, i) => Math.cos(i));
    const fs = featureSpace(f, y, { numClasses: 3, weights: W, maxPoints: 200 });
    const { packed, transfer } = packFeatureSpace(fs);
    expect(packed.x).toBeInstanceOf(Float32Array);
    expect(packed.labels).toBeInstanceOf(Int32Array);
    expect(transfer).toHaveLength(4);
    expect(transfer.reduce((s, b) => s + b.byteLength, 0)).toBe(200 * 4 * 4);
    const back = unpackFeatureSpace(structuredClone(packed));
    expect(back.labels).toEqual(fs.labels);
    for (let i = 0; i < fs.x.length; i++) {
      expect(back.x[i]).toBe(Math.fround(fs.x[i]));
      expect(back.norms[i]).toBe(Math.fround(fs.norms[i]));
    }
    expect(back.arrows).toEqual(fs.arrows);
    expect(back.cosine).toEqual(fs.cosine);
    expect(back.classes).toEqual(fs.classes);
  });
});
