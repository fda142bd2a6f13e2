/**
 * TensorFlow.js export: one zip with model.json (layers-model topology + weights manifest) and weights.bin.
 * tf.loadLayersModel opens it with stock layers only and reproduces the app's test outputs to 1e-5; the app's own
 * loader (loadPlaygroundModel) rebuilds the model exactly, evaluates like the original and continues training.
 */
import * as tf from '@tensorflow/tfjs';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportInfoFromTrainer, exportTfjsZip, loadLayersModelFromZip, loadPlaygroundModel, testLogits } from '../../../src/core/export';
import { makeBatch } from '../../../src/core/data/augment';
import { setWeights, cloneWeights } from '../../../src/core/models';
import { Trainer } from '../../../src/core/train/trainer';
import { Rng } from '../../../src/core/rng';
import type { Dataset } from '../../../src/core/data/types';
import { maxAbsDiff, tinyData, trainTiny, useCpu } from './helpers';

const STOCK = new Set([
  'InputLayer',
  'Conv2D',
  'ZeroPadding2D',
  'BatchNormalization',
  'ReLU',
  'Add',
  'MaxPooling2D',
  'GlobalAveragePooling2D',
  'Dense',
  'Reshape',
  'Dot',
]);

beforeAll(useCpu);

const cases = [
  { label: 'ResNet-8 linear RGB', channels: 3, over: {} },
  { label: 'ResNet-8 cosine RGB (GCL)', channels: 3, over: { head: 'cosine' as const, loss: 'gcl' as const } },
  { label: 'ConvNet cosine grey (LDAM)', channels: 1, over: { model: 'convnet' as const, head: 'cosine' as const, loss: 'ldam' as const } },
];

const trainers: Trainer[] = [];
afterAll(() => trainers.forEach((t) => t.dispose()));

/** The layers model's outputs on the first n test images, fed exactly as model.json's metadata documents. */
function layersOutputs(lm: tf.LayersModel, data: Dataset, n: number, mean: number[], std: number[]): number[][] {
  const { height: H, width: W, channels: C } = data.test;
  const x = makeBatch(
    data.test,
    Array.from({ length: n }, (_, i) => i),
    { ...data.meta, mean, std },
    { augment: false, rng: new Rng(0) },
  );
  const y = tf.tidy(() => lm.predict(tf.tensor4d(x, [n, H, W, C])) as tf.Tensor2D);
  const v = y.arraySync();
  y.dispose();
  return v;
}

