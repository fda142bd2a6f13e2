/**
 * TensorFlow.js export: one .zip holding `model.json` + `weights.bin` in the standard tfjs "layers-model" format
 * (model topology + weights manifest), i.e. a real `tf.LayersModel` built only from stock layers, which
 * `tf.loadLayersModel` opens without any custom layer registered. The app loads it back with
 * `loadPlaygroundModel` (evaluate and continue training).
 *
 * How the app's model maps onto stock Keras layers (input: NHWC float32, already normalised with the `mean`/`std`
 * recorded in the metadata):
 * - conv (3×3, pad 1): `Conv2D` 'same' for stride 1 (= symmetric pad 1); for stride 2 a `ZeroPadding2D(1)` then a
 *   'valid' `Conv2D` (tfjs 'same' would pad asymmetrically, unlike PyTorch). No bias.
 * - BatchNorm: `BatchNormalization` (epsilon 1e-5, momentum 0.9 = PyTorch's 0.1 the other way round).
 * - ReLU: `ReLU`; residual: `Add` then `ReLU`.
 * - option-A shortcut (x[:, ::2, ::2] plus outC/4 zero channels per side): a non-trainable 1×1 stride-2 'valid'
 *   `Conv2D` whose 0/1 kernel copies input channel i to output channel i + outC/4 (as the app computes it).
 * - max-pool: `MaxPooling2D` (valid); global average pool: `GlobalAveragePooling2D` (the feature f).
 * - linear head: `Dense` (kernel [in, out] = the app's layout, bias).
 * - cosine head (NormedLinear, normalize(f) · normalize(W, axis 0)): tfjs has no L2-normalise layer, but
 *   `Dot({axes: 1, normalize: true})` is exactly a cosine. W [D, C] is produced per example by a trainable
 *   `Dense(D·C, no bias)` (kernel [1, D·C], named 'linear') applied to a constant 1 (`Dense(1)` with zero kernel and
 *   bias 1, frozen, named 'linear.one') and reshaped to [D, C]; the Dot normalises f over D and W over D (columns).
 *   tfjs' l2Normalize clamps ‖·‖² at 1e-7 where PyTorch clamps ‖·‖ at 1e-12: identical unless a norm is < 3e-4.
 *
 * Layer names are the PyTorch module names ('conv1', 'layer2.0.bn1', 'linear', …), so the weights in the manifest
 * are named like 'layer2.0.conv1/kernel', 'layer2.0.bn1/gamma' | 'beta' | 'moving_mean' | 'moving_variance'.
 * `model.json` → `userDefinedMetadata.longTailPlayground` carries the model config, num_batches_tracked, the
 * name map (PyTorch name → tfjs weight name), the preprocessing and the run information (ExportInfo).
 *
 * Opening it elsewhere: unzip, then `tf.loadLayersModel('…/model.json')` (browser: `tf.io.browserFiles([json, bin])`),
 * or from the zip bytes with `loadLayersModelFromZip(bytes)` below.
 */
import * as tf from '@tensorflow/tfjs';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import type { Model, ModelConfig, ModelSpec, ParamSpec, HeadKind, ModelKind } from '../models/types';
import { BN_EPS, BN_MOMENTUM, buildSpec, bnLayerNames } from '../models/spec';
import { createModel } from '../models/executor';
import { setWeights } from '../models/weights';
import { optionAKernel } from '../models/ops';
import { Rng } from '../train/rng';
import type { ExportInfo } from './info';

export const TFJS_FORMAT = 'long-tail-playground/tfjs';
export const TFJS_FORMAT_VERSION = 1;
export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

/** What `model.json` → `userDefinedMetadata.longTailPlayground` holds. */
export interface PlaygroundTfjsMetadata {
  format: typeof TFJS_FORMAT;
  formatVersion: number;
  config: ModelConfig;
  /** PyTorch state-dict name → weight name in the manifest. */
  weightNames: Record<string, string>;
  bnBatchesTracked: Record<string, number>;
  /** Model input: NHWC [H, W, C], pixels normalised as x = (px/255 − mean_c)/std_c. */
  inputShape: [number, number, number];
  mean: number[];
  std: number[];
  /** What the output is: 'logits' (linear head) or 'cosine' (cosine similarities; losses scale them by s). */
  output: 'logits' | 'cosine';
  info: ExportInfo;
}

/** Weight name in the tfjs manifest of one app parameter (layer name = PyTorch module name). */
export function tfjsWeightName(p: ParamSpec): string {
  const dot = p.name.lastIndexOf('.');
  const module = p.name.slice(0, dot);
  const suffix: Record<ParamSpec['kind'], string> = {
    conv: 'kernel',
    bnWeight: 'gamma',
    bnBias: 'beta',
    bnMean: 'moving_mean',
    bnVar: 'moving_variance',
    linearWeight: 'kernel',
    linearBias: 'bias',
    cosineWeight: 'kernel',
  };
  return `${module}/${suffix[p.kind]}`;
}

