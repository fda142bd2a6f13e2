/**
 * safetensors export: written from a trained tiny model, read back with an independent minimal reader written
 * here (not the library's), checked for names, shapes, PyTorch layouts, values and metadata; then loaded in
 * PyTorch (a ResNet_s / ConvNet with strict=True) where python3 + torch exist — the outputs on the exported test
 * images must match the app's to 1e-4 — and the PYTORCH_SNIPPET shown by the export dialog is run verbatim.
 */
import { PYTORCH_SNIPPET } from '../../../src/core/export/pytorch-snippet';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeSafetensors,
  encodeSafetensors,
  exportInfoFromTrainer,
  exportSafetensors,
  importSafetensors,
  testLogits,
} from '../../../src/core/export';
import { buildSpec, createModel, setWeights } from '../../../src/core/models';
import { Rng } from '../../../src/core/rng';
import type { Trainer } from '../../../src/core/train/trainer';
import type { TrainConfig } from '../../../src/core/train/config';
import type { Dataset } from '../../../src/core/data/types';
import { maxAbsDiff, PY, probeTorch, tinyData, trainTiny, useCpu } from './helpers';

const here = dirname(fileURLToPath(import.meta.url));
const hasTorch = probeTorch('safetensors → PyTorch test');

// ---------------------------------------------------------------------------------------------------------------
// An independent minimal safetensors reader (only what this test needs: F32 and I64, little-endian).
interface RawTensor {
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
  values: number[];
}
function readSafetensorsIndependently(bytes: Uint8Array): {
  headerLen: number;
  header: string;
  tensors: Map<string, RawTensor>;
  metadata: Record<string, string>;
  dataLen: number;
} {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(dv.getBigUint64(0, true));
  const header = Buffer.from(bytes.subarray(8, 8 + headerLen)).toString('utf8');
  const obj = JSON.parse(header) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>
  >;
  const start = 8 + headerLen;
  const tensors = new Map<string, RawTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, e] of Object.entries(obj)) {
    if (name === '__metadata__') {
      metadata = e as Record<string, string>;
      continue;
    }
    const {
      dtype,
      shape,
      data_offsets: [b, en],
    } = e as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const values: number[] = [];
    if (dtype === 'F32') for (let o = b; o < en; o += 4) values.push(dv.getFloat32(start + o, true));
    else if (dtype === 'I64') for (let o = b; o < en; o += 8) values.push(Number(dv.getBigInt64(start + o, true)));
    else throw new Error(`unexpected dtype ${dtype}`);
    tensors.set(name, { dtype, shape, begin: b, end: en, values });
  }
  return { headerLen, header, tensors, metadata, dataLen: bytes.length - start };
}

function expectedNames(head: 'linear' | 'cosine'): string[] {
  const bn = (m: string) => ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked'].map((s) => `${m}.${s}`);
  const names = ['conv1.weight', ...bn('bn1')];
  for (let s = 1; s <= 3; s++)
    names.push(`layer${s}.0.conv1.weight`, ...bn(`layer${s}.0.bn1`), `layer${s}.0.conv2.weight`, ...bn(`layer${s}.0.bn2`));
  names.push('linear.weight');
  if (head === 'linear') names.push('linear.bias');
  return names;
}

const vals = (t: Trainer, name: string) => t.model.vars.get(name)!.dataSync() as Float32Array;

