/**
 * The two tiers a stored response lives in: the isolate's memory tier (small hot entries as
 * bytes) in front of the Cache API (this location's cache).
 */
import type { CacheSettings } from '../settings';
import type { Clock } from './clock';
import type { IsolateState } from './isolate';
import { memoryEntry, responseOf, type MemoryTier } from './memory-tier';
import { responseWithStatus } from './null-body';
import { CACHE_NAME } from './cache-status';
import { readMeta, VARY_MARKER_HEADER, type StoredMeta } from './stored-entry';

/** A stored response with its bookkeeping (null for a Vary marker, or an entry without any). */
interface Stored {
  response: Response;
  meta: StoredMeta | null;
}

/** The Cache API with the isolate's memory tier in front of it, for one request. */
export class TieredCache {
  private opened: Promise<Cache> | null = null;
  private readonly memory: MemoryTier | null;

  /** The Cache API is opened only when memory cannot answer. */
  constructor(
    private readonly isolate: IsolateState,
    settings: CacheSettings,
    private readonly clock: Clock,
    private readonly waitUntil: (p: Promise<unknown>) => void,
  ) {
    this.memory = isolate.memoryTier(settings);
  }

  private get api(): Promise<Cache> {
    this.opened ??= caches.open(CACHE_NAME);
    return this.opened;
  }

  /** A stored response: from memory when it holds a trusted copy, else from the Cache API (then copied to memory if small). */
  async match(key: string): Promise<Stored | undefined> {
    const now = this.clock.now();
    const held = this.memory?.get(key, now);
    if (held) {
      const response = responseOf(held);
      let meta = this.isolate.memoryMeta.get(held);
      if (meta === undefined) {
        meta = readMeta(response.headers);
        this.isolate.memoryMeta.set(held, meta);
      }
      return { response, meta };
    }
    const found = await (await this.api).match(key);
    if (!found) return undefined;
    if (found.headers.has(VARY_MARKER_HEADER)) {
      this.memory?.set(key, memoryEntry(found, null, now));
      return { response: found, meta: null };
    }
    const meta = readMeta(found.headers);
    const mem = this.memory;
    if (!mem || !meta || meta.size < 0 || meta.size > mem.settings.maxObjectBytes || found.body === null) return { response: found, meta };
    const [client, copy] = found.body.tee();
    this.waitUntil(
      new Response(copy)
        .arrayBuffer()
        .then((buf) => mem.set(key, memoryEntry(found, new Uint8Array(buf), now)))
        .catch(() => undefined),
    );
    return { response: responseWithStatus(client, { status: found.status, statusText: found.statusText, headers: found.headers }), meta };
  }

  /** Stores a response; `bytes` is its whole body when the caller has it (kept in memory too if small). */
  async put(key: string, response: Response, bytes?: Uint8Array): Promise<void> {
    const copy =
      this.memory && (bytes !== undefined || response.body === null) ? memoryEntry(response, bytes ?? null, this.clock.now()) : null;
    this.memory?.delete(key);
    await (await this.api).put(key, response);
    if (copy) this.memory?.set(key, copy);
  }

  /** Deletes a primary key (entry or Vary marker, so every variant becomes unreachable). */
  async delete(key: string): Promise<boolean> {
    this.memory?.deleteFamily(key);
    return (await this.api).delete(key);
  }
}
