/**
 * One shard of the time-series store: a Durable Object with SQLite storage.
 *
 * Tables (see docs/metrics.md, Storage):
 *   series(id INTEGER PRIMARY KEY, name TEXT, labels TEXT UNIQUE)  labels = canonical key
 *   samples(series_id INTEGER, ts INTEGER, value BLOB, PRIMARY KEY (series_id, ts)) WITHOUT ROWID
 *
 * Writes run in one transaction per call, in INSERT ... SELECT statements of up to 8192 rows
 * that bind only 2 parameters (well under the 100-parameter limit): a JSON array of
 * (series_id, ts) and a BLOB of the packed values; a duplicate (series, ts) keeps the last value.
 * Every series of the shard is kept in memory (labels, name index) for matching.
 * An alarm every hour deletes samples older than RETENTION_DAYS and series left empty.
 */
import { DurableObject } from 'cloudflare:workers';
import type { SeriesBatch } from '../../shared/metrics-contract';
import { readLimits } from './limits';
import { decodeValue } from './sample-value';
import { compileMatcher, matchesLabels, type CompiledMatcher, type LabelMatcher } from './selector';
import type { PreparedSeries } from './series';

/** Rows per INSERT statement (2 bound parameters whatever the count; JSON ~250 KB, BLOB 64 KB). */
const ROWS_PER_INSERT = 8192;
/**
 * One statement per chunk: ?1 is the JSON array [[series_id, first_row, [ts, ...]], ...], ?2 the packed values.
 * `WHERE true` disambiguates the upsert clause after a SELECT (sqlite.org/lang_upsert.html §2.2).
 */
const INSERT_ROWS = `INSERT INTO samples (series_id, ts, value)
  SELECT s.value ->> 0, t.value, substr(?2, ((s.value ->> 1) + t.key) * 8 + 1, 8)
  FROM json_each(?1) AS s, json_each(s.value, '$[2]') AS t WHERE true
  ON CONFLICT (series_id, ts) DO UPDATE SET value = excluded.value`;
/** The API's "no start" / "no end" times (0001-01-01, 9999-12-31T23:59:59Z), as Prometheus's. */
export const MIN_TIME_MS = -62135596800000;
export const MAX_TIME_MS = 253402300799000;
/** Milliseconds between retention passes. */
export const RETENTION_INTERVAL_MS = 3_600_000;

interface SeriesEntry {
  id: number;
  name: string;
  key: string;
  labels: Record<string, string>;
}

/** A read request to one shard. */
export interface ShardSelect {
  matchers: LabelMatcher[];
  /** Exclusive lower bound, ms. */
  afterMs: number;
  /** Inclusive upper bound, ms. */
  untilMs: number;
  /** Only the newest sample of each series in the window. */
  lastOnly?: boolean;
  /** Refuse (tooMany) once more samples than this would be returned. */
  maxSamples: number;
}

/** What {@link MetricsShard.select} answers. */
export interface ShardSelectResult {
  series: SeriesBatch[];
  samples: number;
  tooMany: boolean;
}

