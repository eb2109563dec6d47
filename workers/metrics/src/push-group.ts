/**
 * One Pushgateway group (a grouping key such as {job="batch", instance="a"}) as a Durable
 * Object with SQLite storage. It keeps the group's current metric families, like the
 * Pushgateway's in-memory store, and turns them into samples of the time-series store:
 *
 * - every accepted push stores the group's current samples at the push time;
 * - an alarm re-emits the current samples every PUSH_INTERVAL_SECONDS (what a Prometheus
 *   scraping a Pushgateway records), so `[5m]` ranges and `rate()`-style history exist
 *   between pushes;
 * - series that leave the group (PUT without them, DELETE) get a staleness marker, as a
 *   Prometheus scrape marks series that disappeared from a target;
 * - each group has `push_time_seconds` and `push_failure_time_seconds` (0 until a push fails).
 *
 * Crash safety: a push first makes sure the alarm is set, then changes the group and records the
 * staleness markers it owes (`pending_stale`) in one transaction, then writes to the store. Whatever
 * a crash cuts off after the transaction, the alarm completes: it re-emits the current samples and
 * writes the owed markers, so the store converges on the group's state within one interval. A
 * deleted group's object is emptied by the alarm once its markers are written.
 *
 * Tables (docs/metrics.md, Storage):
 *   families(name TEXT PRIMARY KEY, samples TEXT)  samples = JSON [[labelsRecord, valueString], ...]
 *   meta(key TEXT PRIMARY KEY, value TEXT)         grouping, push_time_ms, failure_time_ms
 *   pending_stale(key TEXT PRIMARY KEY, labels TEXT, at_ms INTEGER)  markers owed to the store
 */
import { DurableObject } from 'cloudflare:workers';
import type { SeriesBatch } from '@pushpull/contracts/metrics';
import { readLimits } from './limits';
import { canonicalKey, prepareSeries, sortedLabelPairs } from './series';
import { flushFromObject, recordIngested } from './self-metrics';
import { writeSeries } from './store';

/** A family as the group stores it: labels already merged with the grouping key. */
export interface GroupFamily {
  name: string;
  samples: { labels: Record<string, string>; value: number }[];
}

/** Outcome of a push. */
export type PushOutcome = { ok: true; series: number } | { ok: false; message: string };

/** The Pushgateway group Durable Object. */
export class PushGroup extends DurableObject<Env> {
  /** Whether the tables exist: `deleteAll()` (DELETE) drops them while the object stays in memory. */
  private schemaReady = false;

  /** The object's SQLite storage, with its tables created first if they do not exist (again). */
  private get sql(): SqlStorage {
    const sql = this.ctx.storage.sql;
    if (!this.schemaReady) {
      sql.exec('CREATE TABLE IF NOT EXISTS families (name TEXT PRIMARY KEY, samples TEXT NOT NULL)');
      sql.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
      sql.exec('CREATE TABLE IF NOT EXISTS pending_stale (key TEXT PRIMARY KEY, labels TEXT NOT NULL, at_ms INTEGER NOT NULL)');
      this.schemaReady = true;
    }
    return sql;
  }

  private meta(key: string): string | undefined {
    const rows = this.sql.exec<{ value: string }>('SELECT value FROM meta WHERE key = ?', key).toArray();
    return rows[0]?.value;
  }

  private setMeta(key: string, value: string): void {
    this.sql.exec('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', key, value);
  }

  private families(): Map<string, GroupFamily> {
    const out = new Map<string, GroupFamily>();
    for (const row of this.sql.exec<{ name: string; samples: string }>('SELECT name, samples FROM families')) {
      const samples = (JSON.parse(row.samples) as [Record<string, string>, string][]).map(([labels, v]) => ({ labels, value: Number(v) }));
      out.set(row.name, { name: row.name, samples });
    }
    return out;
  }

  /** The series the group shows at `nowMs` (its samples plus the two push-time gauges). */
  private currentSeries(families: Map<string, GroupFamily>, grouping: Record<string, string>, nowMs: number): SeriesBatch[] {
    const out: SeriesBatch[] = [];
    for (const f of families.values()) {
      for (const s of f.samples) out.push({ labels: s.labels, timestamps: [nowMs], values: [s.value] });
    }
    const pushMs = Number(this.meta('push_time_ms') ?? 0);
    const failMs = Number(this.meta('failure_time_ms') ?? 0);
    out.push({ labels: { ...grouping, __name__: 'push_time_seconds' }, timestamps: [nowMs], values: [pushMs / 1000] });
    out.push({ labels: { ...grouping, __name__: 'push_failure_time_seconds' }, timestamps: [nowMs], values: [failMs / 1000] });
    return out;
  }

