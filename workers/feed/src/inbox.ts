import { DurableObject } from 'cloudflare:workers';
import type { PageWindow } from './page-window';
import type { PushedMode } from './settings';
import { MAX_ID } from './snowflake';

/** One pushed timeline entry: a post id and its author (ids as decimal strings). */
export interface InboxEntry {
  postId: string;
  authorId: string;
  /** Kept by an unfollow with keep_history=true: shown although the author is not followed. */
  kept?: boolean;
}

/** Entries to insert per pushed timeline. */
export type InboxInsert = Partial<Record<PushedMode, InboxEntry[]>>;

/** What an insert did: rows newly written per timeline (re-inserting an id writes 0). */
export type InboxWriteCounts = Record<PushedMode, number>;

/** A page of a pushed timeline. */
export interface InboxPage {
  entries: InboxEntry[];
  /** True while a rebuild for a returning inactive user is pending. */
  rebuilding: boolean;
  /** When the pending rebuild was requested (ms), 0 when none. */
  rebuildingSince: number;
  rowsRead: number;
}

const TABLES: Record<PushedMode, string> = { push: 'timeline_push', hybrid: 'timeline_hybrid' };
const MODES: readonly PushedMode[] = ['push', 'hybrid'];

/**
 * One user's pushed timelines (fan-out on write), in the Durable Object's SQLite:
 * `timeline_push` (every followed author) and `timeline_hybrid` (authors at or under
 * HYBRID_THRESHOLD followers), each capped at TIMELINE_CAP post ids, plus `meta`.
 * Each entry also has `kept` (1 = history kept by an unfollow with keep_history=true).
 * Inserts are idempotent (`INSERT OR IGNORE` on the post id) because Queues deliver at
 * least once; pages come out ordered by id.
 */
