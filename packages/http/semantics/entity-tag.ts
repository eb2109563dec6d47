/**
 * Entity tags (RFC 9110 §8.8.3): parsing one tag or a list, and the strong and weak
 * comparison functions of §8.8.3.2.
 */

/** One entity-tag: its weakness and its opaque-tag (the characters between the quotes). */
export interface EntityTag {
  weak: boolean;
  opaque: string;
}

// entity-tag = [ weak ] opaque-tag; weak = %s"W/"; opaque-tag = DQUOTE *etagc DQUOTE;
// etagc = %x21 / %x23-7E / obs-text (%x80-FF). `W/` is case-sensitive.
const ENTITY_TAG = /^(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"$/;

const trimOws = (s: string): string => s.replace(/^[ \t]+|[ \t]+$/g, '');

/** Parses one entity-tag (an ETag field value, an If-Range tag); null when malformed. */
export function parseEntityTag(value: string): EntityTag | null {
  const m = ENTITY_TAG.exec(trimOws(value));
  if (!m) return null;
  return { weak: m[1] !== undefined, opaque: m[2] ?? '' };
}

/** Formats an entity-tag as a field value (`"abc"`, `W/"abc"`). */
export function formatEntityTag(tag: EntityTag): string {
  return `${tag.weak ? 'W/' : ''}"${tag.opaque}"`;
}

/**
 * Parses an `If-Match` / `If-None-Match` value (`"*" / #entity-tag`). `'*'` is returned only
 * for a field that is exactly `*`; otherwise the list's well-formed tags, in order. A member
 * that is not an entity-tag (unquoted, a stray `*` among tags, text after the closing quote)
 * is dropped: it can match nothing. Commas inside quotes do not split members; empty
 * members are ignored (RFC 9110 §5.6.1.2).
 */
export function parseEntityTagList(value: string): '*' | EntityTag[] {
  if (trimOws(value) === '*') return '*';
  const tags: EntityTag[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i <= value.length; i++) {
    const ch = value.charAt(i);
    if (ch === '"') quoted = !quoted;
    if (i === value.length || (ch === ',' && !quoted)) {
      const tag = parseEntityTag(value.slice(start, i));
      if (tag) tags.push(tag);
      start = i + 1;
    }
  }
  return tags;
}

/** RFC 9110 §8.8.3.2 strong comparison: both tags strong and their opaque-tags identical. */
export function strongCompare(a: EntityTag, b: EntityTag): boolean {
  return !a.weak && !b.weak && a.opaque === b.opaque;
}

/** RFC 9110 §8.8.3.2 weak comparison: opaque-tags identical, weakness ignored. */
export function weakCompare(a: EntityTag, b: EntityTag): boolean {
  return a.opaque === b.opaque;
}
