/**
 * A small in-memory tier in front of the Cache API, per isolate: hot, small entries are
 * answered without a Cache API read. It holds plain bytes and header pairs (never I/O
 * objects, which belong to one request), is bounded in bytes and per object, and trusts an
 * entry for `ttlMs` only before reading the Cache API again, so that what another isolate
 * of the same location did to the Cache API (a §4.4 invalidation, a refresh) shows here
 * within that time. Freshness and purge checks apply to memory hits exactly as to others.
 */
import { responseWithStatus } from './null-body';

/** One stored response (or Vary marker) as bytes. */
export interface MemoryEntry {
  status: number;
  statusText: string;
  headers: Array<[string, string]>;
  body: Uint8Array | null;
  /** When it was copied here (ms). */
  copiedAt: number;
  bytes: number;
}

/** Settings of the tier. */
export interface MemoryTierSettings {
  maxBytes: number;
  maxObjectBytes: number;
  ttlMs: number;
}

/** A byte-bounded LRU map of entries by cache key. */
export class MemoryTier {
  private readonly entries = new Map<string, MemoryEntry>();
  private total = 0;

  constructor(readonly settings: MemoryTierSettings) {}

  /** Bytes held. */
  get size(): number {
    return this.total;
  }

  /** The entry for a key if it is still to be trusted; refreshes its LRU position. */
  get(key: string, now: number): MemoryEntry | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (now - e.copiedAt > this.settings.ttlMs) {
      this.delete(key);
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, e);
    return e;
  }

  /** Keeps an entry if it fits; evicts the least recently used ones to make room. */
  set(key: string, e: MemoryEntry): void {
    this.delete(key);
    if (e.bytes > this.settings.maxObjectBytes || e.bytes > this.settings.maxBytes) return;
    this.entries.set(key, e);
    this.total += e.bytes;
    for (const [k, old] of this.entries) {
      if (this.total <= this.settings.maxBytes) break;
      this.entries.delete(k);
      this.total -= old.bytes;
    }
  }

  delete(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.total -= e.bytes;
  }

  /** Drops a primary key and every Vary variant filed under it. */
  deleteFamily(primary: string): void {
    this.delete(primary);
    const prefix = `${primary}${primary.includes('?') ? '&' : '?'}pushpull-vary=`;
    for (const k of [...this.entries.keys()]) if (k.startsWith(prefix)) this.delete(k);
  }
}

/** Builds an entry from a response whose body has been read. */
export function memoryEntry(response: Response, body: Uint8Array | null, now: number): MemoryEntry {
  const headers = [...response.headers];
  const headerBytes = headers.reduce((n, [k, v]) => n + k.length + v.length, 0);
  return {
    status: response.status,
    statusText: response.statusText,
    headers,
    body,
    copiedAt: now,
    bytes: (body?.byteLength ?? 0) + headerBytes + 64,
  };
}

/** A new Response over an entry (the bytes are shared, never modified). */
export function responseOf(e: MemoryEntry): Response {
  return responseWithStatus(e.body, { status: e.status, statusText: e.statusText, headers: e.headers });
}
