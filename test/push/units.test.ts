import { describe, expect, it } from 'vitest';
import { ApiError } from '@pushpull/http/errors';
import { DEFAULT_LIMITS, pushSettings } from '../../workers/edge/src/push/settings';
import {
  changedPaths,
  expiryFromHeaders,
  lookupFile,
  newDeployId,
  isDeployId,
  parseInstant,
  parseManifest,
  topLevelKeys,
  validatePath,
} from '../../workers/edge/src/push/manifest';
import type { FileEntry } from '@pushpull/contracts/push';
import { parseRoutes, routeFor } from '../../workers/edge/src/push/routes';

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return e instanceof ApiError ? e.code : (e as Error).message;
  }
  return 'no error';
};

describe('routeFor', () => {
  const routes = parseRoutes(JSON.stringify({ '/assets/': 'push', '/assets/live/': 'pull', '/api': 'pull' }));
  it('picks the longest matching prefix and defaults to hybrid', () => {
    expect(routeFor('/assets/app.js', routes)).toBe('push');
    expect(routeFor('/assets/live/feed.json', routes)).toBe('pull');
    expect(routeFor('/api/v1', routes)).toBe('pull');
    expect(routeFor('/index.html', routes)).toBe('hybrid');
    expect(routeFor('/anything', pushSettings({}).routes)).toBe('hybrid');
    expect(routeFor('/anything', parseRoutes(''))).toBe('hybrid');
    expect(routeFor('/x', parseRoutes(JSON.stringify({ '/': 'push' })))).toBe('push');
  });
  it('refuses malformed ROUTES with a message naming the problem', () => {
    expect(() => parseRoutes('{nope')).toThrow(/not valid JSON/);
    expect(() => parseRoutes('[]')).toThrow(/JSON object/);
    expect(() => parseRoutes('{"assets/":"push"}')).toThrow(/must start with "\/"/);
    expect(() => parseRoutes('{"/a":"cache"}')).toThrow(/push, pull, hybrid/);
    expect(() => pushSettings({ ROUTES: '{"/a":"cache"}' })).toThrow(
      /^wrangler var ROUTES must be a JSON object of path prefix .*, got .* \(ROUTES mode for "\/a" must be one of push, pull, hybrid\)$/,
    );
  });
});

describe('validatePath', () => {
  const limits = { maxPathBytes: 20, maxNameBytes: 8 };
  it('normalises a leading slash and accepts paths at the limits', () => {
    expect(validatePath('a/b.txt', limits)).toBe('/a/b.txt');
    expect(validatePath('/12345678/12345678/1', limits)).toBe('/12345678/12345678/1'); // 20 bytes, 8-byte names
    expect(validatePath('/é.txt', limits)).toBe('/é.txt');
  });
  it('refuses .., ., empty segments, control characters, backslashes and overlong paths or names', () => {
    expect(code(() => validatePath('/a/../b', limits))).toBe('invalid_path');
    expect(code(() => validatePath('/./b', limits))).toBe('invalid_path');
    expect(code(() => validatePath('/a//b', limits))).toBe('invalid_path');
    expect(code(() => validatePath('/a/', limits))).toBe('invalid_path');
    expect(code(() => validatePath('/a\nb', limits))).toBe('invalid_path');
    expect(code(() => validatePath('/a\u0085b', limits))).toBe('invalid_path');
    expect(code(() => validatePath('/a\\b', limits))).toBe('invalid_path');
    expect(code(() => validatePath('/12345678/12345678/12', limits))).toBe('path_too_long');
    expect(code(() => validatePath('/123456789', limits))).toBe('name_too_long');
    expect(code(() => validatePath('/éééé5', limits))).toBe('name_too_long'); // 9 UTF-8 bytes
  });
});

describe('expiry parsing', () => {
  const now = Date.UTC(2026, 0, 1);
  it('reads X-TTL, and X-Expires-At as seconds, milliseconds, ISO or HTTP dates', () => {
    expect(expiryFromHeaders('60', undefined, now)).toBe(now + 60_000);
    expect(parseInstant(String(now / 1000 + 5), 'x')).toBe(now + 5000);
    expect(parseInstant(now + 5000, 'x')).toBe(now + 5000);
    expect(parseInstant(new Date(now + 5000).toISOString(), 'x')).toBe(now + 5000);
    expect(parseInstant(new Date(now + 5000).toUTCString(), 'x')).toBe(now + 5000);
    expect(expiryFromHeaders(undefined, undefined, now)).toBeUndefined();
  });
  it('refuses zero, negative, malformed, past and double expiries', () => {
    expect(code(() => expiryFromHeaders('0', undefined, now))).toBe('invalid_expiry');
    expect(code(() => expiryFromHeaders('1.5', undefined, now))).toBe('invalid_expiry');
    expect(code(() => expiryFromHeaders(undefined, 'soon', now))).toBe('invalid_expiry');
    expect(code(() => expiryFromHeaders(undefined, String(now / 1000 - 1), now))).toBe('already_expired');
    expect(code(() => expiryFromHeaders('5', String(now / 1000 + 10), now))).toBe('invalid_expiry');
  });
});

