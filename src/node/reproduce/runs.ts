/**
 * The reproduction's runs: which losses, the profiles (quick, full, lesson) and each run's config, and where a
 * run's files go in the output folder.
 */
import { join } from 'node:path';
import { DEFAULT_CONFIG, type TrainConfig } from '../../core/train/config';
import type { LossId } from '../../core/losses/types';
import type { HeadKind, ModelKind } from '../../core/models/types';
import { type BackendName } from '../../core/backend';
import { applyRecipe, type RecipeId } from '../../core/train/recipe';
import { LESSON_PLAN } from '../../core/train/lesson-plan';

export type RunId = 'ce' | 'ldam' | 'balancedSoftmax' | 'kps' | 'fbl' | 'gcl1' | 'gcl2';

export interface RunDef {
  id: RunId;
  label: string;
  loss: LossId;
  head: HeadKind;
  /** Stage 2 of another run (continues from that run's final checkpoint). */
  stage2Of?: RunId;
  /** Batch size of the authors' script (full profile). */
  refBatch: number;
}

export const RUNS: RunDef[] = [
  { id: 'ce', label: 'CE', loss: 'ce', head: 'linear', refBatch: 64 },
  { id: 'ldam', label: 'LDAM-DRW', loss: 'ldam', head: 'cosine', refBatch: 128 },
  { id: 'balancedSoftmax', label: 'Balanced Softmax', loss: 'balancedSoftmax', head: 'linear', refBatch: 64 },
  { id: 'kps', label: 'KPS (+GA)', loss: 'kps', head: 'cosine', refBatch: 64 },
  { id: 'fbl', label: 'FBL', loss: 'fbl', head: 'linear', refBatch: 64 },
  { id: 'gcl1', label: 'GCL stage 1', loss: 'gcl', head: 'cosine', refBatch: 64 },
  { id: 'gcl2', label: 'GCL stage 2 (CBEN)', loss: 'gcl', head: 'cosine', stage2Of: 'gcl1', refBatch: 64 },
];

export interface Profile {
  name: 'quick' | 'full' | 'lesson' | 'custom';
  /** Images kept per class before the tail is drawn (n_max); absent: the whole pool. */
  headImages?: number;
  model: ModelKind;
  epochs: number;
  /** null: the authors' per-loss batch size (RunDef.refBatch). */
  batch: number | null;
  evalPerClass: number | null;
  stage2Epochs: number;
  stage2Batch: number;
  backend: BackendName;
  imbalance: number;
  seed: number;
  /** 'authors': each run with the authors' recipe for its loss (src/core/train/recipe.ts). Absent: ours. */
  recipe?: RecipeId;
  /**
   * Hold out this fraction of each class's training images (seeded) as a validation split that chooses the best
   * epoch (and GCL stage 2's start under the authors' recipe). Absent or 0: none, best chosen on the test set.
   */
  valFraction?: number;
  /** Expected wall time, said up front. */
  expected: string;
}

export const PROFILES: Record<'quick' | 'full' | 'lesson', Profile> = {
  quick: {
    name: 'quick',
    model: 'convnet',
    epochs: 10,
    batch: 128,
    evalPerClass: 200,
    stage2Epochs: 3,
    stage2Batch: 128,
    backend: 'wasm',
    imbalance: 100,
    seed: 1,
    expected: '≈ 25–30 min on a 2-core x86 machine (wasm, single thread), less when other work leaves the CPU free',
  },
  full: {
    name: 'full',
    model: 'resnet32',
    epochs: 200,
    batch: null,
    evalPerClass: null,
    stage2Epochs: 30,
    stage2Batch: 128,
    backend: 'webgpu',
    imbalance: 100,
    seed: 1,
    expected:
      'meant for a GPU machine (WebGPU through Dawn): 6 × 200 epochs of ResNet-32 on 12,406 images plus 30 stage-2 epochs; ' +
      'at ~1 s per b64 step (tfjs WebGPU on an H100, docs/benchmarks.md) ≈ 6 × 200 × 194 steps ≈ 65 h; on wasm here weeks',
  },
  lesson: {
    name: 'lesson',
    model: LESSON_PLAN.model,
    epochs: LESSON_PLAN.epochs,
    batch: LESSON_PLAN.batch,
    evalPerClass: LESSON_PLAN.evalPerClass,
    headImages: LESSON_PLAN.headImages,
    stage2Epochs: LESSON_PLAN.stage2Epochs,
    stage2Batch: LESSON_PLAN.stage2Batch,
    backend: 'wasm',
    imbalance: LESSON_PLAN.imbalance,
    seed: LESSON_PLAN.seeds[0],
    expected: "one seed (the app's whole Lesson) ≈ 2–3 min on a 2-core x86 machine (wasm); each further seed as long",
  },
};

/** The lesson's runs, in the order the app's Lesson trains them. */
export const LESSON_RUNS: RunId[] = ['ce', 'kps', 'fbl', 'gcl1', 'gcl2'];

export function runConfig(run: RunDef, p: Profile): TrainConfig {
  const c: TrainConfig = structuredClone(DEFAULT_CONFIG);
  c.dataset = 'fmnist-lt';
  c.imbalance = p.imbalance;
  if (p.headImages !== undefined) c.headImages = p.headImages;
  c.profile = 'exp';
  c.seed = p.seed;
  c.model = p.model;
  c.head = run.head;
  c.loss = run.loss;
  c.lossParams = {};
  c.batchSize = p.batch ?? run.refBatch;
  c.epochs = p.epochs;
  c.schedule = 'auto';
  c.warmup = true;
  c.sampler = 'instance';
  c.augment = true;
  c.evalPerClass = p.evalPerClass;
  c.logEvery = 10_000; // the table's largest interval: per-batch logging is off for these runs
  c.stage2 = { ...c.stage2, epochs: p.stage2Epochs, batchSize: p.stage2Batch, sampler: 'cben' };
  // only when on: the configs (and so the fingerprints of earlier results) without a split stay as they were
  if (p.valFraction) c.valFraction = p.valFraction;
  if (p.recipe === 'authors') {
    const r = applyRecipe(c, 'authors', run.loss);
    // an explicit --batch wins over the recipe's per-loss batch size
    if (p.batch !== null) r.batchSize = p.batch;
    return r;
  }
  return c;
}

/** The run's label, naming the stage-2 sampler and start under the authors' recipe. */
export function runLabel(run: RunDef, p: Profile): string {
  if (run.id === 'gcl2' && p.recipe === 'authors') return 'GCL stage 2 (class-balanced, from best)';
  return run.label;
}

/** Every file a reproduce folder holds (checked before anything trains: regular files, not an input). */
export function folderFiles(): string[] {
  const d = '.';
  const runs = RUNS.flatMap((r) => [runFile(d, r.id), ckptFile(d, r.id), finalCkptFile(d, r.id)]);
  return [...runs, 'summary.json', 'table.md', 'per-class.png', 'per-class.svg'];
}

export function runFile(dir: string, id: RunId) {
  return join(dir, `${id}.json`);
}
export function ckptFile(dir: string, id: RunId) {
  return join(dir, 'checkpoints', `${id}.json`);
}
export function finalCkptFile(dir: string, id: RunId) {
  return join(dir, 'checkpoints', `${id}.final.json`);
}

export const SEEDS_FILES = ['seeds.json', 'seeds.md'];
export const LESSON_FILES = ['lesson.json', 'lesson.md'];
export const seedDir = (outDir: string, seed: number) => join(outDir, `seed-${seed}`);
