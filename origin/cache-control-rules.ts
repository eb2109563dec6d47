/**
 * Per-path response policy of the origin: ordered rules, the first whose pattern matches the
 * request path decides `Cache-Control` (and the optional `Cache-Tag` the edge purges by).
 *
 * Pattern syntax (matched against the decoded URL path, e.g. `/assets/app.3f9a1c.js`):
 * - a pattern starting with `/` is matched against the whole path; one without `/` is matched
 *   against the last segment only (`*.html` matches `/docs/a.html`), as in `.gitignore`;
 * - `*` matches any run of characters except `/`, `**` matches any run including `/`,
 *   `?` matches one character except `/`;
 * - a pattern ending in `/` is a prefix: `/assets/` matches everything below `/assets/`.
 */
import { readFile } from 'node:fs/promises';

/** One rule: where it applies and what it sets. */
export interface CacheRule {
  /** Glob or prefix, see the module comment. */
  match: string;
  /** `Cache-Control` value for matching paths; when absent the default applies. */
  cacheControl?: string;
  /**
   * Tags sent as `Cache-Tag` (comma-separated, as Cloudflare's header), for purge-by-tag at the
   * edge: a comma-separated string or an array of tags.
   */
  cacheTag?: string | string[];
}

/** The whole policy: ordered rules and the value for paths no rule matches. */
export interface CachePolicy {
  rules: CacheRule[];
  /** `Cache-Control` for paths that no rule matches (or whose rule has no `cacheControl`). */
  defaultCacheControl: string;
}

/** The header values chosen for one path. */
export interface CacheHeaders {
  cacheControl: string;
  cacheTag: string | undefined;
}

/** Used when neither options nor a rules file set a default. */
export const DEFAULT_CACHE_CONTROL = 'public, max-age=300';

/** The demo defaults: fingerprinted assets live forever, HTML for a minute. */
export const DEFAULT_RULES: readonly CacheRule[] = [
  { match: '/assets/', cacheControl: 'public, max-age=31536000, immutable', cacheTag: 'assets' },
  { match: '*.html', cacheControl: 'public, max-age=60', cacheTag: 'html' },
];

/** A compiled rule: the pattern turned into a test once, tags already joined. */
interface CompiledRule {
  match: string;
  cacheControl: string | undefined;
  cacheTag: string | undefined;
  test: (path: string) => boolean;
}

/** Thrown for a malformed rules file or rules option; the message names the problem. */
export class CacheRulesError extends Error {
  override name = 'CacheRulesError';
}

/** Turns a pattern into a path test (see the module comment for the syntax). */
export function compilePattern(pattern: string): (path: string) => boolean {
  if (pattern.length === 0) throw new CacheRulesError('a rule\'s "match" must not be empty');
  if (pattern.startsWith('/') && pattern.endsWith('/')) {
    return (path) => path.startsWith(pattern);
  }
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern.charAt(i);
    if (ch === '*') {
      if (pattern.charAt(i + 1) === '*') {
        source += '.*';
        i++;
      } else {
        source += '[^/]*';
      }
    } else if (ch === '?') {
      source += '[^/]';
    } else {
      source += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  const re = new RegExp(`^${source}$`, 's');
  if (pattern.startsWith('/')) return (path) => re.test(path);
  return (path) => re.test(path.slice(path.lastIndexOf('/') + 1));
}

// RFC 9110 §5.5: a field value must not contain CR, LF or NUL.
function checkFieldValue(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw new CacheRulesError(`${what} must be a non-empty string`);
  }
  if (/[\r\n\0]/.test(value)) throw new CacheRulesError(`${what} must not contain CR, LF or NUL`);
  return value.trim();
}

/** At most this many tags per rule. */
export const MAX_TAGS_PER_RULE = 32;

// A tag is one or more visible ASCII characters, no comma (the list separator) and no space.
const TAG = /^[\x21-\x2b\x2d-\x7e]+$/;

