import { describe, expect, it } from 'vitest';
import { mapLimited, settleWithConcurrency } from '@pushpull/http/concurrency';
import { planFollowerRanges } from '../../workers/feed/src/fanout-plan';
import { parseFanoutMessage } from '../../workers/feed/src/messages';
import { linkHeader, mergePage, parsePageWindow } from '../../workers/feed/src/page-window';
import { postBodyProblem } from '../../workers/feed/src/posts';
import { readSettings } from '../../workers/feed/src/settings';
import { MAX_ID, parseId, SNOWFLAKE_EPOCH_MS, SnowflakeGenerator, snowflakeTime } from '../../workers/feed/src/snowflake';
import { handleProblem } from '../../workers/feed/src/users';

describe('SnowflakeGenerator', () => {
  it('packs milliseconds << 22 | generator << 12 | sequence, as a decimal string', () => {
    const gen = new SnowflakeGenerator(5);
    const now = Date.UTC(2026, 10, 24);
    const id = BigInt(gen.next(now));
    expect(id >> 22n).toBe(BigInt(now) - SNOWFLAKE_EPOCH_MS);
    expect((id >> 12n) & 0x3ffn).toBe(5n);
    expect(id & 0xfffn).toBe(0n);
    expect(snowflakeTime(id)).toBe(now);
  });

  it('stays strictly increasing within a millisecond, across 4096+ ids, and when the clock steps back', () => {
    const gen = new SnowflakeGenerator(1);
    const now = Date.UTC(2026, 0, 1);
    let last = 0n;
    for (let i = 0; i < 5000; i++) {
      const id = BigInt(gen.next(i < 4000 ? now : now - 10));
      expect(id > last).toBe(true);
      last = id;
    }
  });

  it('refuses generator ids outside 0..1023', () => {
    expect(() => new SnowflakeGenerator(1024)).toThrow(RangeError);
    expect(() => new SnowflakeGenerator(-1)).toThrow(RangeError);
  });

  it('parses ids from 1 to 2^63-1 only', () => {
    expect(parseId('1')).toBe(1n);
    expect(parseId(MAX_ID.toString())).toBe(MAX_ID);
    expect(parseId((MAX_ID + 1n).toString())).toBeUndefined();
    for (const bad of ['0', '-1', '1e3', ' 1', '', 'abc', '12345678901234567890']) expect(parseId(bad)).toBeUndefined();
  });
});

describe('parsePageWindow', () => {
  const limits = { defaultLimit: 20, maxLimit: 40 };
  const parse = (q: string) => parsePageWindow(new URLSearchParams(q), limits);

  it('defaults to the newest PAGE_LIMIT_DEFAULT items', () => {
    expect(parse('')).toEqual({ after: undefined, before: undefined, ascending: false, limit: 20 });
  });

  it('maps max_id / since_id / min_id to bounds; min_id wins over since_id', () => {
    expect(parse('max_id=10&since_id=3&limit=40')).toEqual({ after: 3n, before: 10n, ascending: false, limit: 40 });
    expect(parse('min_id=5&since_id=3&limit=1')).toEqual({ after: 5n, before: undefined, ascending: true, limit: 1 });
  });

  it('refuses limits 0 and 41 and malformed cursors with 400', () => {
    expect(() => parse('limit=0')).toThrow(/limit must be an integer from 1 to 40/);
    expect(() => parse('limit=41')).toThrow(/limit/);
    expect(() => parse('max_id=x')).toThrow(/max_id/);
  });
});

describe('mergePage', () => {
  const items = (...ids: number[]) => ids.map((id) => ({ id: String(id) }));

  it('deduplicates, orders newest first and cuts to the window', () => {
    const w = { after: 2n, before: 9n, ascending: false, limit: 3 };
    expect(mergePage(w, items(3, 8, 5), items(5, 7, 1, 9)).map((i) => i.id)).toEqual(['8', '7', '5']);
  });

  it('takes the oldest items above min_id when ascending, still newest first', () => {
    const w = { after: 2n, before: undefined, ascending: true, limit: 2 };
    expect(mergePage(w, items(3, 8, 5), items(4)).map((i) => i.id)).toEqual(['4', '3']);
  });

  it('compares 64-bit ids exactly', () => {
    const a = { id: '9007199254740993' };
    const b = { id: '9007199254740992' };
    expect(mergePage({ ascending: false, limit: 2 }, [b, a])).toEqual([a, b]);
  });
});

