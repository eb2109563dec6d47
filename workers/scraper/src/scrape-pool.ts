/**
 * ScrapePool: one Durable Object per job (Prometheus's "scrape pool"). It holds the job's
 * resolved configuration, each target's health and the series seen in its last scrape
 * (for staleness markers), and runs the job's scrape loop as an alarm that re-arms itself
 * every `scrape_interval` — so intervals below the one-minute cron granularity work. The
 * cron only (re)configures pools and re-arms a loop that stopped.
 */
import { DurableObject } from 'cloudflare:workers';
import type { SeriesBatch, SeriesRefusal } from '@pushpull/contracts/metrics';
import type { JobConfig, TargetConfig } from './config';
import { staleMarkers, staleReportSeries, type TrackedSeries } from './scrape-series';
import { mapLimited } from '@pushpull/http/concurrency';
import { scrapeTarget, type TargetOutcome } from './scrape-target';
import { scraperSettings } from './settings';

/** One target's health, as `GET /api/v1/targets` reports it. */
export interface TargetHealth {
  scrapePool: string;
  scrapeUrl: string;
  address: string;
  labels: Record<string, string>;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  /** ms since the epoch, 0 before the first scrape. */
  lastScrapeMs: number;
  lastScrapeDuration: number;
  lastSamples: number;
  scrapeIntervalMs: number;
  scrapeTimeoutMs: number;
}

/** What became of one target's batches in a write: `refused` indexes are its own (0 = its first batch). */
interface TargetWrite {
  refused: SeriesRefusal[];
  /** The write failed or was refused whole: nothing of the target was stored. */
  error?: string;
}

/** Stable offset of a job's first scrape within its interval (Prometheus spreads targets by hash too). */
function firstScrapeOffsetMs(jobName: string, intervalMs: number): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < jobName.length; k++) {
    h ^= jobName.charCodeAt(k);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % Math.max(1, Math.min(intervalMs, 15_000));
}

/** The pool (Durable Object) of a job. */
export function scrapePool(env: Env, jobName: string): DurableObjectStub<ScrapePool> {
  return env.SCRAPE_POOLS.get(env.SCRAPE_POOLS.idFromName(jobName));
}