describe('parseManifest', () => {
  const e = { sha256: 'a'.repeat(64), size: 3, contentType: 'text/plain' };
  it('normalises paths and defaults the content type', () => {
    const m = parseManifest({ 'x.txt': { sha256: 'A'.repeat(64), size: 3 } }, DEFAULT_LIMITS, 0);
    expect(m.get('/x.txt')).toEqual({ sha256: 'a'.repeat(64), size: 3, contentType: 'application/octet-stream' });
  });
  it('enforces PUSH_MAX_FILES at and past its edge', () => {
    const limits = { ...DEFAULT_LIMITS, maxFiles: 2 };
    expect(parseManifest({ '/a': e, '/b': e }, limits, 0).size).toBe(2);
    expect(code(() => parseManifest({ '/a': e, '/b': e, '/c': e }, limits, 0))).toBe('too_many_files');
  });
  it('enforces PUSH_MAX_BLOB_BYTES at and past its edge', () => {
    const limits = { ...DEFAULT_LIMITS, maxBlobBytes: 3 };
    expect(parseManifest({ '/a': e }, limits, 0).size).toBe(1);
    expect(code(() => parseManifest({ '/a': { ...e, size: 4 } }, limits, 0))).toBe('invalid_manifest');
  });
});

describe('topLevelKeys', () => {
  it('lists the keys of the top-level object as written, repeats and escapes included, nested keys not', () => {
    expect(topLevelKeys('{"/a": {"b": 1, "/a": [2, {"c": "d"}]}, "x\\"y": "{\\"z\\": 1", "\\u002fa": {}}')).toEqual(['/a', 'x"y', '/a']);
    expect(topLevelKeys(' {}')).toEqual([]);
    expect(topLevelKeys('["a", "b"]')).toEqual([]);
    expect(topLevelKeys('"a"')).toEqual([]);
  });
  it('lets parseManifest refuse a repeated key', () => {
    const e = { sha256: 'a'.repeat(64), size: 3 };
    const text = `{"/a": ${JSON.stringify(e)}, "/a": ${JSON.stringify(e)}}`;
    expect(code(() => parseManifest(JSON.parse(text), DEFAULT_LIMITS, 0, topLevelKeys(text)))).toBe('invalid_manifest');
  });
});

describe('deploy helpers', () => {
  const f = (sha: string, extra: Partial<FileEntry> = {}): FileEntry => ({
    sha256: sha.repeat(64),
    size: 1,
    contentType: 't',
    modifiedAt: 1,
    ...extra,
  });
  it('lists changed, added and removed paths', () => {
    expect(changedPaths({ '/a': f('a'), '/b': f('b'), '/c': f('c') }, { '/a': f('a'), '/b': f('d'), '/n': f('n') }).sort()).toEqual([
      '/b',
      '/c',
      '/n',
    ]);
    expect(changedPaths({ '/a': f('a') }, { '/a': f('a', { cacheControl: 'no-cache' }) })).toEqual(['/a']);
  });
  it('serves directory indexes and never expired files', () => {
    const files = { '/d/index.html': f('i'), '/gone.txt': f('g', { expiresAt: 100 }) };
    expect(lookupFile(files, '/d/', 0)?.sha256).toBe('i'.repeat(64));
    expect(lookupFile(files, '/gone.txt', 99)).not.toBeNull();
    expect(lookupFile(files, '/gone.txt', 100)).toBeNull();
    expect(lookupFile(files, '/constructor', 0)).toBeNull();
  });
  it('makes time-ordered deploy ids', () => {
    const a = newDeployId(1_000);
    const b = newDeployId(2_000_000_000_000);
    expect(isDeployId(a) && isDeployId(b)).toBe(true);
    expect(a < b).toBe(true);
    expect(isDeployId('../etc')).toBe(false);
  });
  it('reads limits from vars and refuses malformed ones by name', () => {
    expect(pushSettings({ KEEP_DEPLOYS: '3' }).keepDeploys).toBe(3);
    expect(pushSettings({ PUSH_PART_BYTES: String(5 * 1024 * 1024) }).partBytes).toBe(5 * 1024 * 1024);
    expect(() => pushSettings({ PUSH_PART_BYTES: String(5 * 1024 * 1024 - 1) })).toThrow(/PUSH_PART_BYTES must be an integer >= 5242880/);
    expect(() => pushSettings({ PUSH_MAX_FILES: 'many' })).toThrow(/PUSH_MAX_FILES/);
  });
});
