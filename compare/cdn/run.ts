/**
 * Content delivery, push vs pull vs hybrid, on one seeded workload.
 *
 * Each mode is its own edge Worker (`wrangler dev`, fresh state per phase) in front of one
 * real origin (observed, so every byte that reaches it is counted per mode):
 *
 * | mode | ROUTES | origin's Cache-Control (its rules) | how content changes reach the edge |
 * |---|---|---|---|
 * | ttl | pull | `max-age=TTL`, validators dropped | refetched whole when the TTL runs out |
 * | validators | pull | `max-age=TTL` + ETag/Last-Modified | revalidated when the TTL runs out (304 when unchanged) |
 * | swr | pull | `max-age=TTL, stale-while-revalidate=S` + validators | the stale copy is served while one refresh runs |
 * | push | push | (never asked) | the owner's client (`pushDir`, the real push client) syncs after each change; activation purges |
 * | hybrid | hybrid | as validators, for the long tail | the hot set (most requested objects) is pushed, the rest pulled |
 *
 * For every request rate of the sweep, a phase runs the same arrivals (Poisson at that rate,
 * Zipf over the objects) against every mode at once, while the same content-change process
 * (every `changeEverySeconds`, each object changes with probability `changeFraction`) edits
 * the origin's files and the push folders. Every response's version is read from its body, so
 * staleness is measured from what clients were actually served.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pushDir } from '../../cli/push-client';
import { quantile, rng, sortNum, zipfSampler } from '../../bench/lib/random';
import { localStateBytes, stateGrowth, type StoreBytes, type StoreKind } from '../local-state';
import { STACK_TOKEN, type RunningWorker, type Stack } from '../stack';
import type { OriginCounts } from './origin';
import { startOriginProcess, type OriginProcess } from './origin-process';
import { makeSite, versionOf, writeObject, type SiteObject } from './site';

const CDN_MODES = ['ttl', 'validators', 'swr', 'push', 'hybrid'] as const;
export type CdnMode = (typeof CDN_MODES)[number];

/** How each mode is named in the report. */
export const CDN_MODE_LABELS: Record<CdnMode, string> = {
  ttl: '(a) pull, TTL, no validators',
  validators: '(b) pull, TTL + validators (304)',
  swr: '(c) pull, stale-while-revalidate',
  push: '(d) push, sync after each change',
  hybrid: '(e) hybrid: hot set pushed, tail pulled',
};

/** Short names for the charts. */
export const CDN_MODE_SHORT: Record<CdnMode, string> = {
  ttl: '(a) TTL only',
  validators: '(b) TTL + 304',
  swr: '(c) SWR',
  push: '(d) push',
  hybrid: '(e) hybrid',
};

/** The CDN workload's knobs (chosen by the size preset and the command line). */
export interface CdnSettings {
  objects: number;
  minBytes: number;
  maxBytes: number;
  zipfExponent: number;
  /** Requests per second per mode, one phase each. */
  rates: number[];
  /** Length of each phase's workload. */
  seconds: number;
  ttlSeconds: number;
  swrSeconds: number;
  changeEverySeconds: number;
  changeFraction: number;
  /** Share of the objects (the most popular) the hybrid mode pushes. */
  hotFraction: number;
  /** Requests in flight per mode; arrivals beyond it are skipped (and counted). */
  maxInFlight: number;
  seed: number;
}

/** Latency of one class of response. */
interface LatencyFigures {
  count: number;
  p50: number;
  p99: number;
}

/** Figures of one mode in one phase, all measured in it. */
export interface CdnModeFigures {
  mode: CdnMode;
  rate: number;
  requests: number;
  skipped: number;
  errors: number;
  /** Measured at the origin (the observer). */
  origin: OriginCounts;
  /** Bytes the push client sent (manifests, blobs, activations), the initial upload included. */
  pushBytes: number;
  pushInitialBytes: number;
  pushInitialRequests: number;
  pushBlobBytes: number;
  pushManifestBytes: number;
  pushRequests: number;
  syncs: number;
  /** Syncs that failed (the next change syncs again). */
  syncFailures: number;
  syncMs: { p50: number; p99: number };
  /** Storage the phase added to this edge's local state, per kind. */
  storage: Record<StoreKind, StoreBytes>;
  latency: Record<'miss' | 'hit' | 'stale-served' | 'revalidated' | 'refetched', LatencyFigures>;
  /** Responses that carried a version older than the one current when the request was sent. */
  staleResponses: number;
  /** Per observed change: ms from the change until no later request was served older content. */
  staleness: { changes: number; observed: number; p50: number; p99: number; max: number; lagsMs: number[] };
}

