/**
 * Model zips are not trusted: model.json and weights.bin are bounded before they inflate, weights.bin must hold
 * exactly what the manifest describes, every metadata field is range-checked (the training configuration through
 * validateConfig), and every error names the file and the field.
 */
import { strFromU8, strToU8, unzipSync, zipSync, type Zippable } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../../../src/core/data/errors';
import { SizeLimitError } from '../../../src/core/data/inflate';
import { exportInfoFromTrainer, exportTfjsZip, loadPlaygroundModel } from '../../../src/core/export';
import { MODEL_JSON_MAX_BYTES, WEIGHTS_MAX_BYTES, loadLayersModelFromZip } from '../../../src/core/export/tfjs';
import { validateConfig, type TrainConfig } from '../../../src/core/train/config';
import { setZipField, thrown } from '../data/helpers';
import { tinyData, trainTiny, useCpu } from './helpers';

const FILE = 'run.tfjs.zip';
let zip: Uint8Array;
let weightsLength = 0;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- model.json is edited freely here
type Json = any;

beforeAll(async () => {
  await useCpu();
  const t = await trainTiny(tinyData(1), { model: 'convnet', head: 'cosine', loss: 'gcl', epochs: 1 });
  zip = await exportTfjsZip(t.model, exportInfoFromTrainer(t, 'cpu'));
  t.dispose();
  weightsLength = unzipSync(zip)['weights.bin'].length;
});

/** The export with model.json edited and/or weights.bin replaced, re-zipped. */
function edited(editJson: (j: Json) => void, weights?: (w: Uint8Array) => Uint8Array, extra: Zippable = {}): Uint8Array {
  const files = unzipSync(zip);
  const json = JSON.parse(strFromU8(files['model.json']));
  editJson(json);
  return zipSync({
    'model.json': strToU8(JSON.stringify(json)),
    'weights.bin': weights ? weights(files['weights.bin']) : files['weights.bin'],
    ...extra,
  });
}
const meta = (j: Json) => j.userDefinedMetadata.longTailPlayground;
const load = (bytes: Uint8Array) => thrown(() => loadPlaygroundModel(bytes, FILE));

