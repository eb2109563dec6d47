/**
 * CPU profiles of a Worker under `wrangler dev`, taken through its devtools port (`--inspector-port`): the
 * Worker and its Durable Objects run in one workerd isolate locally, so one profile shows both sides of an RPC.
 */
import { basename } from 'node:path';
import type { Profiler } from 'node:inspector';

interface Reply {
  id?: number;
  result?: unknown;
  error?: { message: string };
}

/** Runs `work` while the Worker's CPU profiler records (bounded: every devtools call times out after `timeoutMs`). */
export async function profileWorker(inspectorPort: number, work: () => Promise<void>, timeoutMs = 60_000): Promise<Profiler.Profile> {
  const list = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as Array<{ webSocketDebuggerUrl: string }>;
  if (!list[0]) throw new Error(`no devtools target on port ${inspectorPort}`);
  // wrangler's inspector proxy refuses a client without an Origin of localhost.
  const ws = new WebSocket(list[0].webSocketDebuggerUrl, { headers: { origin: 'http://localhost' } });
  await new Promise<void>((ok, fail) => {
    ws.onopen = () => ok();
    ws.onerror = () => fail(new Error(`devtools websocket on port ${inspectorPort} failed`));
  });
  const waiting = new Map<number, (reply: Reply) => void>();
  ws.onmessage = (m) => {
    const reply = JSON.parse(String(m.data)) as Reply;
    // workerd answers Profiler.enable and .start by echoing the request (no `result`): any message with the id settles it.
    if (reply.id !== undefined) waiting.get(reply.id)?.(reply);
  };
  let next = 0;
  const call = async (method: string): Promise<unknown> => {
    const id = ++next;
    const reply = await new Promise<Reply>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`devtools ${method}: no answer in ${timeoutMs} ms`)), timeoutMs);
      waiting.set(id, (r) => {
        clearTimeout(timer);
        ok(r);
      });
      ws.send(JSON.stringify({ id, method, params: {} }));
    });
    waiting.delete(id);
    if (reply.error) throw new Error(`devtools ${method}: ${reply.error.message}`);
    return reply.result;
  };
  try {
    await call('Profiler.enable');
    await call('Profiler.start');
    const failed = await work().then(
      () => undefined,
      (e: unknown) => ({ e }),
    );
    const { profile } = (await call('Profiler.stop')) as { profile: Profiler.Profile };
    if (failed) throw failed.e;
    return profile;
  } finally {
    ws.close();
  }
}

/** One function's self time in a profile. */
export interface SelfTime {
  name: string;
  ms: number;
}

/** Self time per function (name and place), busiest first; `(idle)` left out, `(program)` and GC kept. */
export function selfTimes(profile: Profiler.Profile): { total: number; functions: SelfTime[] } {
  const byNode = new Map<number, number>();
  const deltas = profile.timeDeltas ?? [];
  (profile.samples ?? []).forEach((id, i) => byNode.set(id, (byNode.get(id) ?? 0) + (deltas[i] ?? 0) / 1000));
  const byName = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const ms = byNode.get(node.id) ?? 0;
    const f = node.callFrame;
    if (ms === 0 || f.functionName === '(idle)') continue;
    const where = f.url ? ` ${basename(f.url)}:${f.lineNumber + 1}` : '';
    const name = `${f.functionName || '(anonymous)'}${where}`;
    byName.set(name, (byName.get(name) ?? 0) + ms);
    total += ms;
  }
  const functions = [...byName].map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms);
  return { total, functions };
}
