/**
 * The `pushpull` executable: runs {@link main} with the process's arguments and exits with its
 * code. `cli/build.mjs` bundles this file into `cli/dist/pushpull.mjs` (the package's `bin`,
 * `#!/usr/bin/env node`, no runtime dependencies).
 */
import { main } from './main';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`pushpull: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
