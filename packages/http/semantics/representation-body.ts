/**
 * Producing the bytes of a response from a representation's body, with Web Streams only (Workers
 * and Node alike): the whole body, one range, or a multipart/byteranges layout.
 */
import type { MultipartLayout } from './multipart';
import type { ByteRange } from './range';

/**
 * Where a representation's bytes come from:
 * - `random-access`: any range can be opened (a file, an R2 object);
 * - `sequential`: one stream read once from its first byte (a Cache API or fetch body).
 */
export type BodySource =
  | { kind: 'random-access'; open(range: ByteRange): ReadableStream<Uint8Array> | Promise<ReadableStream<Uint8Array>> }
  | { kind: 'sequential'; stream: ReadableStream<Uint8Array> | null };

/** A ReadableStream over an async generator; cancelling it ends the generator (and its sources). */
function streamOf(chunks: AsyncGenerator<Uint8Array>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
}

/** Reads a stream chunk by chunk, cancelling it if the reader stops early. */
async function* chunksOf(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        return;
      }
      if (value.byteLength > 0) yield value;
    }
  } finally {
    if (!finished) await reader.cancel();
    reader.releaseLock();
  }
}

/** The bytes of `ranges` (non-overlapping, in sending order) from one pass over `stream`. */
async function* rangesInOnePass(
  stream: ReadableStream<Uint8Array> | null,
  ranges: readonly ByteRange[],
): AsyncGenerator<{ index: number; bytes: Uint8Array }> {
  if (stream === null || ranges.length === 0) {
    await stream?.cancel();
    return;
  }
  // Bytes of later parts that went by before their turn; each fills from its first byte on.
  const held = new Map<number, { bytes: Uint8Array; filled: number }>();
  const size = (r: ByteRange): number => r.end - r.start + 1;
  let turn = 0;
  let offset = 0;
  const source = chunksOf(stream);
  try {
    while (turn < ranges.length) {
      const current = ranges[turn];
      if (!current) break;
      const early = held.get(turn);
      if (early) {
        held.delete(turn);
        yield { index: turn, bytes: early.bytes.subarray(0, early.filled) };
        if (early.filled === size(current)) {
          turn++;
          continue;
        }
      }
      const next = await source.next();
      if (next.done) throw new Error(`the body ended at byte ${offset}, before the requested ranges`);
      const chunk = next.value;
      const chunkStart = offset;
      offset += chunk.byteLength;
      for (let i = turn; i < ranges.length; i++) {
        const r = ranges[i];
        if (!r || r.end < chunkStart || r.start >= offset) continue;
        const from = Math.max(r.start, chunkStart);
        const piece = chunk.subarray(from - chunkStart, Math.min(r.end + 1, offset) - chunkStart);
        if (i === turn) {
          yield { index: i, bytes: piece };
          continue;
        }
        let keep = held.get(i);
        if (!keep) {
          keep = { bytes: new Uint8Array(size(r)), filled: 0 };
          held.set(i, keep);
        }
        keep.bytes.set(piece, from - r.start);
        keep.filled = from - r.start + piece.byteLength;
      }
      if (offset > current.end) turn++;
    }
  } finally {
    await source.return(undefined);
  }
}

/** The whole body (`length` bytes, when known). */
export function fullBody(source: BodySource, length: number | null): ReadableStream<Uint8Array> | null {
  if (source.kind === 'sequential') return source.stream;
  if (length === 0) return null;
  if (length === null) throw new TypeError('a random-access body needs its length');
  return streamOf(chunksFromOpen(source, { start: 0, end: length - 1 }));
}

async function* chunksFromOpen(source: Extract<BodySource, { kind: 'random-access' }>, range: ByteRange): AsyncGenerator<Uint8Array> {
  yield* chunksOf(await source.open(range));
}

/** The bytes of one range. */
export function rangeBody(source: BodySource, range: ByteRange): ReadableStream<Uint8Array> {
  if (source.kind === 'random-access') return streamOf(chunksFromOpen(source, range));
  const stream = source.stream;
  return streamOf(
    (async function* () {
      for await (const { bytes } of rangesInOnePass(stream, [range])) yield bytes;
    })(),
  );
}

/** A multipart/byteranges body laid out by {@link multipartLayout}. */
export function multipartBody(source: BodySource, layout: MultipartLayout): ReadableStream<Uint8Array> {
  return streamOf(
    (async function* () {
      if (source.kind === 'random-access') {
        for (const segment of layout.segments) {
          if (segment.kind === 'text') yield segment.bytes;
          else yield* chunksFromOpen(source, segment.range);
        }
        return;
      }
      const texts = layout.segments.filter((s) => s.kind === 'text');
      let part = -1;
      for await (const { index, bytes } of rangesInOnePass(source.stream, layout.ranges)) {
        while (part < index) {
          part++;
          const head = texts[part];
          if (head) yield head.bytes;
        }
        yield bytes;
      }
      const tail = texts[texts.length - 1];
      if (tail) yield tail.bytes;
    })(),
  );
}
