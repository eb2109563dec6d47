/**
 * The edge's cache and purge settings, read from the Worker's vars and checked once per env
 * object (a malformed value throws an Error naming the var).
 */
import { ignoredParams } from './cache-key';
import type { FreshnessSettings } from './freshness';

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

function num(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`setting ${name} must be a non-negative number, got ${JSON.stringify(value)}`);
  return n;
}

const settingsMemo = new WeakMap<object, CacheSettings>();

/** Reads and checks the cache settings (once per env object). */
export function cacheSettings(env: CacheVars): CacheSettings {
  let settings = settingsMemo.get(env);
  if (!settings) {
    settings = readSettings(env);
    settingsMemo.set(env, settings);
  }
  return settings;
}

function readSettings(env: CacheVars): CacheSettings {
  return {
    defaultTtl: num(env.DEFAULT_TTL, 60, 'DEFAULT_TTL'),
    negativeTtl: num(env.NEGATIVE_TTL, 10, 'NEGATIVE_TTL'),
    heuristicMax: num(env.HEURISTIC_MAX_SECONDS, 86400, 'HEURISTIC_MAX_SECONDS'),
    staleRetain: num(env.STALE_RETAIN_SECONDS, 86400, 'STALE_RETAIN_SECONDS'),
    maxStore: num(env.MAX_STORE_SECONDS, 604800, 'MAX_STORE_SECONDS'),
    isIgnored: ignoredParams(env.IGNORED_QUERY_PARAMS ?? 'utm_*'),
    purgePollMs: num(env.PURGE_POLL_MS, 1000, 'PURGE_POLL_MS'),
    coalesceMaxBytes: num(env.COALESCE_MAX_BYTES, 16 * 1024 * 1024, 'COALESCE_MAX_BYTES'),
    originTimeoutMs: num(env.ORIGIN_TIMEOUT_MS, 10_000, 'ORIGIN_TIMEOUT_MS'),
    memoryBytes: num(env.MEMORY_CACHE_BYTES, 16 * 1024 * 1024, 'MEMORY_CACHE_BYTES'),
    memoryMaxObjectBytes: num(env.MEMORY_CACHE_MAX_OBJECT_BYTES, 256 * 1024, 'MEMORY_CACHE_MAX_OBJECT_BYTES'),
    memoryTtlMs: num(env.MEMORY_CACHE_TTL_MS, 1000, 'MEMORY_CACHE_TTL_MS'),
    purgeMaxEntries: num(env.PURGE_MAX_ENTRIES, 10_000, 'PURGE_MAX_ENTRIES'),
  };
}
