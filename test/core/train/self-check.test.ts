/**
 * The fused engine's self-check on Dawn + SwiftShader against tfjs on the cpu backend: it passes for every model ×
 * head; the injected wrong kernel (a classifier gradient scaled 1.5×) makes it fail with the gradient error named,
 * and a Trainer with that check trains on tfjs with the reason as its engine note; passes are remembered per
 * adapter, build and plan. Must run under CI=true (a Dawn failure then fails the tests instead of skipping them).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerFastKernels } from '../../../src/core/tfjs-kernels';
import { buildSpec } from '../../../src/core/models';
import type { HeadKind, ModelKind } from '../../../src/core/models/types';
import { DEFAULT_CONFIG, type TrainConfig } from '../../../src/core/train/config';
import {
  MemorySelfCheckStore,
  runSelfCheck,
  SelfCheckGate,
  selfCheckKey,
  type AdapterIdentity,
  type SelfCheckReport,
} from '../../../src/core/train/self-check';
import { Trainer } from '../../../src/core/train/trainer';
import { tinyDataset } from '../../helpers/tiny-dataset';
import { CI, dawnDevice } from '../gpu/helpers';

const { device, why } = await dawnDevice();
if (!device && !CI) console.warn(`[self-check.test] SKIPPED: WebGPU (Dawn) could not start: ${why}`);

const SHAPES: Record<ModelKind, [number, number, number]> = {
  convnet: [9, 9, 1],
  resnet8: [8, 8, 3],
  resnet20: [8, 8, 3],
  resnet32: [8, 8, 3],
};
const spec = (kind: ModelKind, head: HeadKind) => buildSpec({ kind, head, inputShape: SHAPES[kind], numClasses: 4 });

const ADAPTER: AdapterIdentity = { vendor: 'v', architecture: 'a', device: 'd', description: 'x' };

describe('self-check key', () => {
  it('differs in each adapter field, the build and the plan', () => {
    const base = selfCheckKey(ADAPTER, '1.0+abc', 'convnet/cosine/9x9x1/4/b4');
    const variants = [
      selfCheckKey({ ...ADAPTER, vendor: 'w' }, '1.0+abc', 'convnet/cosine/9x9x1/4/b4'),
      selfCheckKey({ ...ADAPTER, architecture: 'b' }, '1.0+abc', 'convnet/cosine/9x9x1/4/b4'),
      selfCheckKey({ ...ADAPTER, device: 'e' }, '1.0+abc', 'convnet/cosine/9x9x1/4/b4'),
      selfCheckKey({ ...ADAPTER, description: 'y' }, '1.0+abc', 'convnet/cosine/9x9x1/4/b4'),
      selfCheckKey(ADAPTER, '1.1+abc', 'convnet/cosine/9x9x1/4/b4'),
      selfCheckKey(ADAPTER, '1.0+abd', 'convnet/cosine/9x9x1/4/b4'),
      selfCheckKey(ADAPTER, '1.0+abc', 'convnet/linear/9x9x1/4/b4'),
    ];
    expect(new Set([base, ...variants]).size).toBe(8);
    // no field can run into the next
    expect(selfCheckKey({ ...ADAPTER, vendor: 'v","a' }, 'b', 'p')).not.toBe(selfCheckKey({ ...ADAPTER, vendor: 'v' }, 'b', 'p'));
  });
});

describe.skipIf(!device && !CI)('fused engine self-check (Dawn + SwiftShader vs tfjs cpu)', () => {
  beforeAll(async () => {
    if (!device) throw new Error(`WebGPU must start under CI but did not: ${why}`);
    await tf.setBackend('cpu');
    await tf.ready();
    registerFastKernels();
  });

  const MATRIX: [ModelKind, HeadKind][] = (['convnet', 'resnet8', 'resnet20', 'resnet32'] as ModelKind[]).flatMap((k) =>
    (['cosine', 'linear'] as HeadKind[]).map((h): [ModelKind, HeadKind] => [k, h]),
  );

  it.each(MATRIX)('%s / %s head: passes', async (kind, head) => {
    const r = await runSelfCheck({ device: device!, spec: spec(kind, head), maxBatch: 4, adapter: ADAPTER });
    expect(r.reason).toBeNull();
    expect(r.ok).toBe(true);
    expect(r.gradientError).toBeLessThanOrEqual(1e-4);
    expect(r.lossError).toBeLessThanOrEqual(1e-5);
    expect(r.variants).toBeGreaterThan(5);
    expect(r.reference).toBe('cpu');
    expect(r.plan).toBe(`${kind}/${head}/${SHAPES[kind].join('x')}/4/b4`);
  });

  it('a scaled classifier gradient fails it, naming the gradient error', async () => {
    const r = await runSelfCheck({ device: device!, spec: spec('resnet8', 'cosine'), maxBatch: 4, fault: 'scaled-gradient' });
    expect(r.ok).toBe(false);
    expect(r.gradientWorst).toBe('linear.weight');
    expect(r.gradientError).toBeGreaterThan(0.1);
    expect(r.reason).toMatch(
      /^fused engine disagreed with tfjs on this GPU: .*max gradient error \d\.\de-?\d+ \(linear\.weight\).*; using tfjs$/,
    );
  });

  it('remembers a pass per adapter, build and plan; a failure is not remembered', async () => {
    const store = new MemorySelfCheckStore();
    const s = spec('convnet', 'linear');
    const gate = new SelfCheckGate(store, { adapter: () => ADAPTER });
    const a = await gate.verify(device!, s, 4);
    expect(a.ok && !a.cached).toBe(true);
    expect(gate.verify(device!, s, 4)).toBe(gate.verify(device!, s, 4));
    // a new session with the same store: remembered
    const again = await new SelfCheckGate(store, { adapter: () => ADAPTER }).verify(device!, s, 4);
    expect(again.cached).toBe(true);
    // another adapter, another build, another plan: checked afresh
    const other = await new SelfCheckGate(store, { adapter: () => ({ ...ADAPTER, device: 'other' }) }).verify(device!, s, 4);
    expect(other.cached).toBe(false);
    const build = await new SelfCheckGate(store, { adapter: () => ADAPTER, build: '9.9.9' }).verify(device!, s, 4);
    expect(build.cached).toBe(false);
    expect(build.build).toMatch(/^9\.9\.9\+[0-9a-f]{8}$/);
    const plan = await new SelfCheckGate(store, { adapter: () => ADAPTER }).verify(device!, s, 3);
    expect(plan.cached).toBe(false);
    // the fault is its own key and fails; not stored, so it fails again
    const bad = new SelfCheckGate(store, { adapter: () => ADAPTER, fault: 'scaled-gradient' });
    expect((await bad.verify(device!, s, 4)).ok).toBe(false);
    const bad2 = await new SelfCheckGate(store, { adapter: () => ADAPTER, fault: 'scaled-gradient' }).verify(device!, s, 4);
    expect(bad2.ok || bad2.cached).toBe(false);
  });

  const data = tinyDataset({ classes: 4, poolPerClass: 16, testPerClass: 2 });
  const cfg = (): TrainConfig => ({
    ...structuredClone(DEFAULT_CONFIG),
    dataset: 'tiny',
    imbalance: 4,
    model: 'convnet',
    head: 'cosine',
    loss: 'ce',
    batchSize: 8,
    epochs: 1,
    lr: 0.02,
    schedule: 'constant',
    warmup: false,
    augment: false,
    logEvery: 1,
    engine: 'auto',
  });

  it('a Trainer whose check fails trains on tfjs with the reason as its engine note', async () => {
    const reports: SelfCheckReport[] = [];
    const t = new Trainer(data, cfg(), {
      gpuDevice: device,
      selfCheck: new SelfCheckGate(new MemorySelfCheckStore(), { fault: 'scaled-gradient' }),
      onSelfCheck: (r) => reports.push(r),
    });
    try {
      expect(t.engineResolution().kind).toBe('fused');
      const r = await t.step();
      expect(Number.isFinite(r.batch.loss)).toBe(true);
      expect(t.engineKind).toBe('tfjs');
      expect(reports).toHaveLength(1);
      expect(t.selfCheck?.ok).toBe(false);
      expect(t.engineResolution().note).toMatch(/^fused engine disagreed with tfjs on this GPU: .*max gradient error/);
      await t.step();
      expect(reports).toHaveLength(1);
    } finally {
      t.dispose();
    }
  });

  it('a Trainer whose check passes trains on the fused engine', async () => {
    const t = new Trainer(data, cfg(), { gpuDevice: device, selfCheck: new SelfCheckGate() });
    try {
      await t.step();
      expect(t.selfCheck?.ok).toBe(true);
      expect(t.engineKind).toBe('fused');
      expect(t.engineResolution().note).toBeNull();
    } finally {
      t.dispose();
    }
  });
});
