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
const OFFSET = 20000;
const workers = listWorkers();
const port = (name: string): number => {
  const w = workers.find((x) => x.name === name);
  if (!w) throw new Error(`no worker ${name}`);
  return w.port + OFFSET;
};
let dev: ChildProcess;
let output = '';

async function waitFor(url: string, deadlineMs: number): Promise<void> {
  for (;;) {
    try {
      const r = await fetch(url);
      await r.arrayBuffer();
      return;
    } catch {
      if (Date.now() > deadlineMs) throw new Error(`${url} did not answer; dev output:\n${output.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

beforeAll(async () => {
  dev = spawn(join(root, 'node_modules', '.bin', 'node'), ['scripts/dev.mjs'], {
    cwd: root,
    env: {
      ...process.env,
      PUSHPULL_PORT_OFFSET: String(OFFSET),
      PUSHPULL_STATE_DIR: mkdtempSync(join(tmpdir(), 'pushpull-e2e-')),
      WRANGLER_SEND_METRICS: 'false',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  dev.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  dev.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const deadline = Date.now() + 150_000;
  await waitFor(`http://127.0.0.1:${8080 + OFFSET}/`, deadline);
  for (const w of workers) await waitFor(`http://127.0.0.1:${w.port + OFFSET}/`, deadline);
});

afterAll(async () => {
  if (dev?.pid) {
    const exited = new Promise<void>((r) => dev.once('exit', () => r()));
    try {
      process.kill(-dev.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    try {
      process.kill(-dev.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

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

  it('scrapes the origin out of the box: up{job="origin"} is 1 in the store', async () => {
    const metrics = `http://127.0.0.1:${port('metrics')}`;
    const deadline = Date.now() + 60_000;
    let values: string[] = [];
    while (Date.now() < deadline) {
      const q = (await (await fetch(`${metrics}/api/v1/query?query=${encodeURIComponent('up{job="origin"}')}`)).json()) as {
        data: { result: Array<{ value: [number, string] }> };
      };
      values = q.data.result.map((x) => x.value[1]);
      if (values.includes('1')) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(values).toEqual(['1']);
  });
});
