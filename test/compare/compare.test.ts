/**
 * `npm run compare` at its tiny size: every pair runs against the real stack and the report is
 * written. The assertions are on the machinery (the report, its charts, its figures) and on
 * directions that follow from the mechanisms, never on timings.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CdnMode, CdnModeFigures } from '../../compare/cdn/run';
import { runCompare, type CompareRun } from '../../compare/run';

let run: CompareRun;
const out = mkdtempSync(join(tmpdir(), 'pushpull-compare-test-'));

beforeAll(async () => {
  run = await runCompare({
    size: 'tiny',
    seed: 1,
    pairs: ['cdn', 'metrics', 'feed'],
    outDir: out,
    command: 'vitest (tiny)',
    log: () => undefined,
  });
});

afterAll(() => {
  rmSync(out, { recursive: true, force: true });
});

function cdnMode(mode: CdnMode): CdnModeFigures {
  const phase = run.results.cdn?.phases.at(-1);
  const m = phase?.modes.find((x) => x.mode === mode);
  if (!m) throw new Error(`no figures for ${mode}`);
  return m;
}

describe('the report', () => {
  it('writes index.html, summary.md, results.json and one SVG per chart', () => {
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain('<h1>pushpull compare: tiny run</h1>');
    expect(html).toContain('What a local run cannot show');
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toMatch(/\| mode \| requests served \| origin requests \|/);
    const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as {
      machine: { atStart: { cores: number } };
      charts: unknown[];
    };
    expect(json.machine.atStart.cores).toBeGreaterThan(0);
    expect(json.charts).toHaveLength(run.charts.length);
    for (const c of run.charts) {
      expect(existsSync(join(out, 'charts', `${c.id}.svg`))).toBe(true);
      expect(html).toContain(`id="${c.id}"`);
    }
  });

  it('has every chart, each drawn from rows of measured data', () => {
    expect(run.charts.map((c) => c.id).sort()).toEqual([
      'cdn-bytes-vs-rate',
      'cdn-latency',
      'cdn-redundant',
      'cdn-staleness',
      'cdn-storage',
      'feed-cost-vs-ratio',
      'feed-threshold-sweep',
      'feed-visibility',
      'metrics-capture',
      'metrics-dead-source',
      'metrics-samples',
      'metrics-source-load',
      'metrics-store-writes',
    ]);
    for (const c of run.charts) {
      expect(c.rows.length, c.id).toBeGreaterThan(0);
      expect(c.svg.startsWith('<svg'), c.id).toBe(true);
      expect(c.svg, c.id).toMatch(/role-mark/);
    }
  });

  it('fills every figure of the headline tables', () => {
    expect(run.tables.length).toBe(4);
    for (const t of run.tables) {
      expect(t.rows.length, t.title).toBeGreaterThan(0);
      for (const row of t.rows) {
        expect(row).toHaveLength(t.header.length);
        for (const cell of row) expect(cell, `${t.title}: ${row[0]}`).not.toMatch(/n\/a|NaN|undefined/);
      }
    }
  });
});

describe('CDN', () => {
  it('counts at the origin what the origin itself counted', () => {
    for (const phase of run.results.cdn?.phases ?? []) {
      const modes = phase.modes;
      expect(modes.reduce((n, m) => n + m.origin.requests, 0)).toBe(phase.originOwnMetrics.requests);
      expect(modes.reduce((n, m) => n + m.origin.bytes, 0)).toBe(phase.originOwnMetrics.responseBytes);
      expect(modes.reduce((n, m) => n + m.origin.notModified304, 0)).toBe(phase.originOwnMetrics.notModified);
    }
  });

  it('push moves no origin bytes at all, so none for unchanged content, and uploads what changed', () => {
    const push = cdnMode('push');
    expect(push.requests).toBeGreaterThan(0);
    expect(push.origin).toMatchObject({ requests: 0, bytes: 0, redundantBytes: 0 });
    expect(push.syncs).toBeGreaterThan(0);
    expect(push.syncFailures).toBe(0);
    expect(push.pushBytes - push.pushInitialBytes).toBeGreaterThan(0);
  });

  it('revalidation moves fewer origin bytes than a plain TTL for unchanged content (304s instead of bodies)', () => {
    const ttl = cdnMode('ttl');
    const validators = cdnMode('validators');
    expect(ttl.origin.redundantBytes).toBeGreaterThan(0);
    expect(validators.origin.redundantBytes).toBeLessThan(ttl.origin.redundantBytes);
    expect(validators.origin.notModified304).toBeGreaterThan(0);
    expect(ttl.origin.notModified304).toBe(0);
  });

  it('stores more at the edge when pushing (R2 and KV besides the cache) than when pulling', () => {
    const stored = (m: CdnModeFigures): number => m.storage.cache.blobBytes + m.storage.kv.blobBytes + m.storage.r2.blobBytes;
    expect(cdnMode('push').storage.r2.blobBytes).toBeGreaterThan(0);
    expect(cdnMode('ttl').storage.r2.blobBytes).toBe(0);
    expect(stored(cdnMode('push'))).toBeGreaterThan(stored(cdnMode('ttl')));
  });
});

describe('metrics', () => {
  it('a job shorter than the scrape interval is missed by some pull rounds and caught by push', () => {
    const m = run.results.metrics;
    if (!m) throw new Error('no metrics figures');
    const interval = Math.max(...m.settings.pullIntervals);
    const short = m.shortJobs.jobs.filter((j) => j.lifetimeSeconds < interval);
    expect(short.length).toBeGreaterThan(0);
    expect(short.some((j) => !j.capturedBy[`pull@${interval}s`])).toBe(true);
    expect(short.every((j) => j.capturedBy.push)).toBe(true);
  });

  it('keeps every individual event when pushed, only the last value per scrape when pulled', () => {
    const m = run.results.metrics;
    if (!m) throw new Error('no metrics figures');
    expect(m.events.captured.push).toBe(1);
    for (const iv of m.settings.pullIntervals) expect(m.events.captured[`pull@${iv}s`]).toBeLessThan(1);
  });

  it('pushed writes reaching the store grow with the sources; the scraper batches them', () => {
    const m = run.results.metrics;
    if (!m) throw new Error('no metrics figures');
    const [few, many] = [Math.min(...m.settings.sources), Math.max(...m.settings.sources)];
    const at = (d: string, n: number): number => m.scale.find((s) => s.delivery === d && s.sources === n)?.storeWriteCallsPerSecond ?? NaN;
    expect(at('influx', many)).toBeGreaterThan(at('influx', few));
    expect(at('influx', many)).toBeGreaterThan(at('pull', many));
    for (const s of m.scale) expect(s.sourceFailures, `${s.delivery} x ${s.sources}`).toBe(0);
  });

  it('notices a dead source through up == 0 when pulling; the Pushgateway keeps re-emitting its last values', () => {
    const d = run.results.metrics?.deadSource;
    expect(d?.pull.noticedMs).not.toBeNull();
    expect(d?.pushgateway.samplesAfterDeath).toBeGreaterThan(0);
  });
});

describe('feed', () => {
  it('pull writes no timeline rows, push writes one per follower, hybrid fewer than push', () => {
    const configs = run.results.feed?.configs ?? [];
    const of = (label: string) => configs.find((c) => c.label === label);
    expect(of('pull')?.rowsWrittenPerPost).toBe(0);
    expect(of('push')?.rowsWrittenPerPost).toBeGreaterThan(1);
    const hybrid = configs.find((c) => c.mode === 'hybrid');
    expect(hybrid?.rowsWrittenPerPost).toBeLessThan(of('push')?.rowsWrittenPerPost ?? 0);
    expect(of('pull')?.visibility.huge.p99).toBe(0);
  });
});
