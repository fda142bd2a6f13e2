/**
 * `npm run reproduce` — the command line (src/cli/reproduce.ts is its entry point): flags, the output folder's
 * checks, one reproduction per seed and the aggregation.
 */
import { parseArgs } from 'node:util';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, validateConfig } from '../../core/train/config';
import type { ModelKind } from '../../core/models/types';
import { initBackend, initNodeWebGPU, type BackendName } from '../../core/backend';
import { EMBEDDED_PACK, loadDatasetForCli } from '../datasets';
import { checkOutputFolder, writeFileAtomic } from '../outputs';
import { Interrupt } from '../interrupt';
import { type RecipeId } from '../../core/train/recipe';
import { LESSON_PLAN } from '../../core/train/lesson-plan';
import { parseSeeds } from '../../core/train/groups';
import {
  RunId,
  RUNS,
  Profile,
  PROFILES,
  LESSON_RUNS,
  runConfig,
  folderFiles,
  runFile,
  ckptFile,
  finalCkptFile,
  SEEDS_FILES,
  LESSON_FILES,
  seedDir,
} from './runs';
import { LessonSeed } from './summary';
import { lessonMarkdown, aggregate, scheduleNote, aggregateSeeds } from './report';
import { ReproduceOptions, Ctx, hostLine, trainFolder } from './train';

const USAGE = `Usage: npm run reproduce -- (--quick | --full | --lesson) [options]

  --quick               small model (ConvNet), ${PROFILES.quick.epochs} epochs, batch 128, ${PROFILES.quick.evalPerClass} test images per class, wasm
                        (${PROFILES.quick.expected})
  --full                ResNet-32, 200 epochs, the authors' batch sizes, the whole test set, WebGPU (Dawn) — for a GPU
  --lesson              the app's Lesson: CE, KPS (+GA), FBL, GCL stage 1 → 2 on ${PROFILES.lesson.model}, ${PROFILES.lesson.epochs} epochs,
                        ${PROFILES.lesson.headImages} head-class images, seeds ${LESSON_PLAN.seeds.join(',')} unless --seeds says otherwise;
                        lesson.md / lesson.json: the per-seed table and whether each claim holds on every seed
                        (${PROFILES.lesson.expected})
  --recipe R            ours (default) | authors: each loss with the authors' recipe (per-loss batch size, mixup α,
                        kaiming linear head, official FBL curriculum, GCL stage 2 from the best stage-1 epoch with
                        the class-balanced sampler and batch 64; src/core/train/recipe.ts cites the script lines)
  --val-fraction F      hold out this fraction (≤ 0.5) of each class's training images (seeded) as a validation
                        split that chooses the best epochs (and GCL stage 2's start under the authors' recipe);
                        default 0: best chosen on the test set, as the papers; the table says which
  --out DIR             results folder (default results/reproduce/<profile>, <profile>-authors, with -val
                        appended when a validation split is on)
  --runs LIST           comma-separated subset of ${RUNS.map((r) => r.id).join(',')} (gcl2 needs gcl1)
  --backend B           wasm | cpu | webgpu (default: the profile's)
  --model M --epochs N --batch N --eval-per-class N --stage2-epochs N --imbalance IF --seed N   override the profile
  --seeds LIST          "1,2,3" (or a count "3" from --seed): the whole table once per seed, each in <out>/seed-<seed>
                        (each seed redraws the subset and the initial weights, as --seed), then seeds.json and
                        seeds.md in <out>: every run's mean ± sample std over the seeds
  --data FILE           another .ltpg pack instead of the embedded Fashion-MNIST-LT (tests)
  --stop-after-epochs N stop (resumably) after N epochs in this session
  --fresh               discard earlier results and checkpoints in the folder
  --keep-checkpoints    keep per-run checkpoints after the run has finished
  --no-png              no chart
  --quiet               no progress lines
Re-running the same command continues where it stopped: finished runs are skipped, an interrupted run resumes from
its last finished epoch. SIGINT / SIGTERM (Ctrl-C) stop after the current batch (exit 130 / 143), keeping the
checkpoint of the last finished epoch; a second signal quits at once.
`;

function usage(msg?: string): never {
  if (msg) process.stderr.write(`error: ${msg}\n\n`);
  process.stderr.write(USAGE);
  process.exit(msg ? 2 : 0);
}

