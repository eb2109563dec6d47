/**
 * The origin's file store: maps a request target to a file inside the served folder (never
 * outside it) and keeps each file version's strong entity-tag, computed once per
 * (inode, size, mtime).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { Readable } from 'node:stream';
import type { Stats } from 'node:fs';

/** Why a request target was refused: 400 for a malformed or hostile path, 404 for hidden ones. */
export class PathRejected extends Error {
  override name = 'PathRejected';
  constructor(
    readonly status: 400 | 404,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A file version ready to serve. */
export interface FileVersion {
  /** Real path on disk (symlinks resolved, inside the root). */
  path: string;
  size: number;
  /** Modification time in whole seconds (Last-Modified precision). */
  mtimeSec: number;
  /** Strong entity-tag: quoted base64url SHA-256 of the bytes. */
  etag: string;
}

/** What a lookup found. */
export type Lookup = { kind: 'file'; file: FileVersion; urlPath: string } | { kind: 'redirect'; location: string } | { kind: 'missing' };

/** At most this many file versions' entity-tags are remembered (oldest forgotten first). */
const ETAG_CACHE_LIMIT = 10_000;

/**
 * Splits the raw request path (as received, before any normalisation) into decoded segments,
 * refusing anything that could climb out of the root: `.`/`..` segments raw or percent-encoded,
 * encoded slashes or backslashes, NUL bytes, malformed percent-encoding.
 */
export function safeSegments(rawPath: string): string[] {
  const path = rawPath.split('?', 1)[0] ?? '';
  if (!path.startsWith('/')) throw new PathRejected(400, 'bad_path', 'the request path must start with "/"');
  if (path.includes('\0') || /%00/i.test(path)) throw new PathRejected(400, 'bad_path', 'the request path contains a NUL byte');
  if (path.includes('\\') || /%5c/i.test(path)) throw new PathRejected(400, 'bad_path', 'the request path contains a backslash');
  if (/%2f/i.test(path)) throw new PathRejected(400, 'bad_path', 'the request path contains an encoded "/"');
  const segments: string[] = [];
  for (const raw of path.slice(1).split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      throw new PathRejected(400, 'bad_path', 'the request path has malformed percent-encoding');
    }
    if (segment === '.' || segment === '..') {
      throw new PathRejected(400, 'bad_path', 'the request path contains a "." or ".." segment');
    }
    if (segment.includes('\0') || segment.includes('/') || segment.includes('\\')) {
      throw new PathRejected(400, 'bad_path', 'the request path contains a forbidden character');
    }
    // Dotfiles (.git, .env, ...) are never served; .well-known is the one public exception.
    if (segment.startsWith('.') && segment !== '.well-known') {
      throw new PathRejected(404, 'not_found', 'hidden files are not served');
    }
    segments.push(segment);
  }
  return segments;
}

function isInside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(sep) ? root : root + sep);
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'ENAMETOOLONG';
}

/** Serves lookups for one root folder. */
export class FileStore {
  readonly #root: string;
  #realRoot: Promise<string> | undefined;
  readonly #etags = new Map<string, { key: string; etag: Promise<string> }>();

  constructor(root: string) {
    this.#root = root;
  }

  /** The root with symlinks resolved, computed once. */
  realRoot(): Promise<string> {
    this.#realRoot ??= realpath(this.#root);
    return this.#realRoot;
  }

  /**
   * Finds the file for a raw request path: a file, a redirect (directory without trailing
   * slash), or missing. Symlinks are followed only when their target stays inside the root.
   * Throws {@link PathRejected} for hostile paths.
   */
  async lookup(rawPath: string, query: string): Promise<Lookup> {
    const segments = safeSegments(rawPath);
    // The decoded URL path of what is served (a directory's index.html included); rules match it.
    const urlPath = `/${segments.join('/')}`;
    const root = await this.realRoot();
    const candidate = join(root, ...segments);
    if (!isInside(root, candidate)) throw new PathRejected(400, 'bad_path', 'the request path leaves the served folder');
    const found = await this.#resolveInside(root, candidate);
    if (!found) return { kind: 'missing' };
    if (found.stats.isDirectory()) {
      const path = rawPath.split('?', 1)[0] ?? '/';
      // Collapse leading slashes so the Location can never become a scheme-relative `//host/`.
      if (!path.endsWith('/')) return { kind: 'redirect', location: `/${path.replace(/^\/+/, '')}/${query}` };
      const index = await this.#resolveInside(root, join(found.real, 'index.html'));
      if (!index || !index.stats.isFile()) return { kind: 'missing' };
      return { kind: 'file', file: await this.#version(index.real, index.stats), urlPath: `${urlPath}index.html` };
    }
    if (!found.stats.isFile()) return { kind: 'missing' };
    if (rawPath.split('?', 1)[0]?.endsWith('/')) return { kind: 'missing' };
    return { kind: 'file', file: await this.#version(found.real, found.stats), urlPath };
  }

  /** Opens the bytes of a file version, `start`..`end` inclusive. */
  stream(file: FileVersion, start = 0, end = file.size - 1): ReadableStream<Uint8Array> {
    if (end < start) return new ReadableStream({ start: (c) => c.close() });
    return Readable.toWeb(createReadStream(file.path, { start, end })) as ReadableStream<Uint8Array>;
  }

  // realpath + prefix check: a symlink anywhere on the path must not lead outside the root.
  async #resolveInside(root: string, candidate: string): Promise<{ real: string; stats: Stats } | null> {
    let real: string;
    try {
      real = await realpath(candidate);
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
    if (!isInside(root, real)) return null;
    try {
      return { real, stats: await stat(real) };
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async #version(path: string, stats: Stats): Promise<FileVersion> {
    const key = `${stats.ino}:${stats.size}:${stats.mtimeMs}`;
    let entry = this.#etags.get(path);
    if (!entry || entry.key !== key) {
      entry = { key, etag: hashFile(path) };
      this.#etags.delete(path);
      this.#etags.set(path, entry);
      if (this.#etags.size > ETAG_CACHE_LIMIT) {
        const oldest = this.#etags.keys().next();
        if (!oldest.done) this.#etags.delete(oldest.value);
      }
      const cached = entry;
      // A failed hash must not stay cached.
      cached.etag.catch(() => {
        if (this.#etags.get(path) === cached) this.#etags.delete(path);
      });
    }
    return { path, size: stats.size, mtimeSec: Math.floor(stats.mtimeMs / 1000), etag: await entry.etag };
  }
}

/** Strong entity-tag of a file: `"<base64url sha256>"` (RFC 9110 §8.8.3). */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `"${hash.digest('base64url')}"`;
}
