/**
 * What ran is recorded: a live change during training joins the trainer's change log (stage, epoch, step, old and
 * new value); the exported files keep the initial configuration plus the log, and continuing from a file uses the
 * configuration after the changes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { changesBetween, configAt, describeChange } from '../../../src/core/train/change-log';
import { Trainer } from '../../../src/core/train/trainer';
import { exportInfoFromTrainer, exportSafetensors, exportTfjsZip, loadPlaygroundModel } from '../../../src/core/export';
import { decodeSafetensors } from '../../../src/core/export/safetensors';
import { specFromTfjsZip } from '../../../src/worker/exports';
import { tinyConfig, tinyData, useCpu } from '../export/helpers';

beforeAll(useCpu);

describe('change log', () => {
  it('changesBetween lists each setting once and each loss hyperparameter on its own; configAt replays them', () => {
    const a = tinyConfig({ loss: 'gcl', head: 'cosine', lossParams: { noiseMul: 0.5 } });
    const b = { ...a, lr: 0.01, lossParams: { noiseMul: 1, m: 0.1 } };
    const ch = changesBetween(a, b, { stage: 1, step: 7, nextEpoch: 2 });
    const byKey = new Map(ch.map((c) => [c.key, c]));
    expect([...byKey.keys()].sort()).toEqual(['lossParams.m', 'lossParams.noiseMul', 'lr']);
    expect(ch).toHaveLength(3);
    expect(byKey.get('lr')).toEqual({ stage: 1, epoch: 2, step: 7, key: 'lr', from: 0.05, to: 0.01 });
    expect(describeChange(byKey.get('lr')!)).toBe('learning rate changed at epoch 2 (after step 7): 0.05 → 0.01');
    expect(describeChange(byKey.get('lossParams.m')!)).toBe('loss hyperparameter m changed at epoch 2 (after step 7): none → 0.1');
    expect(configAt(a, ch)).toEqual(b);
    expect(configAt(a, ch, 7)).toEqual(a); // nothing before step 7 changed
    expect(a.lr).toBe(0.05); // the initial one is not touched
  });

  it('a live lr change mid-epoch is logged where it applied; exports keep the initial config and the log', async () => {
    const data = tinyData(1);
    const t = new Trainer(data, tinyConfig({ model: 'convnet', epochs: 2, lr: 0.1 }));
    try {
      await t.step();
      await t.step();
      t.update({ lr: 0.05 });
      await t.step();
      expect(t.config.lr).toBe(0.05);
      expect(t.initialConfig.lr).toBe(0.1);
      expect(t.changes).toEqual([{ stage: 1, epoch: 1, step: 2, key: 'lr', from: 0.1, to: 0.05 }]);
      const info = exportInfoFromTrainer(t, 'cpu');
      expect(info.trainConfig!.lr).toBe(0.1);
      const meta = decodeSafetensors(exportSafetensors(t.model, info)).metadata;
      expect(JSON.parse(meta.train_config).lr).toBe(0.1);
      expect(JSON.parse(meta.changes)).toEqual([...t.changes]);
      expect(JSON.parse(meta.changes_text)).toEqual(['learning rate changed at epoch 1 (after step 2): 0.1 → 0.05']);
      const zip = await exportTfjsZip(t.model, info);
      const loaded = loadPlaygroundModel(zip);
      loaded.model.dispose();
      expect(loaded.metadata.info.changes).toEqual([...t.changes]);
      // continuing from the zip trains with the lr after the change
      const { spec } = await specFromTfjsZip(zip);
      expect(spec.config.lr).toBe(0.05);
      // and the checkpoint carries both, so a resumed run keeps its record
      while (t.batchInEpoch !== 0) await t.step();
      const ck = await t.checkpoint();
      const back = Trainer.fromCheckpoint(data, ck);
      expect(back.initialConfig.lr).toBe(0.1);
      expect(back.changes).toEqual([...t.changes]);
      back.dispose();
    } finally {
      t.dispose();
    }
  });

  it('a model zip with a malformed change log is refused, naming the field', async () => {
    const data = tinyData(1);
    const t = new Trainer(data, tinyConfig({ model: 'convnet', epochs: 1 }));
    try {
      const info = { ...exportInfoFromTrainer(t, 'cpu'), changes: [{ stage: 3, epoch: 1, step: 0, key: 'lr', from: 1, to: 2 }] };
      const zip = await exportTfjsZip(t.model, info as never);
      expect(() => loadPlaygroundModel(zip, 'x.zip')).toThrow(/x\.zip: model\.json: info\.changes\[0\]\.stage is 3/);
    } finally {
      t.dispose();
    }
  });
});