describe('model zip sizes', () => {
  it('the export loads; its sizes are far inside the limits', () => {
    expect(loadPlaygroundModel(zip, FILE).metadata.info.epoch).toBe(1);
    expect(unzipSync(zip)['model.json'].length).toBeLessThan(MODEL_JSON_MAX_BYTES / 10);
    expect(weightsLength).toBeLessThan(WEIGHTS_MAX_BYTES / 10);
  });

  it('weights.bin longer or shorter than the manifest: an error naming the file and the difference', async () => {
    const grow = (w: Uint8Array) => {
      const x = new Uint8Array(w.length + 4);
      x.set(w);
      return x;
    };
    let e = load(edited(() => {}, grow));
    expect(e).toBeInstanceOf(DataError);
    expect(e.message).toBe(
      `${FILE}: "weights.bin" holds ${weightsLength + 4} bytes, but the weights manifest in model.json describes ${weightsLength} bytes (4 bytes too many)`,
    );
    e = load(
      edited(
        () => {},
        (w) => w.subarray(0, w.length - 8),
      ),
    );
    expect(e.message).toBe(
      `${FILE}: "weights.bin" holds ${weightsLength - 8} bytes, but the weights manifest in model.json describes ${weightsLength} bytes (8 bytes too few)`,
    );
    // the generic tfjs loader gets the same check
    await expect(
      loadLayersModelFromZip(
        edited(() => {}, grow),
        FILE,
      ),
    ).rejects.toThrow(/^run\.tfjs\.zip: "weights\.bin" holds .* \(4 bytes too many\)$/);
  });

  it('a weights.bin bomb is refused: an honest directory before inflating, a lying one while it streams', () => {
    const bomb = edited(
      () => {},
      () => new Uint8Array(32 * 1024 * 1024),
    );
    expect(bomb.length).toBeLessThan(100_000);
    expect(load(bomb).message).toMatch(
      new RegExp(`^${FILE.replace(/\./g, '\\.')}: "weights.bin" holds 33554432 bytes, but the weights manifest`),
    );
    const lying = setZipField(bomb, 'weights.bin', 'size', weightsLength);
    const e = load(lying);
    expect(e).toBeInstanceOf(SizeLimitError);
    expect(e.message).toBe(
      `${FILE}: member "weights.bin" decompresses to more than the ${weightsLength} bytes the zip directory declares for it — refused (a damaged file or a decompression bomb)`,
    );
  });

  it('model.json over 4 MiB, or a manifest over 8 MiB of weights, is refused before the weights are read', () => {
    const fat = edited((j) => {
      meta(j).info.padding = 'x'.repeat(MODEL_JSON_MAX_BYTES);
    });
    expect(load(fat).message).toMatch(
      /^run\.tfjs\.zip: member "model\.json" is \d+ bytes \(by the zip directory\), more than the 4194304 bytes a model\.json may hold/,
    );
    const huge = edited((j) => {
      j.weightsManifest[0].weights[0].shape = [1024, 1024, 4];
    });
    expect(load(huge).message).toMatch(
      /^run\.tfjs\.zip: model\.json: the weights manifest describes \d+ bytes, more than the 8388608 bytes a model of this app can hold/,
    );
    const bad = edited((j) => {
      j.weightsManifest[0].weights[1].shape = [-1, 3];
    });
    expect(load(bad).message).toMatch(/^run\.tfjs\.zip: model\.json: weightsManifest\[0\]\.weights\[1\] \(".*"\) has a malformed shape/);
  });

  it('two model.json files, a missing weights file, non-finite weights', () => {
    const files = unzipSync(zip);
    const two = zipSync({ 'model.json': files['model.json'], 'weights.bin': files['weights.bin'], 'copy/model.json': files['model.json'] });
    expect(load(two).message).toBe(`${FILE}: the zip holds 2 model.json files ("model.json", "copy/model.json"); expected one`);
    const nan = edited(
      () => {},
      (w) => {
        const x = w.slice();
        new DataView(x.buffer).setFloat32(0, NaN, true);
        return x;
      },
    );
    const name = JSON.parse(strFromU8(files['model.json'])).weightsManifest[0].weights[0].name;
    expect(load(nan).message).toBe(`${FILE}: weight '${name}' holds a non-finite value (NaN) at index 0`);
    expect(load(strToU8('not a zip')).message).toBe(`${FILE}: not a readable zip (no zip signature at its start)`);
  });
});

