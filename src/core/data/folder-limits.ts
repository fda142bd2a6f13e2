/**
 * Folder uploads: the target shapes and the limits, without the parser (pure: the page shows them in the upload
 * dialog without loading the decoders; ./folder.ts builds the data set in the worker).
 */

export interface FolderTarget {
  height: number;
  width: number;
  channels: 1 | 3;
}

/** The two supported input shapes: CIFAR-like colour and MNIST-like grey. */
export const FOLDER_TARGETS = {
  rgb32: { height: 32, width: 32, channels: 3 },
  grey28: { height: 28, width: 28, channels: 1 },
} as const satisfies Record<string, FolderTarget>;

export const DEFAULT_MAX_IMAGES = 20000;
/** Default cap on the total (uncompressed) size of the uploaded files: 1 GiB. */
export const DEFAULT_MAX_BYTES = 1024 * 1024 * 1024;
/**
 * Largest image an upload decodes: 4096×4096 pixels (16.8 megapixels). Every image is shrunk to 32×32 or 28×28, so
 * more detail is thrown away; a larger one is skipped (read from its header, before decoding) with the reason.
 */
export const MAX_IMAGE_PIXELS = 4096 * 4096;
/**
 * Most pixels an upload decodes in all, counted from the image headers before anything is decoded: 2^32 (4295
 * megapixels, e.g. 20000 images of 463×463), about a minute of decoding. A zip cannot make the reader decode more.
 */
export const DEFAULT_MAX_DECODE_PIXELS = 2 ** 32;
export const MIN_TEST_FRACTION = 0.05;
export const MAX_TEST_FRACTION = 0.5;
/** Most files (images or not) an upload may list: 5 per accepted image, so a zip of millions of empty files is refused. */
export const FILES_PER_IMAGE = 5;

export interface SkippedFile {
  file: string;
  reason: string;
}

/** Bytes a data set of `nImages` images of `target` shape occupies (pixels + 16-bit labels). */
export function estimateMemory(nImages: number, target: { height: number; width: number; channels: number }): number {
  return nImages * (target.height * target.width * target.channels + 2);
}

/** The limits as one sentence for the upload dialog, e.g. "Up to 20000 images (about 61.5 MB as 32×32 RGB)…". */
export function folderLimitsText(target: FolderTarget, maxImages = DEFAULT_MAX_IMAGES, maxBytes = DEFAULT_MAX_BYTES): string {
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  return (
    `Up to ${maxImages} images and ${mb(maxBytes)} of files; the images are resized to ` +
    `${target.height}×${target.width} ${target.channels === 1 ? 'grey' : 'RGB'}, ` +
    `about ${mb(estimateMemory(maxImages, target))} of memory at the limit. Images larger than 4096×4096 pixels are skipped.`
  );
}