  /** Records staleness markers owed for `gone` at `atMs` (inside the caller's transaction). */
  private oweStale(gone: SeriesBatch[], atMs: number): void {
    for (const s of gone) {
      this.sql.exec(
        'INSERT INTO pending_stale (key, labels, at_ms) VALUES (?, ?, ?) ' +
          'ON CONFLICT (key) DO UPDATE SET labels = excluded.labels, at_ms = excluded.at_ms',
        canonicalKey(sortedLabelPairs(s.labels)),
        JSON.stringify(s.labels),
        atMs,
      );
    }
  }

  /** The staleness markers owed, as batches, and the rows they came from. */
  private owedStale(): { markers: SeriesBatch[]; rows: { key: string; at_ms: number }[] } {
    const rows = this.sql.exec<{ key: string; labels: string; at_ms: number }>('SELECT key, labels, at_ms FROM pending_stale').toArray();
    return {
      markers: rows.map((r) => ({
        labels: JSON.parse(r.labels) as Record<string, string>,
        timestamps: [r.at_ms],
        values: [NaN],
        staleAt: [0],
      })),
      rows,
    };
  }

  /** Forgets markers once written (a row re-owed meanwhile at another time stays). */
  private paid(rows: { key: string; at_ms: number }[]): void {
    for (const r of rows) this.sql.exec('DELETE FROM pending_stale WHERE key = ? AND at_ms = ?', r.key, r.at_ms);
  }

  /**
   * Applies a push: PUT (`replace`) replaces the whole group, POST replaces the families of the
   * same names. The new state is validated as a whole (duplicate series, store limits); an
   * invalid push changes nothing but `push_failure_time_seconds`.
   */
  async push(grouping: Record<string, string>, pushed: GroupFamily[], replace: boolean, nowMs: number): Promise<PushOutcome> {
    const limits = readLimits(this.env);
    const before = this.families();
    const hadGroup = this.meta('grouping') !== undefined;
    const oldSeries = hadGroup ? this.currentSeries(before, grouping, nowMs) : [];
    const after = replace ? new Map<string, GroupFamily>() : new Map(before);
    for (const f of pushed) after.set(f.name, f);

    const problem = checkGroup(after);
    const prepared = prepareSeries(
      [...after.values()].flatMap((f) => f.samples.map((s) => ({ labels: s.labels, timestamps: [nowMs], values: [s.value] }))),
      limits,
      nowMs,
    );
    if (problem || prepared.refused.length) {
      await this.recordFailure(grouping, nowMs);
      return { ok: false, message: problem ?? prepared.refused[0].message };
    }

    // The alarm first: it finishes whatever a crash leaves of this push (see the class comment).
    await this.ensureAlarm(limits.pushIntervalSeconds);
    // The series (label sets) the group shows after this push; their values are read after the transaction.
    const keep = new Set(this.currentSeries(after, grouping, nowMs).map((s) => canonicalKey(sortedLabelPairs(s.labels))));
    const gone = oldSeries.filter((s) => !keep.has(canonicalKey(sortedLabelPairs(s.labels))));
    this.ctx.storage.transactionSync(() => {
      this.sql.exec('DELETE FROM families');
      for (const f of after.values()) {
        const rows = f.samples.map((s) => [s.labels, String(s.value)]);
        this.sql.exec('INSERT INTO families (name, samples) VALUES (?, ?)', f.name, JSON.stringify(rows));
      }
      this.setMeta('grouping', JSON.stringify(grouping));
      this.setMeta('push_time_ms', String(nowMs));
      if (this.meta('failure_time_ms') === undefined) this.setMeta('failure_time_ms', '0');
      this.oweStale(gone, nowMs);
    });
    const current = this.currentSeries(after, grouping, nowMs);
    const owed = this.owedStale();
    const written = await writeSeries(this.env, [...current, ...owed.markers], nowMs, limits);
    this.paid(owed.rows);
    recordIngested(this.env, 'pushgateway', written.samples);
    flushFromObject(this.env, (p) => this.ctx.waitUntil(p));
    return { ok: true, series: current.length };
  }