export function parseCli(argv: string[]): ReproduceOptions & { data?: string } {
  let v;
  try {
    v = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        quick: { type: 'boolean' },
        full: { type: 'boolean' },
        lesson: { type: 'boolean' },
        out: { type: 'string' },
        recipe: { type: 'string' },
        'val-fraction': { type: 'string' },
        runs: { type: 'string' },
        backend: { type: 'string' },
        model: { type: 'string' },
        epochs: { type: 'string' },
        batch: { type: 'string' },
        'eval-per-class': { type: 'string' },
        'stage2-epochs': { type: 'string' },
        imbalance: { type: 'string' },
        seed: { type: 'string' },
        seeds: { type: 'string' },
        data: { type: 'string' },
        'stop-after-epochs': { type: 'string' },
        fresh: { type: 'boolean' },
        'keep-checkpoints': { type: 'boolean' },
        'no-png': { type: 'boolean' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }).values;
  } catch (e) {
    usage((e as Error).message);
  }
  if (v.help) usage();
  if ([v.quick, v.full, v.lesson].filter(Boolean).length !== 1) usage('choose exactly one of --quick, --full and --lesson');
  const base = PROFILES[v.quick ? 'quick' : v.lesson ? 'lesson' : 'full'];
  const p: Profile = { ...base };
  const int = (name: string, s: string | undefined): number | undefined => {
    if (s === undefined) return undefined;
    const n = Number(s);
    if (!Number.isInteger(n) || n <= 0) usage(`--${name} needs a positive integer, got "${s}"`);
    return n;
  };
  let custom = false;
  const set = <K extends keyof Profile>(k: K, val: Profile[K] | undefined) => {
    if (val !== undefined) {
      p[k] = val;
      custom = true;
    }
  };
  if (v.model !== undefined && !['convnet', 'resnet8', 'resnet20', 'resnet32'].includes(v.model))
    usage(`--model must be convnet, resnet8, resnet20 or resnet32`);
  set('model', v.model as ModelKind | undefined);
  set('epochs', int('epochs', v.epochs));
  set('batch', int('batch', v.batch));
  set('evalPerClass', int('eval-per-class', v['eval-per-class']));
  set('stage2Epochs', int('stage2-epochs', v['stage2-epochs']));
  set('seed', v.seed === undefined ? undefined : Number(v.seed));
  if (v.imbalance !== undefined) {
    const n = Number(v.imbalance);
    if (!(n >= 1)) usage(`--imbalance must be ≥ 1`);
    set('imbalance', n);
  }
  if (v.backend !== undefined) {
    if (!['wasm', 'cpu', 'webgpu'].includes(v.backend)) usage(`--backend must be wasm, cpu or webgpu`);
    p.backend = v.backend as BackendName;
  }
  if (v.recipe !== undefined && v.recipe !== 'ours' && v.recipe !== 'authors') usage(`--recipe must be ours or authors`);
  const recipe: RecipeId = v.recipe === 'authors' ? 'authors' : 'ours';
  if (recipe === 'authors') {
    p.recipe = 'authors';
    // the recipe's per-loss batch sizes (RunDef.refBatch = the authors' scripts) unless --batch says otherwise
    if (v.batch === undefined) p.batch = null;
    p.stage2Batch = 64;
  }
  if (v['val-fraction'] !== undefined) {
    const f = Number(v['val-fraction']);
    if (v['val-fraction'].trim() === '' || !Number.isFinite(f)) usage(`--val-fraction needs a number, got "${v['val-fraction']}"`);
    if (f !== 0) p.valFraction = f;
  }
  if (custom) p.name = 'custom';
  const runs = (v.runs ?? (v.lesson ? LESSON_RUNS : RUNS.map((r) => r.id)).join(',')).split(',').map((s) => s.trim()) as RunId[];
  for (const r of runs) if (!RUNS.some((d) => d.id === r)) usage(`unknown run "${r}" (known: ${RUNS.map((d) => d.id).join(', ')})`);
  // keep the canonical order (gcl2 after gcl1)
  const ordered = RUNS.map((r) => r.id).filter((id) => runs.includes(id));
  // every run's config through the one validator (ranges: --val-fraction ≤ 0.5, …) before anything trains
  for (const id of ordered) {
    try {
      validateConfig(
        runConfig(
          RUNS.find((r) => r.id === id)!,
          p,
        ),
      );
    } catch (e) {
      if (e instanceof ConfigError) usage(e.field === 'valFraction' ? `--val-fraction: ${e.message}` : e.message);
      throw e;
    }
  }
  let seeds: number[] | null = null;
  if (v.seeds !== undefined) {
    const r = parseSeeds(v.seeds, p.seed);
    if (!r.ok) usage(`--seeds: ${r.why}`);
    seeds = r.seeds;
  } else if (v.lesson && v.seed === undefined) seeds = [...LESSON_PLAN.seeds]; // the lesson is measured on every seed
  const folder = `${base.name}${recipe === 'authors' ? '-authors' : ''}${p.valFraction ? '-val' : ''}`;
  return {
    profile: p,
    outDir: resolve(v.out ?? join('results', 'reproduce', folder)),
    runs: ordered,
    stopAfterEpochs: int('stop-after-epochs', v['stop-after-epochs']) ?? null,
    quiet: !!v.quiet,
    fresh: !!v.fresh,
    keepCheckpoints: !!v['keep-checkpoints'],
    png: !v['no-png'],
    data: v.data,
    seeds,
    lesson: !!v.lesson,
  };
}

