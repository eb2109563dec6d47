/**
 * Fault injection for the stateful Workers: run one under `wrangler dev` on persisted local
 * state, SIGKILL its whole process group at a seeded random moment, restart it on the same
 * state and check what survived. One file per case (`<worker>.test.ts`) uses this module:
 *
 * ```ts
 * const run = faultRun('feed');                       // seed from FAULTS_SEED, or random (printed)
 * afterEach(() => run.cleanup());                     // every process stopped, every exit path
 * const feed = await run.worker({ config: 'workers/feed/wrangler.toml', vars, d1Migrations: ['DB'],
 *   ready: { path: '/users/1', status: 404 } });
 * await feed.start();                                 // free port, own registry, state kept on disk
 * const acked = await run.killDuring(feed, { afterMs: [200, 1500] }, (signal) => writeUntilKilled(signal));
 * await feed.start();                                 // the same state; resolves once *this* process answers
 * ```
 *
 * Guarantees: ports are free ones (probed), never fixed; each Worker has its own
 * `WRANGLER_REGISTRY_PATH` (no binding to another engineer's dev session); a kill reaches
 * wrangler, workerd and esbuild (the group) and returns only once every process of the
 * group is gone; readiness means the listening socket belongs to the process group just
 * started (read from /proc), not to whatever else took the port; `cleanup()` kills every
 * group still alive and removes the state, and a guard process (guard.mjs) kills the group
 * if the test process itself dies. Linux only (/proc).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleWorker } from '../support/dev-worker';

const root = resolve(import.meta.dirname, '..', '..');
const wranglerBin = join(root, 'node_modules', '.bin', 'wrangler');
const guardScript = join(import.meta.dirname, 'guard.mjs');

/** A seeded PRNG (mulberry32): the same seed gives the same kill moments and workloads. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A free TCP port on 127.0.0.1 (probed by binding port 0). */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolvePort(port) : reject(new Error('no port assigned'))));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** How a Worker is started. */
export interface FaultWorkerOptions {
  /** wrangler config, relative to the repository root (or absolute). */
  config: string;
  /** `--var NAME:value` for every start. */
  vars?: Record<string, string>;
  /** D1 bindings whose migrations are applied to the state before the first start. */
  d1Migrations?: string[];
  /** Readiness: `path` answers `status` (default: any status below 500). */
  ready: { path: string; status?: number; headers?: Record<string, string> };
  /** Longest wait for a start, ms (default 60,000). */
  startTimeoutMs?: number;
}

/** Group ids of every process group started in this test process and not yet reaped. */
const liveGroups = new Set<number>();
// Last resort when a test file ends without cleanup(): `exit` handlers run synchronously,
// and process.kill is synchronous. (A SIGKILL of this process is covered by guard.mjs.)
process.once('exit', () => {
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

/** Pids of the live (not zombie) processes whose process group is `pgid`. */
function groupPids(pgid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z') pids.push(Number(entry));
  }
  return pids;
}

/** Socket inodes listening on `port` (IPv4 or IPv6), from /proc/net/tcp{,6}. */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // cols: sl local_address rem_address st ... uid timeout inode
      if (cols.length > 9 && cols[1].endsWith(`:${hexPort}`) && cols[3] === '0A') inodes.add(cols[9]);
    }
  }
  return inodes;
}

/** Whether a process of group `pgid` holds the socket listening on `port`. */
function groupListensOn(pgid: number, port: number): boolean {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return false;
  for (const pid of groupPids(pgid)) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode !== undefined && inodes.has(inode)) return true;
      } catch {
        /* closed meanwhile */
      }
    }
  }
  return false;
}

/**
 * Runs a command to its end under guard.mjs (its own process group, killed if this process
 * dies, or after `timeoutMs`); resolves with its exit status and output.
 */