/**
 * Builds the tf.LayersModel equivalent of `spec` (weights left at their initial values; see setLayersWeights).
 * Its output is the model's classifier output (logits or cosine similarities) for a normalised NHWC batch.
 */
export function buildLayersModel(spec: ModelSpec): tf.LayersModel {
  const [H, W, C] = spec.config.inputShape;
  const input = tf.input({ shape: [H, W, C], name: 'input' });
  const L = tf.layers;
  let n = 0;
  const uid = (base: string) => `${base}.${n++}`;
  const conv = (x: tf.SymbolicTensor, name: string, filters: number, k: number, stride: number, pad: number): tf.SymbolicTensor => {
    const same = stride === 1 && 2 * pad === k - 1;
    if (!same && pad > 0) x = L.zeroPadding2d({ padding: pad, name: `${name}.pad` }).apply(x) as tf.SymbolicTensor;
    return L.conv2d({ filters, kernelSize: k, strides: stride, padding: same ? 'same' : 'valid', useBias: false, name }).apply(
      x,
    ) as tf.SymbolicTensor;
  };
  const bn = (x: tf.SymbolicTensor, name: string): tf.SymbolicTensor =>
    L.batchNormalization({ axis: -1, epsilon: BN_EPS, momentum: 1 - BN_MOMENTUM, name }).apply(x) as tf.SymbolicTensor;
  const relu = (x: tf.SymbolicTensor, name: string): tf.SymbolicTensor => L.reLU({ name }).apply(x) as tf.SymbolicTensor;

  let t: tf.SymbolicTensor = input;
  let features: tf.SymbolicTensor | null = null;
  let output: tf.SymbolicTensor | null = null;
  let lastName = 'input';
  for (const l of spec.layers) {
    switch (l.op) {
      case 'conv':
        t = conv(t, l.name, l.outC, l.k, l.stride, l.pad);
        lastName = l.name;
        break;
      case 'bn':
        t = bn(t, l.name);
        lastName = l.name;
        break;
      case 'relu':
        t = relu(t, `${lastName}.relu`);
        break;
      case 'maxpool':
        t = L.maxPooling2d({ poolSize: l.size, strides: l.size, padding: 'valid', name: uid('maxpool') }).apply(t) as tf.SymbolicTensor;
        break;
      case 'block': {
        const inp = t;
        let u = conv(inp, `${l.name}.conv1`, l.outC, 3, l.stride, 1);
        u = relu(bn(u, `${l.name}.bn1`), `${l.name}.relu1`);
        u = bn(conv(u, `${l.name}.conv2`, l.outC, 3, 1, 1), `${l.name}.bn2`);
        const sc =
          l.shortcut === 'identity'
            ? inp
            : (L.conv2d({
                filters: l.outC,
                kernelSize: 1,
                strides: 2,
                padding: 'valid',
                useBias: false,
                trainable: false,
                name: `${l.name}.shortcut`,
              }).apply(inp) as tf.SymbolicTensor);
        t = relu(L.add({ name: `${l.name}.add` }).apply([u, sc]) as tf.SymbolicTensor, `${l.name}.relu2`);
        lastName = l.name;
        break;
      }
      case 'gap':
        features = L.globalAveragePooling2d({ name: 'avgpool' }).apply(t) as tf.SymbolicTensor;
        break;
      case 'head': {
        if (!features) throw new Error('buildLayersModel: head before gap');
        if (l.kind === 'linear') {
          output = L.dense({ units: l.outDim, useBias: true, name: 'linear' }).apply(features) as tf.SymbolicTensor;
        } else {
          const one = L.dense({ units: 1, useBias: true, trainable: false, name: 'linear.one' }).apply(features) as tf.SymbolicTensor;
          const wFlat = L.dense({ units: l.inDim * l.outDim, useBias: false, name: 'linear' }).apply(one) as tf.SymbolicTensor;
          const w = L.reshape({ targetShape: [l.inDim, l.outDim], name: 'linear.reshape' }).apply(wFlat) as tf.SymbolicTensor;
          output = L.dot({ axes: 1, normalize: true, name: 'linear.cosine' }).apply([features, w]) as tf.SymbolicTensor;
        }
        break;
      }
    }
  }
  if (!output) throw new Error('buildLayersModel: spec has no head');
  return tf.model({ inputs: input, outputs: output, name: `ltp_${spec.config.kind}_${spec.config.head}` });
}

