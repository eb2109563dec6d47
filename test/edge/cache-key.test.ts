/**
 * Pull CDN regression tests (from a review against RFC 9111 / 5861 / 9110 / 9211 and the docs),
 * each as a user would see it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normaliseAcceptLanguage, normalisedPath, pathOfName } from '../../workers/edge/src/cache-key';
import { cacheStatus, edge, originHits, purgeEdge, script, uniquePath } from './edge-client';

describe('pull CDN: cache key', () => {
  it('does not answer ?q=%FE with the response stored for ?q=%FF (different bytes, different resources)', async () => {
    const p = uniquePath('bytes-key');
    await script(p, { body: 'latin1', headers: { 'cache-control': 'max-age=60' } });
    await edge(`${p}?q=%FF`);
    const other = await edge(`${p}?q=%FE`);
    expect(cacheStatus(other.res)).not.toContain('hit');
    expect((await originHits(p)).count).toBe(2);
  });
});

describe('pull CDN: Vary keyed on what the origin saw', () => {
  it('does not file a response fetched without Accept-Language (stripped by Connection) under the "fr" variant', async () => {
    const p = uniquePath('vary-conn');
    await script(p, { body: 'default-language', headers: { 'cache-control': 'max-age=60', vary: 'Accept-Language' } });
    await edge(p, { headers: { 'accept-language': 'fr', connection: 'accept-language' } });
    const seen = (await originHits(p)).requests[0].headers;
    expect(seen['accept-language']).toBeUndefined(); // the origin chose without knowing the language
    const fr = await edge(p, { headers: { 'accept-language': 'fr' } });
    expect(cacheStatus(fr.res)).not.toContain('hit');
    expect((await originHits(p)).count).toBe(2);
  });
});

describe('pull CDN: invalidation after unsafe requests', () => {
  it('invalidates the cached GET after a POST to the same URL with an ignored utm_ parameter (RFC 9111 §4.4)', async () => {
    const p = uniquePath('post-utm');
    await script(p, { body: 'before', headers: { 'cache-control': 'max-age=600' } });
    await edge(`${p}?utm_source=mail`);
    expect(cacheStatus((await edge(`${p}?utm_source=mail`)).res)).toContain('hit');
    const post = await edge(`${p}?utm_source=mail`, { method: 'POST', body: 'change' });
    expect(post.res.status).toBe(200);
    const after = await edge(`${p}?utm_source=mail`);
    expect(cacheStatus(after.res)).not.toContain('hit');
  });
});

describe('pull CDN: ignored query parameters', () => {
  it('forwards a request without its ignored parameters, so what the origin echoes of them is never served to others', async () => {
    const p = uniquePath('utm-echo');
    await script(p, { echoUrl: true, headers: { 'cache-control': 'max-age=600' } });
    const poisoned = await edge(`${p}?utm_content=%3Cscript%3Ealert(1)%3C/script%3E&a=1&fbclid=x`);
    expect(poisoned.body).toBe(`${p}?a=1`);
    const other = await edge(`${p}?a=1`);
    expect(cacheStatus(other.res)).toContain('hit');
    expect(other.body).toBe(`${p}?a=1`);
    const hits = await originHits(p);
    expect(hits.requests.map((r) => r.url)).toEqual([`${p}?a=1`]);
  });

  it('forwards the other parameters in their order, byte for byte', async () => {
    const p = uniquePath('utm-order');
    await script(p, { echoUrl: true, headers: { 'cache-control': 'max-age=600' } });
    const got = await edge(`${p}?z=%FF&utm_source=mail&a=b+c&UTM_MEDIUM=x&=&flag`);
    expect(got.body).toBe(`${p}?z=%FF&a=b+c&=&flag`);
  });
});

describe('normaliseAcceptLanguage (one variant per equivalent Accept-Language)', () => {
  it('folds case, whitespace and the order of equal weights; keeps what differs', () => {
    const n = normaliseAcceptLanguage;
    expect(n('en-US,fr;q=0.5')).toBe(n(' FR;q=0.5 , en-us'));
    expect(n('de, en')).toBe(n('en,de;q=1'));
    expect(n('en-US,fr;q=0.5')).toBe('en-us;q=1,fr;q=0.5');
    expect(n('fr;q=0.5,en')).not.toBe(n('fr,en;q=0.5'));
    expect(n('en;q=0.9')).not.toBe(n('en'));
    expect(n('en;q=2')).toBe(n('en'));
    expect(n(null)).toBe('');
    expect(n(' , ')).toBe('');
  });
});

describe('normalisedPath (RFC 3986 §6.2.2)', () => {
  it('decodes unreserved characters, uppercases the hex of the others, and encodes what a path may not hold', () => {
    expect(normalisedPath('/%73tale.txt')).toBe('/stale.txt');
    expect(normalisedPath('/dir/index%2Ehtml')).toBe('/dir/index.html');
    expect(normalisedPath('/caf%c3%a9s.txt')).toBe('/caf%C3%A9s.txt');
    expect(normalisedPath('/a%2fb%2Bc+d')).toBe('/a%2Fb%2Bc+d');
    expect(normalisedPath('/100%.txt')).toBe('/100%25.txt');
    expect(normalisedPath('/a|b^c')).toBe('/a%7Cb%5Ec');
    expect(pathOfName('/what?#100%.txt')).toBe('/what%3F%23100%25.txt');
    expect(pathOfName('/cafés 😀.txt')).toBe('/caf%C3%A9s%20%F0%9F%98%80.txt');
  });

  it('is idempotent and left as it is by the URL parser, for any path', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.stringMatching(/^[%0-9a-fA-F/.~sS|^+]*$/), (text, escapes) => {
        const pathname = new URL('http://x/' + text + escapes).pathname;
        const once = normalisedPath(pathname);
        expect(normalisedPath(once)).toBe(once);
        expect(new URL('http://x' + once).pathname).toBe(once);
      }),
      { numRuns: 500 },
    );
  });

  it('gives a pushed name the URL path that decodes back to it', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        const name = '/' + text.replace(/\//g, '');
        expect(decodeURIComponent(pathOfName(name))).toBe(name);
        expect(normalisedPath(pathOfName(name))).toBe(pathOfName(name));
      }),
      { numRuns: 500 },
    );
  });
});

describe('pull CDN: one key for every spelling of a path', () => {
  it('answers /%73tale and /caf%c3%a9 from the copy stored for /stale and /caf%C3%A9, the origin asked once', async () => {
    const id = crypto.randomUUID().slice(0, 8);
    const p = `/t/stale-caf%C3%A9-${id}`;
    await script(p, { echoUrl: true, headers: { 'cache-control': 'max-age=600' } });
    expect((await edge(`/t/%73tale-caf%c3%a9-${id}`)).body).toBe(p);
    for (const spelling of [p, `/t/st%61le-caf%C3%a9-${id}`, `/t/stale-café-${id}`]) {
      const got = await edge(spelling);
      expect([spelling, cacheStatus(got.res)]).toEqual([spelling, expect.stringContaining('hit')]);
    }
    expect((await originHits(p)).count).toBe(1);
  });

  it('purges every spelling of a path by any one of them, as a URL or a prefix', async () => {
    const id = crypto.randomUUID().slice(0, 8);
    const p = `/t/purge-caf%C3%A9-${id}/index.html`;
    await script(p, { body: 'cached', headers: { 'cache-control': 'max-age=600' } });
    await edge(p);
    expect(cacheStatus((await edge(p)).res)).toContain('hit');
    expect((await purgeEdge({ urls: [`/t/purge-caf%c3%a9-${id}/index%2Ehtml`] })).res.status).toBe(200);
    expect(cacheStatus((await edge(p)).res)).not.toContain('hit');
    expect(cacheStatus((await edge(p)).res)).toContain('hit');
    expect((await purgeEdge({ prefixes: [`/t/p%75rge-caf%c3%a9-${id}/`] })).res.status).toBe(200);
    expect(cacheStatus((await edge(p)).res)).not.toContain('hit');
  });

  it('keeps a reserved character and its percent-encoding apart (RFC 3986 §2.2)', async () => {
    const p = uniquePath('reserved');
    await script(`${p}+x`, { body: 'plus', headers: { 'cache-control': 'max-age=600' } });
    await script(`${p}%2Bx`, { body: 'encoded', headers: { 'cache-control': 'max-age=600' } });
    expect((await edge(`${p}+x`)).body).toBe('plus');
    expect((await edge(`${p}%2bx`)).body).toBe('encoded');
  });
});