/** Turns "a, b" or ["a", "b"] into the `Cache-Tag` value "a,b", refusing malformed tags. */
export function normaliseTags(value: unknown, what: string): string {
  const list = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(list)) throw new CacheRulesError(`${what} must be a comma-separated string or an array of strings`);
  const tags = list.map((t: unknown) => {
    if (typeof t !== 'string') throw new CacheRulesError(`${what} must contain only strings`);
    const tag = t.trim();
    if (!TAG.test(tag)) throw new CacheRulesError(`${what}: tag "${tag}" must be visible ASCII without spaces or commas`);
    return tag;
  });
  if (tags.length === 0) throw new CacheRulesError(`${what} must name at least one tag`);
  if (tags.length > MAX_TAGS_PER_RULE)
    throw new CacheRulesError(`${what} has ${tags.length} tags, at most ${MAX_TAGS_PER_RULE} are allowed`);
  return tags.join(',');
}

/** Validates a rule list (from options or JSON) and returns a copy with checked fields. */
export function validateRules(input: unknown): (CacheRule & { cacheTag?: string })[] {
  if (!Array.isArray(input)) throw new CacheRulesError('rules must be an array');
  return input.map((raw: unknown, i) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new CacheRulesError(`rule ${i} must be an object`);
    }
    const r = raw as Record<string, unknown>;
    for (const key of Object.keys(r)) {
      if (!['match', 'cacheControl', 'cacheTag'].includes(key)) {
        throw new CacheRulesError(`rule ${i} has an unknown field "${key}" (allowed: match, cacheControl, cacheTag)`);
      }
    }
    if (typeof r.match !== 'string' || r.match.length === 0) {
      throw new CacheRulesError(`rule ${i} needs a non-empty string "match"`);
    }
    const rule: { match: string; cacheControl?: string; cacheTag?: string } = { match: r.match };
    if (r.cacheControl !== undefined) rule.cacheControl = checkFieldValue(r.cacheControl, `rule ${i} "cacheControl"`);
    if (r.cacheTag !== undefined) rule.cacheTag = normaliseTags(r.cacheTag, `rule ${i} "cacheTag"`);
    return rule;
  });
}

/**
 * Parses a rules document: either an array of rules, or
 * `{ "default": "<Cache-Control>", "rules": [...] }`.
 */
export function parseCachePolicy(json: unknown): CachePolicy {
  if (Array.isArray(json)) return { rules: validateRules(json), defaultCacheControl: DEFAULT_CACHE_CONTROL };
  if (typeof json !== 'object' || json === null) {
    throw new CacheRulesError('a rules file must hold an array of rules or {"default", "rules"}');
  }
  const doc = json as Record<string, unknown>;
  for (const key of Object.keys(doc)) {
    if (key !== 'default' && key !== 'rules') {
      throw new CacheRulesError(`unknown top-level field "${key}" (allowed: default, rules)`);
    }
  }
  return {
    rules: doc.rules === undefined ? [] : validateRules(doc.rules),
    defaultCacheControl: doc.default === undefined ? DEFAULT_CACHE_CONTROL : checkFieldValue(doc.default, '"default"'),
  };
}

/** Reads and validates a rules JSON file (`--cache-control rules.json`). */
export async function loadCachePolicy(file: string): Promise<CachePolicy> {
  const text = await readFile(file, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CacheRulesError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  try {
    return parseCachePolicy(json);
  } catch (err) {
    if (err instanceof CacheRulesError) throw new CacheRulesError(`${file}: ${err.message}`);
    throw err;
  }
}

/** Compiles a policy once; the returned function picks the headers for a path. */
export function compileCachePolicy(policy: CachePolicy): (path: string) => CacheHeaders {
  const compiled: CompiledRule[] = validateRules(policy.rules).map((r) => ({
    match: r.match,
    cacheControl: r.cacheControl,
    cacheTag: r.cacheTag,
    test: compilePattern(r.match),
  }));
  const fallback = checkFieldValue(policy.defaultCacheControl, 'the default Cache-Control');
  return (path) => {
    for (const rule of compiled) {
      if (rule.test(path)) return { cacheControl: rule.cacheControl ?? fallback, cacheTag: rule.cacheTag };
    }
    return { cacheControl: fallback, cacheTag: undefined };
  };
}
