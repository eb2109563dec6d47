// Fault injection, Pushgateway (issue 16): SIGKILL the metrics Worker (wrangler dev, PushGroup and shard Durable
// Objects on persisted local state) while batch-job clients PUT, POST and DELETE their groups, restart it on the
// same state, and check that each group shows exactly the state of its last acknowledged push (or, for the push the
// kill cut off, the state that push would have made), that every acknowledged push's samples were stored, that the
// groups' re-emission resumes after the restart, and that DELETE-then-PUT still works on a group that crashed.
import { afterEach, describe, expect, it } from 'vitest';
import { type FaultRun, type FaultWorker, faultRun, sleep } from './harness';

const TOKEN = 'faults-pushgateway-token';
// Re-emission every second, so that the restart's effect on it shows within a few seconds.
const VARS = { PUSHPULL_TOKEN: TOKEN, PUSH_INTERVAL_SECONDS: '1' };
const GROUPS = 6;
const FAMILIES = ['pg_fault_x', 'pg_fault_y'];
const SERIES = ['a', 'b', 'c'];
const ROUNDS = 3;

/** A group's state: `family{i="series"}` → value. */
type GroupState = Map<string, number>;

interface Op {
  method: 'PUT' | 'POST' | 'DELETE';
  /** The pushed samples (`family{i}` → value), each value unique in the run. */
  samples: GroupState;
}

/** What a client saw: its acknowledged operations in order, and the one the kill cut off (if any). */
interface ClientLog {
  acked: Op[];
  inFlight: Op | undefined;
}

function apply(state: GroupState, op: Op): GroupState {
  if (op.method === 'DELETE') return new Map();
  if (op.method === 'PUT') return new Map(op.samples);
  // POST replaces the families it names, keeps the others.
  const pushed = new Set([...op.samples.keys()].map((k) => k.split('{')[0]));
  const next = new Map([...state].filter(([k]) => !pushed.has(k.split('{')[0])));
  for (const [k, v] of op.samples) next.set(k, v);
  return next;
}

function page(samples: GroupState): string {
  return [...samples].map(([k, v]) => `${k.replace(/\{(.*)\}/, '{i="$1"}')} ${v}`).join('\n') + '\n';
}

/**
 * One client per group, each sending a seeded random sequence of PUT (a random subset of the series of both
 * families), POST (one family) and DELETE, one at a time, until `stop` aborts or `maxOps` were sent per client.
 */
async function pushUntil(
  run: FaultRun,
  metrics: FaultWorker,
  jobs: string[],
  counter: { value: number },
  logs: ClientLog[],
  stop: AbortSignal,
  maxOps = Infinity,
): Promise<void> {
  await Promise.all(
    jobs.map(async (job, g) => {
      for (let n = 0; n < maxOps && !stop.aborted; n++) {
        const r = run.random();
        const method = r < 0.45 ? 'PUT' : r < 0.8 ? 'POST' : 'DELETE';
        const samples: GroupState = new Map();
        const families = method === 'POST' ? [FAMILIES[run.between(0, 1)]] : FAMILIES;
        for (const f of families)
          for (const s of SERIES) if (method !== 'DELETE' && run.random() < 0.7) samples.set(`${f}{${s}}`, ++counter.value);
        if (method !== 'DELETE' && samples.size === 0) samples.set(`${families[0]}{a}`, ++counter.value);
        const op: Op = { method, samples };
        logs[g].inFlight = op;
        let status: number;
        let text: string;
        try {
          const res = await fetch(`${metrics.url}/metrics/job/${job}`, {
            method,
            headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/plain; version=0.0.4' },
            body: method === 'DELETE' ? undefined : page(samples),
            signal: stop,
          });
          status = res.status;
          text = await res.text();
        } catch {
          return; // killed (the connection dropped or the signal fired): this op may or may not have been applied
        }
        if (status !== (method === 'DELETE' ? 202 : 200)) throw new Error(`${method} ${job}: ${status} ${text}`);
        logs[g].acked.push(op);
        logs[g].inFlight = undefined;
      }
    }),
  );
}

