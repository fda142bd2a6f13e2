/**
 * safetensors (https://github.com/huggingface/safetensors) writer and reader, hand-written (no maintained npm
 * writer), and the export of a model as a PyTorch `ResNet_s` state dict.
 *
 * File layout: u64 little-endian N, then N bytes of UTF-8 JSON — `{ name: { dtype, shape, data_offsets: [begin,
 * end] }, …, "__metadata__": { string: string } }`, padded with spaces so the data starts 8-byte aligned — then the
 * raw little-endian tensor data; offsets are relative to the start of the data and the tensors tile it without gaps.
 * The writer puts the int64 tensors first so every tensor starts aligned to its element size.
 *
 * State dict (the authors' `ResNet_s` / LDAM-DRW `resnet_cifar.py` names): conv kernels tfjs [kh, kw, in, out] →
 * PyTorch [out, in, kh, kw]; the linear head's weight tfjs [in, out] → nn.Linear [out, in] (+ bias [out]); the
 * cosine head (`NormedLinear`) keeps [in, out], which is how NormedLinear stores it; BatchNorm weight / bias /
 * running_mean / running_var [C] (F32) and num_batches_tracked (I64 scalar, from `Model.bnBatchesTracked`).
 */
import type { ModelConfig, ModelKind, HeadKind, ParamSpec } from '../models/types';
import { buildSpec, bnLayerNames } from '../models/spec';
import { numBlocks, type ExportInfo } from './info';
import { snapshotOf, type WeightSource } from './snapshot';
import { describeChange } from '../train/change-log';

export type SafetensorsDtype = 'F64' | 'F32' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8';
export type SafetensorsData = Float64Array | Float32Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

export interface SafeTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: SafetensorsData;
}

