/**
 * What the fused executor's convolutions run and why, in words for the backend panel. Apart from the kernels so
 * the page can say it without loading any WGSL.
 */
import type { ConvVariantChoice } from './kernels/conv-tiled';

/** What a plan's convolutions run and why: the setting, the adapter, and how many layers take the tiled kernels. */
export interface ConvKernelsInfo {
  asked: ConvVariantChoice;
  software: boolean;
  tiledLayers: number;
  layers: number;
}

/** The badge's words for `ConvKernelsInfo`, e.g. "direct kernels (software adapter: …)" or "tiled on 30 of 31 layers (…)". */
export function convKernelsText(i: ConvKernelsInfo): string {
  const set = i.asked === 'auto' ? '' : `set to ${i.asked}`;
  if (i.tiledLayers === 0) {
    const why =
      i.asked === 'direct'
        ? set
        : i.asked === 'tiled'
          ? `${set}; no layer has channels in multiples of 16`
          : i.software
            ? 'software adapter: the tiled ones are slower there'
            : 'no layer is large enough for the tiled ones';
    return `direct kernels (${why})`;
  }
  const rest = i.layers - i.tiledLayers;
  const others = `${rest} ${rest === 1 ? 'layer keeps' : 'layers keep'} the direct ones`;
  const why =
    i.asked === 'auto'
      ? `hardware adapter${rest ? `; ${others}: too small or channels not in multiples of 16` : ''}`
      : `${set}${rest ? `; ${others}: channels not in multiples of 16` : ''}`;
  return `tiled on ${i.tiledLayers} of ${i.layers} layers (${why})`;
}