/** The store shard Durable Object. */
export class MetricsShard extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly byKey = new Map<string, SeriesEntry>();
  private readonly byName = new Map<string, SeriesEntry[]>();
  private alarmChecked = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS series (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      labels TEXT NOT NULL UNIQUE
    )`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS samples (
      series_id INTEGER NOT NULL,
      ts INTEGER NOT NULL,
      value BLOB NOT NULL,
      PRIMARY KEY (series_id, ts)
    ) WITHOUT ROWID`);
    for (const row of this.sql.exec<{ id: number; name: string; labels: string }>('SELECT id, name, labels FROM series')) {
      this.remember({ id: row.id, name: row.name, key: row.labels, labels: Object.fromEntries(JSON.parse(row.labels) as [string, string][]) });
    }
  }

  private remember(entry: SeriesEntry): void {
    this.byKey.set(entry.key, entry);
    const list = this.byName.get(entry.name);
    if (list) list.push(entry); else this.byName.set(entry.name, [entry]);
  }

  private forget(entry: SeriesEntry): void {
    this.byKey.delete(entry.key);
    const list = this.byName.get(entry.name);
    if (!list) return;
    const rest = list.filter((e) => e !== entry);
    if (rest.length) this.byName.set(entry.name, rest); else this.byName.delete(entry.name);
  }

  /** Stores validated series (one transaction: all of it or nothing). */
  async write(series: PreparedSeries[]): Promise<{ series: number; samples: number }> {
    const created: SeriesEntry[] = [];
    let samples = 0;
    try {
      this.ctx.storage.transactionSync(() => {
        // Rows go in chunks of up to ROWS_PER_INSERT through two bound parameters: a JSON array
        // of [series_id, first_row, [ts, ...]] per series and one BLOB of the packed 8-byte
        // values (sliced per row with substr), so a chunk is one statement and values stay bit-exact.
        let parts: string[] = [];
        let values = new Uint8Array(ROWS_PER_INSERT * 8);
        let rows = 0;
        const flush = (): void => {
          if (rows === 0) return;
          this.sql.exec(INSERT_ROWS, `[${parts.join(',')}]`, values.buffer.slice(0, rows * 8));
          parts = [];
          values = new Uint8Array(ROWS_PER_INSERT * 8);
          rows = 0;
        };
        for (const s of series) {
          let entry = this.byKey.get(s.key);
          if (!entry) {
            const row = this.sql.exec<{ id: number }>('INSERT INTO series (name, labels) VALUES (?, ?) RETURNING id', s.name, s.key).one();
            entry = { id: row.id, name: s.name, key: s.key, labels: Object.fromEntries(s.labels) };
            this.remember(entry);
            created.push(entry);
          }
          const bytes = new Uint8Array(s.values.buffer, s.values.byteOffset, s.values.byteLength);
          let i = 0;
          while (i < s.timestamps.length) {
            const take = Math.min(s.timestamps.length - i, ROWS_PER_INSERT - rows);
            parts.push(`[${entry.id},${rows},[${s.timestamps.subarray(i, i + take).join(',')}]]`);
            values.set(bytes.subarray(i * 8, (i + take) * 8), rows * 8);
            rows += take;
            i += take;
            if (rows === ROWS_PER_INSERT) flush();
          }
          samples += s.timestamps.length;
        }
        flush();
      });
    } catch (err) {
      // The transaction rolled back: so must the in-memory series it created.
      for (const entry of created) this.forget(entry);
      throw err;
    }
    await this.ensureAlarm();
    return { series: series.length, samples };
  }

  private async ensureAlarm(): Promise<void> {
    if (this.alarmChecked) return;
    if ((await this.ctx.storage.getAlarm()) === null) {
      await this.ctx.storage.setAlarm(Date.now() + RETENTION_INTERVAL_MS);
    }
    this.alarmChecked = true;
  }

  private matching(matchers: LabelMatcher[]): SeriesEntry[] {
    const compiled: CompiledMatcher[] = matchers.map(compileMatcher);
    const byName = matchers.find((m) => m.name === '__name__' && m.type === '=');
    const candidates = byName ? this.byName.get(byName.value) ?? [] : this.byKey.values();
    const out: SeriesEntry[] = [];
    for (const entry of candidates) if (matchesLabels(compiled, entry.labels)) out.push(entry);
    return out;
  }

  /** Samples of the matching series in (afterMs, untilMs], oldest first; stale markers flagged. */
  async select(req: ShardSelect): Promise<ShardSelectResult> {
    const result: ShardSelectResult = { series: [], samples: 0, tooMany: false };
    const query = req.lastOnly
      ? 'SELECT ts, value FROM samples WHERE series_id = ? AND ts > ? AND ts <= ? ORDER BY ts DESC LIMIT 1'
      : 'SELECT ts, value FROM samples WHERE series_id = ? AND ts > ? AND ts <= ? ORDER BY ts';
    for (const entry of this.matching(req.matchers)) {
      const timestamps: number[] = [];
      const values: number[] = [];
      const staleAt: number[] = [];
      for (const row of this.sql.exec(query, entry.id, req.afterMs, req.untilMs).raw()) {
        const ts = row[0] as number;
        const decoded = decodeValue(row[1] as ArrayBuffer);
        if (decoded.stale) staleAt.push(timestamps.length);
        timestamps.push(ts);
        values.push(decoded.value);
      }
      if (timestamps.length === 0) continue;
      result.samples += timestamps.length;
      if (result.samples > req.maxSamples) return { series: [], samples: result.samples, tooMany: true };
      const batch: SeriesBatch = { labels: entry.labels, timestamps, values };
      if (staleAt.length) batch.staleAt = staleAt;
      result.series.push(batch);
    }
    return result;
  }

  /** Label sets of the matching series having at least one sample in [startMs, endMs]. */
  async seriesLabels(matcherSets: LabelMatcher[][], startMs: number, endMs: number): Promise<Record<string, string>[]> {
    const seen = new Set<SeriesEntry>();
    const sets = matcherSets.length ? matcherSets : [[]];
    const unbounded = startMs <= MIN_TIME_MS && endMs >= MAX_TIME_MS;
    for (const matchers of sets) {
      for (const entry of matchers.length ? this.matching(matchers) : this.byKey.values()) {
        if (seen.has(entry)) continue;
        // Every stored series has a sample (retention deletes empty ones): an unbounded
        // window needs no lookup, which keeps label browsing cheap.
        if (unbounded || this.sql.exec('SELECT 1 FROM samples WHERE series_id = ? AND ts >= ? AND ts <= ? LIMIT 1', entry.id, startMs, endMs).toArray().length) {
          seen.add(entry);
        }
      }
    }
    return [...seen].map((e) => e.labels);
  }

  /** Retention: deletes samples older than RETENTION_DAYS, then series with no samples left. */
  override async alarm(): Promise<void> {
    this.applyRetention(Date.now());
    await this.ctx.storage.setAlarm(Date.now() + RETENTION_INTERVAL_MS);
  }

  /** One retention pass at `nowMs`; returns what it deleted. */
  applyRetention(nowMs: number): { samples: number; series: number } {
    const cutoff = nowMs - readLimits(this.env).retentionDays * 86_400_000;
    let samples = 0;
    let removed = 0;
    for (const entry of [...this.byKey.values()]) {
      samples += this.sql.exec('DELETE FROM samples WHERE series_id = ? AND ts < ?', entry.id, cutoff).rowsWritten;
      const left = this.sql.exec('SELECT 1 FROM samples WHERE series_id = ? LIMIT 1', entry.id).toArray();
      if (left.length === 0) {
        this.sql.exec('DELETE FROM series WHERE id = ?', entry.id);
        this.forget(entry);
        removed++;
      }
    }
    return { samples, series: removed };
  }

  /** Counts, for tests and the docs' sizing notes. */
  async stats(): Promise<{ series: number; samples: number }> {
    const row = this.sql.exec<{ n: number }>('SELECT count(*) AS n FROM samples').one();
    return { series: this.byKey.size, samples: row.n };
  }
}