export interface SafetensorsFile {
  /** Tensors in file (data offset) order. */
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

const DTYPES: Record<SafetensorsDtype, { size: number; make: (n: number) => SafetensorsData }> = {
  F64: { size: 8, make: (n) => new Float64Array(n) },
  F32: { size: 4, make: (n) => new Float32Array(n) },
  I64: { size: 8, make: (n) => new BigInt64Array(n) },
  I32: { size: 4, make: (n) => new Int32Array(n) },
  I16: { size: 2, make: (n) => new Int16Array(n) },
  I8: { size: 1, make: (n) => new Int8Array(n) },
  U8: { size: 1, make: (n) => new Uint8Array(n) },
};

function expectedCtor(dtype: SafetensorsDtype): string {
  return DTYPES[dtype].make(0).constructor.name;
}

const numel = (shape: number[]): number => shape.reduce((a, d) => a * d, 1);

/** The header may not exceed this (the reference implementation's limit). */
const MAX_HEADER = 100_000_000;

function writeElements(view: DataView, at: number, t: SafeTensor): void {
  const d = t.data;
  switch (t.dtype) {
    case 'F64':
      for (let i = 0; i < d.length; i++) view.setFloat64(at + 8 * i, (d as Float64Array)[i], true);
      break;
    case 'F32':
      for (let i = 0; i < d.length; i++) view.setFloat32(at + 4 * i, (d as Float32Array)[i], true);
      break;
    case 'I64':
      for (let i = 0; i < d.length; i++) view.setBigInt64(at + 8 * i, (d as BigInt64Array)[i], true);
      break;
    case 'I32':
      for (let i = 0; i < d.length; i++) view.setInt32(at + 4 * i, (d as Int32Array)[i], true);
      break;
    case 'I16':
      for (let i = 0; i < d.length; i++) view.setInt16(at + 2 * i, (d as Int16Array)[i], true);
      break;
    case 'I8':
      for (let i = 0; i < d.length; i++) view.setInt8(at + i, (d as Int8Array)[i]);
      break;
    case 'U8':
      for (let i = 0; i < d.length; i++) view.setUint8(at + i, (d as Uint8Array)[i]);
      break;
  }
}

function readElements(view: DataView, at: number, dtype: SafetensorsDtype, n: number): SafetensorsData {
  const out = DTYPES[dtype].make(n);
  switch (dtype) {
    case 'F64':
      for (let i = 0; i < n; i++) (out as Float64Array)[i] = view.getFloat64(at + 8 * i, true);
      break;
    case 'F32':
      for (let i = 0; i < n; i++) (out as Float32Array)[i] = view.getFloat32(at + 4 * i, true);
      break;
    case 'I64':
      for (let i = 0; i < n; i++) (out as BigInt64Array)[i] = view.getBigInt64(at + 8 * i, true);
      break;
    case 'I32':
      for (let i = 0; i < n; i++) (out as Int32Array)[i] = view.getInt32(at + 4 * i, true);
      break;
    case 'I16':
      for (let i = 0; i < n; i++) (out as Int16Array)[i] = view.getInt16(at + 2 * i, true);
      break;
    case 'I8':
      for (let i = 0; i < n; i++) (out as Int8Array)[i] = view.getInt8(at + i);
      break;
    case 'U8':
      for (let i = 0; i < n; i++) (out as Uint8Array)[i] = view.getUint8(at + i);
      break;
  }
  return out;
}

/**
 * Encodes tensors (in the given order, except that wider element types come first so each tensor is aligned) and
 * string metadata as a safetensors file.
 */
export function encodeSafetensors(tensors: Iterable<[string, SafeTensor]>, metadata: Record<string, string> = {}): Uint8Array {
  const list = [...tensors];
  const seen = new Set<string>();
  for (const [name, t] of list) {
    if (name === '__metadata__' || name === '') throw new Error(`safetensors: invalid tensor name '${name}'`);
    if (seen.has(name)) throw new Error(`safetensors: duplicate tensor name '${name}'`);
    seen.add(name);
    if (!(t.dtype in DTYPES)) throw new Error(`safetensors: '${name}' has unsupported dtype ${t.dtype}`);
    if (!t.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new Error(`safetensors: '${name}' has invalid shape [${t.shape}]`);
    if (t.data.constructor.name !== expectedCtor(t.dtype)) {
      throw new Error(`safetensors: '${name}' is ${t.dtype} but its data is a ${t.data.constructor.name}`);
    }
    if (t.data.length !== numel(t.shape)) {
      throw new Error(`safetensors: '${name}' has ${t.data.length} values for shape [${t.shape}] (${numel(t.shape)})`);
    }
  }
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new Error(`safetensors: metadata '${k}' must be a string, got ${typeof v}`);
  }
  // Stable sort by element size (8, 4, 2, 1): keeps every tensor aligned within an 8-aligned data section.
  const ordered = list
    .map((e, i) => ({ e, i }))
    .sort((a, b) => DTYPES[b.e[1].dtype].size - DTYPES[a.e[1].dtype].size || a.i - b.i)
    .map((x) => x.e);
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = { ...metadata };
  let offset = 0;
  for (const [name, t] of ordered) {
    const bytes = t.data.length * DTYPES[t.dtype].size;
    header[name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLen = Math.ceil((8 + json.length) / 8) * 8 - 8;
  if (headerLen > MAX_HEADER) throw new Error(`safetensors: header of ${headerLen} bytes exceeds ${MAX_HEADER}`);
  const out = new Uint8Array(8 + headerLen + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerLen), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen);
  const base = 8 + headerLen;
  for (const [name, t] of ordered) {
    const [begin] = (header[name] as { data_offsets: [number, number] }).data_offsets;
    writeElements(view, base + begin, t);
  }
  return out;
}

/** Parses and validates a safetensors file (tensors are copied out, in data-offset order). */
export function decodeSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (bytes.length < 8) throw new Error(`safetensors: file of ${bytes.length} bytes is too short for a header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(Math.min(MAX_HEADER, bytes.length - 8))) {
    throw new Error(`safetensors: header length ${n64} does not fit the file (${bytes.length} bytes)`);
  }
  const n = Number(n64);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw new Error(`safetensors: the header is not valid UTF-8 JSON (${(e as Error).message})`, { cause: e });
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw new Error('safetensors: the header is not a JSON object');
  const base = 8 + n;
  const dataLen = bytes.length - base;
  const metadata: Record<string, string> = {};
  const entries: { name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, v] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('safetensors: __metadata__ must be an object');
      for (const [k, s] of Object.entries(v as Record<string, unknown>)) {
        if (typeof s !== 'string') throw new Error(`safetensors: metadata '${k}' is not a string`);
        metadata[k] = s;
      }
      continue;
    }
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!e || typeof e !== 'object') throw new Error(`safetensors: entry '${name}' is not an object`);
    if (typeof e.dtype !== 'string' || !(e.dtype in DTYPES))
      throw new Error(`safetensors: '${name}' has unsupported dtype ${String(e.dtype)}`);
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0))
      throw new Error(`safetensors: '${name}' has an invalid shape`);
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isInteger(d) && d >= 0) || off[1] < off[0]) {
      throw new Error(`safetensors: '${name}' has invalid data_offsets`);
    }
    const dtype = e.dtype as SafetensorsDtype;
    const shape = e.shape as number[];
    if (off[1] - off[0] !== numel(shape) * DTYPES[dtype].size) {
      throw new Error(
        `safetensors: '${name}' spans ${off[1] - off[0]} bytes, shape [${shape}] of ${dtype} needs ${numel(shape) * DTYPES[dtype].size}`,
      );
    }
    if (off[1] > dataLen) throw new Error(`safetensors: '${name}' ends at ${off[1]}, past the data (${dataLen} bytes): truncated file?`);
    entries.push({ name, dtype, shape, begin: off[0], end: off[1] });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const e of entries) {
    if (e.begin !== pos) throw new Error(`safetensors: '${e.name}' starts at ${e.begin}, expected ${pos} (tensors must tile the data)`);
    pos = e.end;
  }
  if (pos !== dataLen) throw new Error(`safetensors: the tensors cover ${pos} of ${dataLen} data bytes`);
  const tensors = new Map<string, SafeTensor>();
  for (const e of entries) {
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: readElements(view, base + e.begin, e.dtype, numel(e.shape)) });
  }
  return { tensors, metadata };
}

// ---------------------------------------------------------------------------------------------------------------
// Layout conversion between the app (tfjs) and PyTorch.

/** PyTorch shape of a parameter given in tfjs layout. */
export function torchShape(p: ParamSpec): number[] {
  if (p.kind === 'conv') {
    const [kh, kw, i, o] = p.shape;
    return [o, i, kh, kw];
  }
  if (p.kind === 'linearWeight') return [p.shape[1], p.shape[0]];
  return [...p.shape];
}

/** tfjs → PyTorch layout (conv [kh,kw,in,out] → [out,in,kh,kw]; nn.Linear [in,out] → [out,in]; else a copy). */
export function toTorchLayout(p: ParamSpec, data: Float32Array): Float32Array {
  if (p.kind === 'conv') {
    const [kh, kw, ci, co] = p.shape;
    const out = new Float32Array(data.length);
    for (let y = 0; y < kh; y++)
      for (let x = 0; x < kw; x++)
        for (let i = 0; i < ci; i++)
          for (let o = 0; o < co; o++) out[((o * ci + i) * kh + y) * kw + x] = data[((y * kw + x) * ci + i) * co + o];
    return out;
  }
  if (p.kind === 'linearWeight') {
    const [d, c] = p.shape;
    const out = new Float32Array(data.length);
    for (let i = 0; i < d; i++) for (let j = 0; j < c; j++) out[j * d + i] = data[i * c + j];
    return out;
  }
  return Float32Array.from(data);
}

/** PyTorch → tfjs layout (inverse of toTorchLayout). */
export function fromTorchLayout(p: ParamSpec, data: Float32Array): Float32Array {
  if (p.kind === 'conv') {
    const [kh, kw, ci, co] = p.shape;
    const out = new Float32Array(data.length);
    for (let y = 0; y < kh; y++)
      for (let x = 0; x < kw; x++)
        for (let i = 0; i < ci; i++)
          for (let o = 0; o < co; o++) out[((y * kw + x) * ci + i) * co + o] = data[((o * ci + i) * kh + y) * kw + x];
    return out;
  }
  if (p.kind === 'linearWeight') {
    const [d, c] = p.shape;
    const out = new Float32Array(data.length);
    for (let i = 0; i < d; i++) for (let j = 0; j < c; j++) out[i * c + j] = data[j * d + i];
    return out;
  }
  return Float32Array.from(data);
}

/**
 * The model's PyTorch state dict, in PyTorch's order (each BN layer's num_batches_tracked after its running_var).
 */
export function torchStateDict(source: WeightSource): [string, SafeTensor][] {
  const snap = snapshotOf(source);
  const out: [string, SafeTensor][] = [];
  const bn = new Set(bnLayerNames(snap.spec));
  for (const p of snap.spec.params) {
    const data = snap.weights.get(p.name)!;
    out.push([p.name, { dtype: 'F32', shape: torchShape(p), data: toTorchLayout(p, data) }]);
    if (p.kind === 'bnVar') {
      const layer = p.name.slice(0, -'.running_var'.length);
      if (bn.has(layer)) {
        const n = snap.bnBatchesTracked.get(layer) ?? 0;
        out.push([`${layer}.num_batches_tracked`, { dtype: 'I64', shape: [], data: BigInt64Array.of(BigInt(n)) }]);
      }
    }
  }
  return out;
}

/** Current value of the `format_version` metadata key. */
export const SAFETENSORS_FORMAT_VERSION = 1;
export const SAFETENSORS_FORMAT = 'long-tail-playground/safetensors';

/** String metadata describing the model, the run and the preprocessing (structured values JSON-encoded). */
export function safetensorsMetadata(
  config: ModelConfig,
  info: ExportInfo,
  created: string = new Date().toISOString(),
): Record<string, string> {
  const [h, w, c] = config.inputShape;
  const j = (v: unknown) => JSON.stringify(v);
  if (info.mean.length !== c || info.std.length !== c) throw new Error(`export: mean/std need ${c} entries (one per channel)`);
  return {
    format: SAFETENSORS_FORMAT,
    format_version: String(SAFETENSORS_FORMAT_VERSION),
    model: config.kind,
    architecture:
      config.kind === 'convnet'
        ? 'ConvNet: 3x (conv3x3 pad 1, no bias) + BatchNorm2d + ReLU, 2x2 max-pool after the first two, global average pool, head'
        : 'ResNet_s (Cao et al. LDAM-DRW resnet_cifar.py): BasicBlocks with option-A shortcuts, stages 16/32/64',
    num_blocks: j(numBlocks(config)),
    head: config.head,
    head_output:
      config.head === 'cosine'
        ? 'NormedLinear: cosine similarity normalize(f) . normalize(W, dim=0), W [in_features, out_features]; the losses scale it by s before the softmax'
        : 'nn.Linear logits f . W^T + b, W [out_features, in_features]',
    num_classes: String(config.numClasses),
    in_channels: String(c),
    input_shape: j([c, h, w]),
    input_shape_nhwc: j([h, w, c]),
    input_layout: `PyTorch NCHW [N,${c},${h},${w}]; the app runs NHWC [N,${h},${w},${c}] (images are stored NHWC)`,
    mean: j(info.mean),
    std: j(info.std),
    preprocessing: 'x[c] = (pixel[c] / 255 - mean[c]) / std[c], pixel the uint8 value; no resizing',
    layouts:
      'conv weight [out,in,kh,kw]; linear.weight [out,in] for nn.Linear, [in,out] for NormedLinear; BatchNorm vectors [C]; num_batches_tracked int64 scalar; BatchNorm eps 1e-5, momentum 0.1',
    loss: info.loss ?? '',
    loss_params: j(info.lossParams),
    train_config: j(info.trainConfig),
    changes: j(info.changes),
    changes_text: j(info.changes.map(describeChange)),
    stage2_config: j(info.stage2Config),
    stage: String(info.stage),
    epoch: String(info.epoch),
    global_step: String(info.globalStep),
    seed: info.seed === null ? '' : String(info.seed),
    class_counts: j(info.classCounts),
    class_names: j(info.classNames),
    dataset: info.datasetId ?? '',
    dataset_title: info.datasetTitle ?? '',
    backend: info.backend,
    tfjs_version: info.tfjsVersion,
    created,
  };
}

export interface SafetensorsExportOptions {
  /** ISO date for the `created` key (default: now). */
  created?: string;
}

/**
 * The model as a safetensors file with PyTorch ResNet_s names and layouts plus metadata. Plain arrays in, bytes
 * out: no tensor is made, so it works whatever backend (or none) is active.
 */
export function exportSafetensors(source: WeightSource, info: ExportInfo, opts: SafetensorsExportOptions = {}): Uint8Array {
  const meta = safetensorsMetadata(source.spec.config, info, opts.created);
  return encodeSafetensors(torchStateDict(source), meta);
}

export interface ImportedSafetensors {
  config: ModelConfig;
  /** Parameters and buffers in the app's (tfjs) layout, for setWeights. */
  weights: Map<string, Float32Array>;
  bnBatchesTracked: Map<string, number>;
  metadata: Record<string, string>;
}

/**
 * Reads a file written by exportSafetensors back into the app's layout (for `createModel(buildSpec(config))` +
 * `setWeights`). Checks names, dtypes and shapes against the model the metadata describes.
 */
export function importSafetensors(bytes: Uint8Array): ImportedSafetensors {
  const { tensors, metadata } = decodeSafetensors(bytes);
  if (metadata.format !== SAFETENSORS_FORMAT)
    throw new Error(`safetensors: not a Long-Tail Playground export (format '${metadata.format ?? ''}')`);
  if (Number(metadata.format_version) > SAFETENSORS_FORMAT_VERSION)
    throw new Error(`safetensors: format version ${metadata.format_version} is newer than this app's ${SAFETENSORS_FORMAT_VERSION}`);
  const [, h, w] = JSON.parse(metadata.input_shape) as number[];
  const config: ModelConfig = {
    kind: metadata.model as ModelKind,
    head: metadata.head as HeadKind,
    inputShape: [h, w, Number(metadata.in_channels)],
    numClasses: Number(metadata.num_classes),
  };
  const spec = buildSpec(config);
  const weights = new Map<string, Float32Array>();
  const known = new Set<string>();
  for (const p of spec.params) {
    known.add(p.name);
    const t = tensors.get(p.name);
    if (!t) throw new Error(`safetensors: missing '${p.name}'`);
    const want = torchShape(p);
    if (t.dtype !== 'F32' || t.shape.join(',') !== want.join(',')) {
      throw new Error(`safetensors: '${p.name}' is ${t.dtype} [${t.shape}], expected F32 [${want}]`);
    }
    weights.set(p.name, fromTorchLayout(p, t.data as Float32Array));
  }
  const bnBatchesTracked = new Map<string, number>();
  for (const layer of bnLayerNames(spec)) {
    const name = `${layer}.num_batches_tracked`;
    known.add(name);
    const t = tensors.get(name);
    if (!t) throw new Error(`safetensors: missing '${name}'`);
    if (t.dtype !== 'I64' || t.shape.length !== 0)
      throw new Error(`safetensors: '${name}' is ${t.dtype} [${t.shape}], expected an I64 scalar`);
    bnBatchesTracked.set(layer, Number((t.data as BigInt64Array)[0]));
  }
  for (const name of tensors.keys()) if (!known.has(name)) throw new Error(`safetensors: unexpected tensor '${name}'`);
  return { config, weights, bnBatchesTracked, metadata };
}