describe('TensorFlow.js zip export', () => {
  for (const c of cases) {
    it(`${c.label}: tf.loadLayersModel reproduces the app's outputs; loadPlaygroundModel round-trips and continues training`, async () => {
      const data = tinyData(c.channels);
      const t = await trainTiny(data, c.over);
      trainers.push(t);
      const zip = await exportTfjsZip(t.model, exportInfoFromTrainer(t, 'cpu'));
      const files = unzipSync(zip);
      expect(Object.keys(files).sort()).toEqual(['model.json', 'weights.bin']);
      const json = JSON.parse(strFromU8(files['model.json']));
      expect(json.format).toBe('layers-model');
      expect(json.weightsManifest).toHaveLength(1);
      expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
      const specs = json.weightsManifest[0].weights as { name: string; shape: number[]; dtype: string }[];
      const bytes = specs.reduce((s, w) => s + 4 * w.shape.reduce((a, d) => a * d, 1), 0);
      expect(files['weights.bin'].length).toBe(bytes);
      const names = specs.map((w) => w.name);
      expect(names).toContain('conv1/kernel');
      expect(names).toContain(c.over.model === 'convnet' ? 'bn3/moving_variance' : 'layer2.0.bn1/moving_variance');
      if (c.over.model !== 'convnet') expect(names).toContain('layer3.0.shortcut/kernel');
      const classes = ((json.modelTopology.model_config ?? json.modelTopology).config.layers as { class_name: string }[]).map(
        (l) => l.class_name,
      );
      for (const cls of classes) expect(STOCK.has(cls), cls).toBe(true);
      const meta = json.userDefinedMetadata.longTailPlayground;
      expect(meta.config).toEqual(t.spec.config);
      expect(meta.mean).toEqual(c.channels === 3 ? [0.45, 0.5, 0.55] : [0.4]);
      expect(meta.output).toBe(t.spec.config.head === 'cosine' ? 'cosine' : 'logits');

      const n = 80;
      const app = await testLogits(t.model, data, n);

      // 1. tf.loadLayersModel from the unzipped files (no custom layer registered).
      const lm = await tf.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: json.modelTopology,
          weightSpecs: specs as tf.io.WeightsManifestEntry[],
          weightData: files['weights.bin'].slice().buffer,
        }),
      );
      const lmOut = layersOutputs(lm, data, n, meta.mean, meta.std);
      const dLayers = maxAbsDiff(app.logits, lmOut);
      console.log(`[export] ${c.label}: max |app − tf.loadLayersModel| = ${dLayers.toExponential(2)}`);
      expect(dLayers).toBeLessThan(1e-5);
      const lm2 = await loadLayersModelFromZip(zip);
      expect(maxAbsDiff(layersOutputs(lm2, data, n, meta.mean, meta.std), lmOut)).toBe(0);
      lm2.dispose();

      // The layers model is trainable as usual: the classifier moves, the fixed shortcut / constant layers do not.
      const before = new Map(lm.weights.map((w) => [w.originalName, w.read().dataSync().slice()]));
      lm.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
      const { height: H, width: W, channels: C } = data.test;
      const xb = tf.tensor4d(makeBatch(data.test, [0, 1, 2, 3, 4, 5, 6, 7], data.meta, { augment: false, rng: new Rng(0) }), [8, H, W, C]);
      const yb = tf.oneHot(tf.tensor1d(Array.from(data.test.labels.subarray(0, 8)), 'int32'), 4).toFloat();
      const loss = await lm.trainOnBatch(xb, yb);
      expect(Number.isFinite(loss as number)).toBe(true);
      const changed = (n: string) => {
        const a = before.get(n)!,
          b = lm.weights
            .find((w) => w.originalName === n)!
            .read()
            .dataSync();
        return a.some((v, i) => v !== b[i]);
      };
      expect(changed('linear/kernel')).toBe(true);
      expect(changed('conv1/kernel')).toBe(true);
      if (c.over.model !== 'convnet') expect(changed('layer2.0.shortcut/kernel')).toBe(false);
      if (t.spec.config.head === 'cosine') expect(changed('linear.one/kernel') || changed('linear.one/bias')).toBe(false);
      tf.dispose([xb, yb]);
      lm.dispose();

      // 2. The app's loader: same model, same outputs, same BN counters.
      const loaded = loadPlaygroundModel(zip);
      expect(loaded.config).toEqual(t.spec.config);
      const back = await testLogits(loaded.model, data, n);
      expect(maxAbsDiff(app.logits, back.logits)).toBe(0);
      expect([...loaded.model.bnBatchesTracked.values()].every((v) => v === t.globalStep)).toBe(true);
      const orig = cloneWeights(t.model);
      for (const [k, v] of cloneWeights(loaded.model)) expect(Array.from(v), k).toEqual(Array.from(orig.get(k)!));
      loaded.model.dispose();

      // 3. Continue training in the app: a Trainer with the exported config + weights evaluates the same and steps.
      const cfg = loaded.metadata.info.trainConfig!;
      expect(cfg).toEqual(t.config);
      const t2 = new Trainer(data, cfg);
      trainers.push(t2);
      setWeights(t2.model, loaded.weights);
      for (const [k, v] of loaded.bnBatchesTracked) t2.model.bnBatchesTracked.set(k, v);
      const [e1, e2] = [await t.evaluate(), await t2.evaluate()];
      expect(e2.accuracy).toBe(e1.accuracy);
      expect(e2.loss).toBeCloseTo(e1.loss!, 6);
      const w0 = cloneWeights(t2.model);
      const r = await t2.step();
      expect(r.halt).toBeUndefined();
      expect(Number.isFinite(r.batch.loss)).toBe(true);
      const w1 = cloneWeights(t2.model);
      expect(Array.from(w1.get('conv1.weight')!)).not.toEqual(Array.from(w0.get('conv1.weight')!));
      expect(t2.model.bnBatchesTracked.get('bn1')).toBe(t.globalStep + 1);
    });
  }

  it('rejects files that are not an export, naming what is wrong', async () => {
    expect(() => loadPlaygroundModel(strToU8('hello'))).toThrow(/not a readable zip/);
    expect(() => loadPlaygroundModel(zipSync({ 'a.txt': strToU8('x') }))).toThrow(/no model.json/);
    const foreign = zipSync({
      'model.json': strToU8(JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['w.bin'], weights: [] }] })),
      'w.bin': new Uint8Array(0),
    });
    expect(() => loadPlaygroundModel(foreign)).toThrow(/no Long-Tail Playground metadata/);
    const missing = zipSync({
      'model.json': strToU8(JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['w.bin'], weights: [] }] })),
    });
    expect(() => loadPlaygroundModel(missing)).toThrow(/lacks the weights file 'w.bin'/);
  });
});
