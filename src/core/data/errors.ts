/** Errors raised by the data layer: always name the file (or data set) and say what is wrong with it. */
export class DataError extends Error {
  /** The file or data set the problem was found in (e.g. "train-images-idx3-ubyte.gz"). */
  readonly file: string;
  /** The problem, without the file name. */
  readonly detail: string;

  constructor(file: string, detail: string) {
    super(`${file}: ${detail}`);
    this.name = 'DataError';
    this.file = file;
    this.detail = detail;
  }
}

/** Formats a byte count for messages: "47040000 bytes". */
export function bytesText(n: number): string {
  return `${n} byte${n === 1 ? '' : 's'}`;
}
