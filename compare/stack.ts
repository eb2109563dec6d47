/**
 * The stack a comparison runs against, started as `npm run dev` starts it (the same wrangler
 * configs under `wrangler dev`, the same local token) but on free ports, with its own state
 * folder and its own wrangler dev registry, so that it never binds to another run's Workers.
 *
 * Every process started here is in its own process group and is stopped on every exit path:
 * {@link Stack.stop}, the process's `exit` event (SIGKILL), and SIGINT/SIGTERM through
 * {@link stopOnSignals}.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { listWorkers, root } from '../scripts/workers.mjs';

/** The local token every Worker of a comparison stack is started with (as `.dev.vars.example`). */
export const STACK_TOKEN = 'dev-token';

/** A tool installed in node_modules/.bin. */
export const bin = (name: string): string => join(root, 'node_modules', '.bin', name);

/** A Worker of the stack, running. */
export interface RunningWorker {
  /** What the run calls it (`edge-ttl`, `metrics`, ...). */
  label: string;
  url: string;
  /** Its local state (`--persist-to`): D1, KV, R2, Cache API, Durable Objects. */
  stateDir: string;
  stop(): Promise<void>;
}

/** Processes alive in this Node process, killed on exit whatever happens. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) killGroup(child, 'SIGKILL');
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Spawns a process in a group of its own that is killed when this process exits (whatever the
 * path); `stop` ends it (SIGTERM, then SIGKILL after 5 s).
 */
export function spawnTracked(
  cmd: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv } = {},
): { child: ChildProcess; stop: () => Promise<void> } {
  const child = spawn(cmd, args, { cwd: root, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  live.add(child);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      live.delete(child);
      resolve();
    }),
  );
  return {
    child,
    stop: async () => {
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * A TCP port free on 127.0.0.1 right now, drawn from 21000-27999: below Linux's ephemeral range
 * (32768+, where outgoing connections take their ports) and away from the fixed test ports
 * (19400.., the e2e stack at 28080..).
 */
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 21000 + Math.floor(Math.random() * 7000);
    const ok = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new Error('no free port found in 21000-27999 after 50 attempts');
}

/** Options of {@link Stack}. */
export interface StackOptions {
  /** Folder for every Worker's local state and logs (one subfolder per label). */
  stateDir: string;
  /** Progress lines. */
  log: (line: string) => void;
}

/** Starts and stops the Workers of one comparison run. */
export class Stack {
  private readonly workers: RunningWorker[] = [];
  readonly registryDir: string;

  constructor(private readonly options: StackOptions) {
    this.registryDir = join(options.stateDir, 'registry');
    mkdirSync(this.registryDir, { recursive: true });
  }

  /** The environment of every wrangler run: no usage metrics, this run's dev registry. */
  private env(): NodeJS.ProcessEnv {
    // X_LOCAL_OBSERVABILITY=false: wrangler dev otherwise streams a trace of every invocation
    // to a local collector (bench/feed.ts measured it doubling a Durable Object call); a
    // deployed Worker has no such collector in its path.
    return {
      ...process.env,
      WRANGLER_SEND_METRICS: 'false',
      WRANGLER_REGISTRY_PATH: this.registryDir,
      NO_COLOR: '1',
      X_LOCAL_OBSERVABILITY: 'false',
    };
  }

  /**
   * Starts the Worker `name` (a folder under workers/, or `edge`) as `label` with these vars on
   * top of its wrangler.toml, on a free port and fresh state, and waits until it answers
   * `readyPath` (any status), at most 90 s. `stateFrom` is a stopped Worker's state folder to
   * start from (a copy: a loaded graph reused by several configurations).
   */
  async start(name: string, label: string, vars: Record<string, string> = {}, readyPath = '/', stateFrom?: string): Promise<RunningWorker> {
    const worker = listWorkers().find((w) => w.name === name);
    if (!worker) throw new Error(`no Worker named ${name}`);
    const stateDir = join(this.options.stateDir, label);
    if (stateFrom !== undefined) cpSync(stateFrom, stateDir, { recursive: true });
    mkdirSync(stateDir, { recursive: true });
    // A copied state already has its schema.
    for (const binding of stateFrom === undefined ? worker.d1WithMigrations : []) {
      const r = spawnSync(
        bin('wrangler'),
        ['d1', 'migrations', 'apply', binding, '--local', '-c', worker.config, '--persist-to', stateDir],
        { cwd: root, env: { ...this.env(), CI: 'true' }, encoding: 'utf8', timeout: 120_000 },
      );
      if (r.status !== 0) throw new Error(`${label}: d1 migrations apply ${binding} failed: ${r.stdout}${r.stderr}`);
    }
    const port = await freePort();
    const inspectorPort = await freePort();
    const args = [
      'dev',
      '-c',
      worker.config,
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--persist-to',
      stateDir,
      '--show-interactive-dev-session=false',
      '--inspector-port',
      String(inspectorPort),
      '--log-level',
      'warn',
    ];
    for (const [k, v] of Object.entries({ PUSHPULL_TOKEN: STACK_TOKEN, ...vars })) args.push('--var', `${k}:${v}`);
    const logFile = createWriteStream(join(this.options.stateDir, `${label}.log`));
    const { child, stop } = spawnTracked(bin('wrangler'), args, { env: this.env() });
    child.stdout?.pipe(logFile);
    child.stderr?.pipe(logFile);
    const url = `http://127.0.0.1:${port}`;
    const running: RunningWorker = { label, url, stateDir, stop };
    this.workers.push(running);
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`${label}: wrangler dev exited with ${child.exitCode} (log: ${join(this.options.stateDir, `${label}.log`)})`);
      try {
        const r = await fetch(url + readyPath);
        await r.arrayBuffer();
        break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${label}: wrangler dev did not answer within 90 s`);
      await new Promise((r) => setTimeout(r, 250));
    }
    this.options.log(`${label} up at ${url}`);
    return running;
  }

  /** Stops every Worker this stack started (in parallel). */
  async stop(): Promise<void> {
    const all = this.workers.splice(0);
    await Promise.all(all.map((w) => w.stop()));
  }
}

/**
 * On SIGINT/SIGTERM, runs `cleanup` (stopping the stack) and exits 130/143. For the command
 * line; tests stop their stacks in `afterAll`.
 */
export function stopOnSignals(cleanup: () => Promise<void>): void {
  const handler = (signal: NodeJS.Signals): void => {
    process.stderr.write(`\n${signal}: stopping every process of this run\n`);
    void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}
