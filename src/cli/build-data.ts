/**
 * `npm run build:data [-- --src DIR --out FILE]` — builds public/data/fmnist-lt.ltpg from Debian's
 * dataset-fashion-mnist IDX files (the embedded long-tail pool and the test set; src/node/build-data.ts).
 */
import { main } from '../node/build-data';

main().catch((e) => {
  console.error(`build-data: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
