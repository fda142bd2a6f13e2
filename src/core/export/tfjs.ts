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
import { strFromU8, strToU8, zipSync } from 'fflate';
import type { Model, ModelConfig, ModelSpec, ParamSpec } from '../models/types';
import { BN_EPS, BN_MOMENTUM, buildSpec, bnLayerNames, expandBlock } from '../models/spec';
import { createModel } from '../models/executor';
import { setWeights } from '../models/weights';
import { optionAKernel } from '../models/ops';
import { Rng } from '../rng';
import { DataError, bytesText } from '../data/errors';
import { cleanName } from '../data/names';
import { onCpuBackend, snapshotOf, type WeightSource } from './snapshot';
import { isZip, listZip, readZipMember, type ZipMember } from '../data/zip';
import type { ExportInfo } from './info';
import { checkPlaygroundMetadata } from './validate';

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
        const { conv1, bn1, conv2, bn2 } = expandBlock(l);
        let u = conv(inp, conv1.name, conv1.outC, conv1.k, conv1.stride, conv1.pad);
        u = relu(bn(u, bn1), `${l.name}.relu1`);
        u = bn(conv(u, conv2.name, conv2.outC, conv2.k, conv2.stride, conv2.pad), bn2);
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

/** A tf.LayersModel with the source's weights, built on the active backend (caller disposes it). */
export function toLayersModel(source: WeightSource): tf.LayersModel {
  const snap = snapshotOf(source);
  const lm = buildLayersModel(snap.spec);
  try {
    setLayersWeights(lm, snap.spec, new Map(snap.weights));
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
export async function exportTfjsZip(source: WeightSource, info: ExportInfo): Promise<Uint8Array> {
  const snap = snapshotOf(source);
  const spec = snap.spec;
  const [, , C] = spec.config.inputShape;
  if (info.mean.length !== C || info.std.length !== C) throw new Error(`export: mean/std need ${C} entries (one per channel)`);
  // the LayersModel only serialises the topology and the weights: built on the cpu backend, so an export never
  // creates a WebGL / WebGPU context (nor touches a backend left in a bad state by the backend measurement)
  let artifacts: tf.io.ModelArtifacts | null = null;
  await onCpuBackend(async () => {
    const lm = toLayersModel(snap);
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
  });
  const a = artifacts as tf.io.ModelArtifacts | null;
  if (!a || !a.weightSpecs) throw new Error('export: tfjs produced no model artifacts');
  const bnBatchesTracked: Record<string, number> = {};
  for (const name of bnLayerNames(spec)) bnBatchesTracked[name] = snap.bnBatchesTracked.get(name) ?? 0;
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

/** Most bytes model.json may hold: 4 MiB (a ResNet-32's is about 60 KB: the topology, manifest and metadata). */
export const MODEL_JSON_MAX_BYTES = 4 * 1024 * 1024;
/** Most bytes of weights a model zip may hold: 8 MiB, 4× the largest model the app builds (ResNet-32, 256 classes: 1.93 MB). */
export const WEIGHTS_MAX_BYTES = 8 * 1024 * 1024;
/** Default name of a model zip in messages when the caller gives none. */
const DEFAULT_ZIP_NAME = 'model zip';

/** Bytes per element of a manifest entry (quantized weights are stored in their quantized type). */
const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

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

/** Bytes the manifest's weights occupy in the weights files; throws DataError naming the entry that is malformed. */
function manifestBytes(manifest: unknown[], file: string): number {
  const fail = (msg: string): never => {
    throw new DataError(file, `${MODEL_JSON}: ${msg}`);
  };
  let total = 0;
  manifest.forEach((group, g) => {
    if (!isObj(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      fail(`weightsManifest[${g}] has no paths / weights lists`);
    }
    const grp = group as { paths: unknown[]; weights: unknown[] };
    if (!grp.paths.every((p) => typeof p === 'string')) fail(`weightsManifest[${g}].paths is not a list of file names`);
    grp.weights.forEach((w, k) => {
      const where = `weightsManifest[${g}].weights[${k}]`;
      if (!isObj(w) || typeof w.name !== 'string') return fail(`${where} has no name`);
      const q = isObj(w.quantization) ? w.quantization.dtype : undefined;
      const per = DTYPE_BYTES[String(q ?? w.dtype)];
      if (!per) fail(`${where} ("${cleanName(w.name, 80)}") has an unsupported dtype ${JSON.stringify(q ?? w.dtype)}`);
      if (!Array.isArray(w.shape) || !w.shape.every((d) => Number.isInteger(d) && d >= 0 && d <= WEIGHTS_MAX_BYTES)) {
        fail(`${where} ("${cleanName(w.name, 80)}") has a malformed shape`);
      }
      total += per * (w.shape as number[]).reduce((a, d) => a * d, 1);
    });
  });
  return total;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads model.json and the weights files of a model zip. Every size is bounded before anything is inflated:
 * model.json by MODEL_JSON_MAX_BYTES, the weights files by what the manifest describes (which must be at most
 * WEIGHTS_MAX_BYTES), and the weights files must hold exactly that many bytes — both the sizes the zip declares and
 * the bytes they inflate to (checked while they stream). Errors name the file and what differs.
 */
function parseZip(bytes: Uint8Array, file: string): ParsedZip {
  const fail = (msg: string): never => {
    throw new DataError(file, msg);
  };
  if (!isZip(bytes)) fail(`not a readable zip (${bytes.length === 0 ? 'the file is empty' : 'no zip signature at its start'})`);
  let members: ZipMember[];
  try {
    members = listZip(bytes, file);
  } catch (e) {
    return fail(`not a readable zip (${e instanceof DataError ? e.detail : String(e)})`);
  }
  // Accept the files at the top level or inside one folder (a re-zipped download); macOS metadata is ignored.
  members = members.filter((m) => !m.name.startsWith('__MACOSX/') && !m.name.endsWith('/'));
  const jsons = members.filter((m) => m.name === MODEL_JSON || m.name.endsWith(`/${MODEL_JSON}`));
  if (jsons.length === 0) fail(`the zip has no ${MODEL_JSON}`);
  if (jsons.length > 1)
    fail(`the zip holds ${jsons.length} ${MODEL_JSON} files (${jsons.map((m) => `"${cleanName(m.name, 80)}"`).join(', ')}); expected one`);
  const jsonPath = jsons[0].name;
  const dir = jsonPath.slice(0, jsonPath.length - MODEL_JSON.length);
  const jsonBytes = readZipMember(bytes, file, jsons[0], { maxBytes: MODEL_JSON_MAX_BYTES, reason: `a ${MODEL_JSON} may hold` });
  let json: ParsedZip['json'];
  try {
    json = JSON.parse(strFromU8(jsonBytes));
  } catch (e) {
    return fail(`${MODEL_JSON} is not valid JSON (${(e as Error).message})`);
  }
  if (!isObj(json) || !isObj(json.modelTopology) || !Array.isArray(json.weightsManifest)) {
    fail(`${MODEL_JSON} has no modelTopology / weightsManifest`);
  }
  const expected = manifestBytes(json.weightsManifest as unknown[], file);
  if (expected > WEIGHTS_MAX_BYTES) {
    fail(
      `${MODEL_JSON}: the weights manifest describes ${bytesText(expected)}, more than the ${bytesText(WEIGHTS_MAX_BYTES)} a model of this app can hold`,
    );
  }
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const files: ZipMember[] = [];
  for (const group of json.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) {
      const path = dir + p.replace(/^\.\//, '');
      const found = members.filter((m) => m.name === path);
      if (found.length === 0) fail(`the zip lacks the weights file '${cleanName(p, 80)}' named in ${MODEL_JSON}`);
      if (found.length > 1) fail(`the zip holds ${found.length} members named "${cleanName(path, 80)}"; expected one`);
      files.push(found[0]);
    }
  }
  const names = files.map((m) => `"${cleanName(m.name.slice(dir.length), 80)}"`).join(' + ');
  const declared = files.reduce((a, m) => a + m.size, 0);
  const differs = (got: number) =>
    fail(
      `${names} ${files.length === 1 ? 'holds' : 'hold'} ${bytesText(got)}, but the weights manifest in ${MODEL_JSON} describes ` +
        `${bytesText(expected)} (${bytesText(Math.abs(got - expected))} too ${got > expected ? 'many' : 'few'})`,
    );
  if (declared !== expected) differs(declared);
  const data = new Uint8Array(expected);
  let o = 0;
  for (const m of files) {
    const part = readZipMember(bytes, file, m, {
      maxBytes: expected - o,
      reason: `the weights manifest in ${MODEL_JSON} describes`,
      label: `"${cleanName(m.name, 80)}"`,
    });
    data.set(part, o);
    o += part.length;
  }
  if (o !== expected) differs(o);
  return { json, weightSpecs, weightData: data.buffer };
}

/** Opens the zip's model.json + weights as a tf.LayersModel (stock layers only; nothing to register). */
export async function loadLayersModelFromZip(bytes: Uint8Array, fileName = DEFAULT_ZIP_NAME): Promise<tf.LayersModel> {
  const { json, weightSpecs, weightData } = parseZip(bytes, fileName);
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
export function loadPlaygroundModel(bytes: Uint8Array, fileName = DEFAULT_ZIP_NAME): LoadedPlaygroundModel {
  const { json, weightSpecs, weightData } = parseZip(bytes, fileName);
  const raw: unknown = json.userDefinedMetadata?.longTailPlayground;
  if (!isObj(raw) || raw.format !== TFJS_FORMAT) {
    throw new DataError(fileName, `${MODEL_JSON} carries no Long-Tail Playground metadata (not exported by this app)`);
  }
  if (!(typeof raw.formatVersion === 'number' && raw.formatVersion >= 1)) {
    throw new DataError(fileName, `${MODEL_JSON}: formatVersion is ${String(raw.formatVersion)}, expected a number ≥ 1`);
  }
  if (raw.formatVersion > TFJS_FORMAT_VERSION) {
    throw new DataError(fileName, `format version ${raw.formatVersion} is newer than this app's ${TFJS_FORMAT_VERSION}`);
  }
  const checked = checkPlaygroundMetadata(raw, fileName);
  const meta: PlaygroundTfjsMetadata = {
    ...(raw as unknown as PlaygroundTfjsMetadata),
    config: checked.config,
    inputShape: checked.inputShape,
    mean: checked.mean,
    std: checked.std,
    bnBatchesTracked: checked.bnBatchesTracked,
    weightNames: checked.weightNames,
    info: checked.info,
  };
  const config = checked.config;
  const spec = buildSpec(config);
  const decoded = tf.io.decodeWeights(weightData, weightSpecs);
  const weights = new Map<string, Float32Array>();
  try {
    for (const p of spec.params) {
      const wn = Object.hasOwn(meta.weightNames, p.name) ? meta.weightNames[p.name] : tfjsWeightName(p);
      const t = Object.hasOwn(decoded, wn) ? decoded[wn] : undefined;
      if (!t) throw new DataError(fileName, `the weights lack '${cleanName(wn, 80)}' (${p.name})`);
      const size = p.shape.reduce((a, d) => a * d, 1);
      if (t.size !== size) {
        throw new DataError(fileName, `weight '${cleanName(wn, 80)}' has shape [${t.shape}], expected ${size} values ([${p.shape}])`);
      }
      const values = Float32Array.from(t.dataSync() as Float32Array);
      const bad = values.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0)
        throw new DataError(fileName, `weight '${cleanName(wn, 80)}' holds a non-finite value (${values[bad]}) at index ${bad}`);
      weights.set(p.name, values);
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
    const v = Object.hasOwn(meta.bnBatchesTracked, name) ? meta.bnBatchesTracked[name] : 0;
    bnBatchesTracked.set(name, v);
    model.bnBatchesTracked.set(name, v);
  }
  return { model, config, weights, bnBatchesTracked, metadata: meta };
}
