/**
 * The one bounded decompressor behind every compressed input (gzip files, zip members, the .ltpg pack, model zips).
 *
 * fflate's streaming classes inflate whatever input they are given in one go, so the input is fed in small slices
 * (at most 16 KiB, fewer when little of the limit is left) and the output is counted as it arrives: the first chunk
 * that would take the output past the limit stops the work with a SizeLimitError. DEFLATE expands at most ~1032:1,
 * so at most one slice's output (≤ 17 MB; about the limit itself for small limits) exists beyond what is kept, and
 * what is kept is never more than the limit. The output goes into one growing buffer (sized from a hint such as the
 * gzip ISIZE field or a header's declared size, capped at the limit), so a valid file costs its size once.
 */
import { Inflate } from 'fflate';
import { DataError, bytesText } from './errors';

export type ProgressFn = (fraction: number) => void;

/** Most bytes any reader here inflates unless told otherwise: 1 GiB (a folder upload's limit, the largest). */
export const DEFAULT_MAX_INFLATE = 1024 * 1024 * 1024;

/** The largest DEFLATE expansion ratio (a 258-byte match in 2 bits, rounded up). */
const MAX_RATIO = 1032;
const MAX_SLICE = 16 * 1024;
const MIN_SLICE = 1024;

export interface InflateLimit {
  /** Most output bytes accepted. */
  maxBytes: number;
  /** What the limit is, completing "more than the N bytes …", e.g. "a CIFAR binary archive can hold". */
  reason?: string;
  /**
   * Called with the output so far until it returns a limit: the limit then becomes min(maxBytes, that one) (e.g.
   * the size a header declares, with its own reason). It may throw to refuse the data before more is inflated.
   */
  limitFrom?: LimitFrom;
}

export type LimitFrom = (head: Uint8Array) => { maxBytes: number; reason?: string } | undefined;

/** Thrown when data would decompress to more than its limit (a damaged file or a decompression bomb). */
export class SizeLimitError extends DataError {
  readonly limit: number;
  constructor(file: string, limit: number, reason: string | undefined, what = '') {
    super(
      file,
      `${what}decompresses to more than the ${bytesText(limit)} ${reason ?? 'accepted'} — refused (a damaged file or a decompression bomb)`,
    );
    this.name = 'SizeLimitError';
    this.limit = limit;
  }
}

/** A growing output buffer that refuses to pass its limit. */
export class BoundedSink {
  private buf: Uint8Array;
  private n = 0;
  private max: number;
  private reason: string | undefined;
  private refined: boolean;

  /**
   * `sizeHint`: the expected output size (allocated at once, capped at the limit); `what` prefixes the limit message
   * (e.g. 'member "x.png" '); `expansionCap`: the most the input can inflate to (MAX_RATIO × its length), so that a
   * limit read from a header is reserved at once only when the input could really fill it.
   */
  constructor(
    private readonly file: string,
    private readonly limit: InflateLimit,
    sizeHint = 0,
    private readonly what = '',
    private readonly expansionCap = Infinity,
  ) {
    if (!(limit.maxBytes >= 0)) throw new RangeError(`maxBytes must be ≥ 0, got ${limit.maxBytes}`);
    this.max = limit.maxBytes;
    this.reason = limit.reason;
    this.refined = !limit.limitFrom;
    this.buf = new Uint8Array(Math.min(this.max, Math.max(0, Math.floor(sizeHint)) || 64 * 1024));
  }

  get length(): number {
    return this.n;
  }

  /** Output bytes still accepted. */
  get room(): number {
    return this.max - this.n;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (chunk.length > this.max - this.n) throw new SizeLimitError(this.file, this.max, this.reason, this.what);
    const need = this.n + chunk.length;
    if (need > this.buf.length) {
      const grown = new Uint8Array(Math.min(this.max, Math.max(need, this.buf.length * 2)));
      grown.set(this.buf.subarray(0, this.n));
      this.buf = grown;
    }
    this.buf.set(chunk, this.n);
    this.n = need;
    if (!this.refined) {
      const cap = this.limit.limitFrom!(this.buf.subarray(0, this.n));
      if (cap !== undefined) {
        this.refined = true;
        if (cap.maxBytes < this.max) {
          this.max = cap.maxBytes;
          this.reason = cap.reason ?? this.reason;
          if (this.n > this.max) throw new SizeLimitError(this.file, this.max, this.reason, this.what);
        }
        // the declared size, when the input can hold that much: one allocation instead of doubling (and copying) to it
        const want = Math.min(this.max, this.expansionCap);
        if (want > this.buf.length) {
          const sized = new Uint8Array(want);
          sized.set(this.buf.subarray(0, this.n));
          this.buf = sized;
        }
      }
    }
  }

  /** The output (the buffer itself when it is exactly full, else a trimmed copy). */
  result(): Uint8Array {
    return this.n === this.buf.length ? this.buf : this.buf.slice(0, this.n);
  }
}

/** The largest DEFLATE expansion ratio, for callers that bound an allocation by what their input can produce. */
export const MAX_DEFLATE_RATIO = MAX_RATIO;

/** Input slice length that keeps one push's worst-case output near what the limit still allows. */
export function sliceFor(room: number): number {
  return Math.max(MIN_SLICE, Math.min(MAX_SLICE, Math.floor(room / MAX_RATIO) + 1));
}

/** Feeds `input` to a streaming decompressor slice by slice (the last one flagged final), reporting progress. */
export function feed(
  input: Uint8Array,
  push: (slice: Uint8Array, final: boolean) => void,
  room: () => number,
  onProgress?: ProgressFn,
): void {
  const step = Math.max(1, Math.floor(input.length / 100));
  let nextReport = step;
  if (input.length === 0) push(input, true);
  for (let off = 0; off < input.length;) {
    const end = Math.min(input.length, off + sliceFor(room()));
    push(input.subarray(off, end), end === input.length);
    off = end;
    if (onProgress && (off >= nextReport || off === input.length)) {
      onProgress(off / input.length);
      nextReport = off + step;
    }
  }
}

/**
 * Inflates raw DEFLATE data (a zip member) into at most `limit.maxBytes` bytes. Stream errors become DataErrors
 * "<file>: <what>is corrupt or truncated (…)"; the limit a SizeLimitError.
 */
export function inflateRawBounded(data: Uint8Array, file: string, limit: InflateLimit, sizeHint = 0, what = ''): Uint8Array {
  const sink = new BoundedSink(file, limit, sizeHint, what);
  const inflater = new Inflate((chunk) => sink.push(chunk));
  try {
    feed(
      data,
      (s, f) => inflater.push(s, f),
      () => sink.room,
    );
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(file, `${what}is corrupt or truncated (${e instanceof Error ? e.message : String(e)})`);
  }
  return sink.result();
}