export class ScrapePool extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  /** Last scrape's tracked series per target URL (loaded lazily from SQLite). */
  private readonly previous = new Map<string, Map<string, TrackedSeries>>();
  private round: Promise<TargetHealth[]> | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(
      `CREATE TABLE IF NOT EXISTS job (id INTEGER PRIMARY KEY CHECK (id = 1), config TEXT NOT NULL, updated_ms INTEGER NOT NULL)`,
    );
    this.sql.exec(`CREATE TABLE IF NOT EXISTS targets (
      scrape_url TEXT PRIMARY KEY, address TEXT NOT NULL, labels TEXT NOT NULL, health TEXT NOT NULL,
      last_error TEXT NOT NULL, last_scrape_ms INTEGER NOT NULL, last_duration_s REAL NOT NULL, last_samples INTEGER NOT NULL)`);
    this.sql.exec(
      `CREATE TABLE IF NOT EXISTS series (scrape_url TEXT NOT NULL, key TEXT NOT NULL, labels TEXT NOT NULL, PRIMARY KEY (scrape_url, ` +
        `key))`,
    );
  }

  /**
   * Sets (or, with null, removes) the job. Targets no longer configured get staleness
   * markers for all their series; the loop is armed if it is not.
   */
  async configure(job: JobConfig | null): Promise<void> {
    const old = this.job();
    const keep = new Set(job?.targets.map((t) => t.scrapeUrl) ?? []);
    const removed = old?.targets.filter((t) => !keep.has(t.scrapeUrl)) ?? [];
    if (removed.length > 0) await this.retire(removed);
    if (job === null) {
      this.sql.exec('DELETE FROM job');
      this.sql.exec('DELETE FROM targets');
      this.sql.exec('DELETE FROM series');
      this.previous.clear();
      await this.ctx.storage.deleteAlarm();
      return;
    }
    this.sql.exec('INSERT OR REPLACE INTO job (id, config, updated_ms) VALUES (1, ?, ?)', JSON.stringify(job), Date.now());
    for (const t of job.targets) {
      this.sql.exec(
        `INSERT INTO targets (scrape_url, address, labels, health, last_error, last_scrape_ms, last_duration_s, last_samples)
         VALUES (?, ?, ?, 'unknown', '', 0, 0, 0)
         ON CONFLICT (scrape_url) DO UPDATE SET address = excluded.address, labels = excluded.labels`,
        t.scrapeUrl,
        t.address,
        JSON.stringify(t.labels),
      );
    }
    const alarm = await this.ctx.storage.getAlarm();
    const intervalChanged = old !== undefined && old.scrapeIntervalMs !== job.scrapeIntervalMs;
    if (alarm === null || intervalChanged || alarm > Date.now() + job.scrapeIntervalMs) {
      await this.ctx.storage.setAlarm(Date.now() + firstScrapeOffsetMs(job.jobName, job.scrapeIntervalMs));
    }
  }

  /** The scrape loop: one round, then the next alarm one interval after this round started. */
  override async alarm(): Promise<void> {
    const job = this.job();
    if (job === undefined) return;
    const start = Date.now();
    try {
      await this.scrapeRound();
    } catch (err) {
      console.error(`scrape round of job ${job.jobName} failed:`, err);
    }
    const next = Math.max(start + job.scrapeIntervalMs, Date.now() + 100);
    await this.ctx.storage.setAlarm(next);
  }

  /** Scrapes every target now: waits for a round already running, then runs a fresh one. */
  async scrapeNow(): Promise<TargetHealth[]> {
    if (this.round !== undefined) await this.round.catch(() => undefined);
    return this.scrapeRound();
  }

  /** The targets' health. */
  health(): TargetHealth[] {
    const job = this.job();
    if (job === undefined) return [];
    const rows = this.sql
      .exec<{
        scrape_url: string;
        address: string;
        labels: string;
        health: string;
        last_error: string;
        last_scrape_ms: number;
        last_duration_s: number;
        last_samples: number;
      }>('SELECT * FROM targets ORDER BY scrape_url')
      .toArray();
    return rows.map((r) => ({
      scrapePool: job.jobName,
      scrapeUrl: r.scrape_url,
      address: r.address,
      labels: JSON.parse(r.labels) as Record<string, string>,
      health: r.health === 'up' || r.health === 'down' ? r.health : 'unknown',
      lastError: r.last_error,
      lastScrapeMs: r.last_scrape_ms,
      lastScrapeDuration: r.last_duration_s,
      lastSamples: r.last_samples,
      scrapeIntervalMs: job.scrapeIntervalMs,
      scrapeTimeoutMs: job.scrapeTimeoutMs,
    }));
  }

  /** The job as last configured. */
  private job(): JobConfig | undefined {
    const row = this.sql.exec<{ config: string }>('SELECT config FROM job WHERE id = 1').toArray()[0];
    return row === undefined ? undefined : (JSON.parse(row.config) as JobConfig);
  }

  private scrapeRound(): Promise<TargetHealth[]> {
    if (this.round !== undefined) return this.round;
    this.round = this.runRound().finally(() => {
      this.round = undefined;
    });
    return this.round;
  }

  private async runRound(): Promise<TargetHealth[]> {
    const job = this.job();
    if (job === undefined) return [];
    const { maxConcurrentScrapes: concurrency, writeBatchSeries: groupSeries } = scraperSettings(this.env);
    // Finished scrapes are written in groups (one RPC per group, one at a time): a round of
    // many small targets costs a few writes, not one per target. A target's series always
    // travel in one call.
    let pending: { target: TargetConfig; outcome: TargetOutcome }[] = [];
    let pendingSeries = 0;
    let writing: Promise<void> = Promise.resolve();
    const flush = (): Promise<void> => {
      const group = pending;
      pending = [];
      pendingSeries = 0;
      writing = writing.then(() => this.recordGroup(group));
      return writing;
    };
    await mapLimited(job.targets, concurrency, async (target) => {
      const outcome = await scrapeTarget(job, target, this.previousOf(target.scrapeUrl));
      pending.push({ target, outcome });
      pendingSeries += outcome.batches.length;
      if (pendingSeries >= groupSeries) await flush();
    });
    await flush();
    return this.health();
  }

  /** Writes a group of scrapes, then remembers each target's health and tracked series. */
  private async recordGroup(group: { target: TargetConfig; outcome: TargetOutcome }[]): Promise<void> {
    if (group.length === 0) return;
    const writes = await this.writeGroup(group.map((g) => g.outcome.batches));
    group.forEach(({ target, outcome: o }, k) => {
      const write = writes[k];
      let lastError = o.lastError;
      let health = o.health;
      // Every series refused (a target label too long, say): nothing of the target, `up` included,
      // was stored, so it is down as when the write fails, never up with nothing to show.
      const storedNothing = write.refused.length > 0 && write.refused.length === o.batches.length;
      const error =
        write.error ??
        (storedNothing ? `metrics store refused all ${write.refused.length} series: ${write.refused[0].message}` : undefined);
      if (error !== undefined) {
        health = 'down';
        lastError = lastError === '' ? error : `${lastError}; ${error}`;
      } else if (write.refused.length > 0 && lastError === '') {
        lastError = `metrics store refused ${write.refused.length} series: ${write.refused[0].message}`;
      }
      // No row updated: the target left the job while this scrape was in flight.
      const updated =
        this.sql
          .exec(
            'UPDATE targets SET health = ?, last_error = ?, last_scrape_ms = ?, last_duration_s = ?, last_samples = ? WHERE scrape_url ' +
              '= ? RETURNING 1',
            health,
            lastError,
            o.scrapeTimeMs,
            o.durationSeconds,
            o.samplesScraped,
            target.scrapeUrl,
          )
          .toArray().length > 0;
      if (!updated) return;
      // A failed (or wholly refused) write must not forget the series: the next scrape compares against them again.
      if (error === undefined) this.remember(target.scrapeUrl, o.tracked);
    });
  }

  /**
   * Writes several targets' batches in one call and tells each target what became of its own:
   * the store lists refused batches by index, so a refusal is attributed by position, never by
   * searching its message. When the call fails or is refused whole and it carried more than one
   * target, each target is written alone (writes are idempotent), so that one target's write
   * never fails another's.
   */
  private async writeGroup(perTarget: SeriesBatch[][]): Promise<TargetWrite[]> {
    const batches: SeriesBatch[] = [];
    const starts: number[] = [];
    for (const own of perTarget) {
      starts.push(batches.length);
      for (const b of own) batches.push(b);
    }
    const whole = await this.write(batches);
    if (whole.error === undefined) {
      return perTarget.map((own, k) => ({
        refused: whole.refused
          .filter((r) => r.index >= starts[k] && r.index < starts[k] + own.length)
          .map((r) => ({ index: r.index - starts[k], message: r.message })),
      }));
    }
    if (perTarget.length === 1) return [whole];
    const alone: TargetWrite[] = [];
    for (const own of perTarget) alone.push(await this.write(own));
    return alone;
  }

  private async write(batches: SeriesBatch[]): Promise<TargetWrite> {
    if (batches.length === 0) return { refused: [] };
    try {
      const result = await this.env.METRICS.write(batches);
      if (result.rejected !== undefined) return { refused: [], error: `metrics store refused the write: ${result.rejected}` };
      return { refused: result.refused };
    } catch (err) {
      return { refused: [], error: `write to the metrics store failed: ${err instanceof Error ? err.message : String(err)}` };
    }
  }

  private previousOf(url: string): Map<string, TrackedSeries> {
    let m = this.previous.get(url);
    if (m === undefined) {
      m = new Map();
      for (const r of this.sql.exec<{ key: string; labels: string }>('SELECT key, labels FROM series WHERE scrape_url = ?', url)) {
        m.set(r.key, { key: r.key, labels: JSON.parse(r.labels) as Record<string, string> });
      }
      this.previous.set(url, m);
    }
    return m;
  }

  /** Stores the diff between the last tracked set and this one. */
  private remember(url: string, tracked: TrackedSeries[]): void {
    const prev = this.previousOf(url);
    const next = new Map<string, TrackedSeries>();
    for (const t of tracked) next.set(t.key, t);
    this.ctx.storage.transactionSync(() => {
      for (const key of prev.keys()) if (!next.has(key)) this.sql.exec('DELETE FROM series WHERE scrape_url = ? AND key = ?', url, key);
      for (const [key, t] of next)
        if (!prev.has(key))
          this.sql.exec('INSERT INTO series (scrape_url, key, labels) VALUES (?, ?, ?)', url, key, JSON.stringify(t.labels));
    });
    this.previous.set(url, next);
  }

  /** Targets leaving the configuration: staleness markers for all their series (report series included). */
  private async retire(targets: TargetConfig[]): Promise<void> {
    const now = Date.now();
    for (const t of targets) {
      const batches = staleMarkers(this.previousOf(t.scrapeUrl).values(), new Set(), now);
      // t comes from the stored job, written together with its targets row: same labels.
      for (const b of staleReportSeries(t.labels, now)) batches.push(b);
      await this.write(batches);
      this.sql.exec('DELETE FROM series WHERE scrape_url = ?', t.scrapeUrl);
      this.sql.exec('DELETE FROM targets WHERE scrape_url = ?', t.scrapeUrl);
      this.previous.delete(t.scrapeUrl);
    }
  }
}
