/**
 * The cache's time. Every decision about freshness, age, expiry, staleness and how long a copy
 * is trusted reads it from a {@link Clock} passed in (STYLE habit 12), never from `Date.now()`
 * directly, so that tests set instants instead of sleeping.
 */

/** Where the cache reads the time. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** The runtime's clock: what a deployed Worker uses (on Workers it advances across I/O only). */
export const systemClock: Clock = { now: () => Date.now() };
