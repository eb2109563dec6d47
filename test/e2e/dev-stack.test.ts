/**
 * The newcomer's path: `npm run dev` starts the origin and every Worker, and the edge
 * answers a miss and then a hit for the demo site. Ports are shifted by
 * PUSHPULL_PORT_OFFSET so that a developer's own `npm run dev` can keep running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root } from '../support/dev-worker';
import { listWorkers } from '../../scripts/workers.mjs';

// Ports land below 32768, outside Linux's ephemeral range (outgoing connections take ports from it).
// Two stacks side by side, as two checkouts would run them: each with its own ports, state and
// wrangler dev registry (scripts/dev.mjs keeps the registry under the state folder).
const OFFSET = 20000;
const OTHER_BASE = 8787 + 22000; // clear of the first stack's inspector ports (port + 1000)
const workers = listWorkers();
const port = (name: string, offset = OFFSET): number => {
  const w = workers.find((x) => x.name === name);
  if (!w) throw new Error(`no worker ${name}`);
  return w.port + offset;
};

interface Stack {
  child: ChildProcess;
  output: string;
}
const stacks: Stack[] = [];

async function waitFor(stack: Stack, url: string, deadlineMs: number): Promise<void> {
  for (;;) {
    if (stack.child.exitCode !== null)
      throw new Error(`npm run dev exited (${stack.child.exitCode}); output:\n${stack.output.slice(-4000)}`);
    try {
      const r = await fetch(url);
      await r.arrayBuffer();
      return;
    } catch {
      if (Date.now() > deadlineMs) throw new Error(`${url} did not answer; dev output:\n${stack.output.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function startStack(args: string[], env: Record<string, string>, offset: number): Promise<void> {
  const child = spawn(join(root, 'node_modules', '.bin', 'node'), ['scripts/dev.mjs', ...args], {
    cwd: root,
    env: {
      ...process.env,
      ...env,
      PUSHPULL_STATE_DIR: mkdtempSync(join(tmpdir(), 'pushpull-e2e-')),
      WRANGLER_SEND_METRICS: 'false',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const stack: Stack = { child, output: '' };
  stacks.push(stack);
  child.stdout?.on('data', (d: Buffer) => {
    stack.output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stack.output += d.toString();
  });
  const deadline = Date.now() + 150_000;
  await waitFor(stack, `http://127.0.0.1:${8080 + offset}/`, deadline);
  for (const w of workers) await waitFor(stack, `http://127.0.0.1:${w.port + offset}/`, deadline);
}

beforeAll(async () => {
  await Promise.all([
    startStack([], { PUSHPULL_PORT_OFFSET: String(OFFSET) }, OFFSET),
    startStack(['--port-base', String(OTHER_BASE)], {}, OTHER_BASE - 8787),
  ]);
});

afterAll(async () => {
  for (const { child } of stacks) {
    if (!child.pid) continue;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

/** The `up` series of job "origin" in the store of the stack at `offset`: instance → value. */
async function originUp(offset: number): Promise<Record<string, string>> {
  const metrics = `http://127.0.0.1:${port('metrics', offset)}`;
  const q = (await (await fetch(`${metrics}/api/v1/query?query=${encodeURIComponent('up{job="origin"}')}`)).json()) as {
    data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
  };
  return Object.fromEntries(q.data.result.map((x) => [x.metric.instance ?? '', x.value[1]]));
}

