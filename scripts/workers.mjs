// The Workers of the stack, discovered from their wrangler configs: workers/<name>/wrangler.toml.
// Used by the test, dev and deploy scripts.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The path of a tool installed in node_modules/.bin. */
export const bin = (name) => join(root, 'node_modules', '.bin', name);

/** The environment every wrangler/tool run gets: no usage metrics sent. */
export const toolEnv = { ...process.env, WRANGLER_SEND_METRICS: 'false' };

/**
 * @typedef {object} WorkerInfo
 * @property {string} name        directory name under workers/
 * @property {string} config      path of its wrangler.toml, relative to the root
 * @property {string} dir         workers/<name>
 * @property {number} port        [dev] port
 * @property {string[]} crons     [triggers] crons
 * @property {string[]} typesWith further configs for `wrangler types` (service bindings' types)
 * @property {string[]} d1WithMigrations D1 bindings that declare a migrations_dir
 */

/** @returns {WorkerInfo[]} */
export function listWorkers() {
  const found = [];
  const add = (name, config) => {
    const text = readFileSync(join(root, config), 'utf8');
    const port = Number(/^\s*port\s*=\s*(\d+)/m.exec(text)?.[1] ?? 0);
    const cronsLine = /^\s*crons\s*=\s*\[(.*)\]/m.exec(text)?.[1] ?? '';
    const crons = [...cronsLine.matchAll(/"([^"]+)"/g)].map((m) => m[1]);
    // `# types-with: workers/metrics/wrangler.toml` lets a Worker's generated types include
    // the RPC types of the Workers it binds to.
    const typesWith = [...text.matchAll(/^#\s*types-with:\s*(\S+)/gm)].map((m) => m[1]);
    const d1WithMigrations = [...text.matchAll(/\[\[d1_databases\]\]([\s\S]*?)(?=\n\[|$)/g)]
      .filter((m) => /^\s*migrations_dir\s*=/m.test(m[1]))
      .map((m) => /^\s*binding\s*=\s*"([^"]+)"/m.exec(m[1])?.[1])
      .filter((b) => b !== undefined);
    found.push({ name, config, dir: join('workers', name), port, crons, typesWith, d1WithMigrations });
  };
  for (const entry of readdirSync(join(root, 'workers'), { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const config = join('workers', entry.name, 'wrangler.toml');
    if (existsSync(join(root, config))) add(entry.name, config);
  }
  return found;
}

/** Arguments for `wrangler types` that write (or, with check, verify) a Worker's binding types. */
export function typesArgs(worker, check) {
  const args = ['types', join(worker.dir, 'worker-configuration.d.ts'), '-c', worker.config];
  for (const other of worker.typesWith) args.push('-c', other);
  args.push('--include-runtime=false', '--strict-vars=false');
  if (check) args.push('--check');
  return args;
}
