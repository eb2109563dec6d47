// Builds the pages' scripts and styles into workers/metrics/dist/public/ui/ and copies
// ui/static/ (favicon, _headers) beside them: the Worker's static assets (gitignored, like
// every dist/). Run by wrangler before `wrangler dev` / `wrangler deploy` ([build] in
// wrangler.toml) and by hand with `node workers/metrics/ui/build.mjs [--report]`.
// Files are replaced only when their bytes change, each by rename (never half-written:
// several `wrangler dev` of the metrics Worker may build at once, e.g. in the test suite).
import { build } from 'esbuild';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const publicDir = join(here, '..', 'dist', 'public');
const outdir = join(publicDir, 'ui');
const staticDir = join(here, 'static');

/** esbuild options: two pages (their shared code in chunks) and the shared stylesheet. */
export const buildOptions = {
  entryPoints: { graph: join(here, 'graph.ts'), dashboard: join(here, 'dashboard.ts'), app: join(here, 'app.css') },
  bundle: true,
  splitting: true,
  format: 'esm',
  target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
  minify: true,
  legalComments: 'none',
  entryNames: '[name]',
  chunkNames: 'chunk-[hash]',
  outdir,
  write: false,
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
};

/** Builds in memory: [{ name, bytes }] of every output file. */
export async function buildUi() {
  const result = await build(buildOptions);
  return result.outputFiles.map((f) => ({ name: relative(outdir, f.path), bytes: f.contents }));
}

function writeIfChanged(path, bytes) {
  try {
    if (Buffer.compare(readFileSync(path), bytes) === 0) return false;
  } catch {
    /* missing */
  }
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = performance.now();
  const files = await buildUi();
  mkdirSync(outdir, { recursive: true });
  let changed = 0;
  for (const f of files) if (writeIfChanged(join(outdir, f.name), f.bytes)) changed++;
  for (const name of readdirSync(staticDir)) if (writeIfChanged(join(publicDir, name), readFileSync(join(staticDir, name)))) changed++;
  // Chunks of earlier builds (their names are content hashes).
  const names = new Set(files.map((f) => f.name));
  for (const old of readdirSync(outdir)) {
    if (!names.has(old) && !old.endsWith('.tmp')) rmSync(join(outdir, old), { force: true });
  }
  const ms = Math.round(performance.now() - started);
  if (process.argv.includes('--report')) {
    for (const f of files.sort((a, b) => a.name.localeCompare(b.name))) {
      console.log(
        `${basename(f.name).padEnd(24)} ${String(f.bytes.length).padStart(8)} B  ` +
          `${String(gzipSync(f.bytes, { level: 9 }).length).padStart(7)} B gzip`,
      );
    }
  }
  console.log(`ui: ${files.length} files in ${relative(process.cwd(), outdir) || '.'} (${changed} changed) in ${ms} ms`);
}
