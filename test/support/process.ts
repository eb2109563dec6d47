/** Helpers for the real servers tests start as child processes (Prometheus, node_exporter, nginx, Varnish). */
import type { ChildProcess } from 'node:child_process';

/**
 * Waits until `url` answers (any status, or only 2xx with `okOnly`), failing early when the
 * process exits and after `deadlineMs`.
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

/** Stops a child process: SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
export function stopProcess(child: ChildProcess, graceMs = 5000): Promise<void> {
  return new Promise<void>((done) => {
    if (child.exitCode !== null || child.signalCode !== null) {
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
