import { custom, integer, settingsSchema } from '@pushpull/http/settings';

/** The timeline modes of `GET /users/:id/timeline?mode=`. */
export type TimelineMode = 'push' | 'pull' | 'hybrid';
/** The modes that keep a pushed timeline in the inbox Durable Object. */
export type PushedMode = 'push' | 'hybrid';

const doc = 'docs/feed.md';

function fanoutModes(text: string): PushedMode[] {
  const modes: PushedMode[] = [];
  for (const part of text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)) {
    if (part !== 'push' && part !== 'hybrid') throw new Error(`${JSON.stringify(part)} is not a pushed mode`);
    if (!modes.includes(part)) modes.push(part);
  }
  return modes;
}

/**
 * The feed's settings schema, read through the one settings reader (@pushpull/http/settings;
 * docs/feed.md, "Settings", is generated from it). A malformed var is a deployment error: it
 * throws a SettingError naming the var (a logged 500 "misconfigured") rather than silently
 * falling back to a default.
 */
export const feedSettingsSchema = settingsSchema(
  {
    timelineCap: integer('TIMELINE_CAP', 800, {
      min: 1,
      doc,
      meaning: 'post ids kept per pushed timeline; older ids are trimmed on insert',
    }),
    activeDays: integer('ACTIVE_DAYS', 7, {
      min: 1,
      doc,
      meaning: 'followers without an authenticated request for longer get no fan-out writes; rebuilt on return',
    }),
    hybridThreshold: integer('HYBRID_THRESHOLD', 1000, {
      min: 0,
      doc,
      meaning: 'authors with *more* followers than this (at posting time) are not fanned out to hybrid timelines',
    }),
    followBackfill: integer('FOLLOW_BACKFILL', 200, {
      min: 0,
      doc,
      meaning: 'newest posts of a followed author copied on follow (0 = none)',
    }),
    maxPostLength: integer('MAX_POST_LENGTH', 500, { min: 1, doc, meaning: 'post length limit in Unicode code points' }),
    maxHandleLength: integer('MAX_HANDLE_LENGTH', 30, { min: 1, doc, meaning: 'handle length limit (`[a-z0-9_]`)' }),
    pageLimitDefault: integer('PAGE_LIMIT_DEFAULT', 20, { min: 1, doc, meaning: 'page size without `limit` (at most `PAGE_LIMIT_MAX`)' }),
    pageLimitMax: integer('PAGE_LIMIT_MAX', 40, { min: 1, doc, meaning: 'largest `limit` accepted (1..this)' }),
    fanoutChunk: integer('FANOUT_CHUNK', 100, { min: 1, doc, meaning: 'followers per `deliver` message' }),
    fanoutConcurrency: integer('FANOUT_CONCURRENCY', 25, {
      min: 1,
      doc,
      meaning: 'Durable Object writes in flight per message (locally 10 and 50 measured no faster)',
    }),
    fanoutResendSeconds: integer('FANOUT_RESEND_SECONDS', 120, {
      min: 1,
      doc,
      meaning: 'seconds a pending fan-out step waits before the sweep sends it again (the wait doubles per send, at most 64x)',
    }),
    fanoutModes: custom('FANOUT_MODES', 'push,hybrid', {
      accepts: 'a comma-separated list of push and hybrid',
      parse: fanoutModes,
      doc,
      meaning: 'which pushed timelines are maintained; a mode not listed answers 409 on read, and its writes are skipped',
    }),
    maxBodyBytes: integer('MAX_BODY_BYTES', 16384, { min: 256, doc, meaning: 'request body limit (413 beyond)' }),
    bulkMaxItems: integer('BULK_MAX_ITEMS', 10000, { min: 1, doc, meaning: 'users + follows per admin bulk request' }),
    bulkMaxBodyBytes: integer('BULK_MAX_BODY_BYTES', 2_000_000, { min: 256, doc, meaning: 'admin bulk body limit' }),
    adminRebuildMax: integer('ADMIN_REBUILD_MAX', 100, { min: 1, doc, meaning: 'users per `/admin/rebuild` request' }),
  },
  (s) => (s.pageLimitDefault > s.pageLimitMax ? { setting: 'PAGE_LIMIT_DEFAULT', problem: 'must not exceed PAGE_LIMIT_MAX' } : undefined),
);

/** The feed's settings. */
export type FeedSettings = ReturnType<typeof feedSettingsSchema.read>;

/** Reads and validates the settings (once per env object); a malformed var throws a SettingError naming it. */
export function readSettings(vars: object): FeedSettings {
  return feedSettingsSchema.read(vars);
}

/** Parses the `mode` query parameter; undefined when it is not a mode. */
export function parseMode(raw: string | undefined): TimelineMode | undefined {
  return raw === 'push' || raw === 'pull' || raw === 'hybrid' ? raw : undefined;
}
