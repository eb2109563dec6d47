/**
 * Starts a Worker under `wrangler dev` (Miniflare, the runtime users develop against) with
 * fresh local state, for Node-side tests and benchmarks that need a real HTTP endpoint.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '..', '..');

/** A running `wrangler dev`. */
export interface DevWorker {
  url: string;
  stop(): Promise<void>;
}

/** How {@link startWorker} starts and waits. */
export interface StartWorkerOptions {
  /** Headers of the readiness request. */
  readyHeaders?: Record<string, string>;
  /** Ready only on this status (default: any answer). */
  readyStatus?: number;
  /** Devtools port (default: port + 1000). */
  inspectorPort?: number;
  /**
   * Bundle once and run the bundle: `wrangler dev` would otherwise rebuild (and briefly stop
   * answering) whenever someone edits the Worker's sources during a run.
   */
  bundleFirst?: boolean;
}

/**
 * The wrangler dev registry of this test file (vitest runs each file in its own module scope),
 * unless the caller set WRANGLER_REGISTRY_PATH (a global setup sharing one with its test files):
 * Workers started here find each other by name through it, and never a Worker of another test
 * file, another run or a developer's `npm run dev` (wrangler's default registry is shared by
 * every `wrangler dev` of the user).
 */
let ownRegistry: string | undefined;
function registry(): string {
  const set = process.env.WRANGLER_REGISTRY_PATH;
  if (set) return set;
  if (ownRegistry === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'pushpull-registry-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    ownRegistry = dir;
  }
  return ownRegistry;
}

const env = (): NodeJS.ProcessEnv => ({
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  NO_COLOR: '1',
  WRANGLER_REGISTRY_PATH: registry(),
});

/** Bundles a Worker as `wrangler deploy` would (offline) into `outdir`; returns the script's path. */
export function bundleWorker(config: string, outdir: string): string {
  const built = spawnSync(join(root, 'node_modules', '.bin', 'wrangler'), ['deploy', '--dry-run', '-c', config, '--outdir', outdir], {
    cwd: root,
    env: env(),
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (built.status !== 0) throw new Error(`bundling ${config} failed: ${built.stderr || built.stdout}`);
  const script = readdirSync(outdir).find((f) => f.endsWith('.js'));
  if (!script) throw new Error(`bundling ${config} produced no script`);
  return join(outdir, script);
}

/**
 * Starts `wrangler dev -c <config>` on 127.0.0.1:<port> with fresh local state (removed on
 * stop) and waits, at most 60 s, until `readyPath` answers.
 */
export async function startWorker(
  config: string,
  port: number,
  vars: Record<string, string> = {},
  readyPath = '/',
  options: StartWorkerOptions = {},
): Promise<DevWorker> {
  const wrangler = join(root, 'node_modules', '.bin', 'wrangler');
  const state = mkdtempSync(join(tmpdir(), 'pushpull-dev-'));
  const args = ['dev'];
  if (options.bundleFirst) args.push(bundleWorker(config, join(state, 'bundle')), '--no-bundle');
  args.push(
    '-c',
    config,
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--persist-to',
    state,
    '--show-interactive-dev-session=false',
    '--inspector-port',
    String(options.inspectorPort ?? port + 1000),
    '--log-level',
    'error',
  );
  for (const [k, v] of Object.entries(vars)) args.push('--var', `${k}:${v}`);
  const child: ChildProcess = spawn(wrangler, args, { cwd: root, env: env(), stdio: ['ignore', 'ignore', 'inherit'] });
  // A spawn failure is an 'error' event: kept and thrown below, never an unhandled event that aborts vitest.
  let spawnFailure: Error | undefined;
  child.on('error', (err) => {
    spawnFailure = err;
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (spawnFailure) throw new Error(`wrangler dev -c ${config} did not start: ${spawnFailure.message}`, { cause: spawnFailure });
    if (child.exitCode !== null) throw new Error(`wrangler dev -c ${config} exited with ${child.exitCode}`);
    try {
      const r = await fetch(url + readyPath, { headers: options.readyHeaders });
      await r.arrayBuffer();
      if (options.readyStatus === undefined || r.status === options.readyStatus) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`wrangler dev -c ${config} did not answer within 60 s`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    stop: () =>
      new Promise<void>((done) => {
        const finish = (): void => {
          rmSync(state, { recursive: true, force: true });
          done();
        };
        if (child.pid === undefined || child.exitCode !== null) {
          finish();
          return;
        }
        child.once('exit', finish);
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}