describe('model zip metadata', () => {
  it('epoch, stage, step, seed and shapes are range-checked, naming the field', () => {
    const cases: [(m: Json) => void, string][] = [
      [(m) => (m.info.epoch = -3), "model.json: info.epoch is -3, expected an integer in [0, 1] (the run's epochs)"],
      [(m) => (m.info.epoch = 2), "model.json: info.epoch is 2, expected an integer in [0, 1] (the run's epochs)"],
      [(m) => (m.info.epoch = 0.5), "model.json: info.epoch is 0.5, expected an integer in [0, 1] (the run's epochs)"],
      [(m) => (m.info.stage = 3), 'model.json: info.stage is 3, expected an integer in [1, 2]'],
      [(m) => (m.info.globalStep = -1), 'model.json: info.globalStep is -1, expected an integer in [0, 9007199254740991]'],
      [(m) => (m.info.seed = 2 ** 40), 'model.json: info.seed is 1099511627776, expected an integer in [0, 4294967295]'],
      [(m) => (m.config.inputShape = [1024, 1024, 1]), 'model.json: config.inputShape[0] (height) is 1024, expected an integer in [4, 32]'],
      [(m) => (m.config.kind = 'resnet1000'), 'model.json: config.kind is "resnet1000", expected convnet | resnet8 | resnet20 | resnet32'],
      [(m) => (m.config.numClasses = 1e6), 'model.json: config.numClasses is 1000000, expected an integer in [2, 256]'],
      [(m) => (m.mean = [null]), 'model.json: mean[0] is null, expected a finite number in [-1000, 1000]'],
      [(m) => (m.std = [0]), 'model.json: std[0] is 0, expected a finite number in (0, 1000]'],
      [(m) => (m.bnBatchesTracked.bn1 = -5), 'model.json: bnBatchesTracked.bn1 is -5, expected an integer in [0, 9007199254740991]'],
      [(m) => (m.info.classNames = ['a']), 'model.json: info.classNames has 1 entries, expected 4'],
      [(m) => (m.info.trainConfig.model = 'resnet8'), 'model.json: info.trainConfig.model is "resnet8", expected convnet'],
      [(m) => (m.info.trainConfig.loss = 'magic'), 'model.json: info.trainConfig.loss is "magic", not a known loss'],
    ];
    for (const [edit, want] of cases) expect(load(edited((j) => edit(meta(j)))).message).toBe(`${FILE}: ${want}`);
  });

  it('loss and stage-2 hyperparameters must be finite and within their schema', () => {
    const cases: [(m: Json) => void, string][] = [
      [(m) => (m.info.lossParams.s = 1e30), 'model.json: info.lossParams.s is 1e+30, expected a finite number in [1, 64]'],
      [
        (m) => (m.info.trainConfig.lossParams = { noiseMul: -100 }),
        'model.json: info.trainConfig.lossParams.noiseMul is -100, expected a finite number in [0, 2]',
      ],
      [(m) => (m.info.lossParams.other = null), 'model.json: info.lossParams.other is null, expected a finite number'],
      [
        (m) => (m.info.stage2Config = { ...m.info.trainConfig.stage2, s: 0 }),
        'model.json: info.stage2Config.s is 0, expected a finite number in [1, 64]',
      ],
      [
        (m) => (m.info.stage2Config = { ...m.info.trainConfig.stage2, m: -5 }),
        'model.json: info.stage2Config.m is -5, expected a finite number in [0, 0.5]',
      ],
    ];
    for (const [edit, want] of cases)
      expect(load(edited((j) => edit(meta(j)))).message).toMatch(new RegExp(`^run\\.tfjs\\.zip: ${want.replace(/[[\]().+]/g, '\\$&')}`));
  });

  it('the training configuration goes through validateConfig: refused exactly when validateConfig refuses it', () => {
    const base: TrainConfig = loadPlaygroundModel(zip, FILE).metadata.info.trainConfig!;
    const variants: Partial<TrainConfig>[] = [
      { epochs: 1e9 },
      { lr: 1e300 },
      { weightDecay: 1e300 },
      { momentum: 2 },
      { lr: -1 },
      { batchSize: 1 },
      { imbalance: 0.5 },
    ];
    let refused = 0;
    for (const v of variants) {
      const config = { ...structuredClone(base), ...v };
      let want: string | null = null;
      try {
        validateConfig(config);
      } catch (e) {
        want = (e as Error).message;
      }
      const z = edited((j) => (meta(j).info.trainConfig = config));
      if (want === null) {
        expect(() => loadPlaygroundModel(z, FILE), JSON.stringify(v)).not.toThrow();
      } else {
        refused++;
        const field = Object.keys(v)[0];
        expect(want).toContain(`(${field})`);
        expect(load(z).message).toBe(`${FILE}: model.json: info.trainConfig.${field} ${want!.slice(want!.indexOf(') is ') + 2)}`);
      }
    }
    expect(refused).toBe(variants.length);
    const named = (edit: Partial<TrainConfig>) => load(edited((j) => Object.assign(meta(j).info.trainConfig, edit))).message;
    expect(named({ epochs: 1e9 })).toBe(`${FILE}: model.json: info.trainConfig.epochs is 1000000000, expected an integer in [1, 1000]`);
    expect(named({ lr: 1e300 })).toBe(`${FILE}: model.json: info.trainConfig.lr is 1e+300, expected a number in [0.00001, 10]`);
    expect(named({ seed: 2 ** 32 })).toBe(
      `${FILE}: model.json: info.trainConfig.seed is 4294967296, expected an integer in [0, 4294967295]`,
    );
    const partial = edited((j) => delete meta(j).info.trainConfig.stage2);
    expect(load(partial).message).toBe(`${FILE}: model.json: info.trainConfig.stage2 is undefined, expected an object`);
  });

  it('class names and labels from the zip are cleaned', () => {
    const z = edited((j) => (meta(j).info.classNames = ['a\u202eb', 'x'.repeat(1000), 'a\u202eb', '\u0000']));
    expect(loadPlaygroundModel(z, FILE).metadata.info.classNames).toEqual(['ab', 'x'.repeat(63) + '…', 'ab (2)', 'class 4']);
  });
});
