/**
 * One shard of the time-series store: a Durable Object with SQLite storage.
 *
 * Tables (see docs/metrics.md, Storage):
 *   series(id INTEGER PRIMARY KEY, name TEXT, labels TEXT UNIQUE)  labels = canonical key
 *   samples(series_id INTEGER, ts INTEGER, value BLOB, PRIMARY KEY (series_id, ts)) WITHOUT ROWID
 *   samples_log(series_id INTEGER, ts INTEGER, value BLOB)  samples not yet merged, in write order (rowid)
 *
 * A write appends its samples to `samples_log`, one row per sample (one transaction per call,
 * all of it or nothing). Appending touches only the end of one table, where inserting into
 * `samples` touches at least one page per series: that made ingest slow once `samples` outgrew
 * SQLite's page cache. Once the log holds SAMPLE_LOG_MERGE_SAMPLES samples, and before anything reads
 * samples, the log is merged into `samples` in one statement sorted by (series_id, ts, rowid),
 * so each page of `samples` is visited once per merge and a duplicate (series, ts) keeps the
 * value written last. The log is also merged by the shard's alarm once no write came for
 * SAMPLE_LOG_IDLE_SECONDS, so that reads after a burst rarely pay for a merge.
 * Every statement binds at most 4 parameters (the limit is 100).
 * Every series of the shard is kept in memory (labels, name index) for matching.
 * The alarm also runs retention every hour (the next pass time is kept under the storage key
 * `retention_due`): it deletes samples older than RETENTION_DAYS and series left empty.
 */
import { DurableObject } from 'cloudflare:workers';
import type { SeriesBatch } from '@pushpull/contracts/metrics';
import { readLimits } from './limits';
import { createMetadataTable, loadMetadata, storeMetadata, type MetricMetadata } from './metadata';
import { decodeValue } from './sample-value';
import { compileMatcher, matchesLabels, type CompiledMatcher, type LabelMatcher } from './selector';
import type { ShardWrite } from './series';

/** Samples per append statement (4 bound parameters whatever the count; JSON ~120 KB, BLOBs ~64 KB each). */
const SAMPLES_PER_APPEND = 8192;
/**
 * One append per chunk: ?3 the JSON array of timestamps (one row each, `key` is the row index),
 * ?4 the packed 8-byte values, ?1 the series ids as ?2-digit decimals, zero-padded. SQLite reads
 * a BLOB cast to INTEGER as its text (sqlite.org/lang_expr.html#castexpr); substr of a BLOB is
 * by byte offset, so every row costs the same whatever its index.
 */
const APPEND_LOG = `INSERT INTO samples_log (series_id, ts, value)
  SELECT CAST(substr(?1, t.key * ?2 + 1, ?2) AS INTEGER), t.value, substr(?4, t.key * 8 + 1, 8)
  FROM json_each(?3) AS t`;
/**
 * The merge: every logged sample into `samples`, in key order and, for a duplicate (series, ts),
 * in write order, so that the value written last wins. `WHERE true` disambiguates the upsert
 * clause after a SELECT (sqlite.org/lang_upsert.html §2.2).
 */
const MERGE_LOG = `INSERT INTO samples (series_id, ts, value)
  SELECT series_id, ts, value FROM samples_log WHERE true ORDER BY series_id, ts, rowid
  ON CONFLICT (series_id, ts) DO UPDATE SET value = excluded.value`;
