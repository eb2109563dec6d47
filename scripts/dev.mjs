// `npm run dev`: the whole stack on 127.0.0.1 with local state under .wrangler/state:
// the origin (:8080) and every Worker on its [dev] port. Cron triggers do not fire by
// themselves under `wrangler dev`, so this script fires each Worker's crons once a minute.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { bin, listWorkers, root, toolEnv as env } from './workers.mjs';

const children = [];

function start(label, cmd, args, childEnv = env) {
  // detached: each server leads its own process group, so that stop() takes down what it
  // started too (wrangler's workerd, tsx's node).
  const child = spawn(cmd, args, { cwd: root, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.on('error', (err) => {
    process.stderr.write(`${'[' + label + '] '}cannot start ${cmd}: ${err.message}\n`);
    if (!stopping) stop(1);
  });
  const prefix = `[${label}] `;
  const relay = (stream, out) => {
    let buf = '';
    stream.on('data', (chunk) => {
      buf += chunk;
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const line of lines) out.write(prefix + line + '\n');
    });
  };
  relay(child.stdout, process.stdout);
  relay(child.stderr, process.stderr);
  child.on('exit', (code, signal) => {
    process.stderr.write(`${prefix}exited (${code ?? signal})\n`);
    if (!stopping) stop(1);
  });
  children.push(child);
}

let stopping = false;
/** Signals every server's process group (each was started detached, as its group's leader). */
function signalAll(sig) {
  for (const c of children) {
    try {
      if (c.pid !== undefined) process.kill(-c.pid, sig);
    } catch {
      /* already gone */
    }
  }
}
function stop(code = 0) {
  stopping = true;
  signalAll('SIGTERM');
  setTimeout(() => {
    signalAll('SIGKILL');
    process.exit(code);
  }, 3000);
}
process.on('exit', () => signalAll('SIGKILL'));
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

// `--port-base N` puts the edge on N and every other port at the same shift (a second stack
// beside a running one: the edge and the scraper are pointed at the shifted origin);
// PUSHPULL_PORT_OFFSET is the same shift as an environment variable (tests). PUSHPULL_STATE_DIR
// moves the local state (default .wrangler/state, one folder per Worker). Every other argument
// goes to the origin.
const argv = process.argv.slice(2);
let offset = Number(process.env.PUSHPULL_PORT_OFFSET ?? '0');
const baseAt = argv.findIndex((a) => a === '--port-base' || a.startsWith('--port-base='));
if (baseAt >= 0) {
  const [flag] = argv.splice(baseAt, 1);
  const value = flag.includes('=') ? flag.slice(flag.indexOf('=') + 1) : argv.splice(baseAt, 1)[0];
  const base = Number(value);
  // The highest port: the feed's inspector (8790 + 1000) after the shift.
  if (!Number.isInteger(base) || base < 1024 || base + 3 + 1000 > 65535) {
    process.stderr.write(`--port-base must be an integer from 1024 to 64532 (the edge's port; the others follow it), got ${value}\n`);
    process.exit(2);
  }
  offset = base - 8787;
}
if (!Number.isInteger(offset) || 8080 + offset < 1024) {
  process.stderr.write(`PUSHPULL_PORT_OFFSET must be an integer that keeps every port at or above 1024, got ${offset}\n`);
  process.exit(2);
}
const stateDir = process.env.PUSHPULL_STATE_DIR ?? join(root, '.wrangler', 'state');
// This run's own wrangler dev registry: the Workers bind by name only to their siblings started
// here, never to another checkout's or another run's (wrangler's default registry is per user).
const registry = join(stateDir, '.registry');
mkdirSync(registry, { recursive: true });
const workerEnv = { ...env, WRANGLER_REGISTRY_PATH: registry };
const originPort = String(Number(process.env.ORIGIN_PORT ?? '8080') + offset);
const originUrl = `http://127.0.0.1:${originPort}`;
start('origin', bin('tsx'), ['origin/main.ts', '--port', originPort, '--host', '127.0.0.1', ...argv]);

const workers = listWorkers();
// D1 schemas: apply each Worker's migrations to the local state first (idempotent), so that a
// fresh clone works without a manual step.
for (const w of workers) {
  for (const binding of w.d1WithMigrations) {
    const r = spawnSync(
      bin('wrangler'),
      ['d1', 'migrations', 'apply', binding, '--local', '-c', w.config, '--persist-to', join(stateDir, w.name)],
      { cwd: root, env: { ...env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' },
    );
    if (r.status !== 0) {
      process.stderr.write(`[${w.name}] d1 migrations apply ${binding} failed:\n${r.stdout}${r.stderr}\n`);
      process.exit(1);
    }
    process.stdout.write(`[${w.name}] D1 ${binding}: local migrations applied\n`);
  }
}
for (const w of workers) {
  const vars = join(root, w.dir, '.dev.vars');
  const example = join(root, w.dir, '.dev.vars.example');
  if (!existsSync(vars) && existsSync(example)) copyFileSync(example, vars);
  // One state folder per Worker: their storage is separate anyway, and workerd processes that
  // share one folder contend for the same local Cache API database (SQLITE_BUSY).
  const args = [
    'dev',
    '-c',
    w.config,
    '--ip',
    '127.0.0.1',
    '--port',
    String(w.port + offset),
    '--persist-to',
    join(stateDir, w.name),
    '--show-interactive-dev-session=false',
    '--inspector-port',
    String(w.port + offset + 1000),
  ];
  if (offset !== 0 && w.name === 'edge') args.push('--var', `ORIGIN_URL:${originUrl}`);
  if (offset !== 0 && w.name === 'scraper') {
    const config = {
      global: { scrape_interval: '5s', scrape_timeout: '4s' },
      scrape_configs: [{ job_name: 'origin', static_configs: [{ targets: [`127.0.0.1:${originPort}`] }] }],
    };
    args.push('--var', `SCRAPE_CONFIG:${JSON.stringify(config)}`);
  }
  start(w.name, bin('wrangler'), args, workerEnv);
}

// Fire crons once a minute, at the top of the minute as Cloudflare does.
const cronWorkers = workers.filter((w) => w.crons.length > 0);
if (cronWorkers.length > 0) {
  const fire = async () => {
    for (const w of cronWorkers) {
      for (const cron of w.crons) {
        try {
          await fetch(`http://127.0.0.1:${w.port + offset}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent(cron)}`);
        } catch {
          /* the Worker may still be starting */
        }
      }
    }
  };
  setTimeout(
    () => {
      void fire();
      setInterval(() => void fire(), 60_000);
    },
    60_000 - (Date.now() % 60_000),
  );
  setTimeout(() => void fire(), 8_000);
}

process.stdout.write(
  `pushpull dev: origin ${originUrl}\n` + workers.map((w) => `  ${w.name.padEnd(8)} http://127.0.0.1:${w.port + offset}\n`).join(''),
);
