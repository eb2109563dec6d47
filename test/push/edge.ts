/**
 * Starts the edge Worker (root wrangler.toml) under `wrangler dev` with fresh local state on
 * a fixed port of the push range (19400-19449), and the settings the push tests rely on.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '..', '..');
export const TOKEN = 'test-token';

/** A running edge Worker. */
export interface RunningEdge { url: string; stop(): Promise<void> }

/** Starts `wrangler dev` for the edge Worker (token {@link TOKEN}) and waits until its push API answers. */
export async function startEdge(port: number, vars: Record<string, string>): Promise<RunningEdge> {
  return startDev('wrangler.toml', port, { PUSHPULL_TOKEN: TOKEN, ...vars }, { path: '/_push/deploys', headers: { authorization: `Bearer ${TOKEN}` } });
}

/** Starts `wrangler dev -c <config>` on `port` (inspector on `port + 1`) and waits for a 200 from `ready`. */
export async function startDev(config: string, port: number, vars: Record<string, string>, ready: { path: string; headers?: Record<string, string> }): Promise<RunningEdge> {
  const state = mkdtempSync(join(tmpdir(), 'pushpull-push-'));
  // Bundle once and run the bundle: `wrangler dev` would otherwise rebuild (and briefly stop
  // answering) whenever someone edits the Worker's sources during a run.
  const outdir = join(state, 'bundle');
  const built = spawnSync(join(root, 'node_modules', '.bin', 'wrangler'), ['deploy', '--dry-run', '-c', config, '--outdir', outdir], {
    cwd: root, env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' }, encoding: 'utf8', timeout: 120_000,
  });
  if (built.status !== 0) throw new Error(`bundling ${config} failed: ${built.stderr || built.stdout}`);
  const script = readdirSync(outdir).find((f) => f.endsWith('.js'));
  if (!script) throw new Error(`bundling ${config} produced no script`);
  const args = ['dev', join(outdir, script), '--no-bundle', '-c', config, '--ip', '127.0.0.1', '--port', String(port), '--persist-to', state,
    '--show-interactive-dev-session=false', '--inspector-port', String(port + 1), '--log-level', 'error'];
  for (const [k, v] of Object.entries(vars)) args.push('--var', `${k}:${v}`);
  const child: ChildProcess = spawn(join(root, 'node_modules', '.bin', 'wrangler'), args, {
    cwd: root, env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev -c ${config} exited with ${child.exitCode}`);
    try {
      const r = await fetch(url + ready.path, { headers: ready.headers });
      await r.arrayBuffer();
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) { child.kill(); throw new Error(`wrangler dev -c ${config} did not answer within 60 s`); }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    stop: () => new Promise<void>((done) => {
      const finish = (): void => { rmSync(state, { recursive: true, force: true }); done(); };
      if (child.exitCode !== null) { finish(); return; }
      child.once('exit', finish);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 3000).unref();
    }),
  };
}
