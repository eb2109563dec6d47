// `npm test`: check formatting (prettier), lint (eslint, typescript-eslint type-aware), typecheck every project, check
// generated binding types, bundle every Worker as `wrangler deploy` would (offline), then run
// every vitest project.
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { bin, listWorkers, root, toolEnv, typesArgs } from './workers.mjs';

const env = { ...toolEnv, NO_COLOR: '1' };
const extra = process.argv.slice(2);

function step(label, cmd, args) {
  const started = Date.now();
  process.stdout.write(`\n▶ ${label}\n`);
  const r = spawnSync(cmd, args, { cwd: root, env, stdio: 'inherit' });
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

step('vitest (all projects)', bin('vitest'), ['run', ...extra]);
