/**
 * Exports are made from plain arrays: a snapshot of the trainer's weights. With the active tfjs backend unusable
 * (as a GPU backend left broken by the backend measurement can be), the safetensors file and the TF.js zip are still
 * written, byte for byte as on the cpu backend, and the active backend is put back afterwards.
 */
import * as tf from '@tensorflow/tfjs';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportInfoFromTrainer, exportSafetensors, exportTfjsZip } from '../../../src/core/export';
import { readSnapshot, snapshotOf, type ModelSnapshot } from '../../../src/core/export/snapshot';
import type { ExportInfo } from '../../../src/core/export/info';
import { tinyData, trainTiny, useCpu } from './helpers';

/** A backend every kernel of which throws (tfjs' KernelBackend base class implements nothing). */
class BrokenBackend extends tf.KernelBackend {
  override dispose(): void {}
}

let snap: ModelSnapshot;
let info: ExportInfo;
let onCpu: { st: Uint8Array; zip: Uint8Array };

beforeAll(async () => {
  await useCpu();
  const t = await trainTiny(tinyData(1), { model: 'convnet', head: 'linear', loss: 'ce', epochs: 1 });
  snap = await readSnapshot(t.model);
  info = exportInfoFromTrainer(t, 'wasm');
  onCpu = { st: exportSafetensors(t.model, info, { created: 'x' }), zip: await exportTfjsZip(t.model, info) };
  t.dispose();
  tf.registerBackend('broken', () => new BrokenBackend(), 0);
});

afterAll(async () => {
  await tf.setBackend('cpu');
  tf.removeBackend('broken');
});

describe('exports from a weight snapshot', () => {
  it('the broken backend really is unusable', async () => {
    await tf.setBackend('broken');
    expect(() => tf.zeros([2]).dataSync()).toThrow();
    await tf.setBackend('cpu');
  });

  it('safetensors and the TF.js zip are written with a broken backend active, identical to the cpu ones', async () => {
    await tf.setBackend('broken');
    const st = exportSafetensors(snap, info, { created: 'x' });
    const zip = await exportTfjsZip(snap, info);
    expect(tf.getBackend()).toBe('broken');
    await tf.setBackend('cpu');
    expect(Buffer.from(st).equals(Buffer.from(onCpu.st))).toBe(true);
    const a = unzipSync(zip);
    const b = unzipSync(onCpu.zip);
    expect(Buffer.from(a['weights.bin']).equals(Buffer.from(b['weights.bin']))).toBe(true);
    expect(JSON.parse(Buffer.from(a['model.json']).toString()).modelTopology).toEqual(
      JSON.parse(Buffer.from(b['model.json']).toString()).modelTopology,
    );
  });

  it('refuses a snapshot with a missing, short or non-finite array, naming it', () => {
    const w = new Map(snap.weights);
    const name = snap.spec.params[0].name;
    w.delete(name);
    expect(() => snapshotOf({ ...snap, weights: w })).toThrow(new RegExp(`lack '${name.replace('.', '\\.')}'`));
    w.set(name, new Float32Array(3));
    expect(() => snapshotOf({ ...snap, weights: w })).toThrow(/has 3 values, expected/);
    const bad = Float32Array.from(snap.weights.get(name)!);
    bad[1] = NaN;
    w.set(name, bad);
    expect(() => snapshotOf({ ...snap, weights: w })).toThrow(/non-finite value \(NaN\) at 1/);
  });
});