/** A phase: one request rate. */
interface CdnPhase {
  rate: number;
  changes: number;
  modes: CdnModeFigures[];
  /** The origin's own prom-client counters over the phase, to check the observer against. */
  originOwnMetrics: { requests: number; responseBytes: number; notModified: number };
}

/** The whole CDN comparison. */
export interface CdnResult {
  settings: CdnSettings;
  site: { objects: number; totalBytes: number; meanBytes: number; hotObjects: number; hotShareOfRequests: number };
  phases: CdnPhase[];
}

interface Served {
  obj: number;
  startMs: number;
  endMs: number;
  version: number;
  kind: keyof CdnModeFigures['latency'] | 'other';
  ms: number;
}

interface Arrival {
  atMs: number;
  obj: number;
}

const PUSHED_CACHE_CONTROL = 'public, max-age=86400';

/** Seeded arrivals for one phase: Poisson at `rate` per second, Zipf over the objects. */
function arrivalsFor(settings: CdnSettings, rate: number, phase: number): Arrival[] {
  const random = rng(settings.seed * 1000 + phase);
  const pick = zipfSampler(settings.objects, settings.zipfExponent, random);
  const out: Arrival[] = [];
  for (let t = 0; ;) {
    t += (-Math.log(1 - random()) / rate) * 1000;
    if (t >= settings.seconds * 1000) break;
    out.push({ atMs: t, obj: pick() });
  }
  return out;
}

/** Seeded changes for one phase: at each tick, each object changes with `changeFraction`. */
function changesFor(settings: CdnSettings, phase: number): Array<{ atMs: number; objs: number[] }> {
  const random = rng(settings.seed * 7919 + phase);
  const out: Array<{ atMs: number; objs: number[] }> = [];
  // No change in the last stretch: every mode gets time to show it before the phase ends.
  const lastMs = (settings.seconds - settings.ttlSeconds - 2) * 1000;
  for (let t = settings.changeEverySeconds * 1000; t <= lastMs; t += settings.changeEverySeconds * 1000) {
    const objs: number[] = [];
    for (let o = 0; o < settings.objects; o++) if (random() < settings.changeFraction) objs.push(o);
    if (objs.length) out.push({ atMs: t, objs });
  }
  return out;
}

function classify(cacheStatus: string): Served['kind'] {
  if (/;\s*hit/.test(cacheStatus)) return /stale-while-revalidate/.test(cacheStatus) ? 'stale-served' : 'hit';
  if (/fwd=(uri-miss|miss|vary-miss)/.test(cacheStatus)) return 'miss';
  if (/fwd=stale/.test(cacheStatus)) return /fwd-status=304/.test(cacheStatus) ? 'revalidated' : 'refetched';
  return 'other';
}

function latencyOf(served: Served[], kind: Served['kind']): LatencyFigures {
  const ms = sortNum(served.filter((s) => s.kind === kind).map((s) => s.ms));
  return { count: ms.length, p50: quantile(ms, 0.5), p99: quantile(ms, 0.99) };
}

/** Bytes of a request body as sent (the push client sends strings and byte arrays). */
function bodyBytes(body: RequestInit['body']): number {
  if (body === undefined || body === null) return 0;
  if (typeof body === 'string') return Buffer.byteLength(body);
  if (ArrayBuffer.isView(body)) return body.byteLength;
  if (body instanceof ArrayBuffer) return body.byteLength;
  return 0;
}

/** What one push mode's client sent. */
interface PushTally {
  bytes: number;
  blobBytes: number;
  manifestBytes: number;
  requests: number;
  syncMs: number[];
}

/** A fetch that counts what the push client sends. */
function countingFetch(tally: PushTally): typeof fetch {
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const n = bodyBytes(init?.body);
    tally.bytes += n;
    tally.requests++;
    if (url.includes('/_push/blobs/') || url.includes('/_push/uploads')) tally.blobBytes += n;
    else if (url.endsWith('/_push/deploys')) tally.manifestBytes += n;
    return fetch(input, init);
  };
}

/**
 * Staleness per change, from what was served: for each change of object o at t (to version v),
 * the time from t until the end of the last response to a request sent after t that still
 * carried a version below v (0 when none did). Changes with no request after them are not
 * observed and left out.
 */
