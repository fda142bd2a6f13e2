import { describe, expect, it } from 'vitest';
import { gzipSync, zipSync, type Zippable } from 'fflate';
import { decodeDataset, encodeDataset } from '../../../src/core/data/pack';
import { DataError } from '../../../src/core/data/errors';
import { buildFolderDataset, cleanName, naturalCompare, type FolderFile, type FolderOptions } from '../../../src/core/data/folder';
import { estimateMemory, folderLimitsText, FOLDER_TARGETS } from '../../../src/core/data/folder-limits';
import { encodePng, pngDecoder, type ImageDecoder } from '../../../src/core/data/png';

const RGB32 = FOLDER_TARGETS.rgb32;
const GREY28 = FOLDER_TARGETS.grey28;

/** A solid-colour PNG (size varies so resizing is exercised). */
function solid(rgb: [number, number, number], w = 40, h = 30): Uint8Array {
  const data: number[] = [];
  for (let i = 0; i < w * h; i++) data.push(...rgb);
  return encodePng({ width: w, height: h, colorType: 2, data }, { filter: 4 });
}

const COLOURS: Record<string, [number, number, number]> = {
  cat: [200, 10, 10],
  dog: [10, 200, 10],
  bird: [10, 10, 200],
};

/** root/cls/img_i.png with counts per class; every image of a class has the class colour. */
function folder(counts: Record<string, number>, root = 'pets'): FolderFile[] {
  const files: FolderFile[] = [];
  for (const [cls, n] of Object.entries(counts)) {
    for (let i = 0; i < n; i++) {
      files.push({
        path: `${root ? `${root}/` : ''}${cls}/img_${i}.png`,
        bytes: solid(COLOURS[cls] ?? [50, 50, 50], 30 + (i % 5) * 7, 30 + (i % 3) * 11),
      });
    }
  }
  return files;
}

function toZip(files: FolderFile[], extra: Zippable = {}): Uint8Array {
  const z: Zippable = { ...extra };
  for (const f of files) z[f.path] = f.bytes;
  return zipSync(z, { level: 6 });
}

const base: FolderOptions = { decoder: pngDecoder, target: RGB32, testFraction: 0.2, seed: 1 };

/** Byte equality without a slow element-wise diff. */
function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

async function failure(p: Promise<unknown>): Promise<DataError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return e as DataError;
  }
  throw new Error('expected a DataError, none was thrown');
}