export async function main(argv: string[]): Promise<number> {
  const opts = parseCli(argv);
  const log = (s: string) => {
    if (!opts.quiet) process.stderr.write(`[reproduce ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
  };
  const p = opts.profile;
  log(
    `profile ${p.name}${p.recipe === 'authors' ? " with the authors' recipe" : ''}: ${p.model}, ${p.epochs} epochs, batch ${p.batch ?? 'per loss (authors)'}, eval ${p.evalPerClass ?? 'all'} per class, stage 2 ${p.stage2Epochs} epochs, backend ${p.backend}; best epoch chosen on ${p.valFraction ? `a validation split of ${p.valFraction} of each class` : 'the test set'}`,
  );
  log(
    `expected duration: ${PROFILES[p.name === 'custom' ? 'quick' : p.name].expected}${p.name === 'custom' ? ' (for the unmodified profile)' : ''}`,
  );
  log(scheduleNote(p).split('\n').join('; '));
  const inputs: [string, string][] = [opts.data === undefined ? ['the embedded pack', EMBEDDED_PACK] : ['--data', opts.data]];
  const folders = opts.seeds ? opts.seeds.map((seed) => ({ seed, dir: seedDir(opts.outDir, seed) })) : [{ seed: p.seed, dir: opts.outDir }];
  const bad =
    (opts.seeds ? checkOutputFolder('--out', opts.outDir, [...SEEDS_FILES, ...LESSON_FILES], inputs) : null) ??
    folders.map((f) => checkOutputFolder('--out', f.dir, folderFiles(), inputs)).find((x) => x !== null) ??
    null;
  if (bad) usage(bad);
  if (opts.fresh) {
    for (const { dir } of folders) {
      if (!existsSync(dir)) continue;
      for (const r of RUNS) {
        for (const f of [runFile(dir, r.id), ckptFile(dir, r.id), finalCkptFile(dir, r.id)]) if (existsSync(f)) rmSync(f);
      }
    }
  }
  for (const { dir } of folders) mkdirSync(dir, { recursive: true });
  if (p.backend === 'webgpu') {
    const g = await initNodeWebGPU();
    if (!g.ok) throw new Error(`--backend webgpu: ${g.reason}`);
  }
  const backend = await initBackend({ order: [p.backend] });
  log(`backend: ${backend.reason}`);
  const dataset = await loadDatasetForCli('fmnist-lt', opts.data);
  const ctx: Ctx = {
    opts,
    dataset,
    datasetName: opts.data ? 'custom pack' : 'embedded fmnist-lt',
    backend: backend.name,
    epochsThisSession: 0,
    log,
    interrupt: new Interrupt('the last finished epoch is kept to resume from'),
  };
  ctx.interrupt.arm();
  const started = Date.now();
  let stopped = false;
  const notFinished: string[] = [];
  let markdown = '';
  const lessonSeeds: LessonSeed[] = [];
  for (const f of folders) {
    // a seed's reproduction: the same profile with the seed replaced, in its own folder
    ctx.opts = opts.seeds ? { ...opts, profile: { ...p, seed: f.seed }, outDir: f.dir } : opts;
    if (opts.seeds) log(`seed ${f.seed} (${folders.indexOf(f) + 1} of ${folders.length}) in ${f.dir}`);
    if (!stopped) stopped = await trainFolder(ctx);
    const agg = aggregate(f.dir, opts.runs, opts.png);
    markdown = agg.markdown;
    if (agg.summaries.length)
      lessonSeeds.push({ seed: f.seed, seconds: agg.summaries.reduce((t, x) => t + x.seconds, 0), sums: agg.summaries });
    notFinished.push(...agg.missing.map((id) => (opts.seeds ? `${id} (seed ${f.seed})` : id)));
  }
  if (opts.seeds) {
    const doc = aggregateSeeds(opts.outDir, opts.seeds, opts.runs);
    markdown = doc.markdown;
  }
  if (opts.lesson) {
    markdown = lessonMarkdown(lessonSeeds);
    writeFileAtomic(join(opts.outDir, 'lesson.md'), `${markdown}\n`);
    const doc = { date: new Date().toISOString(), host: hostLine(), profile: p, seeds: lessonSeeds };
    writeFileAtomic(join(opts.outDir, 'lesson.json'), JSON.stringify(doc, null, 1));
  }
  log(`session: ${((Date.now() - started) / 1000).toFixed(0)} s; results in ${opts.outDir}`);
  process.stdout.write(`${markdown}\n`);
  if (stopped || notFinished.length) log(`not finished: ${notFinished.join(', ') || '(stopped)'} — run the same command again to continue`);
  return ctx.interrupt.exitCode ?? 0;
}
