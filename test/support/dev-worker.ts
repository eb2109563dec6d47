/**
 * Starts a Worker under `wrangler dev` (Miniflare, the runtime users develop against) with
 * fresh local state, for Node-side tests and benchmarks that need a real HTTP endpoint.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '..', '..');

/** A running `wrangler dev`. */
export interface DevWorker { url: string; stop(): Promise<void> }

/** Starts `wrangler dev -c <config>` on 127.0.0.1:<port> with fresh local state and waits until it answers. */
export async function startWorker(config: string, port: number, vars: Record<string, string> = {}, readyPath = '/'): Promise<DevWorker> {
  const state = mkdtempSync(join(tmpdir(), 'pushpull-bench-'));
  const args = ['dev', '-c', config, '--ip', '127.0.0.1', '--port', String(port), '--persist-to', state,
    '--show-interactive-dev-session=false', '--inspector-port', String(port + 1000), '--log-level', 'error'];
  for (const [k, v] of Object.entries(vars)) args.push('--var', `${k}:${v}`);
  const child: ChildProcess = spawn(join(root, 'node_modules', '.bin', 'wrangler'), args, {
    cwd: root, env: { ...process.env, WRANGLER_SEND_METRICS: 'false' }, stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev -c ${config} exited with ${child.exitCode}`);
    try {
      const r = await fetch(url + readyPath);
      await r.arrayBuffer();
      break;
    } catch {
      if (Date.now() > deadline) { child.kill(); throw new Error(`wrangler dev -c ${config} did not answer within 60 s`); }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return {
    url,
    stop: () => new Promise<void>((done) => {
      if (child.exitCode !== null) { done(); return; }
      child.once('exit', () => done());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 3000).unref();
    }),
  };
}