function stalenessOf(served: Served[], changes: Array<{ obj: number; atMs: number; version: number }>): CdnModeFigures['staleness'] {
  const byObj = new Map<number, Served[]>();
  for (const s of served) {
    const list = byObj.get(s.obj);
    if (list) list.push(s);
    else byObj.set(s.obj, [s]);
  }
  const lags: number[] = [];
  for (const c of changes) {
    const after = (byObj.get(c.obj) ?? []).filter((s) => s.startMs >= c.atMs && s.version >= 0);
    if (after.length === 0) continue;
    let lag = 0;
    for (const s of after) if (s.version < c.version) lag = Math.max(lag, s.endMs - c.atMs);
    lags.push(lag);
  }
  const sorted = sortNum(lags);
  return {
    changes: changes.length,
    observed: lags.length,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted.at(-1) ?? NaN,
    lagsMs: lags.map((l) => Math.round(l)),
  };
}

/** Runs the CDN comparison. */
export async function runCdn(settings: CdnSettings, stack: Stack, workDir: string, log: (line: string) => void): Promise<CdnResult> {
  const site = makeSite(settings.objects, settings.minBytes, settings.maxBytes, settings.seed);
  const hotCount = Math.max(1, Math.round(settings.objects * settings.hotFraction));
  const originDir = join(workDir, 'origin');
  const pushDirs: Record<'push' | 'hybrid', string> = {
    push: join(workDir, 'push-src', 'push'),
    hybrid: join(workDir, 'push-src', 'hybrid'),
  };
  mkdirSync(originDir, { recursive: true });
  const ttl = settings.ttlSeconds;
  const policy = {
    defaultCacheControl: 'no-store',
    rules: [
      { match: '/ttl/', cacheControl: `public, max-age=${ttl}` },
      { match: '/validators/', cacheControl: `public, max-age=${ttl}` },
      { match: '/swr/', cacheControl: `public, max-age=${ttl}, stale-while-revalidate=${settings.swrSeconds}` },
      { match: '/hybrid/', cacheControl: `public, max-age=${ttl}` },
    ],
  };
  // Each mode's origin files live under /<mode>/ (the edge's ORIGIN_URL carries the prefix).
  for (const mode of CDN_MODES) mkdirSync(join(originDir, mode), { recursive: true });
  const origin = await startOriginProcess({ dir: originDir, policy, withoutValidators: ['/ttl/'] });
  log(`cdn: origin ${origin.url}; ${settings.objects} objects, ${site.reduce((n, o) => n + o.size, 0)} bytes; hot set ${hotCount}`);
  const phases: CdnPhase[] = [];
  try {
    for (const [k, rate] of settings.rates.entries()) {
      phases.push(await runPhase(settings, stack, site, hotCount, k, rate, origin, originDir, pushDirs, log));
    }
  } finally {
    await origin.close();
  }
  const share = (() => {
    const arrivals = arrivalsFor(settings, settings.rates[0], 0);
    return arrivals.filter((a) => a.obj < hotCount).length / Math.max(1, arrivals.length);
  })();
  const total = site.reduce((n, o) => n + o.size, 0);
  return {
    settings,
    site: { objects: site.length, totalBytes: total, meanBytes: total / site.length, hotObjects: hotCount, hotShareOfRequests: share },
    phases,
  };
}

