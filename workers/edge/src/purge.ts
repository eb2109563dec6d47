/**
 * Global purge. `cache.delete` reaches one data centre only, so a purge is a record
 * ("everything stored before T under this URL / prefix / tag is gone") that every edge
 * consults on each hit. One `PurgeLog` Durable Object serialises purges and publishes a
 * compact snapshot to KV; each isolate keeps the snapshot in memory and refreshes it in the
 * background. The edge that takes a purge applies it at once; others see it when KV has
 * propagated it (about 60 s on Cloudflare) plus the poll interval.
 */
import { DurableObject } from 'cloudflare:workers';
import { normalisedPath, normalisedQuery } from './cache-key';
import { cacheSettings } from './settings';

/** What a purge names. URLs and prefixes are matched on path (+ query for URLs), on every host. */
export interface PurgeRequest {
  urls?: string[];
  prefixes?: string[];
  tags?: string[];
  everything?: boolean;
}

/** The published state: the last purge time of each URL, prefix and tag (ms since epoch). */
export interface PurgeSnapshot {
  version: number;
  everything: number;
  urls: Record<string, number>;
  prefixes: Record<string, number>;
  tags: Record<string, number>;
}

const EMPTY: PurgeSnapshot = { version: 0, everything: 0, urls: {}, prefixes: {}, tags: {} };
const SNAPSHOT_KEY = 'purge:snapshot';

/** Path and normalised query of a URL or path: how purge names a cached URL (on every host). */
export function purgeKeyOf(urlOrPath: string, isIgnored: (name: string) => boolean = () => false): string {
  const url = new URL(urlOrPath, 'http://purge.invalid');
  return normalisedPath(url.pathname) + normalisedQuery(url.search, isIgnored);
}

/** Whether an entry stored at `storedAt` is covered by a purge in the snapshot (or a local §4.4 invalidation). */
export function isPurged(s: PurgeSnapshot, key: string, tags: readonly string[], storedAt: number): boolean {
  if (storedAt <= s.everything) return true;
  const byUrl = s.urls[key];
  if (byUrl !== undefined && storedAt <= byUrl) return true;
  // Whichever is fewer: the recorded prefixes, or the prefixes of this key (a hit must stay cheap).
  const prefixes = prefixList(s);
  if (prefixes.length <= key.length) {
    for (const prefix of prefixes) {
      if (key.startsWith(prefix) && storedAt <= s.prefixes[prefix]) return true;
    }
  } else {
    for (let i = 1; i <= key.length; i++) {
      const at = s.prefixes[key.slice(0, i)];
      if (at !== undefined && storedAt <= at) return true;
    }
  }
  for (const tag of tags) {
    const at = s.tags[tag.toLowerCase()];
    if (at !== undefined && storedAt <= at) return true;
  }
  return false;
}

const prefixLists = new WeakMap<PurgeSnapshot, string[]>();
function prefixList(s: PurgeSnapshot): string[] {
  let list = prefixLists.get(s);
  if (!list) {
    list = Object.keys(s.prefixes);
    prefixLists.set(s, list);
  }
  return list;
}

// ---- the isolate's view -------------------------------------------------------------

let memo: PurgeSnapshot = EMPTY;
let memoFetchedAt = 0;
let memoLoaded = false;
let refreshing: Promise<void> | null = null;

function adopt(s: PurgeSnapshot): void {
  if (s.version >= memo.version) memo = s;
}

async function refresh(kv: KVNamespace): Promise<void> {
  try {
    const s = await kv.get<PurgeSnapshot>(SNAPSHOT_KEY, 'json');
    if (s) adopt(s);
    memoLoaded = true;
  } catch (err) {
    // KV unavailable: keep serving with what this isolate knows, and try again after the poll interval.
    console.error('purge snapshot not readable', err);
    memoLoaded = true;
  } finally {
    memoFetchedAt = Date.now();
    refreshing = null;
  }
}

/**
 * The purge snapshot for this request: awaited only the first time in an isolate; after
 * that refreshed in the background every `pollMs`, so hits never wait for KV.
 */
export async function purgeSnapshot(kv: KVNamespace, pollMs: number, waitUntil: (p: Promise<unknown>) => void): Promise<PurgeSnapshot> {
  if (!memoLoaded) {
    refreshing ??= refresh(kv);
    await refreshing;
  } else if (Date.now() - memoFetchedAt >= pollMs && refreshing === null) {
    refreshing = refresh(kv);
    waitUntil(refreshing);
  }
  return memo;
}

