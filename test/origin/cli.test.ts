import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createFixture, type Fixture } from './fixture';

const root = resolve(import.meta.dirname, '../..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');

let fx: Fixture;
beforeAll(async () => {
  fx = await createFixture();
});
afterAll(async () => {
  await fx.remove();
});

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const child = spawn(tsx, ['origin/main.ts', ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exit = new Promise<number | null>((r) => {
    child.on('exit', (code) => r(code));
    child.on('error', (e) => {
      err += e.message;
      r(null);
    });
  });
  return { child, stdout: () => out, stderr: () => err, exit };
}

async function waitForUrl(r: Run): Promise<string> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(r.stdout());
    if (m?.[1]) return m[1];
    if (r.child.exitCode !== null) throw new Error(`origin exited: ${r.stderr()}`);
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`origin did not print its URL: ${r.stdout()} ${r.stderr()}`);
}

describe('origin CLI (origin/main.ts)', () => {
  it('serves --dir with --cache-control rules, prints its URL and exits 0 on SIGTERM', async () => {
    const rules = join(fx.base, 'rules.json');
    await writeFile(
      rules,
      JSON.stringify({ default: 'public, max-age=9', rules: [{ match: '*.css', cacheControl: 'no-cache', cacheTag: 'css' }] }),
    );
    const r = run(['--dir', fx.site, '--port', '0', '--host', '127.0.0.1', '--cache-control', rules]);
    try {
      const url = await waitForUrl(r);
      const css = await fetch(`${url}/style.css`);
      expect(await css.text()).toBe('body { color: red }');
      expect(css.headers.get('cache-control')).toBe('no-cache');
      expect(css.headers.get('cache-tag')).toBe('css');
      const json = await fetch(`${url}/data.json`);
      expect(json.headers.get('cache-control')).toBe('public, max-age=9');
      await json.arrayBuffer();
    } finally {
      r.child.kill('SIGTERM');
    }
    expect(await r.exit).toBe(0);
  }, 30_000);

  it('takes the port from ORIGIN_PORT and serves origin/public by default', async () => {
    const r = run([], { ORIGIN_PORT: '0' });
    try {
      const url = await waitForUrl(r);
      const res = await fetch(`${url}/`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('pushpull demo origin');
    } finally {
      r.child.kill('SIGINT');
    }
    expect(await r.exit).toBe(0);
  }, 30_000);

  it('exits 2 with a clear message for a bad rules file, a bad port or a missing folder', async () => {
    const broken = join(fx.base, 'broken.json');
    await writeFile(broken, '[{"match": "*.css", "cacheControl": 1}]');
    const cases: [string[], RegExp][] = [
      [['--dir', fx.site, '--port', '0', '--cache-control', broken], /broken\.json: rule 0 "cacheControl" must be a non-empty string/],
      [['--port', 'eighty'], /port must be a number/],
      [['--dir', join(fx.base, 'no-such-dir'), '--port', '0'], /cannot start: .*no-such-dir/],
      [['--bogus'], /Unknown option '--bogus'/],
    ];
    for (const [args, message] of cases) {
      const r = run(args);
      expect(await r.exit, args.join(' ')).toBe(2);
      expect(r.stderr()).toMatch(message);
    }
  }, 60_000);
});
