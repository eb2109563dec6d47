/**
 * The behaviours RFC 9111 (and RFC 5861 / 9110) ask of a shared cache, run against nginx
 * proxy_cache, Varnish and pushpull's edge, all in front of the same real origin. pushpull
 * must be right wherever either reference is right; the table of who does what is printed.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker, type DevWorker } from '../support/dev-worker';
import { startScriptedOrigin, type OriginScript, type ScriptedOrigin } from '../support/scripted-origin';
import { startNginx, startVarnish, type CacheUnderTest } from './reference-caches';
import { spellDate } from '@pushpull/http/semantics/cases';

let origin: ScriptedOrigin;
let edge: DevWorker;
const caches: CacheUnderTest[] = [];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function script(path: string, s: OriginScript): Promise<void> {
  await (await fetch(`http://127.0.0.1:${origin.port}/__script${path}`, { method: 'PUT', body: JSON.stringify(s) })).text();
}
async function hits(path: string): Promise<{ count: number; notModified: number }> {
  return (await fetch(`http://127.0.0.1:${origin.port}/__hits${path}`)).json() as Promise<{ count: number; notModified: number }>;
}
/**
 * One request with exactly the given headers (node:http, not fetch: fetch adds
 * `Cache-Control: no-cache` to conditional requests, as the Fetch standard says).
 */
function get(
  c: CacheUnderTest,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: string; headers: Headers; ms: number }> {
  const t = Date.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(c.url + path, { method: init.method ?? 'GET', headers: init.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers, ms: Date.now() - t });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.end(init.body);
  });
}

/** One RFC behaviour: returns true when the cache behaves as the RFC asks. */
interface Scenario {
  name: string;
  rfc: string;
  run(c: CacheUnderTest, p: string): Promise<boolean>;
}

