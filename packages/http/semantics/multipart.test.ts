import { describe, expect, it } from 'vitest';
import { parseMultipart } from './cases-check';
import { bytesHeldInOnePass, multipartLayout, newBoundary } from './multipart';
import { fullBody, multipartBody, rangeBody, type BodySource } from './representation-body';

const BYTES = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
const text = (b: Uint8Array): string => Array.from(b, (c) => String.fromCharCode(c)).join('');

/** A sequential source delivering `chunk` bytes at a time, recording whether it was cancelled. */
function sequential(chunk: number): { source: BodySource; state: { cancelled: boolean; pulled: number } } {
  const state = { cancelled: false, pulled: 0 };
  let at = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= BYTES.length) {
        controller.close();
        return;
      }
      controller.enqueue(BYTES.slice(at, at + chunk));
      at += chunk;
      state.pulled = at;
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { source: { kind: 'sequential', stream }, state };
}
const randomAccess: BodySource = {
  kind: 'random-access',
  open: async (r) => new Response(BYTES.slice(r.start, r.end + 1)).body ?? new ReadableStream(),
};
const read = async (s: ReadableStream<Uint8Array> | null): Promise<Uint8Array> => new Uint8Array(await new Response(s).arrayBuffer());

describe('multipartLayout (RFC 9110 §14.6)', () => {
  it('describes the body as text and ranges with its exact length', () => {
    const layout = multipartLayout(
      [
        { start: 0, end: 1 },
        { start: 5, end: 5 },
      ],
      10,
      'text/plain',
      'B',
    );
    expect(layout.contentType).toBe('multipart/byteranges; boundary=B');
    const shape = layout.segments.map((s) => (s.kind === 'text' ? text(s.bytes) : s.range));
    expect(shape).toEqual([
      '--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/10\r\n\r\n',
      { start: 0, end: 1 },
      '\r\n--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 5-5/10\r\n\r\n',
      { start: 5, end: 5 },
      '\r\n--B--\r\n',
    ]);
    expect(layout.length).toBe(shape.reduce<number>((n, s) => n + (typeof s === 'string' ? s.length : s.end - s.start + 1), 0));
  });

  it('leaves out Content-Type when the representation has none, and refuses bad boundaries', () => {
    expect(text((multipartLayout([{ start: 0, end: 0 }], 1, null, 'B').segments[0] as { bytes: Uint8Array }).bytes)).toBe(
      '--B\r\nContent-Range: bytes 0-0/1\r\n\r\n',
    );
    expect(() => multipartLayout([], 1, null, 'has space')).toThrow(TypeError);
    expect(() => multipartLayout([], 1, null, 'x'.repeat(71))).toThrow(TypeError);
    expect(newBoundary()).toMatch(/^pushpull-[0-9a-f]{24}$/);
  });

  it('counts the bytes one pass must hold to keep the order asked', () => {
    expect(
      bytesHeldInOnePass([
        { start: 0, end: 9 },
        { start: 20, end: 29 },
      ]),
    ).toBe(0);
    expect(
      bytesHeldInOnePass([
        { start: 20, end: 29 },
        { start: 0, end: 4 },
        { start: 40, end: 41 },
        { start: 10, end: 11 },
      ]),
    ).toBe(7);
  });
});

describe('bodies from a layout, random access and in one pass', () => {
  const cases: Array<[string, Array<{ start: number; end: number }>]> = [
    [
      'ascending',
      [
        { start: 0, end: 9 },
        { start: 100, end: 399 },
        { start: 998, end: 999 },
      ],
    ],
    [
      'out of order',
      [
        { start: 500, end: 520 },
        { start: 3, end: 4 },
        { start: 700, end: 999 },
        { start: 10, end: 300 },
      ],
    ],
  ];
  for (const chunk of [1, 7, 64, 4096]) {
    for (const [label, ranges] of cases) {
      it(`multipart ${label}, ${chunk}-byte chunks: same bytes either way, parts as laid out`, async () => {
        const layout = multipartLayout(ranges, BYTES.length, 'application/octet-stream', 'B');
        const fromFile = await read(multipartBody(randomAccess, layout));
        const { source, state } = sequential(chunk);
        const fromStream = await read(multipartBody(source, layout));
        expect(text(fromStream)).toBe(text(fromFile));
        expect(fromFile.byteLength).toBe(layout.length);
        const parts = parseMultipart(text(fromFile), 'B');
        if (typeof parts === 'string') throw new Error(parts);
        expect(parts.map((p) => p.body)).toEqual(ranges.map((r) => text(BYTES.slice(r.start, r.end + 1))));
        // One pass stops reading after the last byte it needs.
        const last = Math.max(...ranges.map((r) => r.end));
        if (last < BYTES.length - chunk) expect(state.cancelled).toBe(true);
      });
    }
  }

  it('slices one range from either source, and cancels a stream after it', async () => {
    const { source, state } = sequential(10);
    expect(await read(rangeBody(source, { start: 15, end: 24 }))).toEqual(BYTES.slice(15, 25));
    expect(state.cancelled).toBe(true);
    expect(state.pulled).toBeLessThan(100);
    expect(await read(rangeBody(randomAccess, { start: 995, end: 999 }))).toEqual(BYTES.slice(995));
  });

  it('passes the whole body through, and knows an empty one', async () => {
    const { source } = sequential(100);
    expect(await read(fullBody(source, 1000))).toEqual(BYTES);
    expect(await read(fullBody(randomAccess, 1000))).toEqual(BYTES);
    expect(fullBody(randomAccess, 0)).toBeNull();
    expect(() => fullBody(randomAccess, null)).toThrow(TypeError);
  });

  it('fails the stream when a one-pass body is shorter than the ranges need', async () => {
    const short: BodySource = { kind: 'sequential', stream: new Response(BYTES.slice(0, 10)).body };
    await expect(read(rangeBody(short, { start: 5, end: 50 }))).rejects.toThrow(/ended at byte 10/);
  });
});