/** Applies a purge through the global log, and to this isolate at once. */
export async function purge(env: { PURGE_LOG: DurableObjectNamespace<PurgeLog> }, request: PurgeRequest): Promise<PurgeSnapshot> {
  const stub = env.PURGE_LOG.get(env.PURGE_LOG.idFromName('global'));
  const snapshot = await stub.purge(request);
  adopt(snapshot);
  return snapshot;
}

// ---- the coordinator ----------------------------------------------------------------

/** Settings the coordinator reads from the Worker's vars. */
interface PurgeLogEnv {
  EDGE_KV: KVNamespace;
  MAX_STORE_SECONDS?: string;
  PURGE_MAX_ENTRIES?: string;
}

/**
 * Serialises purges (no lost updates between concurrent purges), keeps them in SQLite, and
 * publishes the snapshot to KV at most once a second (KV's per-key write limit).
 */
export class PurgeLog extends DurableObject<PurgeLogEnv> {
  private readonly sql: SqlStorage;
  private lastPublished = 0;

  constructor(ctx: DurableObjectState, env: PurgeLogEnv) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS purges (
      kind TEXT NOT NULL, value TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (kind, value))`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL)`);
  }

  /** Records a purge and returns the new snapshot. */
  async purge(request: PurgeRequest): Promise<PurgeSnapshot> {
    const now = Date.now();
    const rows: Array<[string, string]> = [
      ...(request.urls ?? []).map((u): [string, string] => ['url', purgeKeyOf(u)]),
      ...(request.prefixes ?? []).map((p): [string, string] => ['prefix', p]),
      ...(request.tags ?? []).map((t): [string, string] => ['tag', t.toLowerCase()]),
    ];
    this.ctx.storage.transactionSync(() => {
      for (const [kind, value] of rows) {
        this.sql.exec(
          'INSERT INTO purges (kind, value, at) VALUES (?, ?, ?) ON CONFLICT (kind, value) DO UPDATE SET at = excluded.at',
          kind,
          value,
          now,
        );
      }
      if (request.everything) this.setMeta('everything', now);
      this.compact(now);
      this.setMeta('version', this.meta('version') + 1);
    });
    const snapshot = this.snapshot();
    await this.publishSoon();
    return snapshot;
  }

  /** The current snapshot. */
  async current(): Promise<PurgeSnapshot> {
    return this.snapshot();
  }

  override async alarm(): Promise<void> {
    await this.publish();
  }

  private meta(name: string): number {
    const row = this.sql.exec<{ value: number }>('SELECT value FROM meta WHERE name = ?', name).toArray()[0];
    return row ? row.value : 0;
  }

  private setMeta(name: string, value: number): void {
    this.sql.exec('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value', name, value);
  }

  /**
   * Drops records older than anything the cache can still hold, and folds the oldest
   * records into "everything before T" past the entry cap (conservative: more misses, never stale).
   */
  private compact(now: number): void {
    const settings = cacheSettings(this.env);
    this.sql.exec('DELETE FROM purges WHERE at < ?', now - settings.maxStore * 1000);
    const cap = settings.purgeMaxEntries;
    const count = this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM purges').one().n;
    if (count <= cap) return;
    const cut = this.sql.exec<{ at: number }>('SELECT at FROM purges ORDER BY at DESC LIMIT 1 OFFSET ?', cap).one().at;
    this.sql.exec('DELETE FROM purges WHERE at <= ?', cut);
    this.setMeta('everything', Math.max(this.meta('everything'), cut));
  }

  private snapshot(): PurgeSnapshot {
    const s: PurgeSnapshot = { version: this.meta('version'), everything: this.meta('everything'), urls: {}, prefixes: {}, tags: {} };
    for (const row of this.sql.exec<{ kind: string; value: string; at: number }>('SELECT kind, value, at FROM purges')) {
      const table = row.kind === 'url' ? s.urls : row.kind === 'prefix' ? s.prefixes : s.tags;
      table[row.value] = row.at;
    }
    return s;
  }

  private async publishSoon(): Promise<void> {
    const wait = this.lastPublished + 1000 - Date.now();
    if (wait <= 0) await this.publish();
    else if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + wait);
  }

  private async publish(): Promise<void> {
    this.lastPublished = Date.now();
    await this.env.EDGE_KV.put(SNAPSHOT_KEY, JSON.stringify(this.snapshot()));
  }
}
