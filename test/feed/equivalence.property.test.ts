import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createUser, deletePost, follow, post, readAll, settle, type TestUser, unfollow } from './feed-client';

/** One step of a random history. Indexes are taken modulo the number of users / posts. */
type Op =
  { t: 'follow'; a: number; b: number } | { t: 'unfollow'; a: number; b: number } | { t: 'post'; a: number } | { t: 'delete'; k: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant('post' as const), a: fc.nat(9) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('follow' as const), a: fc.nat(9), b: fc.nat(9) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('unfollow' as const), a: fc.nat(9), b: fc.nat(9) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('delete' as const), k: fc.nat(50) }) },
);

// The test config sets FOLLOW_BACKFILL = 5 and TIMELINE_CAP = 30: pushed timelines hold at
// most the 5 newest posts of an author followed late, and 30 ids in all. Histories stay
// inside those bounds (at most 5 live posts per author, 5 users), where all modes must agree.
const MAX_LIVE_PER_AUTHOR = 5;

describe('push, pull and hybrid agree', () => {
  it('return the same timeline, equal to the model, once fan-out has settled (random graphs and posts)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 5 }), fc.array(op, { minLength: 1, maxLength: 24 }), async (n, ops) => {
        const users: TestUser[] = [];
        for (let i = 0; i < n; i++) users.push(await createUser('pr'));
        const follows = new Set<string>();
        const live: { id: string; author: number }[] = [];
        for (const o of ops) {
          if (o.t === 'post') {
            const a = o.a % n;
            if (live.filter((p) => p.author === a).length >= MAX_LIVE_PER_AUTHOR) continue;
            live.push({ id: (await post(users[a], `p${live.length}`)).id, author: a });
          } else if (o.t === 'delete') {
            if (live.length === 0) continue;
            const [gone] = live.splice(o.k % live.length, 1);
            await deletePost(users[gone.author], gone.id);
          } else {
            const a = o.a % n;
            const b = o.b % n;
            const key = `${a}>${b}`;
            if (a === b) continue;
            if (o.t === 'follow' && !follows.has(key)) {
              await follow(users[a], users[b]);
              follows.add(key);
            } else if (o.t === 'unfollow' && follows.has(key)) {
              await unfollow(users[a], users[b]);
              follows.delete(key);
            }
          }
        }
        await settle();
        for (let u = 0; u < n; u++) {
          const expected = live
            .filter((p) => p.author === u || follows.has(`${u}>${p.author}`))
            .map((p) => BigInt(p.id))
            .sort((x, y) => (x < y ? 1 : x > y ? -1 : 0))
            .map(String);
          const pull = await readAll(users[u], 'pull', 4);
          const push = await readAll(users[u], 'push', 4);
          const hybrid = await readAll(users[u], 'hybrid', 4);
          expect(pull).toEqual(expected);
          expect(push).toEqual(expected);
          expect(hybrid).toEqual(expected);
        }
      }),
      { numRuns: 25, endOnFailure: true },
    );
  });
});
