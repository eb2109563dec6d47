// Cross-check against the real Pushgateway (Debian `prometheus-pushgateway`, 1.5): the pages it refuses for their
// HELP/TYPE lines are the pages parseExposition refuses with `metadataOnce` (what the metrics Worker's Pushgateway API
// parses with), with the same message. The Pushgateway parses with client_golang's expfmt TextParser, which is
// stricter than a scrape (promparse) in exactly these rules.
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExpositionError, parseExposition } from '@pushpull/wire/prometheus-text/exposition';
import { spawnPeer, stopProcess, waitForHttp } from '../support/process';

let pushgateway: ChildProcess | undefined;
let base = '';
let pushes = 0;

/** The page with every metric name made unique to this comparison (`a` → `c7_a`). */
function uniqueNames(page: string): string {
  const prefix = `c${pushes + 1}_`;
  return page.replace(/^(# (?:TYPE|HELP) )?([a-z])/gm, (_, meta: string | undefined, first: string) => `${meta ?? ''}${prefix}${first}`);
}

/** A port nobody listens on right now (the Pushgateway needs one given, it does not take port 0). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  pushgateway = spawnPeer(
    'prometheus-pushgateway',
    'prometheus-pushgateway',
    [`--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    {
      stdio: ['ignore', 'ignore', 'ignore'],
    },
  );
  await waitForHttp(`${base}/-/ready`, pushgateway, 'prometheus-pushgateway', { okOnly: true });
}, 30_000);

afterAll(async () => {
  if (pushgateway) await stopProcess(pushgateway);
});

/**
 * The Pushgateway's answer to a PUT of `page`: undefined when accepted, else its error text. Its consistency check
 * compares a push with every other group, and a DELETE is applied later (202), so each page gets metric names of its
 * own (`prefix`) and its own group, deleted after.
 */
async function pushgatewayRefusal(page: string): Promise<string | undefined> {
  const url = `${base}/metrics/job/peer${++pushes}`;
  const r = await fetch(url, { method: 'PUT', body: page });
  const text = (await r.text()).trim();
  await (await fetch(url, { method: 'DELETE' })).arrayBuffer();
  if (r.status === 200) return undefined;
  if (r.status !== 400) throw new Error(`pushgateway answered ${r.status}: ${text}`);
  return text;
}

/** Ours, worded as the metrics Worker's Pushgateway API words it. */
function ourRefusal(page: string): string | undefined {
  try {
    parseExposition(page, { format: 'text', metadataOnce: true });
    return undefined;
  } catch (e) {
    if (e instanceof ExpositionError) return `text format parsing error in ${e.message}`;
    throw e;
  }
}

const CASES = [
  '# TYPE a counter\n# TYPE a gauge\na 1\n',
  '# TYPE a gauge\n# TYPE a gauge\na 1\n',
  'a 1\n# TYPE a gauge\n',
  '# HELP a x\n# HELP a y\na 1\n',
  '# HELP a x\na 1\n# TYPE a gauge\n',
  '# HELP a x\n# TYPE b gauge\n# HELP a y\n',
  '# TYPE a untyped\n# TYPE a untyped\n',
  '# TYPE a summary\n# TYPE a_count gauge\n',
  '# TYPE h histogram\n# TYPE h_bucket counter\n',
  '# TYPE a histogram\na_bucket{le="+Inf"} 1\na_sum 1\na_count 1\n# TYPE a_count gauge\na_count 3\n',
  '# TYPE a gauge\n# TYPE a_count gauge\n',
  'a_count 1\n# TYPE a summary\n',
  '# TYPE s summary\ns_sum 1\ns_count 1\n# HELP s_sum x\n',
  'a 1\n# HELP a x\n',
  '# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na{x="1"} 2\n',
  '# type a gauge\n# TYPE a counter\na 1\n',
  '# TYPE a_total counter\na_total 1\n# TYPE a counter\n',
];

describe('Pushgateway text pages: metadataOnce against the real Pushgateway', () => {
  it('refuses the same pages with the same message (table)', async () => {
    for (const template of CASES) {
      const page = uniqueNames(template);
      expect({ page, refusal: ourRefusal(page) }).toEqual({ page, refusal: await pushgatewayRefusal(page) });
    }
  });

  it('agrees on random pages of HELP, TYPE and gauge-like samples (seeded)', async () => {
    // Samples only where every type the Pushgateway could give them accepts a bare sample (no summary or
    // histogram family gets a sample it would check for quantile/le), and each sample line is unique.
    const name = fc.constantFrom('a', 'b', 'a_count', 'a_sum', 'a_total');
    const line = fc.oneof(
      fc.tuple(fc.constant('TYPE'), name, fc.constantFrom('gauge', 'counter', 'untyped')),
      fc.tuple(fc.constant('TYPE'), fc.constant('a'), fc.constantFrom('summary', 'histogram')),
      fc.tuple(fc.constant('HELP'), name, fc.constant('text')),
      fc.tuple(fc.constant('SAMPLE'), fc.constantFrom('b', 'a_total'), fc.constant('')),
    );
    let checked = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 8 }), async (lines) => {
        const page = uniqueNames(
          lines.map(([kind, n, rest], i) => (kind === 'SAMPLE' ? `${n}{i="${i}"} ${i}` : `# ${kind} ${n} ${rest}`)).join('\n') + '\n',
        );
        checked++;
        expect({ page, refusal: ourRefusal(page) }).toEqual({ page, refusal: await pushgatewayRefusal(page) });
      }),
      { seed: 16_013, numRuns: 300 },
    );
    expect(checked).toBe(300);
  }, 60_000);
});