describe('linkHeader', () => {
  it('links next (max_id = oldest) and prev (min_id = newest), keeping other parameters', () => {
    const link = linkHeader('http://x/users/1/timeline?mode=pull&limit=2&since_id=1', [{ id: '9' }, { id: '7' }]);
    expect(link).toBe(
      '<http://x/users/1/timeline?mode=pull&limit=2&max_id=7>; rel="next", ' +
        '<http://x/users/1/timeline?mode=pull&limit=2&min_id=9>; rel="prev"',
    );
    expect(linkHeader('http://x/', [])).toBeUndefined();
  });
});

describe('planFollowerRanges', () => {
  it('splits followers into ranges of FANOUT_CHUNK that cover every id exactly once', () => {
    const ids = ['3', '5', '8', '13', '21'];
    const ranges = planFollowerRanges(ids, 2);
    expect(ranges).toEqual([
      { after: '0', through: '5' },
      { after: '5', through: '13' },
      { after: '13', through: MAX_ID.toString() },
    ]);
    for (const id of ids) {
      const hits = ranges.filter((r) => BigInt(id) > BigInt(r.after) && BigInt(id) <= BigInt(r.through));
      expect(hits.length).toBe(1);
    }
    expect(planFollowerRanges([], 2)).toEqual([]);
    expect(planFollowerRanges(ids, 5)).toEqual([{ after: '0', through: MAX_ID.toString() }]);
  });
});

describe('settleWithConcurrency', () => {
  it('runs every task with at most N in flight and reports failures without rejecting', async () => {
    let inFlight = 0;
    let peak = 0;
    const results = await settleWithConcurrency([1, 2, 3, 4, 5], 2, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      if (n === 3) throw new Error('three');
      return n * 10;
    });
    expect(peak).toBe(2);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
  });
});

describe('mapLimited', () => {
  it('keeps input order; after a failure starts nothing new, lets calls in flight finish, then rejects with it', async () => {
    expect(
      await mapLimited([3, 1, 2], 2, async (n) => {
        await new Promise((r) => setTimeout(r, n));
        return n * 10;
      }),
    ).toEqual([30, 10, 20]);
    const started: number[] = [];
    const finished: number[] = [];
    await expect(
      mapLimited([1, 2, 3, 4, 5], 2, async (n) => {
        started.push(n);
        await new Promise((r) => setTimeout(r, n === 1 ? 1 : 20));
        if (n === 1) throw new Error('one');
        finished.push(n);
      }),
    ).rejects.toThrow('one');
    expect(started).toEqual([1, 2]);
    expect(finished).toEqual([2]);
  });
});

describe('readSettings', () => {
  it('uses the documented defaults and refuses malformed vars', () => {
    const s = readSettings({});
    expect(s).toMatchObject({ timelineCap: 800, activeDays: 7, hybridThreshold: 1000, followBackfill: 200, pageLimitMax: 40 });
    expect(s.fanoutModes).toEqual(['push', 'hybrid']);
    expect(() => readSettings({ TIMELINE_CAP: '0' })).toThrow(/TIMELINE_CAP/);
    expect(() => readSettings({ HYBRID_THRESHOLD: 'lots' })).toThrow(/HYBRID_THRESHOLD/);
    expect(() => readSettings({ FANOUT_MODES: 'push,pull' })).toThrow(/FANOUT_MODES/);
    expect(() => readSettings({ PAGE_LIMIT_DEFAULT: '50' })).toThrow(/PAGE_LIMIT_DEFAULT/);
    expect(readSettings({ FANOUT_MODES: 'hybrid' }).fanoutModes).toEqual(['hybrid']);
  });
});

describe('validators', () => {
  it('measures posts in code points and handles in characters', () => {
    expect(postBodyProblem('a'.repeat(10), 10)).toBeUndefined();
    expect(postBodyProblem('a'.repeat(11), 10)?.code).toBe('post_too_long');
    expect(postBodyProblem('😀'.repeat(10), 10)).toBeUndefined();
    expect(handleProblem('a'.repeat(30), 30)).toBeUndefined();
    expect(handleProblem('a'.repeat(31), 30)).toMatch(/at most 30/);
  });

  it('accepts only well-formed fan-out messages', () => {
    expect(parseFanoutMessage({ kind: 'rebuild', userId: '5' })).toEqual({ kind: 'rebuild', userId: '5' });
    expect(parseFanoutMessage({ kind: 'plan', action: 'insert', postId: '1', authorId: '2', hybrid: true })).toBeDefined();
    expect(parseFanoutMessage({ kind: 'plan', action: 'upsert', postId: '1', authorId: '2', hybrid: true })).toBeUndefined();
    expect(parseFanoutMessage({ kind: 'deliver', action: 'insert', postId: '1', authorId: '2', hybrid: true })).toBeUndefined();
    expect(parseFanoutMessage({ kind: 'rebuild', userId: 5 })).toBeUndefined();
    expect(parseFanoutMessage(null)).toBeUndefined();
  });
});