/** What each group shows now: its pushed series and values (instant query, staleness applied). */
async function visible(metrics: FaultWorker, jobs: string[]): Promise<GroupState[]> {
  const params = new URLSearchParams({ query: `{__name__=~"pg_fault_.*",job=~"${jobs.join('|')}"}` });
  const res = await fetch(`${metrics.url}/api/v1/query?${params.toString()}`, { signal: AbortSignal.timeout(30_000) });
  const body = (await res.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  if (res.status !== 200 || body.status !== 'success') throw new Error(`query: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
  const out = jobs.map(() => new Map<string, number>());
  for (const r of body.data.result) out[jobs.indexOf(r.metric.job)].set(`${r.metric.__name__}{${r.metric.i}}`, Number(r.value[1]));
  return out;
}

/** Every value each group's series ever had in the last `seconds` (range query). */
async function history(metrics: FaultWorker, jobs: string[], seconds: number): Promise<{ values: Set<number>; newestMs: number }[]> {
  const params = new URLSearchParams({ query: `{__name__=~"pg_fault_.*",job=~"${jobs.join('|')}"}[${seconds}s]` });
  const res = await fetch(`${metrics.url}/api/v1/query?${params.toString()}`, { signal: AbortSignal.timeout(30_000) });
  const body = (await res.json()) as { data: { result: { metric: Record<string, string>; values: [number, string][] }[] } };
  const out = jobs.map(() => ({ values: new Set<number>(), newestMs: 0 }));
  for (const r of body.data.result) {
    const h = out[jobs.indexOf(r.metric.job)];
    for (const [t, v] of r.values) {
      h.values.add(Number(v));
      h.newestMs = Math.max(h.newestMs, Math.round(t * 1000));
    }
  }
  return out;
}

const show = (s: GroupState): string => JSON.stringify([...s].sort());

/**
 * Checks each group against its client's log: the state after the last acknowledged op, or after the op the kill
 * cut off. Returns the groups' expected states (the one matched), for the next round.
 */
function checkGroups(run: FaultRun, logs: ClientLog[], start: GroupState[], seen: GroupState[]): GroupState[] {
  return logs.map((log, g) => {
    const acked = log.acked.reduce(apply, start[g]);
    const allowed = [acked, ...(log.inFlight ? [apply(acked, log.inFlight)] : [])];
    const match = allowed.find((s) => show(s) === show(seen[g]));
    expect(
      { group: g, seen: show(seen[g]) },
      `${run.describe()}: group ${g} shows a state no acknowledged push (nor the cut-off one) left`,
    ).toEqual({ group: g, seen: match === undefined ? allowed.map(show).join(' or ') : show(match) });
    return match ?? acked;
  });
}

describe('Pushgateway under SIGKILL', () => {
  let run: FaultRun | undefined;
  afterEach(async () => {
    await run?.cleanup();
  });

  it('each group shows its last acknowledged push after kills, re-emission resumes, and DELETE-then-PUT works', async () => {
    run = faultRun('pushgateway');
    const metrics = await run.worker({
      config: 'workers/metrics/wrangler.toml',
      vars: VARS,
      ready: { path: '/api/v1/labels', status: 200 },
    });
    await metrics.start();
    const jobs = Array.from({ length: GROUPS }, (_, g) => `fg_${run?.seed ?? 0}_${g}`);
    const counter = { value: 0 };
    let expected: GroupState[] = jobs.map(() => new Map());
    const allAcked: Op[][] = jobs.map(() => []);
    const killedAfter: number[] = [];

    for (let round = 0; round < ROUNDS; round++) {
      const logs: ClientLog[] = jobs.map(() => ({ acked: [], inFlight: undefined }));
      const killed = await run.killDuring(metrics, { afterMs: [400, 3000] }, (signal) =>
        pushUntil(run as FaultRun, metrics, jobs, counter, logs, signal),
      );
      killedAfter.push(killed.killedAfterMs);
      await metrics.start();
      const restartedMs = Date.now();
      // Two re-emission periods: every live group has emitted its current values since the restart.
      await sleep(2500);
      expected = checkGroups(run, logs, expected, await visible(metrics, jobs));
      const since = await history(metrics, jobs, 2);
      for (let g = 0; g < GROUPS; g++) {
        if (expected[g].size > 0) {
          expect(since[g].newestMs, `${run.describe()}: group ${g} re-emits after the restart`).toBeGreaterThanOrEqual(restartedMs);
        }
        allAcked[g].push(...logs[g].acked);
      }
    }

    // Every acknowledged push's values were stored (at its push time, then re-emitted).
    const all = await history(metrics, jobs, 600);
    const missing: string[] = [];
    for (let g = 0; g < GROUPS; g++) {
      for (const op of allAcked[g]) for (const v of op.samples.values()) if (!all[g].values.has(v)) missing.push(`group ${g}: ${v}`);
    }
    expect(missing, run.describe()).toEqual([]);

    // The batch-job pattern on groups that went through the kills: DELETE, then PUT.
    const logs: ClientLog[] = jobs.map(() => ({ acked: [], inFlight: undefined }));
    for (const [g, job] of jobs.entries()) {
      const del = await fetch(`${metrics.url}/metrics/job/${job}`, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } });
      expect(del.status).toBe(202);
      const samples: GroupState = new Map([[`pg_fault_x{a}`, ++counter.value]]);
      const put = await fetch(`${metrics.url}/metrics/job/${job}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${TOKEN}` },
        body: page(samples),
      });
      expect(put.status, await put.text()).toBe(200);
      logs[g].acked.push({ method: 'DELETE', samples: new Map() }, { method: 'PUT', samples });
    }
    checkGroups(run, logs, expected, await visible(metrics, jobs));
    const acked = allAcked.reduce((n, ops) => n + ops.length, 0);
    process.stdout.write(`[faults] ${run.describe()}: killed after ${killedAfter.join(' and ')} ms; ${acked} pushes acknowledged\n`);
    expect(acked, 'the workload had pushes acknowledged before the kills').toBeGreaterThan(10);
  });
});
