/**
 * The push store's data model and the validation of everything a client sends: paths,
 * hashes, expiry headers and whole-site manifests (docs/push.md, "Limits and bad input"). Pure: no bindings.
 * Every refusal is an {@link ApiError} 400 whose code and message name the problem.
 */
import { ApiError } from '@pushpull/http/errors';
import type { ActivationRecord, DeployKind, FileEntry, ManifestEntry } from '@pushpull/contracts/push';
import type { PushLimits } from './settings';

/** A deploy: an immutable, complete path → file map. Activating one switches every path at once. */
export interface Deploy {
  id: string;
  createdAt: number;
  kind: DeployKind;
  files: Record<string, FileEntry>;
  /** Hashes that were not stored when the deploy was created (checked again at activation). */
  missing: string[];
}

/** The active-deploy pointer: the one record an activation changes. */
export interface ActivePointer {
  deployId: string;
  activatedAt: number;
  /** Most recent activations first (deploy id, time), the current one included. */
  history: ActivationRecord[];
}

/** How many activations the pointer remembers. */
export const HISTORY_LENGTH = 50;

const SHA256_RE = /^[0-9a-f]{64}$/;
const DEPLOY_ID_RE = /^d[0-9a-z]{8,12}-[0-9a-f]{8}$/;
// C0 controls, DEL and C1 controls.
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/;

const encoder = new TextEncoder();
const utf8Length = (s: string): number => encoder.encode(s).length;

