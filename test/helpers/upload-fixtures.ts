/** Fixtures for "bring your own data": small CIFAR binary archives and image folders of generated PNGs. */
import { zipSync } from 'fflate';
import { writeCifarArchive, type CifarKind } from '../../src/core/data/cifar';
import { encodePng } from '../../src/core/data/png';
import type { ImageSet } from '../../src/core/data/types';

function cifarSet(name: string, perClass: number, C: number, seed: number): ImageSet {
  const N = perClass * C;
  const images = new Uint8Array(N * 3072);
  const labels = new Uint16Array(N);
  let s = seed >>> 0;
  for (let i = 0; i < N; i++) {
    const c = i % C; // interleaved classes, like the real batches
    labels[i] = c;
    for (let p = 0; p < 1024; p++) {
      s = (s * 1664525 + 1013904223) >>> 0;
      const noise = s >>> 28;
      images[i * 3072 + p * 3] = (c * 23 + noise) & 255;
      images[i * 3072 + p * 3 + 1] = ((p >> 5) * 8 + c * 5) & 255;
      images[i * 3072 + p * 3 + 2] = ((p & 31) * 8) & 255;
    }
  }
  return {
    name,
    height: 32,
    width: 32,
    channels: 3,
    numClasses: C,
    classNames: Array.from({ length: C }, (_, c) => (C === 10 ? CIFAR10_NAMES[c] : `fine_${c}`)),
    images,
    labels,
  };
}

export const CIFAR10_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** A CIFAR archive in the official layout with `perClassTrain` / `perClassTest` records per class. */
export function cifarArchive(kind: CifarKind, perClassTrain: number, perClassTest: number): Uint8Array {
  const C = kind === 'cifar10' ? 10 : 100;
  return writeCifarArchive(kind, cifarSet('train', perClassTrain, C, 1), cifarSet('test', perClassTest, C, 2), { level: 1 });
}

/** A solid-colour PNG (w×h RGB) whose colour depends on the class. */
export function classPng(c: number, k: number, w = 12, h = 10): Uint8Array {
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    data[i * 3] = (c * 70 + k) & 255;
    data[i * 3 + 1] = (c * 30) & 255;
    data[i * 3 + 2] = (i * 3) & 255;
  }
  return encodePng({ width: w, height: h, colorType: 2, data });
}

/** Files of an image folder `root/<class>/<k>.png` with `counts[c]` images per class. */
export function pngFolder(root: string, classes: string[], counts: number[]): { path: string; bytes: Uint8Array }[] {
  const out: { path: string; bytes: Uint8Array }[] = [];
  classes.forEach((name, c) => {
    for (let k = 0; k < counts[c]; k++) out.push({ path: `${root}/${name}/${String(k).padStart(3, '0')}.png`, bytes: classPng(c, k) });
  });
  return out;
}

/** The same folder as a .zip. */
export function zipFolder(files: { path: string; bytes: Uint8Array }[]): Uint8Array {
  return zipSync(Object.fromEntries(files.map((f) => [f.path, f.bytes])), { level: 0 });
}

/** A copy of `bytes` as its own ArrayBuffer (for transfer-shaped sources). */
export function ab(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer as ArrayBuffer;
}