  /**
   * A refused push: only `push_failure_time_seconds` changes (the group is created, empty,
   * when it did not exist, as the Pushgateway does).
   */
  async recordFailure(grouping: Record<string, string>, nowMs: number): Promise<void> {
    const limits = readLimits(this.env);
    await this.ensureAlarm(limits.pushIntervalSeconds);
    this.ctx.storage.transactionSync(() => {
      this.setMeta('grouping', JSON.stringify(grouping));
      this.setMeta('failure_time_ms', String(nowMs));
      if (this.meta('push_time_ms') === undefined) this.setMeta('push_time_ms', '0');
    });
    await writeSeries(this.env, this.currentSeries(this.families(), grouping, nowMs), nowMs, limits);
  }

  /**
   * DELETE: the group is forgotten and its series owe staleness markers (one transaction), which
   * are then written; the object is emptied. A crash in between leaves the markers to the alarm.
   */
  async remove(nowMs: number): Promise<void> {
    const groupingText = this.meta('grouping');
    if (groupingText !== undefined) {
      await this.ensureAlarm(readLimits(this.env).pushIntervalSeconds);
      const old = this.currentSeries(this.families(), JSON.parse(groupingText) as Record<string, string>, nowMs);
      this.ctx.storage.transactionSync(() => {
        this.sql.exec('DELETE FROM families');
        this.sql.exec('DELETE FROM meta');
        this.oweStale(old, nowMs);
      });
    }
    await this.settleDeleted(nowMs);
  }

  /**
   * For a deleted group: writes the markers it owes, then empties the object (deleteAll() drops the
   * tables too, so it costs nothing; a later push recreates them). Does nothing to a live group.
   */
  private async settleDeleted(nowMs: number): Promise<void> {
    const owed = this.owedStale();
    if (owed.markers.length > 0) {
      await writeSeries(this.env, owed.markers, nowMs);
      this.paid(owed.rows);
    }
    // A push may have arrived while the markers were written: then the group lives on.
    if (this.meta('grouping') !== undefined || this.owedStale().rows.length > 0) return;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.schemaReady = false;
  }

  /** The group's current state, for the status endpoint and tests. */
  async snapshot(): Promise<{
    grouping: Record<string, string>;
    families: GroupFamily[];
    pushTimeMs: number;
    failureTimeMs: number;
  } | null> {
    const groupingText = this.meta('grouping');
    if (groupingText === undefined) return null;
    return {
      grouping: JSON.parse(groupingText) as Record<string, string>,
      families: [...this.families().values()],
      pushTimeMs: Number(this.meta('push_time_ms') ?? 0),
      failureTimeMs: Number(this.meta('failure_time_ms') ?? 0),
    };
  }

  private async ensureAlarm(intervalSeconds: number): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + intervalSeconds * 1000);
  }

  /**
   * Re-emits the group's current values with the staleness markers it owes, the next re-emission
   * scheduled first (a failed write must not end the loop); a deleted group is settled instead.
   */
  override async alarm(): Promise<void> {
    const groupingText = this.meta('grouping');
    const now = Date.now();
    if (groupingText === undefined) {
      await this.settleDeleted(now);
      return;
    }
    const limits = readLimits(this.env);
    await this.ctx.storage.setAlarm(now + limits.pushIntervalSeconds * 1000);
    const owed = this.owedStale();
    const current = this.currentSeries(this.families(), JSON.parse(groupingText) as Record<string, string>, now);
    await writeSeries(this.env, [...current, ...owed.markers], now, limits);
    this.paid(owed.rows);
  }
}

/** Pushgateway's consistency check: no two samples of a group with the same labels. */
function checkGroup(families: Map<string, GroupFamily>): string | undefined {
  const seen = new Set<string>();
  for (const f of families.values()) {
    for (const s of f.samples) {
      const key = canonicalKey(sortedLabelPairs(s.labels));
      if (seen.has(key)) {
        return (
          `collected metric ${JSON.stringify(s.labels.__name__)} with labels ${key} was collected before with the same name and ` +
          `label values`
        );
      }
      seen.add(key);
    }
  }
  return undefined;
}
