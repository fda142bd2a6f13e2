/**
 * Training one reproduction run (resumable, interruptible, fingerprinted) and the folder of runs in order.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../../core/data/types';
import { Trainer } from '../../core/train/trainer';
import { writeFileAtomic } from '../outputs';
import { Interrupt } from '../interrupt';
import { RunId, RunDef, RUNS, Profile, runConfig, runLabel, runFile, ckptFile, finalCkptFile } from './runs';
import { SlimEpoch, ReproducedRun } from './summary';
import { pc } from './report';
import {
  stringifyWithArrays,
  parseWithArrays,
  CheckpointFile,
  hashArrays,
  backboneHash,
  slim,
  fingerprint,
  describeDiff,
} from './checkpoints';

export interface ReproduceOptions {
  profile: Profile;
  outDir: string;
  runs: RunId[];
  /** Stop (resumably) after this many epochs trained in this session (tests, or to split the work). */
  stopAfterEpochs: number | null;
  quiet: boolean;
  fresh: boolean;
  keepCheckpoints: boolean;
  png: boolean;
  /** One reproduction per seed, each in <outDir>/seed-<seed>, and the spread over them in seeds.json / seeds.md. */
  seeds?: number[] | null;
  /** The app's Lesson: lesson.md / lesson.json (per-seed table, the claims) beside seeds.json. */
  lesson?: boolean;
}

export interface Ctx {
  opts: ReproduceOptions;
  dataset: Dataset;
  datasetName: string;
  backend: string;
  epochsThisSession: number;
  log: (s: string) => void;
  interrupt: Interrupt;
}

class StopRequested extends Error {}
class Interrupted extends Error {}

