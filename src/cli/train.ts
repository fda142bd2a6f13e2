/**
 * `npm run train -- [options]` — trains one run (or a sweep, or one run per seed) in Node and writes its metrics,
 * exports and bundle; `--help` lists every flag. The command is src/node/train-command.ts.
 */
import { ConfigError } from '../core/train/config';
import { main, usage } from '../node/train-command';

main(process.argv.slice(2)).catch((e) => {
  if (e instanceof ConfigError) usage(e.message);
  process.stderr.write(`\nerror: ${(e as Error).message}\n`);
  process.exit(1);
});
