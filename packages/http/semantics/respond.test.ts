import { describe, expect, it } from 'vitest';
import { conditionalFields } from './preconditions';
import { buildResponse, planResponse, type RepresentationFacts } from './respond';

// The cases table (cases.test.ts) runs every status through both functions; these are the
// choices it does not reach.
const rep: RepresentationFacts = {
  etag: '"v1"',
  lastModified: Date.UTC(2026, 0, 5),
  length: 1000,
  contentType: 'application/octet-stream',
};
const fields = (h: Record<string, string>) => conditionalFields(new Headers(h));

describe('planResponse', () => {
  it('answers GET and HEAD only', () => {
    expect(() => planResponse('POST', fields({}), rep)).toThrow(TypeError);
  });

  it('ignores Range when the length is unknown', () => {
    expect(planResponse('GET', fields({ range: 'bytes=0-1' }), { ...rep, length: null })).toEqual({
      status: 200,
      contentLength: null,
      sendBody: true,
    });
  });

  it('keeps the order asked in one pass up to the hold limit, then sends parts ascending', () => {
    const range = 'bytes=900-949,0-49';
    const order = (sequentialHoldBytes?: number) => {
      const plan = planResponse('GET', fields({ range }), rep, { sequentialHoldBytes, boundary: 'B' });
      return plan.status === 206 && 'multipart' in plan ? plan.multipart.ranges.map((r) => r.start) : [];
    };
    expect(order()).toEqual([900, 0]);
    expect(order(50)).toEqual([900, 0]);
    expect(order(49)).toEqual([0, 900]);
  });

  it('says why Range was ignored', () => {
    expect(planResponse('GET', fields({ range: 'lines=1-2' }), rep)).toMatchObject({ status: 200, rangeIgnored: 'unit' });
    expect(planResponse('GET', fields({ range: 'bytes=0-0,2-2,4-4' }), rep, { maxRangeParts: 2 })).toMatchObject({
      status: 200,
      rangeIgnored: 'too-many-parts',
    });
  });
});

describe('buildResponse', () => {
  const sequential = () => {
    const state = { cancelled: false };
    const stream = new ReadableStream<Uint8Array>({
      pull: (c) => c.enqueue(new Uint8Array(10)),
      cancel: () => {
        state.cancelled = true;
      },
    });
    return { source: { kind: 'sequential' as const, stream }, state };
  };

  it('cancels a body it does not send (HEAD, 304, 412, 416)', async () => {
    for (const [method, h] of [
      ['HEAD', {}],
      ['GET', { 'if-none-match': '"v1"' }],
      ['GET', { 'if-match': '"x"' }],
      ['GET', { range: 'bytes=5000-' }],
    ] as const) {
      const { source, state } = sequential();
      const res = buildResponse(planResponse(method, fields(h), rep), new Headers({ etag: '"v1"' }), source);
      await res.arrayBuffer();
      await new Promise((r) => setTimeout(r, 0));
      expect(state.cancelled, `${method} ${JSON.stringify(h)}`).toBe(true);
    }
  });

  it('keeps the caller fields on a 304 and drops representation metadata', () => {
    const headers = new Headers({
      etag: '"v1"',
      'cache-control': 'max-age=60',
      vary: 'Accept-Encoding',
      age: '5',
      'content-type': 'text/plain',
      'content-length': '1000',
      'content-encoding': 'gzip',
    });
    const res = buildResponse({ status: 304 }, headers, { kind: 'sequential', stream: null });
    expect([...res.headers.keys()].sort()).toEqual(['age', 'cache-control', 'etag', 'vary']);
  });

  it('answers 412 and 416 with a JSON error that is never stored, keeping Vary', async () => {
    const headers = new Headers({ etag: '"v1"', vary: 'Accept-Encoding', 'cache-control': 'max-age=60' });
    const res = buildResponse({ status: 416, contentRange: 'bytes */1000' }, headers, { kind: 'sequential', stream: null });
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('vary')).toBe('Accept-Encoding');
    expect(res.headers.get('etag')).toBeNull();
    const body = await res.text();
    expect(res.headers.get('content-length')).toBe(String(body.length));
    expect(JSON.parse(body)).toMatchObject({ error: 'range_not_satisfiable' });
  });

  it('passes every body of known length through fixedLength, with that length', async () => {
    const bytes = new TextEncoder().encode('abcdefghij');
    const source = {
      kind: 'random-access' as const,
      open: (r: { start: number; end: number }) => new Response(bytes.slice(r.start, r.end + 1)).body ?? new ReadableStream(),
    };
    const lengths: number[] = [];
    const fixedLength = (body: ReadableStream<Uint8Array>, length: number): ReadableStream<Uint8Array> => {
      lengths.push(length);
      return body;
    };
    const facts = { ...rep, length: 10 };
    for (const range of [null, 'bytes=0-3', 'bytes=0-0,5-5']) {
      const res = buildResponse(planResponse('GET', fields(range === null ? {} : { range }), facts), new Headers(), source, {
        fixedLength,
      });
      expect((await res.arrayBuffer()).byteLength, String(range)).toBe(Number(res.headers.get('content-length')));
    }
    expect(lengths.slice(0, 2)).toEqual([10, 4]);
    expect(lengths).toHaveLength(3);
    const head = buildResponse(planResponse('HEAD', fields({}), facts), new Headers(), source, { fixedLength });
    expect(head.body).toBeNull();
    expect(lengths).toHaveLength(3);
  });
});
