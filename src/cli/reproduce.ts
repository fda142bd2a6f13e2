/**
 * `npm run reproduce -- --quick | --full | --lesson [options]` — the long-tail table on Fashion-MNIST-LT IF 100.
 *
 * Runs CE, LDAM-DRW, Balanced Softmax, KPS (+GA), FBL, GCL stage 1 and GCL stage 2 (CBEN, continuing from the
 * GCL stage-1 checkpoint) on the same long-tail subset with the same seed (so the same initial backbone weights:
 * every parameter is drawn from a stream forked by its name), then writes a markdown table (final and best
 * epoch), a summary JSON and a per-class accuracy chart (PNG + SVG).
 *
 * Resumable: each finished run is <out>/<run>.json; while a run trains, a Trainer.checkpoint() is written after
 * every epoch to <out>/checkpoints/<run>.json. On restart finished runs are skipped and an interrupted run continues
 * from its last finished epoch (same numbers as without the interruption: the checkpoint holds the RNG streams).
 * SIGINT / SIGTERM stop after the batch in flight (exit 130 / 143), leaving that checkpoint to resume from.
 * The work is in src/node/reproduce/ (runs, train, checkpoints, summary, report, charts, main).
 */
import { main } from '../node/reproduce/main';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`\nerror: ${(e as Error).message}\n`);
    process.exit(1);
  },
);
