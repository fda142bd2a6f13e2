/**
 * Checks the CLI makes before any backend starts or any data is read: the training config through the one
 * validator (`validateConfig`, errors naming the flag), and every output path (the folder exists and is writable,
 * the path is not a folder, no two outputs share a path; src/node/outputs.ts has the rules) so a run is never lost to a bad `--out` after training.
 */
import { ConfigError, validateConfig, type TrainConfig } from '../core/train/config';
import { flagOf } from './flags';
import { checkOutputFile, outputIdentity } from './outputs';

/** validateConfig, with the message naming the flag: "--seed: seed (seed) is 4294967297, expected …". */
export function checkConfigFlags(c: TrainConfig): string | null {
  try {
    validateConfig(c);
    return null;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    const flag = flagOf(e.field);
    return flag ? `${flag}: ${e.message}` : e.message;
  }
}

/**
 * Problems with the output paths (flag → file), or null: each through checkOutputFile (src/node/outputs.ts), and
 * no two outputs on one file (symbolic links followed). Nothing is created or written.
 */
export function checkOutputs(outputs: readonly (readonly [flag: string, file: string | undefined])[]): string | null {
  const seen = new Map<string, string>();
  for (const [flag, file] of outputs) {
    if (file === undefined) continue;
    const bad = checkOutputFile(flag, file);
    if (bad) return bad;
    const path = outputIdentity(file);
    const other = seen.get(path);
    if (other) return `${flag} and ${other} both write "${file}"`;
    seen.set(path, flag);
  }
  return null;
}
