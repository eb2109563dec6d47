/**
 * Messages on the fan-out Queue (FANOUT_QUEUE). Ids are decimal strings.
 *
 * - `plan`: split an author's followers into ranges and enqueue one `deliver` per range.
 * - `deliver`: write (`insert`) or purge (`remove`) one post in the timelines of one range of
 *   the author's followers. Inserts go only to followers active in the last ACTIVE_DAYS.
 * - `rebuild`: refill the pushed timelines of a user who returned after being inactive.
 */
export type FanoutMessage = PlanMessage | DeliverMessage | RebuildMessage;

/** The two fan-out actions. */
export type FanoutAction = 'insert' | 'remove';

/** Plans the deliveries of one post. */
export interface PlanMessage {
  kind: 'plan';
  action: FanoutAction;
  postId: string;
  authorId: string;
  /** Whether the post goes into hybrid timelines too (author at or under HYBRID_THRESHOLD). */
  hybrid: boolean;
}

/** Delivers one post to the followers with ids in (after, through]. */
export interface DeliverMessage {
  kind: 'deliver';
  action: FanoutAction;
  postId: string;
  authorId: string;
  hybrid: boolean;
  after: string;
  through: string;
}

/** Rebuilds one user's pushed timelines. */
export interface RebuildMessage {
  kind: 'rebuild';
  userId: string;
}

const ID = /^[0-9]{1,19}$/;

/** Validates a message body; undefined when it is not a fan-out message (it is then dropped). */
export function parseFanoutMessage(body: unknown): FanoutMessage | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const m = body as Record<string, unknown>;
  const id = (v: unknown): v is string => typeof v === 'string' && ID.test(v);
  const action = (v: unknown): v is FanoutAction => v === 'insert' || v === 'remove';
  if (m.kind === 'rebuild') return id(m.userId) ? { kind: 'rebuild', userId: m.userId } : undefined;
  if (!action(m.action) || !id(m.postId) || !id(m.authorId) || typeof m.hybrid !== 'boolean') return undefined;
  if (m.kind === 'plan') {
    return { kind: 'plan', action: m.action, postId: m.postId, authorId: m.authorId, hybrid: m.hybrid };
  }
  if (m.kind === 'deliver' && id(m.after) && id(m.through)) {
    return {
      kind: 'deliver',
      action: m.action,
      postId: m.postId,
      authorId: m.authorId,
      hybrid: m.hybrid,
      after: m.after,
      through: m.through,
    };
  }
  return undefined;
}