function runGuarded(command: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ status: number | null; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [guardScript, String(process.pid), ...command], {
      cwd: root,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pgid = child.pid;
    if (pgid === undefined) {
      fail(new Error(`cannot start ${command.join(' ')}`));
      return;
    }
    liveGroups.add(pgid);
    let output = '';
    const keep = (d: Buffer): void => {
      output = (output + d.toString()).slice(-8000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const timer = setTimeout(() => {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, timeoutMs);
    child.once('exit', (status) => {
      clearTimeout(timer);
      liveGroups.delete(pgid);
      done({ status, output });
    });
  });
}

/** One Worker under `wrangler dev`, started, killed and restarted on the same persisted state. */
export class FaultWorker {
  /** The base URL of the current (or last) start; changes on every start (a fresh free port). */
  url = '';
  /** How many times it has been started. */
  starts = 0;
  /** The tail of its output (stdout and stderr), for failure messages. */
  output = '';
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private script: string | undefined;
  private migrated = false;

  constructor(
    readonly name: string,
    readonly options: FaultWorkerOptions,
    readonly stateDir: string,
  ) {}

  /** The process group id of the running start (undefined when stopped). */
  get pgid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * Starts the Worker on the persisted state: on the first start bundles it once (so edits to
   * the sources during a run change nothing) and applies the D1 migrations. Resolves when the
   * ready path answers from a socket this start's process group owns.
   */
  async start(): Promise<void> {
    if (this.child) throw new Error(`${this.name} is already running`);
    const env = this.env();
    this.script ??= bundleWorker(resolve(root, this.options.config), join(this.stateDir, 'bundle'));
    if (!this.migrated) {
      for (const binding of this.options.d1Migrations ?? []) {
        const r = await runGuarded(
          [wranglerBin, 'd1', 'migrations', 'apply', binding, '--local', '-c', this.options.config, '--persist-to', this.persistDir()],
          { ...env, CI: 'true' },
          120_000,
        );
        if (r.status !== 0) throw new Error(`${this.name}: d1 migrations apply ${binding} failed (${r.status}): ${r.output}`);
      }
      this.migrated = true;
    }
    const port = await freePort();
    const inspector = await freePort();
    const args = [
      String(process.pid),
      wranglerBin,
      'dev',
      this.script,
      '--no-bundle',
      '-c',
      this.options.config,
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--inspector-port',
      String(inspector),
      '--persist-to',
      this.persistDir(),
      '--show-interactive-dev-session=false',
      '--log-level',
      'warn',
    ];
    for (const [k, v] of Object.entries(this.options.vars ?? {})) args.push('--var', `${k}:${v}`);
    // detached: the guard leads a new process group, which a kill takes down whole.
    const child = spawn(process.execPath, [guardScript, ...args], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid === undefined) throw new Error(`${this.name}: spawn failed`);
    const pgid = child.pid;
    liveGroups.add(pgid);
    this.child = child;
    this.starts++;
    this.output += `\n--- start ${this.starts} (pgid ${pgid}, port ${port}) ---\n`;
    const keep = (d: Buffer): void => {
      this.output = (this.output + d.toString()).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise<void>((done) => child.once('exit', () => done()));
    this.url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + (this.options.startTimeoutMs ?? 60_000);
    const { path, status, headers } = this.options.ready;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        await this.reap();
        throw new Error(`${this.name} exited while starting:${this.output.slice(-3000)}`);
      }
      try {
        const res = await fetch(this.url + path, { headers, signal: AbortSignal.timeout(5000) });
        await res.arrayBuffer();
        const answered = status === undefined ? res.status < 500 : res.status === status;
        if (answered) {
          if (groupListensOn(pgid, port)) return;
          await this.kill();
          throw new Error(`${this.name}: port ${port} answered, but not from the process just started`);
        }
      } catch (err) {
        if (err instanceof Error && err.message.includes('not from the process')) throw err;
        // not listening yet
      }
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(
          `${this.name} did not answer ${path} within ${this.options.startTimeoutMs ?? 60_000} ms:${this.output.slice(-3000)}`,
        );
      }
      await sleep(100);
    }
  }

  /** SIGKILLs the whole process group (no shutdown code runs) and waits until every process of it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    await this.reap();
  }

  /** Stops it gracefully (SIGTERM to the group, SIGKILL after `graceMs`); the state stays. */
  async stop(graceMs = 5000): Promise<void> {
    const child = this.child;
    if (!child || child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-(child.pid ?? 0), 'SIGKILL');
      } catch {
        /* gone */
      }
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
    await this.reap();
  }

  /** Fires a cron trigger as the platform (and `npm run dev`) does; returns the status. */
  async fireCron(cron: string): Promise<number> {
    const res = await fetch(`${this.url}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent(cron)}`, {
      signal: AbortSignal.timeout(30_000),
    });
    await res.arrayBuffer();
    return res.status;
  }

  /** Waits for the guard to exit and for every other process of the group to be gone (≤ 10 s). */
  private async reap(): Promise<void> {
    const child = this.child;
    if (!child || child.pid === undefined) return;
    const pgid = child.pid;
    await Promise.race([this.exited, sleep(10_000)]);
    const deadline = Date.now() + 10_000;
    while (groupPids(pgid).length > 0) {
      if (Date.now() > deadline) throw new Error(`${this.name}: processes ${groupPids(pgid).join(', ')} of group ${pgid} survived SIGKILL`);
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        /* gone */
      }
      await sleep(50);
    }
    liveGroups.delete(pgid);
    this.child = undefined;
  }

  private persistDir(): string {
    return join(this.stateDir, 'state');
  }

  private env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      WRANGLER_SEND_METRICS: 'false',
      WRANGLER_REGISTRY_PATH: join(this.stateDir, 'registry'),
      // guard.mjs removes it if this test process dies without cleanup().
      FAULTS_GUARD_STATE_DIR: process.env.FAULTS_KEEP_STATE === undefined ? this.stateDir : '',
      // wrangler dev otherwise streams a trace of every invocation to a local collector Worker.
      X_LOCAL_OBSERVABILITY: 'false',
      NO_COLOR: '1',
    };
  }
}

