/** The timeline modes of `GET /users/:id/timeline?mode=`. */
export type TimelineMode = 'push' | 'pull' | 'hybrid';
/** The modes that keep a pushed timeline in the inbox Durable Object. */
export type PushedMode = 'push' | 'hybrid';

/** The feed's settings, read from wrangler vars (docs/feed.md, "Settings"). */
export interface FeedSettings {
  timelineCap: number;
  activeDays: number;
  hybridThreshold: number;
  followBackfill: number;
  maxPostLength: number;
  maxHandleLength: number;
  pageLimitDefault: number;
  pageLimitMax: number;
  fanoutChunk: number;
  fanoutConcurrency: number;
  /** Seconds a pending fan-out step waits before the sweep sends its message again (doubling per send). */
  fanoutResendSeconds: number;
  fanoutModes: PushedMode[];
  maxBodyBytes: number;
  bulkMaxItems: number;
  bulkMaxBodyBytes: number;
  adminRebuildMax: number;
}

const INTEGER_VARS = {
  timelineCap: ['TIMELINE_CAP', 800, 1],
  activeDays: ['ACTIVE_DAYS', 7, 1],
  hybridThreshold: ['HYBRID_THRESHOLD', 1000, 0],
  followBackfill: ['FOLLOW_BACKFILL', 200, 0],
  maxPostLength: ['MAX_POST_LENGTH', 500, 1],
  maxHandleLength: ['MAX_HANDLE_LENGTH', 30, 1],
  pageLimitDefault: ['PAGE_LIMIT_DEFAULT', 20, 1],
  pageLimitMax: ['PAGE_LIMIT_MAX', 40, 1],
  fanoutChunk: ['FANOUT_CHUNK', 100, 1],
  fanoutConcurrency: ['FANOUT_CONCURRENCY', 25, 1],
  fanoutResendSeconds: ['FANOUT_RESEND_SECONDS', 120, 1],
  maxBodyBytes: ['MAX_BODY_BYTES', 16384, 256],
  bulkMaxItems: ['BULK_MAX_ITEMS', 10000, 1],
  bulkMaxBodyBytes: ['BULK_MAX_BODY_BYTES', 2_000_000, 256],
  adminRebuildMax: ['ADMIN_REBUILD_MAX', 100, 1],
} as const satisfies Record<string, readonly [string, number, number]>;

/**
 * Reads and validates the settings. A malformed var is a deployment error: it throws (and
 * becomes a logged 500) rather than silently falling back to a default.
 */
export function readSettings(vars: Record<string, unknown>): FeedSettings {
  const out: Record<string, number> = {};
  for (const [key, [name, fallback, min]] of Object.entries(INTEGER_VARS)) {
    const raw = vars[name];
    if (raw === undefined || raw === '') {
      out[key] = fallback;
      continue;
    }
    const text = String(raw);
    if (!/^[0-9]{1,12}$/.test(text) || Number(text) < min) {
      throw new Error(`wrangler var ${name} must be an integer >= ${min}, got ${JSON.stringify(text)}`);
    }
    out[key] = Number(text);
  }
  const modesRaw = vars.FANOUT_MODES === undefined ? 'push,hybrid' : String(vars.FANOUT_MODES);
  const fanoutModes: PushedMode[] = [];
  for (const part of modesRaw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)) {
    if (part !== 'push' && part !== 'hybrid') {
      throw new Error(`wrangler var FANOUT_MODES may list only push and hybrid, got ${JSON.stringify(part)}`);
    }
    if (!fanoutModes.includes(part)) fanoutModes.push(part);
  }
  const settings = { ...(out as unknown as Omit<FeedSettings, 'fanoutModes'>), fanoutModes };
  if (settings.pageLimitDefault > settings.pageLimitMax) {
    throw new Error('wrangler var PAGE_LIMIT_DEFAULT must not exceed PAGE_LIMIT_MAX');
  }
  return settings;
}

/** Parses the `mode` query parameter; undefined when it is not a mode. */
export function parseMode(raw: string | undefined): TimelineMode | undefined {
  return raw === 'push' || raw === 'pull' || raw === 'hybrid' ? raw : undefined;
}
