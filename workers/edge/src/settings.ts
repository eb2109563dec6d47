/**
 * The edge's cache and purge settings: their schema (docs/edge.md, "Settings", is generated
 * from it) read through the one settings reader (@pushpull/http/settings: a malformed var
 * throws a SettingError naming it; the JSON error handler answers 500 "misconfigured").
 */
import { httpUrl, integer, custom, settingsSchema } from '@pushpull/http/settings';
import { telemetrySettingsSchema } from '@pushpull/telemetry/settings';
import { ignoredParams } from './cache-key';
import type { FreshnessSettings } from './freshness';

const doc = 'docs/edge.md';

/** The edge cache's settings schema. */
export const cacheSettingsSchema = settingsSchema({
  originUrl: httpUrl('ORIGIN_URL', 'http://127.0.0.1:8080', {
    doc,
    meaning: 'the origin pulled from (a base path is allowed); the only host ever fetched',
  }),
  defaultTtl: integer('DEFAULT_TTL', 60, {
    min: 0,
    doc,
    meaning:
      'seconds of freshness for a cacheable 200/203/204/300/301/308 with no freshness information and no `Last-Modified`; `0` = not stored',
  }),
  negativeTtl: integer('NEGATIVE_TTL', 10, { min: 0, doc, meaning: 'the same for 404/405/410/414/501 (never above `DEFAULT_TTL`)' }),
  heuristicMax: integer('HEURISTIC_MAX_SECONDS', 86400, {
    min: 0,
    doc,
    meaning: 'seconds: cap on the 10 %-of-`Last-Modified` heuristic (RFC 9111 §4.2.2)',
  }),
  isIgnored: custom('IGNORED_QUERY_PARAMS', 'utm_*,fbclid,gclid', {
    accepts: 'a comma-separated list of query parameter names (`*` at the end = prefix)',
    parse: ignoredParams,
    doc,
    meaning: 'query parameters left out of the cache key and of GET/HEAD requests sent upstream (`*` = prefix)',
  }),
  originTimeoutMs: integer('ORIGIN_TIMEOUT_MS', 10_000, {
    min: 1,
    doc,
    meaning: "milliseconds allowed for the origin's response headers (then 504, or stale-if-error)",
  }),
  staleRetain: integer('STALE_RETAIN_SECONDS', 86400, {
    min: 0,
    doc,
    meaning: 'seconds a stale entry with validators is kept for conditional revalidation',
  }),
  maxStore: integer('MAX_STORE_SECONDS', 604800, { min: 0, doc, meaning: 'seconds: upper bound on anything kept in the Cache API' }),
  purgePollMs: integer('PURGE_POLL_MS', 1000, { min: 0, doc, meaning: 'how often, in ms, an isolate re-reads the purge snapshot from KV' }),
  purgeMaxEntries: integer('PURGE_MAX_ENTRIES', 10_000, {
    min: 1,
    doc,
    meaning: 'purge records kept before the oldest fold into "everything before T"',
  }),
  memoryBytes: integer('MEMORY_CACHE_BYTES', 16 * 1024 * 1024, {
    min: 0,
    doc,
    meaning: "bytes of the isolate's memory tier in front of the Cache API (`0` = off)",
  }),
  memoryMaxObjectBytes: integer('MEMORY_CACHE_MAX_OBJECT_BYTES', 256 * 1024, {
    min: 0,
    doc,
    meaning: 'largest object, in bytes, kept in the memory tier',
  }),
  memoryTtlMs: integer('MEMORY_CACHE_TTL_MS', 1000, {
    min: 0,
    doc,
    meaning: 'milliseconds a memory copy is trusted before the Cache API is read again',
  }),
  coalesceMaxBytes: integer('COALESCE_MAX_BYTES', 16 * 1024 * 1024, {
    min: 0,
    doc,
    meaning:
      'bodies above this many bytes (by `Content-Length`) stream to one client and the cache instead of being held for collapsed requests',
  }),
});

/** The edge's self-metrics settings (TELEMETRY, TELEMETRY_FLUSH_MS, TELEMETRY_FLUSH_EVENTS; workers/edge/src/self-metrics.ts). */
export const edgeTelemetrySettings = telemetrySettingsSchema('docs/edge.md');

/** The cache's settings, from the Worker's vars. */
export interface CacheSettings extends FreshnessSettings {
  staleRetain: number;
  maxStore: number;
  isIgnored: (name: string) => boolean;
  purgePollMs: number;
  /** Bodies above this many bytes are streamed to one client and the cache, not buffered for collapsed requests. */
  coalesceMaxBytes: number;
  /** How long the origin has to send its response headers. */
  originTimeoutMs: number;
  /** The isolate's memory tier: total bytes (0 = off), largest object, how long an entry is trusted. */
  memoryBytes: number;
  memoryMaxObjectBytes: number;
  memoryTtlMs: number;
  /** Purge records kept before the oldest fold into "everything before T". */
  purgeMaxEntries: number;
}

/** The vars the cache and the purge log read. */
export interface CacheVars {
  ORIGIN_URL?: string;
  DEFAULT_TTL?: string;
  NEGATIVE_TTL?: string;
  HEURISTIC_MAX_SECONDS?: string;
  STALE_RETAIN_SECONDS?: string;
  MAX_STORE_SECONDS?: string;
  IGNORED_QUERY_PARAMS?: string;
  PURGE_POLL_MS?: string;
  COALESCE_MAX_BYTES?: string;
  ORIGIN_TIMEOUT_MS?: string;
  MEMORY_CACHE_BYTES?: string;
  MEMORY_CACHE_MAX_OBJECT_BYTES?: string;
  MEMORY_CACHE_TTL_MS?: string;
  PURGE_MAX_ENTRIES?: string;
}

/** Reads and checks the cache settings (once per env object); a malformed var throws a SettingError naming it. */
export function cacheSettings(env: CacheVars): CacheSettings {
  return cacheSettingsSchema.read(env);
}
