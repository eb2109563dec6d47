// Bundles the `pushpull` client into one file with no runtime dependencies: cli/dist/pushpull.mjs,
// the package's `bin` (run by `npm install`/`npm pack` as the `prepare` script, and by the tests
// before they run the bin). esbuild is the bundler wrangler already uses.
import { chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, stop } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));

/** Where the bin is written. */
export const binPath = join(here, 'dist', 'pushpull.mjs');

/** Builds the bin; returns its path. */
export async function buildCli() {
  await build({
    entryPoints: [join(here, 'bin.ts')],
    outfile: binPath,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
    logLevel: 'warning',
  });
  // Ends esbuild's service process now rather than when the caller (a vitest global setup) exits.
  await stop();
  chmodSync(binPath, 0o755);
  return binPath;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildCli();