/** The API's "no start" / "no end" times (0001-01-01, 9999-12-31T23:59:59Z), as Prometheus's. */
export const MIN_TIME_MS = -62135596800000;
export const MAX_TIME_MS = 253402300799000;
/** Milliseconds between retention passes. */
const RETENTION_INTERVAL_MS = 3_600_000;
/** Storage key (the Durable Object's key-value API) of the time the next retention pass is due. */
const RETENTION_DUE_KEY = 'retention_due';

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
  /** When the alarm is set for (ms), as far as this instance knows; undefined: not known yet. */
  private alarmAt: number | undefined;
  /** Samples in `samples_log` (duplicates included). */
  private logSamples: number;
  /** Time of the last write (ms): the idle merge waits SAMPLE_LOG_IDLE_SECONDS past it. */
  private lastWriteMs = 0;
  /**
   * Log samples that make the next write merge the log first (SAMPLE_LOG_MERGE_SAMPLES). Larger
   * merges cost less per sample (fewer visits per page of `samples`) but pause the shard longer:
   * about 0.2-0.6 s for 200,000 samples locally. A field so that tests can reach the edge cheaply.
   */
  logMergeSamples: number;
  /** SAMPLE_LOG_IDLE_SECONDS in ms. */
  logIdleMs: number;
  /** Writes this instance has taken since it started, and their samples (GET /api/v1/status/store). */
  private writes = { calls: 0, samples: 0, since: Date.now() };

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    const limits = readLimits(env);
    this.logMergeSamples = limits.sampleLogMergeSamples;
    this.logIdleMs = limits.sampleLogIdleSeconds * 1000;
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
    this.sql.exec(`CREATE TABLE IF NOT EXISTS samples_log (
      series_id INTEGER NOT NULL,
      ts INTEGER NOT NULL,
      value BLOB NOT NULL
    )`);
    createMetadataTable(this.sql);
    this.logSamples = this.sql.exec<{ n: number }>('SELECT count(*) AS n FROM samples_log').one().n;
    for (const row of this.sql.exec<{ id: number; name: string; labels: string }>('SELECT id, name, labels FROM series')) {
      this.remember({
        id: row.id,
        name: row.name,
        key: row.labels,
        labels: Object.fromEntries(JSON.parse(row.labels) as [string, string][]),
      });
    }
  }

  private remember(entry: SeriesEntry): void {
    this.byKey.set(entry.key, entry);
    const list = this.byName.get(entry.name);
    if (list) list.push(entry);
    else this.byName.set(entry.name, [entry]);
  }

  private forget(entry: SeriesEntry): void {
    this.byKey.delete(entry.key);
    const list = this.byName.get(entry.name);
    if (!list) return;
    const rest = list.filter((e) => e !== entry);
    if (rest.length) this.byName.set(entry.name, rest);
    else this.byName.delete(entry.name);
  }

  /**
   * Stores one shard's share of a write, in columns (see {@link ShardWrite}): new series and
   * every sample in one transaction, all of it or nothing.
   */
  async writeColumns(batch: ShardWrite): Promise<{ series: number; samples: number }> {
    const keys = batch.keys === '' ? [] : batch.keys.split('\n');
    const { counts, timestamps, values } = batch;
    let total = 0;
    for (let k = 0; k < counts.length; k++) total += counts[k];
    if (keys.length !== counts.length || total !== timestamps.length || total !== values.length) {
      throw new Error(
        `malformed shard write: ${keys.length} keys, ${counts.length} counts (${total} samples), ${timestamps.length} timestamps, ` +
          `${values.length} values`,
      );
    }
    if (this.logSamples >= this.logMergeSamples) this.mergeLog();
    const created: SeriesEntry[] = [];
    try {
      this.ctx.storage.transactionSync(() => {
        const ids = new Float64Array(keys.length);
        let maxId = 0;
        for (let k = 0; k < keys.length; k++) {
          const entry = this.byKey.get(keys[k]) ?? this.createSeries(keys[k], created);
          ids[k] = entry.id;
          if (entry.id > maxId) maxId = entry.id;
        }
        this.appendLog(ids, maxId, counts, timestamps, values);
      });
    } catch (err) {
      // The transaction rolled back: so must the in-memory series it created.
      for (const entry of created) this.forget(entry);
      throw err;
    }
    this.logSamples += total;
    this.writes.calls++;
    this.writes.samples += total;
    this.lastWriteMs = Date.now();
    await this.ensureAlarm(this.lastWriteMs + this.logIdleMs);
    return { series: keys.length, samples: total };
  }

  private createSeries(key: string, created: SeriesEntry[]): SeriesEntry {
    const pairs = JSON.parse(key) as [string, string][];
    const labels = Object.fromEntries(pairs);
    const name = labels.__name__ ?? '';
    const row = this.sql.exec<{ id: number }>('INSERT INTO series (name, labels) VALUES (?, ?) RETURNING id', name, key).one();
    const entry: SeriesEntry = { id: row.id, name, key, labels };
    this.remember(entry);
    created.push(entry);
    return entry;
  }

  /** Appends the samples to the log, one row each, SAMPLES_PER_APPEND per statement (inside the caller's transaction). */
  private appendLog(ids: Float64Array, maxId: number, counts: Uint32Array, timestamps: Float64Array, values: Float64Array): void {
    const width = String(maxId).length;
    const valueBytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    // Decimal digits of each series id, zero-padded to `width`, copied once per sample.
    const digits = new Uint8Array(ids.length * width);
    for (let k = 0; k < ids.length; k++) {
      let id = ids[k];
      for (let d = width - 1; d >= 0; d--) {
        digits[k * width + d] = 48 + (id % 10);
        id = Math.floor(id / 10);
      }
    }
    let series = 0;
    let left = counts.length ? counts[0] : 0;
    for (let start = 0; start < timestamps.length; start += SAMPLES_PER_APPEND) {
      const end = Math.min(start + SAMPLES_PER_APPEND, timestamps.length);
      const idBytes = new Uint8Array((end - start) * width);
      for (let row = 0; row < end - start; row++) {
        while (left === 0) left = counts[++series];
        for (let d = 0; d < width; d++) idBytes[row * width + d] = digits[series * width + d];
        left--;
      }
      this.sql.exec(
        APPEND_LOG,
        idBytes.buffer,
        width,
        `[${timestamps.subarray(start, end).join(',')}]`,
        valueBytes.slice(start * 8, end * 8).buffer,
      );
    }
  }

  /**
   * Moves every logged sample into `samples` (one transaction), so that reads see one table.
   * Runs before a write once the log holds `logMergeSamples` samples, and before reads of samples.
   */
  mergeLog(): void {
    if (this.logSamples === 0) return;
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(MERGE_LOG);
      this.sql.exec('DELETE FROM samples_log');
    });
    this.logSamples = 0;
  }

  /** Makes sure the alarm fires by `at` (it may fire earlier, never later than it was set for). */
  private async ensureAlarm(at: number): Promise<void> {
    this.alarmAt ??= (await this.ctx.storage.getAlarm()) ?? Number.POSITIVE_INFINITY;
    if (this.alarmAt <= at) return;
    await this.ctx.storage.setAlarm(at);
    this.alarmAt = at;
  }

  private matching(matchers: LabelMatcher[]): SeriesEntry[] {
    const compiled: CompiledMatcher[] = matchers.map(compileMatcher);
    const byName = matchers.find((m) => m.name === '__name__' && m.type === '=');
    const candidates = byName ? (this.byName.get(byName.value) ?? []) : this.byKey.values();
    const out: SeriesEntry[] = [];
    for (const entry of candidates) if (matchesLabels(compiled, entry.labels)) out.push(entry);
    return out;
  }

  /** Samples of the matching series in (afterMs, untilMs], oldest first; stale markers flagged. */
  async select(req: ShardSelect): Promise<ShardSelectResult> {
    this.mergeLog();
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

  /** Stores TYPE/HELP/UNIT entries of the families hashed to this shard (metadata.ts). */
  async writeMetadata(entries: MetricMetadata[]): Promise<void> {
    storeMetadata(this.sql, entries, Date.now());
  }

  /** This shard's metadata entries, of one family when `metric` is given. */
  async metadata(metric?: string): Promise<MetricMetadata[]> {
    return loadMetadata(this.sql, metric);
  }

  /** Label sets of the matching series having at least one sample in [startMs, endMs]. */
  async seriesLabels(matcherSets: LabelMatcher[][], startMs: number, endMs: number): Promise<Record<string, string>[]> {
    const seen = new Set<SeriesEntry>();
    const sets = matcherSets.length ? matcherSets : [[]];
    const unbounded = startMs <= MIN_TIME_MS && endMs >= MAX_TIME_MS;
    if (!unbounded) this.mergeLog();
    for (const matchers of sets) {
      for (const entry of matchers.length ? this.matching(matchers) : this.byKey.values()) {
        if (seen.has(entry)) continue;
        // Every stored series has a sample (retention deletes empty ones): an unbounded
        // window needs no lookup, which keeps label browsing cheap.
        if (
          unbounded ||
          this.sql.exec('SELECT 1 FROM samples WHERE series_id = ? AND ts >= ? AND ts <= ? LIMIT 1', entry.id, startMs, endMs).toArray()
            .length
        ) {
          seen.add(entry);
        }
      }
    }
    return [...seen].map((e) => e.labels);
  }

  /** Retention: deletes samples older than RETENTION_DAYS, then series with no samples left. */
  /**
   * Merges the log once writes have paused for SAMPLE_LOG_IDLE_SECONDS, runs retention when its
   * hour has come, and sets the alarm for whichever comes next.
   */
  override async alarm(): Promise<void> {
    const now = Date.now();
    if (this.logSamples > 0 && now - this.lastWriteMs >= this.logIdleMs) this.mergeLog();
    let due = await this.ctx.storage.get<number>(RETENTION_DUE_KEY);
    if (due === undefined || now >= due) {
      if (due !== undefined) this.applyRetention(now);
      due = now + RETENTION_INTERVAL_MS;
      await this.ctx.storage.put(RETENTION_DUE_KEY, due);
    }
    const next = this.logSamples > 0 ? Math.min(due, Math.max(now, this.lastWriteMs) + this.logIdleMs) : due;
    await this.ctx.storage.setAlarm(next);
    this.alarmAt = next;
  }

  /** One retention pass at `nowMs`; returns what it deleted. */
  applyRetention(nowMs: number): { samples: number; series: number } {
    this.mergeLog();
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

  /** Write calls and samples taken since this instance started (in memory: a restart starts again at 0). */
  async writeCounts(): Promise<{ writeCalls: number; samplesWritten: number; sinceMs: number }> {
    return { writeCalls: this.writes.calls, samplesWritten: this.writes.samples, sinceMs: this.writes.since };
  }

  /** Counts, for tests and the docs' sizing notes. */
  async stats(): Promise<{ series: number; samples: number }> {
    this.mergeLog();
    const row = this.sql.exec<{ n: number }>('SELECT count(*) AS n FROM samples').one();
    return { series: this.byKey.size, samples: row.n };
  }
}