/** Copies the app's weights (tfjs layout, by PyTorch name) into a model from buildLayersModel. */
export function setLayersWeights(lm: tf.LayersModel, spec: ModelSpec, weights: Map<string, Float32Array>): void {
  const get = (name: string): Float32Array => {
    const v = weights.get(name);
    if (!v) throw new Error(`setLayersWeights: missing '${name}'`);
    return v;
  };
  const byName = new Map(spec.params.map((p) => [p.name, p]));
  const param = (name: string, shape?: number[]) => tf.tensor(get(name), shape ?? byName.get(name)!.shape, 'float32');
  tf.tidy(() => {
    for (const layer of lm.layers) {
      const name = layer.name;
      const cls = layer.getClassName();
      if (cls === 'Conv2D' && name.endsWith('.shortcut')) {
        const [k] = layer.getWeights();
        layer.setWeights([optionAKernel(k.shape[2]!, k.shape[3]!)]);
      } else if (cls === 'Conv2D') {
        layer.setWeights([param(`${name}.weight`)]);
      } else if (cls === 'BatchNormalization') {
        layer.setWeights([param(`${name}.weight`), param(`${name}.bias`), param(`${name}.running_mean`), param(`${name}.running_var`)]);
      } else if (cls === 'Dense' && name === 'linear.one') {
        const [k] = layer.getWeights();
        layer.setWeights([tf.zeros(k.shape), tf.ones([1])]);
      } else if (cls === 'Dense' && name === 'linear') {
        if (spec.config.head === 'linear') layer.setWeights([param('linear.weight'), param('linear.bias')]);
        else layer.setWeights([param('linear.weight', [1, spec.featureDim * spec.config.numClasses])]);
      }
    }
  });
}

function modelWeights(model: Model): Map<string, Float32Array> {
  const m = new Map<string, Float32Array>();
  for (const p of model.spec.params) {
    const v = model.vars.get(p.name);
    if (!v) throw new Error(`export: model has no variable '${p.name}'`);
    const d = Float32Array.from(v.dataSync() as Float32Array);
    for (let i = 0; i < d.length; i++)
      if (!Number.isFinite(d[i])) throw new Error(`export: '${p.name}' contains a non-finite value at ${i}`);
    m.set(p.name, d);
  }
  return m;
}

/** A tf.LayersModel with the app model's current weights (caller disposes it). */
export function toLayersModel(model: Model): tf.LayersModel {
  const lm = buildLayersModel(model.spec);
  try {
    setLayersWeights(lm, model.spec, modelWeights(model));
  } catch (e) {
    lm.dispose();
    throw e;
  }
  return lm;
}

function joinWeightData(data: tf.io.WeightData | undefined): Uint8Array {
  if (!data) return new Uint8Array(0);
  return new Uint8Array(tf.io.CompositeArrayBuffer.join(data));
}

/**
 * The model as a TensorFlow.js zip: `model.json` (format 'layers-model', topology, weights manifest,
 * userDefinedMetadata.longTailPlayground) and `weights.bin`.
 */
export async function exportTfjsZip(model: Model, info: ExportInfo): Promise<Uint8Array> {
  const spec = model.spec;
  const [, , C] = spec.config.inputShape;
  if (info.mean.length !== C || info.std.length !== C) throw new Error(`export: mean/std need ${C} entries (one per channel)`);
  const lm = toLayersModel(model);
  let artifacts: tf.io.ModelArtifacts | null = null;
  try {
    await lm.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
  } finally {
    lm.dispose();
  }
  const a = artifacts as tf.io.ModelArtifacts | null;
  if (!a || !a.weightSpecs) throw new Error('export: tfjs produced no model artifacts');
  const bnBatchesTracked: Record<string, number> = {};
  for (const name of bnLayerNames(spec)) bnBatchesTracked[name] = model.bnBatchesTracked.get(name) ?? 0;
  const meta: PlaygroundTfjsMetadata = {
    format: TFJS_FORMAT,
    formatVersion: TFJS_FORMAT_VERSION,
    config: spec.config,
    weightNames: Object.fromEntries(spec.params.map((p) => [p.name, tfjsWeightName(p)])),
    bnBatchesTracked,
    inputShape: [...spec.config.inputShape] as [number, number, number],
    mean: info.mean,
    std: info.std,
    output: spec.config.head === 'cosine' ? 'cosine' : 'logits',
    info,
  };
  const modelJson = {
    format: a.format ?? 'layers-model',
    generatedBy: a.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
    convertedBy: `Long-Tail Playground (tfjs ${tf.version.tfjs})`,
    modelTopology: a.modelTopology,
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: a.weightSpecs }],
    userDefinedMetadata: { longTailPlayground: meta },
  };
  return zipSync(
    {
      [MODEL_JSON]: strToU8(JSON.stringify(modelJson)),
      [WEIGHTS_BIN]: [joinWeightData(a.weightData), { level: 0 }],
    },
    { level: 6 },
  );
}

