import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacheRulesError, compileCachePolicy, compilePattern, loadCachePolicy, parseCachePolicy } from '../../origin/cache-control-rules';

describe('compilePattern', () => {
  it('matches a pattern without "/" against the last segment', () => {
    const html = compilePattern('*.html');
    expect(html('/index.html')).toBe(true);
    expect(html('/a/b/page.html')).toBe(true);
    expect(html('/page.htm')).toBe(false);
    expect(html('/html/x.css')).toBe(false);
  });

  it('treats * as one segment, ** as any depth, ? as one character, and a trailing / as a prefix', () => {
    expect(compilePattern('/assets/*')('/assets/app.js')).toBe(true);
    expect(compilePattern('/assets/*')('/assets/img/a.png')).toBe(false);
    expect(compilePattern('/assets/**')('/assets/img/a.png')).toBe(true);
    expect(compilePattern('/a?c.txt')('/abc.txt')).toBe(true);
    expect(compilePattern('/a?c.txt')('/a/c.txt')).toBe(false);
    expect(compilePattern('/assets/')('/assets/deep/x')).toBe(true);
    expect(compilePattern('/assets/')('/assetsx/y')).toBe(false);
  });

  it('escapes regular-expression characters in patterns', () => {
    expect(compilePattern('/a+b(1).txt')('/a+b(1).txt')).toBe(true);
    expect(compilePattern('/a.txt')('/abtxt')).toBe(false);
  });
});

describe('cache policy', () => {
  it('applies the first matching rule and falls back to the default', () => {
    const pick = compileCachePolicy({
      defaultCacheControl: 'public, max-age=10',
      rules: [
        { match: '/special.html', cacheControl: 'no-store' },
        { match: '*.html', cacheControl: 'public, max-age=60', cacheTag: 'html' },
        { match: '/tagged/**', cacheTag: 'tagged' },
      ],
    });
    expect(pick('/special.html')).toEqual({ cacheControl: 'no-store', cacheTag: undefined });
    expect(pick('/x.html')).toEqual({ cacheControl: 'public, max-age=60', cacheTag: 'html' });
    expect(pick('/tagged/a/b.css')).toEqual({ cacheControl: 'public, max-age=10', cacheTag: 'tagged' });
    expect(pick('/other.css')).toEqual({ cacheControl: 'public, max-age=10', cacheTag: undefined });
  });

  it('joins tags given as a string or an array into one comma-separated Cache-Tag', () => {
    expect(compileCachePolicy({ defaultCacheControl: 'x', rules: [{ match: '*', cacheTag: ' a , b ' }] })('/f').cacheTag).toBe('a,b');
    expect(compileCachePolicy({ defaultCacheControl: 'x', rules: [{ match: '*', cacheTag: ['p-1', 'q'] }] })('/f').cacheTag).toBe('p-1,q');
  });

  it('parses both the array form and the {default, rules} form', () => {
    expect(parseCachePolicy([{ match: '*.js', cacheControl: 'max-age=1' }]).rules).toHaveLength(1);
    const doc = parseCachePolicy({ default: 'no-cache', rules: [] });
    expect(doc.defaultCacheControl).toBe('no-cache');
  });

  it('refuses malformed rules with a message naming the problem', () => {
    const bad: [unknown, RegExp][] = [
      ['nope', /array of rules/],
      [[{ cacheControl: 'x' }], /rule 0 needs a non-empty string "match"/],
      [[{ match: '*', cacheControl: 5 }], /rule 0 "cacheControl" must be a non-empty string/],
      [[{ match: '*', cacheControl: 'a\r\nSet-Cookie: x' }], /CR, LF or NUL/],
      [[{ match: '*', ttl: 5 }], /unknown field "ttl"/],
      [{ default: 'x', extra: 1 }, /unknown top-level field "extra"/],
      [[null], /rule 0 must be an object/],
      [[{ match: '*', cacheTag: 'a b' }], /tag "a b" must be visible ASCII/],
      [[{ match: '*', cacheTag: 'a,,b' }], /tag "" must be visible ASCII/],
      [[{ match: '*', cacheTag: [1] }], /must contain only strings/],
      [[{ match: '*', cacheTag: [] }], /at least one tag/],
      [[{ match: '*', cacheTag: Array.from({ length: 33 }, (_, i) => `t${i}`) }], /33 tags, at most 32/],
    ];
    for (const [input, message] of bad) {
      expect(() => parseCachePolicy(input)).toThrow(CacheRulesError);
      expect(() => parseCachePolicy(input)).toThrow(message);
    }
  });

  describe('loadCachePolicy', () => {
    let dir = '';
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'pushpull-rules-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('loads the example rules file shipped in origin/', async () => {
      const policy = await loadCachePolicy(join(import.meta.dirname, '../../origin/cache-control.example.json'));
      const pick = compileCachePolicy(policy);
      expect(pick('/assets/app.72fa0079.js')).toEqual({ cacheControl: 'public, max-age=31536000, immutable', cacheTag: 'assets,static' });
      expect(pick('/data/catalog.json').cacheTag).toBe('data');
      expect(pick('/index.html').cacheControl).toBe('public, max-age=60, stale-if-error=600');
      expect(pick('/css/site.css')).toEqual({ cacheControl: 'public, max-age=300', cacheTag: undefined });
    });

    it('loads a rules file and names the file when it is invalid', async () => {
      const good = join(dir, 'good.json');
      await writeFile(good, JSON.stringify({ default: 'public, max-age=1', rules: [{ match: '*.css', cacheControl: 'max-age=2' }] }));
      const policy = await loadCachePolicy(good);
      expect(compileCachePolicy(policy)('/a.css').cacheControl).toBe('max-age=2');
      const broken = join(dir, 'broken.json');
      await writeFile(broken, '{ not json');
      await expect(loadCachePolicy(broken)).rejects.toThrow(/broken\.json is not valid JSON/);
      const wrong = join(dir, 'wrong.json');
      await writeFile(wrong, '[{"match": ""}]');
      await expect(loadCachePolicy(wrong)).rejects.toThrow(/wrong\.json: rule 0/);
    });
  });
});