const scenarios: Scenario[] = [
  {
    name: 'stores a fresh response and reuses it',
    rfc: '9111 §3, §4.2',
    async run(c, p) {
      await script(p, { body: 'a', headers: { 'cache-control': 'max-age=60' } });
      await get(c, p);
      await get(c, p);
      return (await hits(p)).count === 1;
    },
  },
  {
    name: 'sends Age on a response from the cache',
    rfc: '9111 §4 (MUST)',
    async run(c, p) {
      await script(p, { body: 'a', headers: { 'cache-control': 'max-age=60' } });
      await get(c, p);
      await sleep(1100);
      const r = await get(c, p);
      return Number(r.headers.get('age') ?? '-1') >= 1;
    },
  },
  {
    name: 'uses s-maxage over max-age',
    rfc: '9111 §5.2.2.10',
    async run(c, p) {
      await script(p, { body: 'a', headers: { 'cache-control': 'max-age=0, s-maxage=60' } });
      await get(c, p);
      await get(c, p);
      return (await hits(p)).count === 1;
    },
  },
  {
    name: 'revalidates a stale entry with a conditional request (304, no body)',
    rfc: '9111 §4.3',
    async run(c, p) {
      await script(p, { body: 'validated', etag: '"v"', headers: { 'cache-control': 'max-age=1' } });
      await get(c, p);
      await sleep(2100);
      const r = await get(c, p);
      const h = await hits(p);
      return r.status === 200 && r.body === 'validated' && h.notModified === 1;
    },
  },
  {
    name: 'does not store no-store',
    rfc: '9111 §5.2.2.5 (MUST NOT)',
    async run(c, p) {
      await script(p, { body: 'a', headers: { 'cache-control': 'no-store, max-age=60' } });
      await get(c, p);
      await get(c, p);
      return (await hits(p)).count === 2;
    },
  },
  {
    name: 'does not store private in a shared cache',
    rfc: '9111 §5.2.2.7 (MUST NOT)',
    async run(c, p) {
      await script(p, { body: 'a', headers: { 'cache-control': 'private, max-age=60' } });
      await get(c, p);
      await get(c, p);
      return (await hits(p)).count === 2;
    },
  },
  {
    name: 'does not reuse a response to an Authorization request without public/s-maxage',
    rfc: '9111 §3.5 (MUST NOT)',
    async run(c, p) {
      await script(p, { body: 'secret', headers: { 'cache-control': 'max-age=60' } });
      await get(c, p, { headers: { authorization: 'Bearer alice' } });
      await get(c, p, { headers: { authorization: 'Bearer bob' } });
      return (await hits(p)).count === 2;
    },
  },
  {
    name: 'revalidates a no-cache response before each reuse',
    rfc: '9111 §5.2.2.4 (MUST NOT reuse without validation)',
    async run(c, p) {
      await script(p, { body: 'nc', etag: '"n"', headers: { 'cache-control': 'no-cache' } });
      await get(c, p);
      await get(c, p);
      return (await hits(p)).count === 2;
    },
  },
  {
    name: 'keeps Vary variants apart',
    rfc: '9111 §4.1 (MUST)',
    async run(c, p) {
      await script(p, { body: 'v', headers: { 'cache-control': 'max-age=60', vary: 'Accept-Language' } });
      await get(c, p, { headers: { 'accept-language': 'en' } });
      await get(c, p, { headers: { 'accept-language': 'fr' } });
      return (await hits(p)).count === 2;
    },
  },
  {
    name: 'invalidates the URI after a successful POST',
    rfc: '9111 §4.4 (MUST)',
    async run(c, p) {
      await script(p, { body: 'r', headers: { 'cache-control': 'max-age=60' } });
      await get(c, p);
      await get(c, p, { method: 'POST', body: 'x' });
      await get(c, p);
      return (await hits(p)).count === 3;
    },
  },
  {
    name: 'does not serve stale when must-revalidate and the origin is down',
    rfc: '9111 §5.2.2.2 (MUST)',
    async run(c, p) {
      await script(p, { body: 'm', etag: '"m"', headers: { 'cache-control': 'max-age=1, must-revalidate' } });
      await get(c, p);
      await script(p, { mode: 'down' });
      await sleep(2100);
      const r = await get(c, p);
      return r.status >= 500 && r.body !== 'm';
    },
  },
  {
    name: 'serves stale within stale-if-error when the origin is down',
    rfc: '5861 §4',
    async run(c, p) {
      await script(p, { body: 'kept', etag: '"k"', headers: { 'cache-control': 'max-age=1, stale-if-error=300' } });
      await get(c, p);
      await script(p, { mode: 'down' });
      await sleep(2100);
      const r = await get(c, p);
      return r.status === 200 && r.body === 'kept';
    },
  },
  {
    name: 'serves stale at once within stale-while-revalidate',
    rfc: '5861 §3',
    async run(c, p) {
      await script(p, { body: 'old', etag: '"o"', headers: { 'cache-control': 'max-age=1, stale-while-revalidate=300' } });
      await get(c, p);
      await script(p, { body: 'new', etag: '"n2"', delayMs: 3000, headers: { 'cache-control': 'max-age=60' } });
      await sleep(2100);
      const r = await get(c, p);
      // A cache that waited for the origin would take 3 s; the margin absorbs a loaded machine.
      return r.body === 'old' && r.ms < 2000;
    },
  },
  {
    name: 'collapses 20 concurrent misses into one origin fetch',
    rfc: '9111 §4 (cache design)',
    async run(c, p) {
      await script(p, { body: 'herd', delayMs: 500, headers: { 'cache-control': 'max-age=60' } });
      await Promise.all(Array.from({ length: 20 }, () => get(c, p)));
      return (await hits(p)).count === 1;
    },
  },
  {
    name: 'answers a client If-None-Match with 304 from the cache',
    rfc: '9110 §13.1.2',
    async run(c, p) {
      await script(p, { body: 'c', etag: '"c"', headers: { 'cache-control': 'max-age=60' } });
      await get(c, p);
      const r = await get(c, p, { headers: { 'if-none-match': '"c"' } });
      return r.status === 304 && (await hits(p)).count === 1;
    },
  },
  {
    name: 'answers Range from the cached object',
    rfc: '9110 §14',
    async run(c, p) {
      await script(p, { body: '0123456789', etag: '"r"', headers: { 'cache-control': 'max-age=60' } });
      await get(c, p);
      const r = await get(c, p, { headers: { range: 'bytes=2-4' } });
      return r.status === 206 && r.body === '234' && (await hits(p)).count === 1;
    },
  },
  // Issue 13: unusual but legal origin responses and requests.
  {
    name: 'stores and reuses a 204 with max-age (as a 204)',
    rfc: '9111 §3',
    async run(c, p) {
      await script(p, { status: 204, headers: { 'cache-control': 'max-age=60' } });
      const statuses = [(await get(c, p)).status, (await get(c, p)).status];
      return statuses.every((s) => s === 204) && (await hits(p)).count === 1;
    },
  },
  {
    name: 'stores and reuses other final statuses with max-age (299, 400, 500, 503)',
    rfc: '9111 §3',
    async run(c, p) {
      for (const status of [299, 400, 500, 503]) {
        const q = `${p}-${status}`;
        await script(q, { status, body: `answer ${status}`, headers: { 'cache-control': 'max-age=60' } });
        await get(c, q);
        const second = await get(c, q);
        if (second.status !== status || second.body !== `answer ${status}` || (await hits(q)).count !== 1) return false;
      }
      return true;
    },
  },
  {
    name: 'must-understand: stores a 200 despite no-store',
    rfc: '9111 §5.2.2.3',
    async run(c, p) {
      await script(p, { body: 'kept', headers: { 'cache-control': 'must-understand, no-store, max-age=60' } });
      await get(c, p);
      await get(c, p);
      return (await hits(p)).count === 1;
    },
  },
  {
    name: 'a 304 carrying Set-Cookie refreshes the stored response (200, stored body)',
    rfc: '9111 §4.3.4',
    async run(c, p) {
      await script(p, { body: 'stored body', etag: '"a"', headers: { 'cache-control': 'max-age=1' } });
      await get(c, p);
      await sleep(1100);
      await script(p, { body: 'unused', etag: '"a"', headers: { 'cache-control': 'max-age=60', 'set-cookie': 'session=1' } });
      const r = await get(c, p);
      return r.status === 200 && r.body === 'stored body' && (await hits(p)).notModified === 1;
    },
  },
  {
    name: 'replays Content-Length on a hit (not chunked)',
    rfc: '9110 §8.6',
    async run(c, p) {
      await script(p, { body: 'x', size: 4096, headers: { 'cache-control': 'max-age=60' } });
      await get(c, p);
      await sleep(300);
      const r = await get(c, p);
      return r.headers.get('content-length') === '4096' && r.headers.get('transfer-encoding') === null && r.body.length === 4096;
    },
  },
  {
    name: 'keeps the stored Content-Length after a 304 refresh',
    rfc: '9111 §4.3.4, 9110 §8.6',
    async run(c, p) {
      await script(p, { body: 'y', size: 4096, etag: '"l"', headers: { 'cache-control': 'max-age=1' } });
      await get(c, p);
      await sleep(1100);
      const r = await get(c, p);
      return r.status === 200 && (await hits(p)).notModified === 1 && r.headers.get('content-length') === '4096';
    },
  },
  {
    name: 'treats an Expires with UTC instead of GMT as already expired',
    rfc: '9111 §5.3, 9110 §5.6.7',
    async run(c, p) {
      await script(p, { body: 'e', headers: { expires: spellDate(Date.now() + 3_600_000, 'utc') } });
      await get(c, p);
      await get(c, p);
      return (await hits(p)).count === 2;
    },
  },
  {
    name: 'honours an Expires in the RFC 850 and asctime formats',
    rfc: '9110 §5.6.7 (MUST accept)',
    async run(c, p) {
      for (const spelling of ['rfc850', 'asctime'] as const) {
        const q = `${p}-${spelling}`;
        await script(q, { body: 'e', headers: { expires: spellDate(Date.now() + 3_600_000, spelling) } });
        await get(c, q);
        await get(c, q);
        if ((await hits(q)).count !== 1) return false;
      }
      return true;
    },
  },
  {
    name: 'ignores an invalid Age (1e3) instead of reading 1000 s',
    rfc: '9111 §5.1',
    async run(c, p) {
      await script(p, { body: 'a', headers: { 'cache-control': 'max-age=600', age: '1e3' } });
      await get(c, p);
      const r = await get(c, p);
      return (await hits(p)).count === 1 && Number(r.headers.get('age') ?? '0') < 600;
    },
  },
  {
    name: 'passes an unknown method (M-SEARCH) through and invalidates after its success',
    rfc: '9110 §9.1, 9111 §4.4',
    async run(c, p) {
      await script(p, { body: 'r', headers: { 'cache-control': 'max-age=60' } });
      await get(c, p);
      const unknown = await get(c, p, { method: 'M-SEARCH' });
      await get(c, p);
      return unknown.status === 200 && (await hits(p)).count === 3;
    },
  },
  {
    name: 'CDN-Cache-Control max-age wins over Cache-Control no-store',
    rfc: '9213 §2.1',
    async run(c, p) {
      await script(p, { body: 'c', headers: { 'cache-control': 'no-store', 'cdn-cache-control': 'max-age=60' } });
      await get(c, p);
      await get(c, p);
      return (await hits(p)).count === 1;
    },
  },
  {
    name: 'CDN-Cache-Control no-store wins over Cache-Control max-age',
    rfc: '9213 §2.1',
    async run(c, p) {
      await script(p, { body: 'c', headers: { 'cache-control': 'max-age=60', 'cdn-cache-control': 'no-store' } });
      await get(c, p);
      await get(c, p);
      return (await hits(p)).count === 2;
    },
  },
  {
    name: 'does not forward CDN-Cache-Control to clients',
    rfc: '9213 §2.1 (by default)',
    async run(c, p) {
      await script(p, { body: 'c', headers: { 'cache-control': 'max-age=5', 'cdn-cache-control': 'max-age=60' } });
      const answers = [await get(c, p), await get(c, p)];
      return answers.every((r) => r.headers.get('cdn-cache-control') === null && r.headers.get('cache-control') === 'max-age=5');
    },
  },
  {
    name: 'one variant for equivalent Accept-Language values (case, order, whitespace)',
    rfc: '9111 §4.1 (MAY normalise)',
    async run(c, p) {
      await script(p, { body: 'v', headers: { 'cache-control': 'max-age=60', vary: 'Accept-Language' } });
      await get(c, p, { headers: { 'accept-language': 'en-US,fr;q=0.5' } });
      await get(c, p, { headers: { 'accept-language': ' FR;q=0.5 , en-us' } });
      return (await hits(p)).count === 1;
    },
  },
  {
    name: 'ignores an invalid If-Modified-Since (UTC) on a hit: 200, not 304',
    rfc: '9110 §13.1.3 (MUST ignore)',
    async run(c, p) {
      const lastModified = 'Mon, 05 Jan 2026 07:08:09 GMT';
      await script(p, { body: 'dated', lastModified, headers: { 'cache-control': 'max-age=60' } });
      await get(c, p);
      const r = await get(c, p, { headers: { 'if-modified-since': lastModified.replace('GMT', 'UTC') } });
      return r.status === 200 && r.body === 'dated';
    },
  },
  {
    name: 'answers bytes=-5 of an empty cached object whole (200), never bytes 0--1/0',
    rfc: '9110 §14.1.2, §14.2',
    async run(c, p) {
      await script(p, { body: '', headers: { 'cache-control': 'max-age=60' } });
      await get(c, p);
      const r = await get(c, p, { headers: { range: 'bytes=-5' } });
      return r.status === 200 && r.body === '' && r.headers.get('content-range') === null;
    },
  },
  {
    name: 'sends one copy for a Range repeating bytes=0- sixteen times',
    rfc: '9110 §14.2, §15.3.7.2',
    async run(c, p) {
      await script(p, { body: '0123456789', headers: { 'cache-control': 'max-age=60' } });
      await get(c, p);
      const r = await get(c, p, { headers: { range: `bytes=${Array(16).fill('0-').join(',')}` } });
      return r.body === '0123456789' && (r.status === 200 || r.headers.get('content-range') === 'bytes 0-9/10');
    },
  },
  {
    name: 'purges a URL on request',
    rfc: '(operations; not in the RFC)',
    async run(c, p) {
      if (!c.purge) return false;
      await script(p, { body: 'p', headers: { 'cache-control': 'max-age=60' } });
      await get(c, p);
      if (!(await c.purge(p))) return false;
      await get(c, p);
      return (await hits(p)).count === 2;
    },
  },
];

