import { describe, expect, it } from 'vitest';
import { formatEntityTag, parseEntityTag, parseEntityTagList, strongCompare, weakCompare } from './entity-tag';

describe('parseEntityTag (RFC 9110 §8.8.3)', () => {
  it('reads strong and weak tags, the empty tag and obs-text', () => {
    expect(parseEntityTag('"abc"')).toEqual({ weak: false, opaque: 'abc' });
    expect(parseEntityTag('W/"abc"')).toEqual({ weak: true, opaque: 'abc' });
    expect(parseEntityTag('""')).toEqual({ weak: false, opaque: '' });
    expect(parseEntityTag('"caf\xe9"')).toEqual({ weak: false, opaque: 'caf\xe9' });
    expect(parseEntityTag(' "a,b" ')).toEqual({ weak: false, opaque: 'a,b' });
  });

  it('refuses malformed tags', () => {
    for (const v of ['abc', '"abc', 'abc"', 'w/"abc"', 'W/abc', 'W/ "abc"', '"a"b"', '"a b"', '"a\x7f"', '*', '"abc" x', '']) {
      expect(parseEntityTag(v), v).toBeNull();
    }
  });

  it('formats what it parses', () => {
    for (const v of ['"abc"', 'W/"abc"', '""']) {
      const tag = parseEntityTag(v);
      expect(tag && formatEntityTag(tag)).toBe(v);
    }
  });
});

describe('parseEntityTagList', () => {
  it('returns * only for a field that is exactly *', () => {
    expect(parseEntityTagList('*')).toBe('*');
    expect(parseEntityTagList(' * ')).toBe('*');
    expect(parseEntityTagList('*, "a"')).toEqual([{ weak: false, opaque: 'a' }]);
  });

  it('reads lists with weak tags, commas inside tags and empty members, dropping malformed members', () => {
    expect(parseEntityTagList('"a", W/"b",  "c,d" ,, "e"')).toEqual([
      { weak: false, opaque: 'a' },
      { weak: true, opaque: 'b' },
      { weak: false, opaque: 'c,d' },
      { weak: false, opaque: 'e' },
    ]);
    expect(parseEntityTagList('bogus, "x", "y" z')).toEqual([{ weak: false, opaque: 'x' }]);
    expect(parseEntityTagList('')).toEqual([]);
  });
});

describe('comparison (RFC 9110 §8.8.3.2, its table)', () => {
  const t = (v: string) => {
    const tag = parseEntityTag(v);
    if (!tag) throw new Error(v);
    return tag;
  };
  const table: Array<[string, string, boolean, boolean]> = [
    ['W/"1"', 'W/"1"', false, true],
    ['W/"1"', 'W/"2"', false, false],
    ['W/"1"', '"1"', false, true],
    ['"1"', '"1"', true, true],
  ];
  for (const [a, b, strong, weak] of table) {
    it(`${a} vs ${b}: strong ${strong}, weak ${weak}`, () => {
      expect(strongCompare(t(a), t(b))).toBe(strong);
      expect(weakCompare(t(a), t(b))).toBe(weak);
    });
  }
});
