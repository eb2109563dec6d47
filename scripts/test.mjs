// `npm test`: check formatting (prettier), lint (eslint, typescript-eslint type-aware), unused exports
// (knip), typecheck every project, check generated binding types, bundle every Worker as
// `wrangler deploy` would (offline), then run every vitest project but the peer projects (those
// with a peers.json: they need Debian binaries, and `npm run test:peers` runs them).
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { bin, listWorkers, root, toolEnv, typesArgs } from './workers.mjs';

const env = { ...toolEnv, NO_COLOR: '1' };
const extra = process.argv.slice(2);

function step(label, cmd, args, stepEnv = env) {
  const started = Date.now();
  process.stdout.write(`\n▶ ${label}\n`);
  const r = spawnSync(cmd, args, { cwd: root, env: stepEnv, stdio: 'inherit' });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (r.status !== 0) {
    process.stdout.write(`✗ ${label} failed (exit ${r.status ?? r.signal}) after ${secs}s\n`);
    process.exit(r.status || 1);
  }
  process.stdout.write(`✓ ${label} (${secs}s)\n`);
}

const tsconfigs = [
  'origin',
  'cli',
  'bench',
  'bench/trivial',
  ...['packages', 'workers', 'test'].flatMap((top) =>
    readdirSync(join(root, top), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => join(top, e.name)),
  ),
].filter((dir) => existsSync(join(root, dir, 'tsconfig.json')));

step('prettier --check', bin('prettier'), ['--check', '.']);
step('eslint', bin('eslint'), ['.']);
// Unused exports (knip, knip.json): an export nothing imports is dead code or should not be exported.
step('knip (unused exports)', bin('knip'), ['--include', 'exports,types,nsExports,nsTypes,duplicates']);
for (const dir of tsconfigs) step(`typecheck ${dir}`, bin('tsc'), ['-p', dir]);

const workers = listWorkers();
for (const w of workers) step(`wrangler types --check (${w.name})`, bin('wrangler'), typesArgs(w, true));
for (const w of workers) {
  step(`wrangler deploy --dry-run (${w.name})`, bin('wrangler'), [
    'deploy',
    '--dry-run',
    '-c',
    w.config,
    '--outdir',
    join(root, 'dist', w.name),
  ]);
}

// vitest.config.ts leaves the peer projects out under PUSHPULL_TEST_PROJECTS=own.
step('vitest (every project but the peer projects)', bin('vitest'), ['run', ...extra], { ...env, PUSHPULL_TEST_PROJECTS: 'own' });