/**
 * Scenarios pushpull's edge still gets wrong (issue 13): M-SEARCH, which the runtime refuses before
 * the Worker runs. Each is checked to still fail, so a fix must delete its line; until then the two
 * "pushpull is right" checks skip them.
 */
const EDGE_FIXES_PENDING = new Set([
  // Not fixable in the Worker: workerd answers 501 to methods outside its fixed list before the Worker runs (cloudflare/workerd#6877).
  'passes an unknown method (M-SEARCH) through and invalidates after its success',
]);
const required = scenarios.filter((s) => !EDGE_FIXES_PENDING.has(s.name));

const results = new Map<string, Map<string, boolean>>();

beforeAll(async () => {
  origin = await startScriptedOrigin();
  edge = await startWorker(
    'workers/edge/wrangler.toml',
    19480,
    {
      ORIGIN_URL: `http://127.0.0.1:${origin.port}`,
      PUSHPULL_TOKEN: 'conformance',
      ORIGIN_TIMEOUT_MS: '2000',
    },
    '/_cache/purge',
  );
  caches.push({
    name: 'pushpull',
    url: edge.url,
    purge: async (path) =>
      (
        await fetch(`${edge.url}/_cache/purge`, {
          method: 'POST',
          headers: { authorization: 'Bearer conformance' },
          body: JSON.stringify({ urls: [path] }),
        })
      ).status === 200,
    stop: () => edge.stop(),
  });
  caches.push(await startNginx(19482, origin.port));
  caches.push(await startVarnish(19484, origin.port));
}, 120_000);