let dir = '';
beforeAll(async () => {
  await useCpu();
  dir = mkdtempSync(join(tmpdir(), 'ltp-safetensors-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('safetensors encode/decode', () => {
  it('round-trips F32 / I64 / scalars / empty tensors and metadata, aligned, space-padded header', () => {
    const bytes = encodeSafetensors(
      [
        ['a', { dtype: 'F32', shape: [2, 3], data: Float32Array.of(1, -2, 3.5, 0, 1e-30, -0) }],
        ['odd', { dtype: 'F32', shape: [1], data: Float32Array.of(7) }],
        ['n', { dtype: 'I64', shape: [], data: BigInt64Array.of(123456789012n) }],
        ['e', { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) }],
      ],
      { hello: 'wörld', json: '[1,2]' },
    );
    const raw = readSafetensorsIndependently(bytes);
    expect((8 + raw.headerLen) % 8).toBe(0);
    expect(raw.header.trimEnd().length).toBeLessThanOrEqual(raw.headerLen);
    expect(/^ *$/.test(raw.header.slice(raw.header.trimEnd().length))).toBe(true);
    expect(raw.metadata).toEqual({ hello: 'wörld', json: '[1,2]' });
    expect(raw.tensors.get('n')!.begin).toBe(0); // int64 first: everything aligned
    for (const t of raw.tensors.values()) expect(t.begin % (t.dtype === 'I64' ? 8 : 4)).toBe(0);
    const back = decodeSafetensors(bytes);
    expect(back.metadata).toEqual({ hello: 'wörld', json: '[1,2]' });
    expect(Array.from(back.tensors.get('a')!.data as Float32Array)).toEqual([1, -2, 3.5, 0, Math.fround(1e-30), -0]);
    expect(back.tensors.get('n')).toEqual({ dtype: 'I64', shape: [], data: BigInt64Array.of(123456789012n) });
    expect(back.tensors.get('e')!.shape).toEqual([0, 4]);
  });

  it('rejects bad input with clear messages', () => {
    expect(() => encodeSafetensors([['x', { dtype: 'F32', shape: [3], data: new Float32Array(2) }]])).toThrow(/2 values for shape \[3\]/);
    expect(() => encodeSafetensors([['x', { dtype: 'I64', shape: [1], data: new Float32Array(1) }]])).toThrow(
      /I64 but its data is a Float32Array/,
    );
    const good = encodeSafetensors([['x', { dtype: 'F32', shape: [4], data: new Float32Array(4) }]]);
    expect(() => decodeSafetensors(good.subarray(0, good.length - 3))).toThrow(/truncated|cover/);
    expect(() => decodeSafetensors(new Uint8Array(5))).toThrow(/too short/);
    const bad = good.slice();
    new DataView(bad.buffer).setBigUint64(0, 1n << 40n, true);
    expect(() => decodeSafetensors(bad)).toThrow(/does not fit/);
    const gap = encodeSafetensors([['x', { dtype: 'F32', shape: [4], data: new Float32Array(4) }]]);
    const extended = new Uint8Array(gap.length + 4);
    extended.set(gap);
    expect(() => decodeSafetensors(extended)).toThrow(/cover 16 of 20/);
  });
});

const trained = new Map<string, { t: Trainer; data: Dataset }>();
type TrainedKey = 'linear3' | 'cosine3' | 'linear1' | 'convnet1' | 'convnetCosine3' | 'resnet32Linear3' | 'resnet32Cosine1';
const TRAINED: Record<TrainedKey, Partial<TrainConfig>> = {
  linear3: {},
  cosine3: { head: 'cosine', loss: 'gcl' },
  linear1: {},
  convnet1: { model: 'convnet' },
  convnetCosine3: { model: 'convnet', head: 'cosine', loss: 'gcl' },
  resnet32Linear3: { model: 'resnet32', epochs: 1 },
  resnet32Cosine1: { model: 'resnet32', head: 'cosine', loss: 'gcl', epochs: 1 },
};
async function getTrained(key: TrainedKey): Promise<{ t: Trainer; data: Dataset }> {
  if (!trained.has(key)) {
    const data = tinyData(key.endsWith('3') ? 3 : 1);
    trained.set(key, { t: await trainTiny(data, TRAINED[key]), data });
  }
  return trained.get(key)!;
}
afterAll(() => {
  for (const { t } of trained.values()) t.dispose();
});

describe('safetensors export of a trained ResNet-8', () => {
  for (const head of ['linear', 'cosine'] as const) {
    it(`${head} head: names, shapes, PyTorch layouts, values and metadata (independent reader)`, async () => {
      const { t, data } = await getTrained(head === 'linear' ? 'linear3' : 'cosine3');
      const bytes = exportSafetensors(t.model, exportInfoFromTrainer(t, 'cpu'), { created: '2024-01-01T00:00:00.000Z' });
      const raw = readSafetensorsIndependently(bytes);
      expect((8 + raw.headerLen) % 8).toBe(0);
      expect([...raw.tensors.keys()].sort()).toEqual(expectedNames(head).sort());
      // the tensors tile the data section
      const spans = [...raw.tensors.values()].sort((a, b) => a.begin - b.begin);
      let pos = 0;
      for (const s of spans) {
        expect(s.begin).toBe(pos);
        pos = s.end;
      }
      expect(pos).toBe(raw.dataLen);

      const T = (n: string) => raw.tensors.get(n)!;
      expect(T('conv1.weight').shape).toEqual([16, 3, 3, 3]);
      expect(T('layer2.0.conv1.weight').shape).toEqual([32, 16, 3, 3]);
      expect(T('layer3.0.conv2.weight').shape).toEqual([64, 64, 3, 3]);
      expect(T('layer3.0.bn2.running_var').shape).toEqual([64]);
      expect(T('bn1.num_batches_tracked')).toMatchObject({ dtype: 'I64', shape: [] });
      expect(T('linear.weight').shape).toEqual(head === 'linear' ? [4, 64] : [64, 4]);
      if (head === 'linear') expect(T('linear.bias').shape).toEqual([4]);

      // conv: file [o, i, y, x] == tfjs [y, x, i, o]
      for (const name of ['conv1.weight', 'layer1.0.conv2.weight', 'layer2.0.conv1.weight', 'layer3.0.conv1.weight']) {
        const f = T(name);
        expect(f.dtype).toBe('F32');
        const [O, I, KH, KW] = f.shape;
        const v = vals(t, name);
        for (let o = 0; o < O; o++)
          for (let i = 0; i < I; i++)
            for (let y = 0; y < KH; y++)
              for (let x = 0; x < KW; x++) {
                const a = f.values[((o * I + i) * KH + y) * KW + x];
                const b = v[((y * KW + x) * I + i) * O + o];
                if (a !== b) throw new Error(`${name}[${o},${i},${y},${x}] = ${a}, tfjs [${y},${x},${i},${o}] = ${b}`);
              }
      }
      const lw = vals(t, 'linear.weight'); // tfjs [64, 4]
      const fw = T('linear.weight').values;
      for (let d = 0; d < 64; d++)
        for (let c = 0; c < 4; c++) {
          expect(head === 'linear' ? fw[c * 64 + d] : fw[d * 4 + c]).toBe(lw[d * 4 + c]);
        }
      if (head === 'linear') expect(T('linear.bias').values).toEqual(Array.from(vals(t, 'linear.bias')));
      for (const n of ['bn1.weight', 'bn1.bias', 'layer2.0.bn1.running_mean', 'layer3.0.bn2.running_var']) {
        expect(T(n).values).toEqual(Array.from(vals(t, n)));
      }
      // the running statistics did move during training
      expect(T('layer3.0.bn2.running_var').values.some((v) => Math.abs(v - 1) > 1e-3)).toBe(true);
      for (const [n, s] of raw.tensors) {
        if (n.endsWith('num_batches_tracked')) {
          expect(s.values, n).toEqual([t.globalStep]);
          expect(t.model.bnBatchesTracked.get(n.slice(0, -'.num_batches_tracked'.length))).toBe(t.globalStep);
        }
      }
      expect(t.globalStep).toBeGreaterThan(5);

      const m = raw.metadata;
      expect(Object.values(m).every((v) => typeof v === 'string')).toBe(true);
      expect(m.format_version).toBe('1');
      expect(m.model).toBe('resnet8');
      expect(JSON.parse(m.num_blocks)).toEqual([1, 1, 1]);
      expect(m.head).toBe(head);
      expect(m.num_classes).toBe('4');
      expect(m.loss).toBe(head === 'linear' ? 'ce' : 'gcl');
      expect(JSON.parse(m.loss_params)).toEqual(t.lossParams);
      expect(JSON.parse(m.train_config).lr).toBe(0.05);
      expect(JSON.parse(m.class_counts)).toEqual(t.counts);
      expect(JSON.parse(m.class_names)).toEqual(data.pool.classNames);
      expect(m.seed).toBe('5');
      expect(m.epoch).toBe('2');
      expect(m.stage).toBe('1');
      expect(m.backend).toBe('cpu');
      expect(m.tfjs_version).toBe(tf.version.tfjs);
      expect(JSON.parse(m.mean)).toEqual([0.45, 0.5, 0.55]);
      expect(JSON.parse(m.std)).toEqual([0.2, 0.25, 0.3]);
      expect(JSON.parse(m.input_shape)).toEqual([3, 8, 8]);
      expect(m.input_layout).toMatch(/NCHW.*NHWC/);
      expect(m.created).toBe('2024-01-01T00:00:00.000Z');

      // The library's own reader brings back the same model.
      const imp = importSafetensors(bytes);
      expect(imp.config).toEqual(t.spec.config);
      const m2 = createModel(buildSpec(imp.config), new Rng(99));
      setWeights(m2, imp.weights);
      expect(imp.bnBatchesTracked.get('layer2.0.bn1')).toBe(t.globalStep);
      const a = await testLogits(t.model, data, 40);
      const b = await testLogits(m2, data, 40);
      expect(maxAbsDiff(a.logits, b.logits)).toBe(0);
      m2.dispose();
    });
  }

  it('refuses non-finite weights and foreign files', async () => {
    const m = createModel(buildSpec({ kind: 'convnet', head: 'linear', inputShape: [8, 8, 1], numClasses: 3 }), new Rng(1));
    const info = {
      mean: [0.5],
      std: [0.5],
      loss: null,
      lossParams: {},
      trainConfig: null,
      changes: [],
      stage2Config: null,
      stage: 1,
      epoch: 0,
      globalStep: 0,
      seed: null,
      classCounts: null,
      classNames: ['a', 'b', 'c'],
      datasetId: null,
      datasetTitle: null,
      backend: 'cpu',
      tfjsVersion: tf.version.tfjs,
    };
    expect(() => exportSafetensors(m, { ...info, mean: [0.5, 0.5] })).toThrow(/mean\/std need 1 entries/);
    m.vars.get('bn2.bias')!.assign(tf.tensor1d(new Array(32).fill(NaN)));
    expect(() => exportSafetensors(m, info)).toThrow(/bn2.bias.*non-finite/);
    m.dispose();
    expect(() =>
      importSafetensors(encodeSafetensors([['x', { dtype: 'F32', shape: [1], data: new Float32Array(1) }]], { format: 'other' })),
    ).toThrow(/not a Long-Tail Playground export/);
  });
});

/** Writes the first n test images (uint8 NHWC, official order) for Python. */
function writeImages(data: Dataset, n: number, path: string): void {
  const { height, width, channels } = data.test;
  writeFileSync(path, data.test.images.subarray(0, n * height * width * channels));
}

describe.skipIf(!hasTorch)('safetensors → PyTorch (strict load, same outputs)', () => {
  const cases = [
    { key: 'linear3', label: 'ResNet-8 linear, RGB' },
    { key: 'cosine3', label: 'ResNet-8 cosine (NormedLinear), RGB' },
    { key: 'linear1', label: 'ResNet-8 linear, grey' },
    { key: 'convnet1', label: 'ConvNet linear, grey' },
  ] as const;
  for (const c of cases) {
    it(`${c.label}: PyTorch outputs on the exported test images match the app's to 1e-4`, async () => {
      const { t, data } = await getTrained(c.key);
      const n = 80;
      const file = join(dir, `${c.key}.safetensors`);
      writeFileSync(file, exportSafetensors(t.model, exportInfoFromTrainer(t, 'cpu')));
      const imgs = join(dir, `${c.key}.u8`);
      writeImages(data, n, imgs);
      const out = join(dir, `${c.key}.json`);
      const r = spawnSync(PY, [join(here, 'load_safetensors.py'), file, imgs, String(n), out], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const ref = JSON.parse(readFileSync(out, 'utf8')) as { logits: number[][]; num_batches_tracked: Record<string, number> };
      const app = await testLogits(t.model, data, n);
      const diff = maxAbsDiff(app.logits, ref.logits);
      console.log(`[export] ${c.label}: max |app − PyTorch| over ${n}×4 outputs = ${diff.toExponential(2)}`);
      expect(diff).toBeLessThan(1e-4);
      expect(Object.values(ref.num_batches_tracked).every((v) => v === t.globalStep)).toBe(true);
      // predictions agree too
      const argmax = (r: number[]) => r.indexOf(Math.max(...r));
      expect(ref.logits.map(argmax)).toEqual(app.logits.map(argmax));
    });
  }

  // every model the app trains, both heads; the snippet defines its own classes (nothing but torch + safetensors)
  const snippetCases = [
    { key: 'convnet1', label: 'ConvNet linear, grey', blocks: null },
    { key: 'convnetCosine3', label: 'ConvNet cosine, RGB', blocks: null },
    { key: 'linear3', label: 'ResNet-8 linear, RGB', blocks: [1, 1, 1] },
    { key: 'cosine3', label: 'ResNet-8 cosine, RGB', blocks: [1, 1, 1] },
    { key: 'linear1', label: 'ResNet-8 linear, grey', blocks: [1, 1, 1] },
    { key: 'resnet32Linear3', label: 'ResNet-32 linear, RGB', blocks: [5, 5, 5] },
    { key: 'resnet32Cosine1', label: 'ResNet-32 cosine, grey', blocks: [5, 5, 5] },
  ] as const;
  for (const { key, label, blocks } of snippetCases) {
    it(`PYTORCH_SNIPPET, run verbatim, loads ${label} (strict) and gives the app's outputs to 1e-4`, async () => {
      const { t, data } = await getTrained(key);
      const work = join(dir, `snippet-${key}`);
      mkdirSync(work, { recursive: true });
      // the authors'-style resnet_cifar.py, only to check that the snippet's ResNet_s has the authors' state-dict keys
      copyFileSync(join(here, 'resnet_cifar_compat.py'), join(work, 'authors_resnet.py'));
      const hasSafetensors = spawnSync(PY, ['-c', 'import safetensors.torch'], { encoding: 'utf8' }).status === 0;
      if (!hasSafetensors) {
        // Stand-in for \`pip install safetensors\` (not packaged for Debian): load_file via the test's own parser.
        mkdirSync(join(work, 'safetensors'));
        writeFileSync(join(work, 'safetensors', '__init__.py'), '');
        writeFileSync(
          join(work, 'safetensors', 'torch.py'),
          [
            'import sys',
            `sys.path.insert(0, ${JSON.stringify(here)})`,
            'from load_safetensors import read_safetensors',
            '',
            'def load_file(filename, device="cpu"):',
            '    return read_safetensors(filename)[0]',
            '',
          ].join('\n'),
        );
      }
      writeFileSync(join(work, 'model.safetensors'), exportSafetensors(t.model, exportInfoFromTrainer(t, 'cpu')));
      const n = 40;
      writeImages(data, n, join(work, 'images.u8'));
      const { height, width, channels } = data.test;
      const authorsKeys = blocks
        ? `
import authors_resnet
_ref = authors_resnet.ResNet_s(authors_resnet.BasicBlock, ${JSON.stringify(blocks)}, num_classes=int(meta["num_classes"]),
                               use_norm=meta["head"] == "cosine")
_ref.conv1 = torch.nn.Conv2d(int(meta["in_channels"]), 16, 3, 1, 1, bias=False)
assert sorted(_ref.state_dict().keys()) == sorted(model.state_dict().keys()), "state-dict keys differ from the authors' ResNet_s"
assert isinstance(model, ResNet_s) and json.loads(meta["num_blocks"]) == ${JSON.stringify(blocks)}
`
        : '\nassert isinstance(model, ConvNet)\n';
      const script = `${PYTORCH_SNIPPET}
import numpy as np
${authorsKeys}
_imgs = np.fromfile("images.u8", dtype=np.uint8).reshape(${n}, ${height}, ${width}, ${channels})
json.dump(predict(_imgs).double().tolist(), open("out.json", "w"))
`;
      writeFileSync(join(work, 'run.py'), script);
      const r = spawnSync(PY, ['run.py'], { cwd: work, encoding: 'utf8', env: { ...process.env, PYTHONPATH: work } });
      expect(r.status, r.stderr).toBe(0);
      const ref = JSON.parse(readFileSync(join(work, 'out.json'), 'utf8')) as number[][];
      const app = await testLogits(t.model, data, n);
      const diff = maxAbsDiff(app.logits, ref);
      console.log(`[export] PYTORCH_SNIPPET (${label}): max |app − PyTorch| = ${diff.toExponential(2)}`);
      expect(diff).toBeLessThan(1e-4);
    });
  }
});