async function trainRun(run: RunDef, ctx: Ctx): Promise<ReproducedRun> {
  const { opts, dataset } = ctx;
  const dir = opts.outDir;
  const cfg = runConfig(run, opts.profile);
  const label = runLabel(run, opts.profile);
  let stage2Origin: ReproducedRun['stage2Origin'] = null;
  const fp = fingerprint(run, cfg, ctx.datasetName, ctx.backend);
  const file = runFile(dir, run.id);
  if (existsSync(file)) {
    const rec = JSON.parse(readFileSync(file, 'utf8')) as ReproducedRun & { fingerprint?: string };
    if (rec.fingerprint !== fp) {
      throw new Error(
        `${file} was made with another configuration (${describeDiff(rec.fingerprint ?? '', fp)}); pass --fresh to discard it or choose another --out`,
      );
    }
    ctx.log(`${label}: done already (${file})`);
    return rec;
  }
  let trainer: Trainer;
  let epochs: SlimEpoch[] = [];
  let seconds = 0;
  let sessions = 1;
  let initHash: string;
  const ck = ckptFile(dir, run.id);
  if (existsSync(ck)) {
    const saved = parseWithArrays<CheckpointFile>(readFileSync(ck, 'utf8'));
    if (saved.fingerprint !== fp) throw new Error(`${ck} belongs to another configuration; pass --fresh to discard it`);
    trainer = Trainer.fromCheckpoint(dataset, saved.checkpoint);
    epochs = saved.epochs;
    seconds = saved.seconds;
    sessions = saved.sessions + 1;
    initHash = saved.initHash;
    stage2Origin = saved.stage2Origin ?? null;
    ctx.log(`${label}: resuming after epoch ${epochs.length} (${ck})`);
  } else if (run.stage2Of) {
    const srcFinal = finalCkptFile(dir, run.stage2Of);
    if (!existsSync(srcFinal))
      throw new Error(`${label} needs the final checkpoint of ${run.stage2Of} (${srcFinal}); run ${run.stage2Of} first`);
    const saved = parseWithArrays<CheckpointFile>(readFileSync(srcFinal, 'utf8'));
    const parentCfg = runConfig(
      RUNS.find((r) => r.id === run.stage2Of)!,
      opts.profile,
    );
    if (
      saved.fingerprint !==
      fingerprint(
        RUNS.find((r) => r.id === run.stage2Of)!,
        parentCfg,
        ctx.datasetName,
        ctx.backend,
      )
    ) {
      throw new Error(`${srcFinal} belongs to another configuration; pass --fresh`);
    }
    trainer = Trainer.fromCheckpoint(dataset, saved.checkpoint);
    trainer.startStage2(cfg.stage2);
    initHash = saved.initHash;
    const o = trainer.stage2Origin;
    stage2Origin = o;
    ctx.log(
      `${label}: stage 2 from the ${o?.from ?? 'last'} stage-1 epoch (${(o?.epoch ?? saved.epochs.length - 1) + 1}) of ${run.stage2Of}`,
    );
  } else {
    trainer = new Trainer(dataset, cfg);
    initHash = backboneHash(trainer);
  }
  if (trainer.headNote) ctx.log(trainer.headNote);
  let halted: string | null = null;
  try {
    let t0 = Date.now();
    while (!trainer.stageDone) {
      if (opts.stopAfterEpochs !== null && ctx.epochsThisSession >= opts.stopAfterEpochs) throw new StopRequested();
      if (ctx.interrupt.signal) throw new Interrupted();
      const out = await trainer.step();
      // a macrotask turn per batch, so a signal is seen between batches
      await new Promise((resolve) => setImmediate(resolve));
      if (out.halt) {
        halted = out.halt.message;
        ctx.log(`${label}: ${halted}`);
        break;
      }
      if (out.epoch) {
        const m = out.epoch;
        epochs.push(slim(m));
        seconds += (Date.now() - t0) / 1000;
        t0 = Date.now();
        ctx.epochsThisSession++;
        const g = m.groupAccuracy;
        ctx.log(
          `${label} epoch ${m.epoch + 1}/${m.epochsInStage}: loss ${m.trainLoss.toFixed(3)}, lr ${m.lr.toPrecision(2)}, test ${pc(m.testAccuracy)}% (many ${pc(g.many)}, medium ${pc(g.medium)}, few ${pc(g.few)}), ${m.imagesPerSecond.toFixed(0)} img/s`,
        );
        const ckf: CheckpointFile = {
          run: run.id,
          fingerprint: fp,
          checkpoint: await trainer.checkpoint(),
          epochs,
          initHash,
          seconds,
          sessions,
          stage2Origin,
        };
        mkdirSync(join(dir, 'checkpoints'), { recursive: true });
        writeFileAtomic(ck, stringifyWithArrays(ckf));
      }
    }
    const rec: ReproducedRun & { fingerprint: string } = {
      tool: 'long-tail-playground reproduce',
      version: 1,
      id: run.id,
      label: label,
      profile: opts.profile.name,
      config: trainer.config,
      stage: trainer.stage,
      stage2Config: trainer.stage === 2 ? trainer.stage2 : null,
      backend: ctx.backend,
      tfjsVersion: tf.version.tfjs,
      date: new Date().toISOString(),
      host: hostLine(),
      initHash,
      subsetHash: hashArrays([trainer.subset.indices]),
      counts: trainer.counts,
      groups: trainer.groups,
      classNames: dataset.pool.classNames,
      testImages: trainer.testCount,
      halted,
      stage2Origin,
      seconds,
      sessions,
      epochs,
      fingerprint: fp,
    };
    writeFileAtomic(file, JSON.stringify(rec, null, 1));
    // Keep the final state of runs another run continues from (GCL stage 1 → stage 2).
    if (RUNS.some((r) => r.stage2Of === run.id) && !halted) {
      const ckf: CheckpointFile = {
        run: run.id,
        fingerprint: fp,
        checkpoint: await trainer.checkpoint(),
        epochs,
        initHash,
        seconds,
        sessions,
      };
      mkdirSync(join(dir, 'checkpoints'), { recursive: true });
      writeFileAtomic(finalCkptFile(dir, run.id), stringifyWithArrays(ckf));
    }
    if (!opts.keepCheckpoints && existsSync(ck)) rmSync(ck);
    ctx.log(`${label}: finished in ${seconds.toFixed(0)} s → ${file}`);
    return rec;
  } finally {
    trainer.dispose();
  }
}

export function hostLine(): string {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model ?? '?'}, ${os.platform()} ${os.release()}, Node ${process.version}`;
}

/** Trains the runs of ctx.opts in its folder; true when it stopped early (asked to, or a signal). */
export async function trainFolder(ctx: Ctx): Promise<boolean> {
  const { opts, log } = ctx;
  for (const id of opts.runs) {
    const run = RUNS.find((r) => r.id === id)!;
    try {
      await trainRun(run, ctx);
    } catch (e) {
      if (e instanceof StopRequested) {
        log(`stopped after ${ctx.epochsThisSession} epochs as asked (--stop-after-epochs); run the same command again to continue`);
        return true;
      }
      if (e instanceof Interrupted) {
        // said even with --quiet: the user asked for the stop and needs to know how to go on
        const ck = ckptFile(opts.outDir, run.id);
        const kept = existsSync(ck) ? `its last finished epoch is in ${ck}` : 'none of its epochs had finished';
        process.stderr.write(
          `${ctx.interrupt.signal}: stopped ${run.id} after ${ctx.epochsThisSession} epochs this session; ${kept} — run the same command again to continue\n`,
        );
        return true;
      }
      throw e;
    }
  }
  return false;
}