afterAll(async () => {
  for (const c of caches) await c.stop();
  await origin?.close();
});

describe('shared-cache conformance: pushpull vs nginx vs Varnish', () => {
  it('runs every scenario against every cache', async () => {
    await Promise.all(
      caches.map(async (c) => {
        const mine = new Map<string, boolean>();
        results.set(c.name, mine);
        let i = 0;
        for (const s of scenarios) {
          const path = `/conf/${c.name}/${i++}-${Math.random().toString(36).slice(2, 8)}`;
          try {
            mine.set(s.name, await s.run(c, path));
          } catch {
            mine.set(s.name, false);
          }
        }
      }),
    );
    const names = caches.map((c) => c.name);
    const lines = [`| behaviour | RFC | ${names.join(' | ')} |`, `|---|---|${names.map(() => '---').join('|')}|`];
    for (const s of scenarios) {
      lines.push(`| ${s.name} | ${s.rfc} | ${names.map((n) => (results.get(n)?.get(s.name) ? 'yes' : 'no')).join(' | ')} |`);
    }
    console.log(lines.join('\n'));
    expect(results.size).toBe(caches.length);
  }, 120_000);

  it('is right wherever nginx or Varnish is right', () => {
    const pushpull = results.get('pushpull');
    const missed = required.filter(
      (s) => !pushpull?.get(s.name) && [...results.entries()].some(([n, r]) => n !== 'pushpull' && r.get(s.name)),
    );
    expect(missed.map((s) => s.name)).toEqual([]);
  });

  it('passes every scenario', () => {
    const pushpull = results.get('pushpull');
    expect(required.filter((s) => !pushpull?.get(s.name)).map((s) => s.name)).toEqual([]);
  });

  it('still gets the pending edge fixes wrong (a fix deletes its line from EDGE_FIXES_PENDING)', () => {
    const pushpull = results.get('pushpull');
    expect([...EDGE_FIXES_PENDING].filter((name) => pushpull?.get(name) !== false)).toEqual([]);
  });

  it('ran against both reference caches', () => {
    expect(caches.map((c) => c.name)).toEqual(['pushpull', 'nginx', 'varnish']);
  });
});

describe('pushpull edge under concurrent load over real HTTP', () => {
  it('answers every request when many wait on one uncacheable fetch (no request cancelled as hung)', async () => {
    const edgeCache = caches.find((c) => c.name === 'pushpull');
    if (!edgeCache) throw new Error('edge not started');
    const p = `/load/nostore-${Math.random().toString(36).slice(2, 8)}`;
    await script(p, { body: 'fresh', delayMs: 20, headers: { 'cache-control': 'no-store' } });
    // 32 clients, each sending its next request as soon as the last is answered, for 4 s (at most 150 each).
    const statuses: number[] = [];
    const until = Date.now() + 4000;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        for (let i = 0; i < 150 && Date.now() < until; i++) statuses.push((await get(edgeCache, p)).status);
      }),
    );
    expect(statuses.length).toBeGreaterThan(100);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  }, 60_000);
});
