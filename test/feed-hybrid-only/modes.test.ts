import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createFollowers, createUser, fanoutStatus, pageIds, post, settle, timeline } from '../feed/feed-client';

describe('FANOUT_MODES=hybrid', () => {
  it('refuses push reads with 409 and writes only hybrid timelines', async () => {
    const author = await createUser('ho');
    const [reader] = await createFollowers(author, 'hor');
    const p = await post(author, 'one follower: at HYBRID_THRESHOLD=1, fanned out');
    await settle();
    const refused = await timeline(reader, 'push');
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ error: 'mode_disabled', mode: 'push' });
    expect(await pageIds(await timeline(reader, 'hybrid'))).toEqual([p.id]);
    expect(await pageIds(await timeline(reader, 'pull'))).toEqual([p.id]);
    expect(await env.INBOX.getByName(reader.id).size()).toEqual({ push: 0, hybrid: 1 });
    expect(await fanoutStatus(p.id)).toMatchObject({ push_rows: 0, hybrid_rows: 1, steps: 1 });
  });

  it(
    'writes no follower timeline for an author over the threshold ' +
      "(its one step only re-writes the author's own); hybrid reads merge the post in",
    async () => {
      const star = await createUser('hs');
      const [a, b] = await createFollowers(star, 'hsa', 'hsb');
      const p = await post(star, 'two followers: over HYBRID_THRESHOLD=1');
      await settle();
      expect(await fanoutStatus(p.id)).toMatchObject({ hybrid_pushed: false, steps: 1, settled: true, push_rows: 0, hybrid_rows: 0 });
      expect(await env.INBOX.getByName(star.id).size()).toEqual({ push: 0, hybrid: 1 });
      for (const reader of [a, b]) {
        expect(await pageIds(await timeline(reader, 'hybrid'))).toEqual([p.id]);
        expect(await env.INBOX.getByName(reader.id).size()).toEqual({ push: 0, hybrid: 0 });
      }
    },
  );
});