interface ParsedZip {
  json: {
    format?: string;
    modelTopology: object;
    weightsManifest: tf.io.WeightsManifestConfig;
    userDefinedMetadata?: { longTailPlayground?: PlaygroundTfjsMetadata };
  };
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightData: ArrayBuffer;
}

function parseZip(bytes: Uint8Array): ParsedZip {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (e) {
    throw new Error(`tfjs export: not a readable zip (${(e as Error).message})`);
  }
  // Accept the files at the top level or inside one folder (a re-zipped download).
  const jsonPath = Object.keys(files).find((p) => p === MODEL_JSON || p.endsWith(`/${MODEL_JSON}`));
  if (!jsonPath) throw new Error(`tfjs export: the zip has no ${MODEL_JSON}`);
  const dir = jsonPath.slice(0, jsonPath.length - MODEL_JSON.length);
  let json: ParsedZip['json'];
  try {
    json = JSON.parse(strFromU8(files[jsonPath]));
  } catch (e) {
    throw new Error(`tfjs export: ${MODEL_JSON} is not valid JSON (${(e as Error).message})`);
  }
  if (!json || !json.modelTopology || !Array.isArray(json.weightsManifest))
    throw new Error(`tfjs export: ${MODEL_JSON} has no modelTopology / weightsManifest`);
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) {
      const f = files[dir + p.replace(/^\.\//, '')];
      if (!f) throw new Error(`tfjs export: the zip lacks the weights file '${p}' named in ${MODEL_JSON}`);
      parts.push(f);
    }
  }
  const total = parts.reduce((s, p) => s + p.length, 0);
  const data = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    data.set(p, o);
    o += p.length;
  }
  return { json, weightSpecs, weightData: data.buffer };
}

/** Opens the zip's model.json + weights as a tf.LayersModel (stock layers only; nothing to register). */
export async function loadLayersModelFromZip(bytes: Uint8Array): Promise<tf.LayersModel> {
  const { json, weightSpecs, weightData } = parseZip(bytes);
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData, format: json.format }));
}

export interface LoadedPlaygroundModel {
  /** The app's model (reference executor) with the exported weights and BN counters. */
  model: Model;
  config: ModelConfig;
  /** Parameters and buffers in the app's layout by PyTorch name (e.g. for setWeights on a Trainer's model). */
  weights: Map<string, Float32Array>;
  bnBatchesTracked: Map<string, number>;
  metadata: PlaygroundTfjsMetadata;
}

/**
 * The documented loader: rebuilds the app's Model from an exported zip (createModel + setWeights), on the current
 * backend. To continue training, create a Trainer with `metadata.info.trainConfig` and
 * `setWeights(trainer.model, weights)` (plus the BN counters).
 */
export function loadPlaygroundModel(bytes: Uint8Array): LoadedPlaygroundModel {
  const { json, weightSpecs, weightData } = parseZip(bytes);
  const meta = json.userDefinedMetadata?.longTailPlayground;
  if (!meta || meta.format !== TFJS_FORMAT)
    throw new Error('tfjs export: model.json carries no Long-Tail Playground metadata (not exported by this app)');
  if (meta.formatVersion > TFJS_FORMAT_VERSION)
    throw new Error(`tfjs export: format version ${meta.formatVersion} is newer than this app's ${TFJS_FORMAT_VERSION}`);
  const c = meta.config;
  const config: ModelConfig = {
    kind: c.kind as ModelKind,
    head: c.head as HeadKind,
    inputShape: [...c.inputShape] as [number, number, number],
    numClasses: c.numClasses,
  };
  const spec = buildSpec(config);
  const decoded = tf.io.decodeWeights(weightData, weightSpecs);
  const weights = new Map<string, Float32Array>();
  try {
    for (const p of spec.params) {
      const wn = meta.weightNames[p.name] ?? tfjsWeightName(p);
      const t = decoded[wn];
      if (!t) throw new Error(`tfjs export: weights lack '${wn}' (${p.name})`);
      const size = p.shape.reduce((a, d) => a * d, 1);
      if (t.size !== size) throw new Error(`tfjs export: '${wn}' has shape [${t.shape}], expected ${size} values ([${p.shape}])`);
      weights.set(p.name, Float32Array.from(t.dataSync() as Float32Array));
    }
  } finally {
    tf.dispose(Object.values(decoded));
  }
  const model = createModel(spec, new Rng(0));
  try {
    setWeights(model, weights);
  } catch (e) {
    model.dispose();
    throw e;
  }
  const bnBatchesTracked = new Map<string, number>();
  for (const name of bnLayerNames(spec)) {
    const v = meta.bnBatchesTracked?.[name] ?? 0;
    bnBatchesTracked.set(name, v);
    model.bnBatchesTracked.set(name, v);
  }
  return { model, config, weights, bnBatchesTracked, metadata: meta };
}
