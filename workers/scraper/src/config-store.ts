/**
 * ScrapeConfigStore: one Durable Object (named "config") holding the scrape configuration
 * set through `PUT /api/v1/config` (until then the SCRAPE_CONFIG var applies) and the
 * names of the jobs whose pools it started, so a job that leaves the configuration is
 * stopped (its series marked stale). Syncs are serialised here.
 */
import { DurableObject } from 'cloudflare:workers';
import { resolveScrapeConfig, type JobConfig, type ScrapeLimits } from './config';
import { scrapePool } from './scrape-pool';

/** The stored document, if any. */
export interface StoredConfig {
  document: string;
  updatedMs: number;
}

/** What a sync did. */
export interface SyncResult {
  source: 'api' | 'default';
  jobs: string[];
  targets: number;
  stopped: string[];
}

export class ScrapeConfigStore extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(
      'CREATE TABLE IF NOT EXISTS config (id INTEGER PRIMARY KEY CHECK (id = 1), document TEXT NOT NULL, updated_ms INTEGER NOT NULL)',
    );
    this.sql.exec('CREATE TABLE IF NOT EXISTS active_jobs (job_name TEXT PRIMARY KEY)');
  }

  /** The document set through the API, or null (the SCRAPE_CONFIG var applies). */
  stored(): StoredConfig | null {
    const row = this.sql
      .exec<{ document: string; updated_ms: number }>('SELECT document, updated_ms FROM config WHERE id = 1')
      .toArray()[0];
    return row === undefined ? null : { document: row.document, updatedMs: row.updated_ms };
  }

  /**
   * Stores `document` (already validated by the caller; null = back to the default) and
   * applies `defaultDocument`/`document` to the pools.
   */
  replace(document: string | null, defaultDocument: string, limits: ScrapeLimits): Promise<SyncResult> {
    return this.serialised(async () => {
      if (document === null) this.sql.exec('DELETE FROM config');
      else this.sql.exec('INSERT OR REPLACE INTO config (id, document, updated_ms) VALUES (1, ?, ?)', document, Date.now());
      return this.apply(defaultDocument, limits);
    });
  }

  /** Applies the current configuration to the pools (the cron calls this every minute). */
  sync(defaultDocument: string, limits: ScrapeLimits): Promise<SyncResult> {
    return this.serialised(() => this.apply(defaultDocument, limits));
  }

  private async apply(defaultDocument: string, limits: ScrapeLimits): Promise<SyncResult> {
    const stored = this.stored();
    const jobs: JobConfig[] = resolveScrapeConfig(JSON.parse(stored?.document ?? defaultDocument) as unknown, limits);
    const names = new Set(jobs.map((j) => j.jobName));
    const before = this.sql
      .exec<{ job_name: string }>('SELECT job_name FROM active_jobs')
      .toArray()
      .map((r) => r.job_name);
    const stopped = before.filter((n) => !names.has(n));
    for (const job of jobs) await scrapePool(this.env, job.jobName).configure(job);
    for (const name of stopped) await scrapePool(this.env, name).configure(null);
    this.ctx.storage.transactionSync(() => {
      this.sql.exec('DELETE FROM active_jobs');
      for (const n of names) this.sql.exec('INSERT INTO active_jobs (job_name) VALUES (?)', n);
    });
    return {
      source: stored === null ? 'default' : 'api',
      jobs: [...names],
      targets: jobs.reduce((n, j) => n + j.targets.length, 0),
      stopped,
    };
  }

  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