/** A fault-injection run: its seed, its PRNG, its Workers, its cleanup. */
export interface FaultRun {
  readonly seed: number;
  /** Uniform in [0, 1), from the seed. */
  random(): number;
  /** A uniform integer in [min, max]. */
  between(min: number, max: number): number;
  /** A Worker with a fresh state folder (removed by cleanup unless FAULTS_KEEP_STATE is set). */
  worker(options: FaultWorkerOptions): Promise<FaultWorker>;
  /**
   * Runs `work` and SIGKILLs `worker` at a random moment `afterMs` (ms, [min, max], from the
   * seed) after it began; `work` gets a signal aborted at the kill and should stop at once.
   * Returns what `work` returned (e.g. the writes that were acknowledged before the kill).
   */
  killDuring<T>(
    worker: FaultWorker,
    when: { afterMs: [number, number] },
    work: (killed: AbortSignal) => Promise<T>,
  ): Promise<{ value: T; killedAfterMs: number }>;
  /** Kills every Worker still running and removes their state. Safe to call twice. */
  cleanup(): Promise<void>;
  /** A line naming the seed, for failure messages and logs. */
  describe(): string;
}

/**
 * Starts a run. The seed comes from `FAULTS_SEED` (to replay a failure) or is random, and is
 * printed, so every failure can be reproduced as far as timing allows.
 */
export function faultRun(label: string): FaultRun {
  const fromEnv = process.env.FAULTS_SEED;
  const seed = fromEnv !== undefined && /^[0-9]+$/.test(fromEnv) ? Number(fromEnv) : Math.floor(Math.random() * 2 ** 31);
  const random = seededRandom(seed);
  const workers: FaultWorker[] = [];
  const dirs: string[] = [];
  process.stdout.write(`[faults] ${label}: FAULTS_SEED=${seed}\n`);
  const run: FaultRun = {
    seed,
    random,
    between: (min, max) => min + Math.floor(random() * (max - min + 1)),
    async worker(options) {
      const base = existsDir('/dev/shm') ? '/dev/shm' : tmpdir();
      const dir = mkdtempSync(join(base, `pushpull-faults-${label}-`));
      mkdirSync(join(dir, 'registry'), { recursive: true });
      dirs.push(dir);
      const worker = new FaultWorker(`${label}:${options.config}`, options, dir);
      workers.push(worker);
      return worker;
    },
    async killDuring(worker, when, work) {
      const killedAfterMs = run.between(when.afterMs[0], when.afterMs[1]);
      const controller = new AbortController();
      const started = Date.now();
      const killer = (async () => {
        await sleep(killedAfterMs);
        await worker.kill();
        controller.abort(new Error(`${worker.name} killed after ${Date.now() - started} ms`));
      })();
      try {
        const value = await work(controller.signal);
        await killer;
        return { value, killedAfterMs };
      } finally {
        await killer.catch(() => undefined);
      }
    },
    async cleanup() {
      const failures: unknown[] = [];
      for (const w of workers.splice(0)) {
        try {
          await w.kill();
        } catch (err) {
          failures.push(err);
        }
      }
      if (process.env.FAULTS_KEEP_STATE === undefined) {
        for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
      } else if (dirs.length > 0) {
        process.stdout.write(`[faults] ${label}: state kept in ${dirs.splice(0).join(', ')}\n`);
      }
      if (failures.length > 0) throw new AggregateError(failures, `${label}: cleanup failed`);
    },
    describe: () => `${label}: FAULTS_SEED=${seed}`,
  };
  return run;
}

function existsDir(path: string): boolean {
  try {
    readdirSync(path);
    return true;
  } catch {
    return false;
  }
}
