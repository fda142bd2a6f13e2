/**
 * Checks the CLI makes before any backend starts or any data is read: the training config through the one
 * validator (`validateConfig`, errors naming the flag), and every output path (the folder exists and is writable,
 * the path is not a folder, no two outputs share a path) so a run is never lost to a bad `--out` after training.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, validateConfig, type TrainConfig } from '../core/train/config';
import { flagOf } from './flags';

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

/** Problems with the output paths (flag → file), or null. Nothing is created or written. */
export function checkOutputs(outputs: readonly (readonly [flag: string, file: string | undefined])[]): string | null {
  const seen = new Map<string, string>();
  for (const [flag, file] of outputs) {
    if (file === undefined) continue;
    if (file.trim() === '') return `${flag} needs a file name`;
    const path = resolve(file);
    const other = seen.get(path);
    if (other) return `${flag} and ${other} both write "${file}"`;
    seen.set(path, flag);
    const dir = dirname(path);
    let st;
    try {
      st = statSync(dir);
    } catch {
      return `${flag}: the folder of "${file}" (${dir}) does not exist`;
    }
    if (!st.isDirectory()) return `${flag}: "${dir}" is not a folder`;
    try {
      accessSync(dir, constants.W_OK);
    } catch {
      return `${flag}: the folder "${dir}" is not writable`;
    }
    try {
      const target = statSync(path);
      if (target.isDirectory()) return `${flag}: "${file}" is a folder; give a file name`;
      accessSync(path, constants.W_OK);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return `${flag}: "${file}" exists and is not writable`;
    }
  }
  return null;
}
