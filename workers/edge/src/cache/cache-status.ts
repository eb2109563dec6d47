/** RFC 9211 Cache-Status: what this cache did with a request, on every response it answers. */

/** The cache's name in Cache-Status members. */
export const CACHE_NAME = 'pushpull';

/** RFC 9211 Cache-Status parameters for one response. */
export interface CacheStatus {
  hit?: boolean;
  fwd?: 'uri-miss' | 'vary-miss' | 'miss' | 'request' | 'stale' | 'bypass' | 'method';
  fwdStatus?: number;
  stored?: boolean;
  collapsed?: boolean;
  ttl?: number;
  detail?: string;
}

/** Formats a Cache-Status field value (RFC 9211 §2). */
export function formatCacheStatus(s: CacheStatus): string {
  const parts = [CACHE_NAME];
  if (s.hit) parts.push('hit');
  if (s.fwd) parts.push(`fwd=${s.fwd}`);
  if (s.fwdStatus !== undefined) parts.push(`fwd-status=${s.fwdStatus}`);
  if (s.stored) parts.push('stored');
  if (s.collapsed) parts.push('collapsed');
  if (s.ttl !== undefined) parts.push(`ttl=${s.ttl}`);
  if (s.detail) parts.push(`detail=${s.detail}`);
  return parts.join('; ');
}

/** Adds this cache's member after those of caches nearer the origin (RFC 9211 §2). */
export function appendCacheStatus(headers: Headers, status: CacheStatus): void {
  const upstream = headers.get('cache-status');
  headers.set('cache-status', upstream ? `${upstream}, ${formatCacheStatus(status)}` : formatCacheStatus(status));
}
