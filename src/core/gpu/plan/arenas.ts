/** Buffer arenas: 256-byte-aligned regions of the state buffer and of a few activation buffers. */
import type { DeviceLimitsLike, Region } from './types';

export const F = 4; // bytes per float
export const SLOT = 64; // floats per alignment unit (256 bytes)
export const roundUp = (v: number, m: number) => Math.ceil(v / m) * m;

/** Upper bound on the size of one activation buffer (besides the device's own limits). */
const ARENA_CAP = 256 * 2 ** 20;

/** The plan's buffers: buffer 0 (state) laid out by offset, the activation buffers handed out in order. */
export class Arenas {
  readonly sizes: number[] = [0];
  readonly allocations: { what: string; region: Region }[] = [];
  private readonly cap: number;
  constructor(private readonly limits: DeviceLimitsLike) {
    this.cap = Math.min(limits.maxBufferSize, ARENA_CAP);
    if (limits.minStorageBufferOffsetAlignment > 256) {
      throw new Error(`FusedExecutor: minStorageBufferOffsetAlignment ${limits.minStorageBufferOffsetAlignment} > 256 is not supported`);
    }
  }

  private check(bytes: number, what: string): void {
    if (bytes > this.limits.maxStorageBufferBindingSize) {
      throw new Error(
        `FusedExecutor: ${what} needs ${(bytes / 2 ** 20).toFixed(1)} MiB, more than this device's maxStorageBufferBindingSize ` +
          `(${(this.limits.maxStorageBufferBindingSize / 2 ** 20).toFixed(1)} MiB); lower maxBatch`,
      );
    }
  }

  /** A new region of `floats` in the activation buffers (a new buffer when the current one would pass the cap). */
  alloc(floats: number, what: string): Region {
    const bytes = roundUp(Math.max(floats, 1) * F, 256);
    this.check(bytes, what);
    let b = this.sizes.length - 1;
    if (b === 0 || (this.sizes[b] + bytes > this.cap && this.sizes[b] > 0)) {
      this.sizes.push(0);
      b++;
    }
    const r = { buffer: b, offset: this.sizes[b], size: bytes };
    this.sizes[b] += bytes;
    this.allocations.push({ what, region: r });
    return r;
  }

  /** A region of buffer 0 (state) at a float offset. */
  state(offsetFloats: number, floats: number, what: string): Region {
    const r = { buffer: 0, offset: offsetFloats * F, size: Math.max(floats, 1) * F };
    if (r.offset % 256 !== 0) throw new Error(`FusedExecutor: ${what} is not 256-byte aligned`);
    this.check(r.size, what);
    return r;
  }
}

/** A sub-range of a region (byte offset and size in floats). */
export function sub(r: Region, offsetFloats: number, floats: number): Region {
  const off = r.offset + offsetFloats * F;
  if (off % 256 !== 0) throw new Error('FusedExecutor: sub-range not 256-byte aligned');
  return { buffer: r.buffer, offset: off, size: Math.max(floats, 1) * F };
}