describe('npm run dev', () => {
  it('starts every Worker on its port', async () => {
    expect(workers.map((w) => w.name)).toContain('edge');
    for (const w of workers) {
      const r = await fetch(`http://127.0.0.1:${w.port + OFFSET}/`);
      await r.arrayBuffer();
      expect(r.status).toBeLessThan(500);
    }
  });

  it('serves the demo site through the edge: a miss, then a hit', async () => {
    const edge = `http://127.0.0.1:${port('edge')}`;
    const first = await fetch(`${edge}/about.html`);
    const body = await first.text();
    expect(first.status).toBe(200);
    expect(body).toContain('<html');
    expect(first.headers.get('cache-status')).toMatch(/fwd=uri-miss; fwd-status=200; stored/);
    let second = await fetch(`${edge}/about.html`);
    for (let i = 0; i < 20 && !(second.headers.get('cache-status') ?? '').includes('hit'); i++) {
      await second.arrayBuffer();
      await new Promise((r) => setTimeout(r, 100));
      second = await fetch(`${edge}/about.html`);
    }
    expect(await second.text()).toBe(body);
    expect(second.headers.get('cache-status')).toMatch(/^pushpull; hit; ttl=\d+/);
    expect(second.headers.get('age')).toMatch(/^\d+$/);
  });

  it('purges with the local token from .dev.vars', async () => {
    const r = await fetch(`http://127.0.0.1:${port('edge')}/_cache/purge`, {
      method: 'POST',
      headers: { authorization: 'Bearer dev-token' },
      body: JSON.stringify({ urls: ['/about.html'] }),
    });
    expect(r.status).toBe(200);
  });

  it('serves the feed with its D1 schema applied by the dev script', async () => {
    const feed = `http://127.0.0.1:${port('feed')}`;
    const r = await fetch(`${feed}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ handle: `e2e_${Date.now() % 100000}` }),
    });
    const body = (await r.json()) as { id?: string; token?: string };
    expect(r.status).toBe(201);
    expect(body.id).toMatch(/^\d+$/);
    expect(typeof body.token).toBe('string');
  });

  it('takes pushed metrics and answers them through the Prometheus API', async () => {
    const metrics = `http://127.0.0.1:${port('metrics')}`;
    const w = await fetch(`${metrics}/api/v2/write?org=e2e&bucket=e2e&precision=s`, {
      method: 'POST',
      headers: { authorization: 'Token dev-token' },
      body: `e2e_cpu,host=a usage=42 ${Math.floor(Date.now() / 1000)}\n`,
    });
    expect(w.status).toBe(204);
    const q = (await (await fetch(`${metrics}/api/v1/query?query=e2e_cpu_usage`)).json()) as {
      data: { result: Array<{ value: [number, string] }> };
    };
    expect(q.data.result.map((x) => x.value[1])).toEqual(['42']);
  });

  it('scrapes the origin out of the box: up{job="origin"} is 1 in the store, and each stack scrapes into its own store', async () => {
    const deadline = Date.now() + 60_000;
    const own = { [`127.0.0.1:${8080 + OFFSET}`]: '1' };
    const other = { [`127.0.0.1:${8080 + OTHER_BASE - 8787}`]: '1' };
    let mine: Record<string, string> = {};
    let theirs: Record<string, string> = {};
    while (Date.now() < deadline) {
      [mine, theirs] = await Promise.all([originUp(OFFSET), originUp(OTHER_BASE - 8787)]);
      if (mine[Object.keys(own)[0] ?? ''] === '1' && theirs[Object.keys(other)[0] ?? ''] === '1') break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(mine).toEqual(own);
    expect(theirs).toEqual(other);
  });

  it("finds the edge's own metrics in its stack's store: pushed over the METRICS binding through the run's dev registry", async () => {
    const edgeUrl = `http://127.0.0.1:${port('edge')}`;
    const query = encodeURIComponent('sum by (cache_status) (pushpull_edge_requests_total{job="pushpull-edge",collection="push"})');
    const deadline = Date.now() + 45_000;
    let byStatus: Record<string, string> = {};
    while (Date.now() < deadline) {
      // The edge flushes from a request, at most every TELEMETRY_FLUSH_MS (5 s): its API answers without being counted.
      await (await fetch(`${edgeUrl}/_cache/purge`)).arrayBuffer();
      const q = (await (await fetch(`http://127.0.0.1:${port('metrics')}/api/v1/query?query=${query}`)).json()) as {
        data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
      };
      byStatus = Object.fromEntries(q.data.result.map((x) => [x.metric.cache_status, x.value[1]]));
      if (Number(byStatus.hit ?? 0) >= 1) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(Number(byStatus.hit ?? 0)).toBeGreaterThanOrEqual(1);
    expect(Number(byStatus.miss ?? 0)).toBeGreaterThanOrEqual(1);
  });
});