describe('buildFolderDataset', () => {
  it('builds pool + held-out test from a directory-picker file list', async () => {
    const progress: number[] = [];
    const { dataset, report } = await buildFolderDataset(folder({ dog: 10, cat: 4, bird: 1 }), {
      ...base,
      onProgress: (f) => progress.push(f),
    });
    expect(report.root).toBe('pets');
    expect(report.classes).toEqual(['bird', 'cat', 'dog']);
    expect(report.perClassTotal).toEqual([1, 4, 10]);
    expect(report.perClassTest).toEqual([0, 1, 2]); // round(0.2·n), at least 1 when n ≥ 2, none for a single image
    expect(report.perClassTrain).toEqual([1, 3, 8]);
    expect(report.skipped).toEqual([]);
    const { meta, pool, test } = dataset;
    expect(meta).toMatchObject({ id: 'folder', title: 'pets', hflip: true, cropPad: 4, licence: 'user-supplied' });
    expect(pool).toMatchObject({ height: 32, width: 32, channels: 3, numClasses: 3, classNames: ['bird', 'cat', 'dog'] });
    expect(Array.from(pool.labels)).toEqual([0, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2]);
    expect(Array.from(test.labels)).toEqual([1, 2, 2]);
    // every image of a class has its colour after resizing
    for (const set of [pool, test]) {
      for (let i = 0; i < set.labels.length; i++) {
        const want = COLOURS[set.classNames[set.labels[i]]];
        const img = set.images.subarray(i * 3072, (i + 1) * 3072);
        expect(img.every((v, k) => v === want[k % 3])).toBe(true);
      }
    }
    // mean / std over the pool's pixels, per channel, on [0, 1]
    const red = (1 * 10 + 3 * 200 + 8 * 10) / 12;
    expect(meta.mean[0]).toBeCloseTo(red / 255, 10);
    const varR = (1 * 10 ** 2 + 3 * 200 ** 2 + 8 * 10 ** 2) / 12 - red ** 2;
    expect(meta.std[0]).toBeCloseTo(Math.sqrt(varR) / 255, 8);
    expect(report.memoryBytes).toBe(estimateMemory(15, RGB32));
    expect(progress[progress.length - 1]).toBe(1);
    expect(progress.every((f, i) => i === 0 || f > progress[i - 1])).toBe(true);
    // the result is a valid data set for the rest of the app (round-trips through the pack format)
    const back = decodeDataset(encodeDataset(dataset), 'x.ltpg');
    expect(same(back.pool.images, pool.images)).toBe(true);
  });

  it('the held-out count is round(f·n), at least 1 for n ≥ 2, never the whole class', async () => {
    const cases: [number, number, number][] = [
      [2, 0.05, 1],
      [3, 0.5, 2],
      [2, 0.5, 1],
      [20, 0.05, 1],
      [20, 0.1, 2],
      [21, 0.5, 11], // round(10.5) = 11
    ];
    for (const [n, f, want] of cases) {
      const { report } = await buildFolderDataset(folder({ cat: n, dog: 2 }), { ...base, testFraction: f });
      expect(report.perClassTest[0], `n=${n} f=${f}`).toBe(want);
      expect(report.perClassTrain[0]).toBe(n - want);
    }
    await expect(buildFolderDataset(folder({ cat: 2, dog: 2 }), { ...base, testFraction: 0.6 })).rejects.toThrow(RangeError);
    await expect(buildFolderDataset(folder({ cat: 2, dog: 2 }), { ...base, testFraction: 0.01 })).rejects.toThrow(/between 0.05 and 0.5/);
  });

  it('28×28 grey target', async () => {
    const { dataset } = await buildFolderDataset(folder({ cat: 3, dog: 3 }), { ...base, target: GREY28 });
    expect(dataset.pool).toMatchObject({ height: 28, width: 28, channels: 1 });
    expect(dataset.meta.cropPad).toBe(2);
    expect(dataset.meta.mean).toHaveLength(1);
    const catGrey = Math.round(0.299 * 200 + 0.587 * 10 + 0.114 * 10);
    const i = dataset.pool.labels.indexOf(0);
    expect(dataset.pool.images[i * 784 + 300]).toBe(catGrey);
  });

  it('is reproducible for a seed, independent of upload order, and different for another seed', async () => {
    // images differ within a class (by size → same colour; so mark them by colour shade)
    const files: FolderFile[] = [];
    for (const cls of ['a', 'b'])
      for (let i = 0; i < 30; i++) files.push({ path: `r/${cls}/${i}.png`, bytes: solid([i * 8, cls === 'a' ? 0 : 255, 0], 8, 8) });
    const one = await buildFolderDataset(files, base);
    const two = await buildFolderDataset(files.slice().reverse(), base);
    expect(same(two.dataset.test.images, one.dataset.test.images)).toBe(true);
    expect(same(two.dataset.pool.images, one.dataset.pool.images)).toBe(true);
    expect(two.dataset.pool.labels).toEqual(one.dataset.pool.labels);
    const other = await buildFolderDataset(files, { ...base, seed: 2 });
    expect(same(other.dataset.test.images, one.dataset.test.images)).toBe(false);
    expect(other.report.perClassTest).toEqual(one.report.perClassTest);
  });

  it('reads the same folder from a .zip (root folder or class folders at the top), ignoring __MACOSX and dotfiles', async () => {
    const files = folder({ cat: 5, dog: 4 });
    const fromList = await buildFolderDataset(files, base);
    const zip = toZip(files, {
      '__MACOSX/pets/cat/._img_0.png': new Uint8Array([0, 5, 22, 7]),
      'pets/.DS_Store': new Uint8Array(10),
      'pets/cat/.hidden.png': new Uint8Array(3),
      'pets/dog/': new Uint8Array(0),
    });
    const fromZip = await buildFolderDataset(zip, { ...base, archiveName: 'pets.zip' });
    expect(fromZip.report).toEqual(fromList.report);
    expect(fromZip.dataset.meta).toEqual(fromList.dataset.meta);
    for (const k of ['pool', 'test'] as const) {
      expect(same(fromZip.dataset[k].images, fromList.dataset[k].images)).toBe(true);
      expect(fromZip.dataset[k].labels).toEqual(fromList.dataset[k].labels);
    }
    // class folders directly at the top of the zip: the title comes from the archive name
    const flat = await buildFolderDataset(toZip(folder({ cat: 3, dog: 3 }, '')), { ...base, archiveName: 'My animals.zip' });
    expect(flat.report.root).toBe('');
    expect(flat.report.classes).toEqual(['cat', 'dog']);
    expect(flat.dataset.meta.title).toBe('My animals');
    // stored (uncompressed) members and deeper nesting (root/data/class/sub/img)
    const nested: FolderFile[] = folder({ cat: 2, dog: 2 }).map((f) => ({
      ...f,
      path: f.path.replace('pets/', 'pets/data/').replace('/img_1', '/sub/img_1'),
    }));
    const z0 = zipSync(Object.fromEntries(nested.map((f) => [f.path, f.bytes])), { level: 0 });
    const deep = await buildFolderDataset(z0, base);
    expect(deep.report.root).toBe('pets/data');
    expect(deep.report.perClassTotal).toEqual([2, 2]);
  });

  it('class names are sorted naturally and kept verbatim as plain text', async () => {
    const xss = '<img src=x onerror=alert(1)>';
    const names = ['class10', 'class2', xss, '&amp; "quoted"', 'Ünïcødé 🐱', `bell\u0007name`, 'x'.repeat(100)];
    const files: FolderFile[] = names.flatMap((n, i) =>
      [0, 1].map((k) => ({ path: `root/${n}/${k}.png`, bytes: solid([i * 30, k, 0], 4, 4) })),
    );
    const { report, dataset } = await buildFolderDataset(files, base);
    expect(report.classes).toEqual(['&amp; "quoted"', xss, 'bellname', 'class2', 'class10', 'x'.repeat(63) + '…', 'Ünïcødé 🐱']);
    expect(report.folders).toContain(xss);
    expect(dataset.pool.classNames).toEqual(report.classes);
    expect(dataset.test.classNames).toEqual(report.classes);
    // names that clean to the same text stay distinct
    const dup = await buildFolderDataset(
      [
        { path: 'r/a/1.png', bytes: solid([1, 1, 1]) },
        { path: 'r/a\u0000/1.png', bytes: solid([2, 2, 2]) },
        { path: 'r/\u0001/1.png', bytes: solid([3, 3, 3]) },
      ],
      base,
    );
    expect(dup.report.classes).toEqual(['class 1', 'a', 'a (2)']);
  });

  it('naturalCompare and cleanName', () => {
    expect(['img10', 'img2', 'Img1', 'img02', 'b', 'a'].sort(naturalCompare)).toEqual(['a', 'b', 'Img1', 'img02', 'img2', 'img10']);
    expect(cleanName('  a\u202eb\u0000c  ')).toBe('abc');
    expect(cleanName('e\u0301')).toBe('\u00e9');
  });

  it('skips (and lists) unreadable images, non-images and files outside class folders', async () => {
    const files = folder({ cat: 3, dog: 3 });
    files.push({ path: 'pets/cat/broken.png', bytes: solid([1, 2, 3]).subarray(0, 40) });
    files.push({ path: 'pets/dog/photo.jpg', bytes: Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]) });
    files.push({ path: 'pets/dog/notes.txt', bytes: new TextEncoder().encode('hi') });
    files.push({ path: 'pets/README.md', bytes: new TextEncoder().encode('# pets') });
    const { report } = await buildFolderDataset(files, base);
    expect(report.perClassTotal).toEqual([3, 3]);
    expect(report.skipped).toEqual([
      { file: 'pets/dog/notes.txt', reason: 'not an image file (.txt)' },
      { file: 'pets/README.md', reason: 'not inside a class folder (files directly in the root folder are not used)' },
      { file: 'pets/cat/broken.png', reason: expect.stringMatching(/^truncated PNG/) },
      { file: 'pets/dog/photo.jpg', reason: 'JPEG image, not a PNG (only PNG can be decoded here)' },
    ]);
    // strict: the first unreadable image is an error naming it
    const e = await failure(buildFolderDataset(files, { ...base, strict: true }));
    expect(e.file).toBe('pets/cat/broken.png');
    expect(e.message).toMatch(/^pets\/cat\/broken\.png: truncated PNG/);
  });

  it('names zip members as archive:path; a build can be cancelled', async () => {
    const files = [...folder({ cat: 2, dog: 2 }), { path: 'pets/cat/broken.png', bytes: new Uint8Array([1, 2, 3]) }];
    const { report } = await buildFolderDataset(toZip(files), { ...base, archiveName: 'pets.zip' });
    expect(report.skipped).toEqual([{ file: 'pets.zip:pets/cat/broken.png', reason: 'not a PNG image (missing the PNG signature)' }]);
    const e = await failure(
      buildFolderDataset(toZip([...folder({ cat: 2, dog: 2 }), { path: 'pets/fish/x.txt', bytes: new Uint8Array(1) }]), {
        ...base,
        archiveName: 'pets.zip',
      }),
    );
    expect(e.file).toBe('pets.zip:pets/fish');
    const ctl = new AbortController();
    const decoder: ImageDecoder = async (b, n) => {
      ctl.abort(new Error('cancelled by the user'));
      return pngDecoder(b, n);
    };
    await expect(buildFolderDataset(folder({ cat: 2, dog: 2 }), { ...base, decoder, signal: ctl.signal })).rejects.toThrow(
      'cancelled by the user',
    );
  });

  it('uses an injected decoder (e.g. the browser one); decoder exceptions become skipped entries', async () => {
    const seen: string[] = [];
    const decoder: ImageDecoder = async (bytes, name) => {
      seen.push(name);
      if (name.endsWith('img_0.png')) throw new Error('boom');
      return { width: 2, height: 2, channels: 4, data: new Uint8Array(16).fill(255) };
    };
    const { report, dataset } = await buildFolderDataset(folder({ cat: 2, dog: 2 }), { ...base, decoder });
    expect(seen).toHaveLength(4);
    expect(report.skipped).toEqual([
      { file: 'pets/cat/img_0.png', reason: 'unreadable image (boom)' },
      { file: 'pets/dog/img_0.png', reason: 'unreadable image (boom)' },
    ]);
    expect(dataset.pool.images.every((v) => v === 255)).toBe(true);
  });

  describe('errors name the file and say what is wrong', () => {
    it('not a zip', async () => {
      let e = await failure(buildFolderDataset(new TextEncoder().encode('hello, this is text'), { ...base, archiveName: 'data.zip' }));
      expect(e.message).toBe('data.zip: not a .zip archive — upload a .zip of the image folder, or pick the folder itself');
      e = await failure(buildFolderDataset(gzipSync(new Uint8Array(100)), { ...base, archiveName: 'x.tar.gz' }));
      expect(e.message).toMatch(/^x\.tar\.gz: not a \.zip archive \(it is gzip data \(a \.tar\.gz\?\)\)/);
      e = await failure(buildFolderDataset(solid([1, 2, 3]), { ...base, archiveName: 'cat.png' }));
      expect(e.message).toMatch(/not a \.zip archive \(it is a single PNG image\)/);
      e = await failure(buildFolderDataset(new Uint8Array(0), { ...base, archiveName: 'empty.zip' }));
      expect(e.message).toMatch(/empty\.zip: not a \.zip archive \(the file is empty\)/);
    });

    it('truncated or corrupt zip', async () => {
      const zip = toZip(folder({ cat: 3, dog: 3 }));
      for (const cut of [30, Math.floor(zip.length / 2), zip.length - 10]) {
        const e = await failure(buildFolderDataset(zip.subarray(0, cut), { ...base, archiveName: 'pets.zip' }));
        expect(e.file).toBe('pets.zip');
        expect(e.detail).toMatch(/^truncated \.zip archive \(no end-of-central-directory record/);
      }
      const bad = zip.slice();
      bad[100] ^= 0xff; // inside the first member's compressed data
      const e = await failure(buildFolderDataset(bad, { ...base, archiveName: 'pets.zip' }));
      expect(e.message).toMatch(/^pets\.zip: member "pets\/cat\/img_0\.png" is corrupt/);
    });

    it('unknown layouts', async () => {
      let e = await failure(
        buildFolderDataset(
          toZip([
            { path: 'a.png', bytes: solid([1, 1, 1]) },
            { path: 'b.png', bytes: solid([1, 1, 1]) },
          ]),
          { ...base, archiveName: 'flat.zip' },
        ),
      );
      expect(e.message).toBe(
        'flat.zip: unknown layout: the images are not in class folders — expected one folder per class with the images inside, ' +
          'e.g. pets/cat/001.jpg, pets/dog/002.png (pick the "pets" folder, or zip it)',
      );
      e = await failure(buildFolderDataset(toZip([], { '__MACOSX/x': new Uint8Array(1) }), { ...base, archiveName: 'e.zip' }));
      expect(e.message).toMatch(/^e\.zip: holds no files/);
      e = await failure(
        buildFolderDataset([...folder({ cat: 2 }, 'ds/train'), ...folder({ cat: 2 }, 'ds/test'), ...folder({ dog: 2 }, 'ds/train')], base),
      );
      expect(e.message).toMatch(/^ds: unknown layout: "ds" holds "test\/" and "train\/", which look like a train\/test split/);
    });

    it('a single class (or a folder of images without class folders)', async () => {
      let e = await failure(buildFolderDataset(folder({ cat: 4 }), base));
      expect(e.message).toMatch(/^pets: only one class folder \("cat"\) — at least 2 classes are needed/);
      e = await failure(
        buildFolderDataset(
          [
            { path: 'holiday/1.png', bytes: solid([1, 1, 1]) },
            { path: 'holiday/2.png', bytes: solid([1, 1, 1]) },
          ],
          base,
        ),
      );
      expect(e.message).toMatch(/^holiday: only one class folder \("holiday"\)/);
    });

    it('a class folder with zero images, or none readable', async () => {
      const files = [...folder({ cat: 2, dog: 2 }), { path: 'pets/fish/notes.txt', bytes: new Uint8Array(3) }];
      let e = await failure(buildFolderDataset(files, base));
      expect(e.file).toBe('pets/fish');
      expect(e.message).toBe('pets/fish: class folder holds no images (1 other file) — every class needs at least one image');
      const broken = [...folder({ cat: 2, dog: 2 }), { path: 'pets/fish/a.png', bytes: new Uint8Array([0x89, 0x50, 0x4e, 0x47]) }];
      e = await failure(buildFolderDataset(broken, base));
      expect(e.message).toBe(
        'pets/fish: class "fish" has no readable image (1 image file, none could be decoded; e.g. pets/fish/a.png: not a PNG image (missing the PNG signature))',
      );
    });

    it('too many images or bytes, stated before decoding', async () => {
      let decoded = 0;
      const decoder: ImageDecoder = async (b, n) => {
        decoded++;
        return pngDecoder(b, n);
      };
      let e = await failure(buildFolderDataset(folder({ cat: 4, dog: 3 }), { ...base, decoder, maxImages: 6 }));
      expect(e.message).toBe('pets: holds 7 images, more than the limit of 6 (about 0.0 MB as 32×32×3) — use fewer images');
      expect(decoded).toBe(0);
      e = await failure(buildFolderDataset(toZip(folder({ cat: 4, dog: 3 })), { ...base, maxBytes: 300, archiveName: 'big.zip' }));
      expect(e.message).toMatch(/^big\.zip: its files add up to \d+ bytes uncompressed, more than the 300 bytes accepted/);
      e = await failure(buildFolderDataset(folder({ cat: 4, dog: 3 }), { ...base, maxBytes: 300 }));
      expect(e.message).toMatch(/^pets: its files add up to \d+ bytes, more than the 300 bytes accepted/);
    });
  });

  it('a class left without a test image, or an upload without any, is accepted with a note', async () => {
    const some = await buildFolderDataset(folder({ cat: 1, dog: 4, bird: 1 }), base);
    expect(some.report.perClassTest).toEqual([0, 0, 1]);
    expect(some.report.notes).toEqual([
      '2 classes ("bird", "cat") have a single readable image, kept for training: no test image, so no test accuracy for them',
    ]);
    const none = await buildFolderDataset(folder({ cat: 1, dog: 1 }), base);
    expect(none.dataset.test.labels.length).toBe(0);
    expect(none.dataset.pool.labels.length).toBe(2);
    expect(none.report.notes).toEqual([
      'no test images: every class has a single readable image, which is kept for training, so test accuracy cannot be measured — add at least 2 images per class',
    ]);
    const full = await buildFolderDataset(folder({ cat: 2, dog: 3 }), base);
    expect(full.report.notes).toEqual([]);
  });

  it('limits stated up front', () => {
    expect(estimateMemory(20000, RGB32)).toBe(20000 * 3074);
    expect(estimateMemory(1000, GREY28)).toBe(1000 * 786);
    expect(folderLimitsText(RGB32)).toBe(
      'Up to 20000 images and 1073.7 MB of files; the images are resized to 32×32 RGB, about 61.5 MB of memory at the limit. ' +
        'Images larger than 4096×4096 pixels are skipped.',
    );
  });
});
