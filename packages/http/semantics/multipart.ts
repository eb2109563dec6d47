/**
 * multipart/byteranges (RFC 9110 §14.6) described as offsets: a layout of literal text
 * (boundaries and part headers) and byte ranges of the representation, with its exact length
 * known before anything is read. Both a Worker (over an R2 object or a Cache API body) and the
 * Node origin (over a file) turn the same layout into a body; see representation-body.ts.
 */
import { contentRange, type ByteRange } from './range';

/** A piece of a multipart body: literal bytes, or a range of the representation's bytes. */
type MultipartSegment = { kind: 'text'; bytes: Uint8Array } | { kind: 'range'; range: ByteRange };

/** A multipart/byteranges body, ready to send. */
export interface MultipartLayout {
  /** The response's Content-Type: `multipart/byteranges; boundary=…`. */
  contentType: string;
  boundary: string;
  /** The parts' ranges, in the order they are sent. */
  ranges: ByteRange[];
  segments: MultipartSegment[];
  /** Exact body length in bytes (the response's Content-Length). */
  length: number;
}

const encoder = new TextEncoder();

/**
 * A fresh boundary: 24 random hex digits after a fixed prefix (RFC 2046 §5.1.1: at most 70
 * characters from bcharsnospace; random so it cannot occur in the content).
 */
export function newBoundary(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `pushpull-${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/**
 * Lays out a multipart/byteranges body for `ranges` (in sending order) of a representation of
 * `length` bytes. Each part carries the representation's Content-Type (when it has one) and
 * its Content-Range (§14.6).
 */
export function multipartLayout(
  ranges: readonly ByteRange[],
  length: number,
  partContentType: string | null,
  boundary: string,
): MultipartLayout {
  if (!/^[0-9A-Za-z'()+_,\-./:=?]{1,70}$/.test(boundary)) throw new TypeError(`invalid multipart boundary ${JSON.stringify(boundary)}`);
  const segments: MultipartSegment[] = [];
  let total = 0;
  const text = (s: string): void => {
    const bytes = encoder.encode(s);
    segments.push({ kind: 'text', bytes });
    total += bytes.byteLength;
  };
  ranges.forEach((range, i) => {
    const type = partContentType === null ? '' : `Content-Type: ${partContentType}\r\n`;
    text(`${i === 0 ? '' : '\r\n'}--${boundary}\r\n${type}Content-Range: ${contentRange(range, length)}\r\n\r\n`);
    segments.push({ kind: 'range', range: { ...range } });
    total += range.end - range.start + 1;
  });
  text(`\r\n--${boundary}--\r\n`);
  return {
    contentType: `multipart/byteranges; boundary=${boundary}`,
    boundary,
    ranges: ranges.map((r) => ({ ...r })),
    segments,
    length: total,
  };
}

/**
 * Bytes a single pass over the representation must hold to send `ranges` in this order: a
 * range that starts before one sent earlier has gone by when its turn comes.
 */
export function bytesHeldInOnePass(ranges: readonly ByteRange[]): number {
  let held = 0;
  let furthestStart = -1;
  for (const r of ranges) {
    if (r.start < furthestStart) held += r.end - r.start + 1;
    furthestStart = Math.max(furthestStart, r.start);
  }
  return held;
}