/** A new deploy id: time-ordered (base36 ms) plus randomness, so ids sort by creation. */
export function newDeployId(now: number): string {
  const rand = new Uint8Array(4);
  crypto.getRandomValues(rand);
  return 'd' + now.toString(36).padStart(9, '0') + '-' + [...rand].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Whether a string has the shape of a deploy id (refuses anything else before storage is touched). */
export function isDeployId(id: string): boolean {
  return DEPLOY_ID_RE.test(id);
}

/** Validates a lowercase hex SHA-256 (uppercase accepted and lowered). */
export function parseSha256(raw: string, what = 'sha256'): string {
  const sha = raw.trim().toLowerCase();
  if (!SHA256_RE.test(sha))
    throw new ApiError(400, 'invalid_sha256', `${what} must be 64 hex digits (SHA-256), got ${JSON.stringify(raw.slice(0, 80))}`);
  return sha;
}

/**
 * Validates and normalises a pushed path: a leading `/` is added, and the path is refused
 * when it has a `.` or `..` segment, an empty segment (`//` or a trailing `/`), a control
 * character, or is longer than the limits (whole path, or one name).
 */
export function validatePath(raw: string, limits: Pick<PushLimits, 'maxPathBytes' | 'maxNameBytes'>): string {
  const path = raw.startsWith('/') ? raw : '/' + raw;
  const shown = JSON.stringify(path.length > 120 ? path.slice(0, 120) + '…' : path);
  if (CONTROL_RE.test(path)) throw new ApiError(400, 'invalid_path', `path ${shown} contains a control character`);
  if (path.includes('\\')) throw new ApiError(400, 'invalid_path', `path ${shown} contains a backslash`);
  const bytes = utf8Length(path);
  if (bytes > limits.maxPathBytes) {
    throw new ApiError(400, 'path_too_long', `path is ${bytes} bytes, longer than PUSH_MAX_PATH_BYTES (${limits.maxPathBytes})`, {
      limit: limits.maxPathBytes,
    });
  }
  const segments = path.slice(1).split('/');
  for (const seg of segments) {
    if (seg === '..' || seg === '.') throw new ApiError(400, 'invalid_path', `path ${shown} contains a "${seg}" segment`);
    if (seg === '') throw new ApiError(400, 'invalid_path', `path ${shown} has an empty segment (// or a trailing /)`);
    const n = utf8Length(seg);
    if (n > limits.maxNameBytes) {
      throw new ApiError(
        400,
        'name_too_long',
        `name ${JSON.stringify(seg.slice(0, 40) + '…')} is ${n} bytes, longer than PUSH_MAX_NAME_BYTES (${limits.maxNameBytes})`,
        { limit: limits.maxNameBytes },
      );
    }
  }
  return path;
}

/** Validates a stored header value (Content-Type, Cache-Control): printable and within the limit. */
export function validateHeaderValue(name: string, raw: string, limits: Pick<PushLimits, 'maxHeaderBytes'>): string {
  const value = raw.trim();
  if (CONTROL_RE.test(value)) throw new ApiError(400, 'invalid_header', `${name} contains a control character`);
  if (utf8Length(value) > limits.maxHeaderBytes) {
    throw new ApiError(400, 'header_too_long', `${name} is longer than PUSH_MAX_HEADER_BYTES (${limits.maxHeaderBytes})`, {
      limit: limits.maxHeaderBytes,
    });
  }
  return value;
}

/**
 * Parses an expiry instant: a number (or digit string) is Unix milliseconds when >= 1e12,
 * else Unix seconds; any other string is a date (ISO 8601 or HTTP-date). Returns Unix ms.
 */
export function parseInstant(raw: unknown, what: string): number {
  let ms: number;
  if (typeof raw === 'number' || (typeof raw === 'string' && /^\d+$/.test(raw.trim()))) {
    const n = Number(raw);
    ms = n >= 1e12 ? n : n * 1000;
  } else if (typeof raw === 'string') {
    ms = Date.parse(raw);
  } else {
    ms = NaN;
  }
  if (!Number.isFinite(ms) || ms < 0 || ms > 8.64e15) {
    throw new ApiError(400, 'invalid_expiry', `${what} must be Unix seconds, Unix milliseconds or a date, got ${JSON.stringify(raw)}`);
  }
  return Math.floor(ms);
}

/**
 * The expiry of a single-file PUT from `X-TTL` (seconds from now) or `X-Expires-At`
 * (an instant, see {@link parseInstant}); both at once is refused. An instant already past is refused.
 */
export function expiryFromHeaders(ttl: string | undefined, expiresAt: string | undefined, now: number): number | undefined {
  if (ttl !== undefined && expiresAt !== undefined) throw new ApiError(400, 'invalid_expiry', 'send X-TTL or X-Expires-At, not both');
  let at: number | undefined;
  if (ttl !== undefined) {
    if (!/^\d{1,10}$/.test(ttl.trim()) || Number(ttl) <= 0)
      throw new ApiError(400, 'invalid_expiry', `X-TTL must be a positive number of seconds, got ${JSON.stringify(ttl)}`);
    at = now + Number(ttl) * 1000;
  } else if (expiresAt !== undefined) {
    at = parseInstant(expiresAt, 'X-Expires-At');
  }
  if (at !== undefined && at <= now) throw new ApiError(400, 'already_expired', `the expiry ${new Date(at).toISOString()} is in the past`);
  return at;
}

/**
 * The keys of the top-level object of a JSON text, in order and with repeats, which `JSON.parse`
 * drops (it keeps the last value of a repeated key; RFC 8259 §4 leaves that to the parser).
 * `text` must be valid JSON; anything but an object gives no keys.
 */
export function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  if (!text.trimStart().startsWith('{')) return keys;
  let depth = 0;
  let keyNext = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      // Decoded, so that "\u002fa" and "/a" are the same key.
      if (depth === 1 && keyNext) keys.push(JSON.parse(text.slice(i, end + 1)) as string);
      keyNext = false;
      i = end;
    } else if (ch === '{' || ch === '[') {
      depth++;
      keyNext = depth === 1;
    } else if (ch === '}' || ch === ']') {
      depth--;
    } else if (ch === ',' && depth === 1) {
      keyNext = true;
    }
  }
  return keys;
}

/**
 * Parses a deploy manifest `{path: {sha256, size, contentType, cacheControl?, expiresAt?}}`.
 * Every path, hash, size and header is validated; the first problem is a 400 naming the path.
 * `keys` are the object's keys as the client wrote them ({@link topLevelKeys} of the body), so
 * that a path listed twice is refused even when it is the same JSON key twice.
 */
