// `npm run bench [-- name ...]`: runs every bench/<name>.ts (or the named ones) one after
// another with tsx, so that no two benchmarks share the machine.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const wanted = process.argv.slice(2);
const all = readdirSync(here)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3))
  .sort();
const chosen = wanted.length ? wanted : all;
let failed = 0;
for (const name of chosen) {
  if (!all.includes(name)) {
    console.error(`no bench named ${name} (have: ${all.join(', ')})`);
    failed++;
    continue;
  }
  console.log(`\n===== bench/${name}.ts =====`);
  const r = spawnSync(join(root, 'node_modules', '.bin', 'tsx'), [join(here, `${name}.ts`)], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
  });
  if (r.status !== 0) {
    console.error(`bench/${name}.ts failed (${r.status ?? r.signal})`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
