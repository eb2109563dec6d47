import type { InboxInsert, InboxWriteCounts } from './inbox';
import type { PushedMode } from './settings';
import { MAX_ID } from './snowflake';

/** A range of follower ids: `after` exclusive, `through` inclusive, decimal strings. */
export interface FollowerRange {
  after: string;
  through: string;
}

/**
 * Splits an author's follower ids (ascending) into ranges of at most `chunk` followers, one
 * per fan-out queue message. The last range runs to the largest id so that a follower added
 * while the fan-out is in flight is not missed by a range boundary (they also get a backfill).
 */
export function planFollowerRanges(sortedFollowerIds: readonly string[], chunk: number): FollowerRange[] {
  if (!Number.isInteger(chunk) || chunk < 1) throw new RangeError('chunk must be a positive integer');
  if (sortedFollowerIds.length === 0) return [];
  const ranges: FollowerRange[] = [];
  let after = '0';
  for (let i = 0; i < sortedFollowerIds.length; i += chunk) {
    const last = i + chunk >= sortedFollowerIds.length;
    const through = last ? MAX_ID.toString() : sortedFollowerIds[i + chunk - 1];
    ranges.push({ after, through });
    after = through;
  }
  return ranges;
}

/**
 * The maintained pushed timelines (FANOUT_MODES) a post goes into: push timelines take every
 * post, hybrid ones only posts flagged for hybrid (author at or under HYBRID_THRESHOLD, or
 * the reader's own post).
 */
export function timelinesFor(fanoutModes: readonly PushedMode[], hybrid: boolean): PushedMode[] {
  return fanoutModes.filter((mode) => mode === 'push' || hybrid);
}

/** The inbox insert that puts each post into the timelines {@link timelinesFor} names. */
export function inboxInsertFor(
  fanoutModes: readonly PushedMode[],
  posts: readonly { postId: string; authorId: string; hybrid: boolean }[],
): InboxInsert {
  const entries: InboxInsert = {};
  for (const { postId, authorId, hybrid } of posts) {
    for (const mode of timelinesFor(fanoutModes, hybrid)) (entries[mode] ??= []).push({ postId, authorId });
  }
  return entries;
}

/** The rows written per timeline by the inserts among `results` that succeeded. */
export function writtenRows(results: readonly PromiseSettledResult<InboxWriteCounts>[]): InboxWriteCounts {
  const written: InboxWriteCounts = { push: 0, hybrid: 0 };
  for (const r of results) {
    if (r.status === 'fulfilled') {
      written.push += r.value.push;
      written.hybrid += r.value.hybrid;
    }
  }
  return written;
}
