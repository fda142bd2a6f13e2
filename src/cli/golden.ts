/**
 * npm run golden -- <file.json>
 * Checks every loss of the project against a golden file of the documented shape (test/fixtures/golden/README.md):
 * one line per case/loss with the loss relative error and each gradient's max abs error vs its tolerance.
 * Exit 0 all pass, 1 any failure, 2 usage error / unreadable or malformed file.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { checkGolden, formatReport, GoldenFormatError } from '../core/losses/compute/golden-check';

async function main(argv: string[]): Promise<number> {
  const args = argv.filter((a) => a !== '--');
  if (args.length !== 1 || args[0] === '-h' || args[0] === '--help') {
    console.error('usage: npm run golden -- <golden-losses.json>');
    return 2;
  }
  const path = args[0];
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    console.error(`golden: cannot read ${path}: ${(err as Error).message}`);
    return 2;
  }
  await tf.setBackend('cpu');
  await tf.ready();
  let report;
  try {
    report = checkGolden(data);
  } catch (err) {
    if (err instanceof GoldenFormatError) {
      console.error(`golden: ${path} is not a golden loss file of the documented shape: ${err.message}`);
      return 2;
    }
    throw err;
  }
  for (const line of formatReport(report)) console.log(line);
  return report.pass ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`golden: ${(err as Error).stack ?? String(err)}`);
    process.exit(2);
  },
);
