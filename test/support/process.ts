/** Helpers for the real servers tests start as child processes (Prometheus, node_exporter, nginx, Varnish). */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { onPath } from '../../scripts/peers.mjs';

/** Why a child could not start (its 'error' event), kept so that waiting on it fails at once. */
const spawnErrors = new WeakMap<ChildProcess, Error>();

/**
 * Where a peer binary is on PATH, or an error naming it and its Debian package. PATH only, as
 * `npm run test:peers` checks (scripts/peers.mjs), so that the check and the tests agree.
 */
export function peerBinary(binary: string, debianPackage: string): string {
  const found = onPath(binary);
  if (found === undefined)
    throw new Error(`${binary} not found on PATH: install the Debian package ${debianPackage} (apt-get install ${debianPackage})`);
  return found;
}

/**
 * Spawns a peer (a Debian binary, found on PATH by {@link peerBinary}) with an 'error' handler,
 * so that a binary that cannot start fails its test (through {@link waitForHttp} or the returned
 * child's {@link spawnError}) instead of raising an unhandled 'error' that aborts the whole run.
 */
export function spawnPeer(binary: string, debianPackage: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(peerBinary(binary, debianPackage), args, options);
  child.on('error', (err) => spawnErrors.set(child, err));
  return child;
}

/** The error that kept a child spawned by {@link spawnPeer} from starting, if any. */
export function spawnError(child: ChildProcess): Error | undefined {
  return spawnErrors.get(child);
}

/**
 * Waits until `url` answers (any status, or only 2xx with `okOnly`), failing early when the
 * process exits or could not start, and after `deadlineMs`.
 */
export async function waitForHttp(
  url: string,
  child: ChildProcess,
  name: string,
  options: { deadlineMs?: number; okOnly?: boolean } = {},
): Promise<void> {
  const deadlineMs = options.deadlineMs ?? 20_000;
  const until = Date.now() + deadlineMs;
  for (;;) {
    const failed = spawnErrors.get(child);
    if (failed) throw new Error(`${name} did not start: ${failed.message}`, { cause: failed });
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    try {
      const r = await fetch(url);
      await r.arrayBuffer();
      if (r.ok || !options.okOnly) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`${name} did not answer ${url} within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Stops a child process: SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited (at once if it never started). */
export function stopProcess(child: ChildProcess, graceMs = 5000): Promise<void> {
  return new Promise<void>((done) => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
      done();
      return;
    }
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(kill);
      done();
    });
    child.kill('SIGTERM');
  });
}