export function parseManifest(
  body: unknown,
  limits: PushLimits,
  now: number,
  keys: readonly string[] = Object.keys(body ?? {}),
): Map<string, ManifestEntry> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ApiError(
      400,
      'invalid_manifest',
      'the manifest must be a JSON object {path: {sha256, size, contentType, cacheControl?, expiresAt?}}',
    );
  }
  const raw = keys.map((k): [string, unknown] => [k, (body as Record<string, unknown>)[k]]);
  if (raw.length > limits.maxFiles) {
    throw new ApiError(400, 'too_many_files', `the manifest has ${raw.length} paths, more than PUSH_MAX_FILES (${limits.maxFiles})`, {
      limit: limits.maxFiles,
    });
  }
  const out = new Map<string, ManifestEntry>();
  for (const [rawPath, value] of raw) {
    const path = validatePath(rawPath, limits);
    const at = (problem: string): ApiError => new ApiError(400, 'invalid_manifest', `${path}: ${problem}`, { path });
    if (out.has(path)) throw at('listed twice');
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw at('entry must be an object');
    const v = value as Record<string, unknown>;
    if (typeof v.sha256 !== 'string') throw at('sha256 is missing');
    let sha256: string;
    try {
      sha256 = parseSha256(v.sha256);
    } catch {
      throw at('sha256 must be 64 hex digits');
    }
    if (typeof v.size !== 'number' || !Number.isSafeInteger(v.size) || v.size < 0) throw at('size must be a non-negative integer');
    if (v.size > limits.maxBlobBytes) throw at(`size ${v.size} is larger than PUSH_MAX_BLOB_BYTES (${limits.maxBlobBytes})`);
    const contentType = v.contentType === undefined ? 'application/octet-stream' : v.contentType;
    if (typeof contentType !== 'string' || contentType === '') throw at('contentType must be a non-empty string');
    const entry: ManifestEntry = { sha256, size: v.size, contentType: validateHeaderValue(`${path}: contentType`, contentType, limits) };
    if (v.cacheControl !== undefined && v.cacheControl !== null) {
      if (typeof v.cacheControl !== 'string') throw at('cacheControl must be a string');
      entry.cacheControl = validateHeaderValue(`${path}: cacheControl`, v.cacheControl, limits);
    }
    if (v.expiresAt !== undefined && v.expiresAt !== null) {
      let ms: number;
      try {
        ms = parseInstant(v.expiresAt, 'expiresAt');
      } catch {
        throw at('expiresAt must be Unix seconds, Unix milliseconds or a date');
      }
      if (ms <= now) throw at(`expiresAt ${new Date(ms).toISOString()} is in the past`);
      entry.expiresAt = ms;
    }
    for (const key of Object.keys(v)) {
      if (!['sha256', 'size', 'contentType', 'cacheControl', 'expiresAt'].includes(key)) throw at(`unknown field ${JSON.stringify(key)}`);
    }
    out.set(path, entry);
  }
  return out;
}

/**
 * Builds a deploy's file map: each path keeps its previous `modifiedAt` when the active
 * deploy had the same content there, else gets `now`.
 */
export function withModifiedTimes(
  entries: Map<string, ManifestEntry>,
  previous: Record<string, FileEntry> | undefined,
  now: number,
): Record<string, FileEntry> {
  const files: Record<string, FileEntry> = {};
  for (const [path, e] of entries) {
    const before = previous?.[path];
    files[path] = { ...e, modifiedAt: before && before.sha256 === e.sha256 ? before.modifiedAt : now };
  }
  return files;
}

/** Whether two entries serve the same thing: same bytes, Content-Type, Cache-Control and expiry. */
export function servesSame(a: FileEntry | undefined, b: FileEntry): boolean {
  return (
    a !== undefined &&
    a.sha256 === b.sha256 &&
    a.contentType === b.contentType &&
    a.cacheControl === b.cacheControl &&
    a.expiresAt === b.expiresAt
  );
}

/** The paths whose served content differs between two file maps (added, removed or changed). */
export function changedPaths(before: Record<string, FileEntry> | undefined, after: Record<string, FileEntry>): string[] {
  const out: string[] = [];
  const b = before ?? {};
  for (const [path, e] of Object.entries(after)) {
    if (!servesSame(b[path], e)) out.push(path);
  }
  for (const path of Object.keys(b)) if (!(path in after)) out.push(path);
  return out;
}

/**
 * The file a request path names in a deploy: the exact path, or `index.html` under a path
 * ending in `/`. Expired files are not served.
 */
export function lookupFile(files: Record<string, FileEntry>, pathname: string, now: number): FileEntry | null {
  const entry = files[pathname] ?? (pathname.endsWith('/') ? files[pathname + 'index.html'] : undefined);
  if (!entry) return null;
  if (entry.expiresAt !== undefined && entry.expiresAt <= now) return null;
  return entry;
}