async function runPhase(
  settings: CdnSettings,
  stack: Stack,
  site: SiteObject[],
  hotCount: number,
  k: number,
  rate: number,
  origin: OriginProcess,
  originDir: string,
  pushDirs: Record<'push' | 'hybrid', string>,
  log: (line: string) => void,
): Promise<CdnPhase> {
  const versions = new Array<number>(site.length).fill(0);
  // This phase's content: a fresh folder, so every edge starts cold.
  for (const mode of ['ttl', 'validators', 'swr', 'hybrid'] as const)
    for (const obj of site) writeObject(join(originDir, mode), mode, k, obj, 0);
  for (const mode of ['push', 'hybrid'] as const) {
    rmSync(pushDirs[mode], { recursive: true, force: true });
    for (const obj of site) if (mode === 'push' || obj.id < hotCount) writeObject(pushDirs[mode], mode, k, obj, 0);
  }
  const routes: Record<CdnMode, string> = { ttl: 'pull', validators: 'pull', swr: 'pull', push: 'push', hybrid: 'hybrid' };
  const edges = new Map<CdnMode, RunningWorker>();
  await Promise.all(
    CDN_MODES.map(async (mode) => {
      edges.set(
        mode,
        await stack.start(
          'edge',
          `edge-${mode}-r${rate}`,
          { ORIGIN_URL: `${origin.url}/${mode}`, ROUTES: JSON.stringify({ '/': routes[mode] }) },
          '/_push/files?limit=1',
        ),
      );
    }),
  );
  const edge = (mode: CdnMode): RunningWorker => {
    const e = edges.get(mode);
    if (!e) throw new Error(`no edge for ${mode}`);
    return e;
  };
  const before = new Map(CDN_MODES.map((m) => [m, localStateBytes(edge(m).stateDir)]));
  const tallies: Record<'push' | 'hybrid', PushTally> = {
    push: { bytes: 0, blobBytes: 0, manifestBytes: 0, requests: 0, syncMs: [] },
    hybrid: { bytes: 0, blobBytes: 0, manifestBytes: 0, requests: 0, syncMs: [] },
  };
  const sync = async (mode: 'push' | 'hybrid'): Promise<void> => {
    const t0 = performance.now();
    await pushDir({
      dir: pushDirs[mode],
      edgeUrl: edge(mode).url,
      token: STACK_TOKEN,
      cacheControl: PUSHED_CACHE_CONTROL,
      fetch: countingFetch(tallies[mode]),
    });
    tallies[mode].syncMs.push(performance.now() - t0);
  };
  await Promise.all([sync('push'), sync('hybrid')]);
  const initial = { push: { ...tallies.push }, hybrid: { ...tallies.hybrid } };
  tallies.push.syncMs.length = 0;
  tallies.hybrid.syncMs.length = 0;
  await origin.reset();
  const ownBefore = await origin.ownMetrics();

  const arrivals = arrivalsFor(settings, rate, k);
  const changes = changesFor(settings, k);
  log(
    `cdn: phase ${k + 1}/${settings.rates.length}: ${rate} req/s per mode x ${CDN_MODES.length} modes` +
      ` for ${settings.seconds} s (${arrivals.length} requests each, ${changes.reduce((n, c) => n + c.objs.length, 0)} changes)`,
  );
  const served = new Map<CdnMode, Served[]>(CDN_MODES.map((m) => [m, []]));
  const counters = new Map<CdnMode, { inFlight: number; skipped: number; errors: number }>(
    CDN_MODES.map((m) => [m, { inFlight: 0, skipped: 0, errors: 0 }]),
  );
  const changeLog: Array<{ obj: number; atMs: number; version: number }> = [];
  const started = performance.now();
  const now = (): number => performance.now() - started;
  const pending: Promise<void>[] = [];

  const request = async (mode: CdnMode, obj: number): Promise<void> => {
    const c = counters.get(mode);
    const list = served.get(mode);
    if (!c || !list) return;
    if (c.inFlight >= settings.maxInFlight) {
      c.skipped++;
      return;
    }
    c.inFlight++;
    const startMs = now();
    try {
      const res = await fetch(`${edge(mode).url}/p${k}/${site[obj].name}`, { signal: AbortSignal.timeout(20_000) });
      const body = new Uint8Array(await res.arrayBuffer());
      const endMs = now();
      if (res.status !== 200) {
        c.errors++;
        return;
      }
      list.push({
        obj,
        startMs,
        endMs,
        version: versionOf(body),
        kind: classify(res.headers.get('cache-status') ?? ''),
        ms: endMs - startMs,
      });
    } catch {
      c.errors++;
    } finally {
      c.inFlight--;
    }
  };

  // The push clients: one sync at a time per mode; changes made while one runs wait for the next.
  const dirty: Record<'push' | 'hybrid', Set<number>> = { push: new Set(), hybrid: new Set() };
  const syncFailures: Record<'push' | 'hybrid', number> = { push: 0, hybrid: 0 };
  const syncing: Record<'push' | 'hybrid', Promise<void> | undefined> = { push: undefined, hybrid: undefined };
  const kick = (mode: 'push' | 'hybrid'): void => {
    if (syncing[mode] || dirty[mode].size === 0) return;
    syncing[mode] = (async () => {
      while (dirty[mode].size > 0) {
        const objs = [...dirty[mode]];
        dirty[mode].clear();
        for (const o of objs) writeObject(pushDirs[mode], mode, k, site[o], versions[o]);
        try {
          await sync(mode);
        } catch (err) {
          // Counted and reported; the next change syncs again (a re-run resumes what is missing).
          syncFailures[mode]++;
          log(`cdn: ${mode}: a sync failed: ${String(err).slice(0, 300)}`);
        }
      }
    })().finally(() => {
      syncing[mode] = undefined;
    });
  };

  const changeLoop = (async () => {
    for (const change of changes) {
      const wait = change.atMs - now();
      if (wait > 0) await sleep(wait);
      const atMs = now();
      for (const o of change.objs) {
        versions[o]++;
        changeLog.push({ obj: o, atMs, version: versions[o] });
        for (const mode of ['ttl', 'validators', 'swr', 'hybrid'] as const)
          writeObject(join(originDir, mode), mode, k, site[o], versions[o]);
        dirty.push.add(o);
        if (o < hotCount) dirty.hybrid.add(o);
      }
      kick('push');
      kick('hybrid');
    }
  })();

  for (const a of arrivals) {
    const wait = a.atMs - now();
    if (wait > 1) await sleep(wait);
    for (const mode of CDN_MODES) pending.push(request(mode, a.obj));
  }
  await changeLoop;
  await Promise.all(pending);
  await Promise.all([syncing.push, syncing.hybrid]);

  const ownAfter = await origin.ownMetrics();
  const counts = await origin.counts();
  const figures: CdnModeFigures[] = CDN_MODES.map((mode) => {
    const list = served.get(mode) ?? [];
    const c = counters.get(mode) ?? { skipped: 0, errors: 0 };
    const tally = mode === 'push' || mode === 'hybrid' ? tallies[mode] : undefined;
    const current = (obj: number, atMs: number): number => {
      let v = 0;
      for (const ch of changeLog) if (ch.obj === obj && ch.atMs <= atMs) v = ch.version;
      return v;
    };
    const syncMs = sortNum(tally?.syncMs ?? []);
    const beforeState = before.get(mode);
    const afterState = localStateBytes(edge(mode).stateDir);
    return {
      mode,
      rate,
      requests: list.length,
      skipped: c.skipped,
      errors: c.errors,
      origin: counts[mode] ?? { requests: 0, ok200: 0, notModified304: 0, bytes: 0, redundantBytes: 0, redundantResponses: 0 },
      pushBytes: tally ? tally.bytes : 0,
      pushInitialBytes: tally ? initial[mode as 'push' | 'hybrid'].bytes : 0,
      pushInitialRequests: tally ? initial[mode as 'push' | 'hybrid'].requests : 0,
      pushBlobBytes: tally?.blobBytes ?? 0,
      pushManifestBytes: tally?.manifestBytes ?? 0,
      pushRequests: tally?.requests ?? 0,
      syncs: tally?.syncMs.length ?? 0,
      syncFailures: mode === 'push' || mode === 'hybrid' ? syncFailures[mode] : 0,
      syncMs: { p50: quantile(syncMs, 0.5), p99: quantile(syncMs, 0.99) },
      storage: beforeState ? stateGrowth(beforeState, afterState) : afterState,
      latency: {
        miss: latencyOf(list, 'miss'),
        hit: latencyOf(list, 'hit'),
        'stale-served': latencyOf(list, 'stale-served'),
        revalidated: latencyOf(list, 'revalidated'),
        refetched: latencyOf(list, 'refetched'),
      },
      staleResponses: list.filter((s) => s.version >= 0 && s.version < current(s.obj, s.startMs)).length,
      staleness: stalenessOf(list, changeLog),
    };
  });
  await Promise.all([...edges.values()].map((e) => e.stop()));
  const summary = figures
    .map((f) => `${f.mode} ${(f.origin.bytes / 1024).toFixed(0)} KiB origin, ${(f.pushBytes / 1024).toFixed(0)} KiB pushed`)
    .join('; ');
  log(`cdn: phase ${k + 1} done in ${(now() / 1000).toFixed(1)} s: ${summary}`);
  return {
    rate,
    changes: changeLog.length,
    modes: figures,
    originOwnMetrics: {
      requests: ownAfter.requests - ownBefore.requests,
      responseBytes: ownAfter.responseBytes - ownBefore.responseBytes,
      notModified: ownAfter.notModified - ownBefore.notModified,
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
