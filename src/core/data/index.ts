/** Public API of the data layer (browser-, worker- and Node-safe; Node-only helpers live in ./node-load). */
export type * from './types';
export { DataError } from './errors';
export { isGzip, gunzipChecked, maybeGunzip, gzipBytes, crc32, type ProgressFn, type GunzipOptions } from './gzip';
export { DEFAULT_MAX_INFLATE, SizeLimitError, type InflateLimit } from './inflate';
export { isZip, listZip, readZipMember, type ZipMember, type ZipReadLimit } from './zip';
export { cleanName, classDisplayNames, MAX_CLASS_NAME } from './names';
export { parseIdx, readIdxImages, readIdxLabels, imageSetFromIdx, encodeIdx, IDX_MAX_BYTES, type IdxArray } from './idx';
export { readTar, writeTar, type TarEntry } from './tar';
export {
  readCifarArchive,
  readCifar10,
  readCifar100,
  writeCifarArchive,
  CIFAR10_META,
  CIFAR100_META,
  CIFAR_MAX_TAR_BYTES,
  type CifarKind,
  type CifarReadOptions,
  type CifarWriteOptions,
} from './cifar';
export {
  encodeDataset,
  decodeDataset,
  decodePack,
  PACK_MAGIC,
  PACK_VERSION,
  PACK_LIMITS,
  PACK_MAX_BYTES,
  PACK_MAX_HEADER_BYTES,
  type PackReadOptions,
  type PackHeader,
  type PackSetHeader,
  type DecodedPack,
} from './pack';
export { loadEmbeddedDataset, embeddedUrl, EMBEDDED_FILE, EMBEDDED_PATH, type FetchBytes, type EmbeddedLoadOptions } from './embedded';
export {
  makeLongTail,
  countsFor,
  groupOf,
  groupCounts,
  classCounts,
  subsetImages,
  DEFAULT_N_MAX,
  DEFAULT_STEP_MU,
  type GroupCounts,
} from './longtail';
export { createSampler, cbenWeights, type Sampler, type CbenWeights } from './samplers';
export { makeBatch, batchLabels, normalisationTable, type BatchOptions } from './augment';
export {
  decodePng,
  encodePng,
  pngChunk,
  isPng,
  sniffImageType,
  pngDecoder,
  browserDecoder,
  defaultDecoder,
  MAX_DECODE_PIXELS,
  type DecodedImage,
  type ImageDecoder,
  type PngEncodeInput,
  type PngEncodeOptions,
} from './png';
export { resizeImage, sourceWindow, type ResizeTarget, type ResizeFit, type SourceWindow } from './resize';
export {
  buildFolderDataset,
  readFolderZip,
  estimateMemory,
  folderLimitsText,
  naturalCompare,
  FOLDER_TARGETS,
  DEFAULT_MAX_IMAGES,
  DEFAULT_MAX_BYTES,
  MIN_TEST_FRACTION,
  MAX_TEST_FRACTION,
  FILES_PER_IMAGE,
  type FolderFile,
  type FolderTarget,
  type FolderOptions,
  type FolderReport,
  type FolderResult,
  type SkippedFile,
} from './folder';
