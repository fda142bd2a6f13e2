/** Dataset loading for the Node entry points (CLI, benchmarks): the embedded pack or an official CIFAR archive. */
import { fileURLToPath } from 'node:url';
import { basename } from 'node:path';
import type { Dataset } from '../core/data/types';
import { checkPackStart, decodeDataset } from '../core/data/pack';
import { checkCifarStart, readCifarArchive } from '../core/data/cifar';
import { MAX_DATA_FILE_BYTES, readBytes } from '../core/data/node-load';

export const DATASET_IDS = ['fmnist-lt', 'cifar10-lt', 'cifar100-lt'] as const;

export const EMBEDDED_PACK = fileURLToPath(new URL('../../public/data/fmnist-lt.ltpg', import.meta.url));

export async function loadDatasetForCli(id: string, file?: string): Promise<Dataset> {
  if (id === 'fmnist-lt') {
    const path = file ?? EMBEDDED_PACK;
    // the type is checked from the first bytes: a large file of the wrong kind is refused before it is read
    const name = basename(path);
    return decodeDataset(await readBytes(path, MAX_DATA_FILE_BYTES, (head) => checkPackStart(head, name)), name);
  }
  if (id === 'cifar10-lt' || id === 'cifar100-lt') {
    if (!file) throw new Error(`${id} needs the official archive (--data FILE)`);
    const name = basename(file);
    const ds = readCifarArchive(await readBytes(file, MAX_DATA_FILE_BYTES, (head) => checkCifarStart(head, name)), name);
    const want = id === 'cifar10-lt' ? 10 : 100;
    if (ds.pool.numClasses !== want) throw new Error(`${basename(file)} holds ${ds.pool.numClasses} classes, but ${id} needs ${want}`);
    return ds;
  }
  throw new Error(`unknown dataset "${id}" (known: ${DATASET_IDS.join(', ')})`);
}