export class TimelineInbox extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.hasSchema = this.sql.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'`).toArray().length > 0;
  }

  /**
   * Whether the tables exist. They are created by the first write, not by the constructor:
   * reads (which may run before the reader's token is checked) never write storage.
   */
  private hasSchema: boolean;

  private ensureSchema(): void {
    if (this.hasSchema) return;
    for (const table of Object.values(TABLES)) {
      this.sql.exec(
        `CREATE TABLE IF NOT EXISTS ${table} (post_id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL, kept INTEGER NOT NULL DEFAULT 0)`,
      );
      this.sql.exec(`CREATE INDEX IF NOT EXISTS ${table}_author ON ${table} (author_id)`);
    }
    this.sql.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    this.hasSchema = true;
  }

  /** Entries per timeline, counted once then kept in memory, so trimming runs only when over the cap. */
  private sizes: Partial<Record<PushedMode, number>> = {};

  /**
   * Inserts entries (idempotently) and trims each touched timeline to `cap` newest ids.
   * Per entry one `INSERT OR IGNORE` (its rowsWritten says whether it was new); the size is
   * counted once per object lifetime and then tracked, so a timeline under the cap costs no
   * further query and one over it deletes exactly the excess oldest ids.
   */
  insert(entries: InboxInsert, cap: number): InboxWriteCounts {
    const counts: InboxWriteCounts = { push: 0, hybrid: 0 };
    const sizes: Partial<Record<PushedMode, number>> = {};
    this.ensureSchema();
    this.ctx.storage.transactionSync(() => {
      for (const mode of MODES) {
        const list = entries[mode];
        if (!list || list.length === 0) continue;
        const table = TABLES[mode];
        const before = this.sizes[mode] ?? this.count(table);
        for (const entry of list) {
          const cursor = this.sql.exec(`INSERT OR IGNORE INTO ${table} (post_id, author_id) VALUES (?, ?)`, entry.postId, entry.authorId);
          if (cursor.rowsWritten > 0) counts[mode]++;
        }
        let size = before + counts[mode];
        if (size > cap) {
          this.sql.exec(`DELETE FROM ${table} WHERE post_id IN (SELECT post_id FROM ${table} ORDER BY post_id LIMIT ?)`, size - cap);
          size = cap;
        }
        sizes[mode] = size;
      }
    });
    // Only once committed: a rolled-back insert must not leave a wrong size behind.
    Object.assign(this.sizes, sizes);
    return counts;
  }

  /** Removes every entry by `authorId` (unfollow). Returns rows removed. */
  removeAuthor(authorId: string): number {
    if (!this.hasSchema) return 0;
    this.sizes = {};
    return this.execEachTable((table) => `DELETE FROM ${table} WHERE author_id = ?`, authorId);
  }

  /** Marks every entry by `authorId` as kept history (unfollow with keep_history=true). */
  keepAuthor(authorId: string): number {
    if (!this.hasSchema) return 0;
    return this.execEachTable((table) => `UPDATE ${table} SET kept = 1 WHERE author_id = ?`, authorId);
  }

  /** Removes the given post ids (deleted posts). Returns rows removed. */
  removePosts(postIds: string[]): number {
    if (!this.hasSchema) return 0;
    this.sizes = {};
    let removed = 0;
    for (const id of postIds) removed += this.execEachTable((table) => `DELETE FROM ${table} WHERE post_id = ?`, id);
    return removed;
  }

  /** Runs one statement on each timeline table; returns the rows it changed in all. */
  private execEachTable(statement: (table: string) => string, binding: string): number {
    let changed = 0;
    for (const table of Object.values(TABLES)) {
      this.sql.exec(statement(table), binding);
      changed += this.changes();
    }
    return changed;
  }

  /** The entries of one pushed timeline inside `window`, newest first. */
  page(mode: PushedMode, window: PageWindow): InboxPage {
    if (!this.hasSchema) return { entries: [], rebuilding: false, rebuildingSince: 0, rowsRead: 0 };
    const table = TABLES[mode];
    const after = (window.after ?? 0n).toString();
    const before = (window.before ?? MAX_ID).toString();
    const cursor = this.sql.exec<{ post_id: string; author_id: string; kept: number }>(
      `SELECT CAST(post_id AS TEXT) AS post_id, CAST(author_id AS TEXT) AS author_id, kept FROM ${table}
       WHERE post_id > ? AND post_id < ? ORDER BY post_id ${window.ascending ? 'ASC' : 'DESC'} LIMIT ?`,
      after,
      before,
      window.limit,
    );
    const entries = cursor.toArray().map((row) => ({ postId: row.post_id, authorId: row.author_id, kept: row.kept === 1 }));
    if (window.ascending) entries.reverse();
    const since = this.rebuildingSince();
    return { entries, rebuilding: since > 0, rebuildingSince: since, rowsRead: cursor.rowsRead };
  }

  /** Does nothing: one bare call, the floor the bench compares a fan-out write with (`POST /admin/probe`). */
  probe(): number {
    return 0;
  }

  /** Number of entries per timeline (for tests and the bench). */
  size(): InboxWriteCounts {
    if (!this.hasSchema) return { push: 0, hybrid: 0 };
    return { push: this.count(TABLES.push), hybrid: this.count(TABLES.hybrid) };
  }

  private count(table: string): number {
    return this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).one().n;
  }

  /** Marks the timeline as being rebuilt (a returning inactive user); reads answer 206 until done. */
  markRebuilding(): void {
    this.ensureSchema();
    this.sql.exec(`INSERT OR REPLACE INTO meta (key, value) VALUES ('rebuilding', ?)`, String(Date.now()));
  }

  /** Ends a rebuild started by {@link markRebuilding}. */
  finishRebuild(): void {
    if (!this.hasSchema) return;
    this.sql.exec(`DELETE FROM meta WHERE key = 'rebuilding'`);
  }

  private rebuildingSince(): number {
    const row = this.sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'rebuilding'`).toArray()[0];
    return row ? Number(row.value) : 0;
  }

  private changes(): number {
    return this.sql.exec<{ n: number }>('SELECT changes() AS n').one().n;
  }
}
