/**
 * Everything the cache keeps in an isolate between requests, in one object: the upstream
 * exchanges in flight (single-flight), the keys being revalidated in the background, and the
 * memory tier with the parsed bookkeeping of its entries. None of it is I/O: workerd lets a
 * request use only I/O objects it created, so only plain data and promises live here.
 */
import type { CacheSettings } from '../settings';
import { MemoryTier, type MemoryEntry } from './memory-tier';
import { newFlightTable, type FlightTable } from './single-flight';
import type { StoredMeta } from './stored-entry';

/** What one isolate keeps between requests. */
export class IsolateState {
  /** Upstream exchanges in flight, by key: concurrent misses (and validations) share one. */
  readonly flights: FlightTable = newFlightTable();
  /** Keys with a background revalidation running (one per key). */
  readonly revalidating = new Set<string>();
  /** Parsed bookkeeping of memory entries (parsed once, read only). */
  readonly memoryMeta = new WeakMap<MemoryEntry, StoredMeta | null>();
  private memory: MemoryTier | null = null;

  /** The memory tier for these settings (null when MEMORY_CACHE_BYTES is 0); a new one when they change. */
  memoryTier(settings: CacheSettings): MemoryTier | null {
    if (settings.memoryBytes <= 0) return null;
    const t = this.memory?.settings;
    if (
      !this.memory ||
      t?.maxBytes !== settings.memoryBytes ||
      t.maxObjectBytes !== settings.memoryMaxObjectBytes ||
      t.ttlMs !== settings.memoryTtlMs
    ) {
      this.memory = new MemoryTier({
        maxBytes: settings.memoryBytes,
        maxObjectBytes: settings.memoryMaxObjectBytes,
        ttlMs: settings.memoryTtlMs,
      });
    }
    return this.memory;
  }
}

/** This isolate's state: the one instance the Worker's requests share. */
export const thisIsolate = new IsolateState();
