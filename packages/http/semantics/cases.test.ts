import { describe, expect, it } from 'vitest';
import { CASES, FIXTURES, fillTokens, type Fixture, type ServedFacts } from './cases';
import { checkAnswer } from './cases-check';
import { formatHttpDate } from './http-date';
import { conditionalFields } from './preconditions';
import type { BodySource } from './representation-body';
import { buildResponse, planResponse } from './respond';

/** The fixed validators the module is asked about (a server's own come from its responses). */
const LAST_MODIFIED = Date.UTC(2026, 0, 5, 7, 8, 9);
/** The response Date: an hour later, so Last-Modified is a strong validator (RFC 9110 §8.8.2.2). */
const DATE = LAST_MODIFIED + 3_600_000;

function factsOf(fixture: Fixture): ServedFacts {
  const opaque = `"fixture-${fixture.name}"`;
  return {
    etag: fixture.etag === 'none' ? null : fixture.etag === 'weak' ? `W/${opaque}` : opaque,
    lastModified: fixture.lastModified ? LAST_MODIFIED : null,
    size: fixture.body.length,
  };
}

/** The body as a source of the given kind, delivered in small chunks so range arithmetic is exercised. */
function sourceOf(bytes: Uint8Array, kind: BodySource['kind']): BodySource {
  const chunked = (from: number, to: number): ReadableStream<Uint8Array> => {
    let at = from;
    return new ReadableStream({
      pull(controller) {
        if (at > to) {
          controller.close();
          return;
        }
        const next = Math.min(at + 3, to + 1);
        controller.enqueue(bytes.slice(at, next));
        at = next;
      },
    });
  };
  if (kind === 'sequential') return { kind, stream: chunked(0, bytes.byteLength - 1) };
  return { kind, open: (r) => chunked(r.start, r.end) };
}

describe('the cases table against the module (planResponse + buildResponse)', () => {
  it('has unique ids', () => {
    expect(new Set(CASES.map((c) => c.id)).size).toBe(CASES.length);
  });

  for (const kind of ['random-access', 'sequential'] as const) {
    describe(`over a ${kind} body`, () => {
      for (const row of CASES) {
        it(`${row.id}: ${row.behaviour} (RFC ${row.rfc})`, async () => {
          const fixture = FIXTURES[row.fixture];
          const facts = factsOf(fixture);
          const request = new Headers(Object.entries(row.request.headers ?? {}).map(([k, v]) => [k, fillTokens(v, facts)]));
          const headers = new Headers({ 'content-type': fixture.contentType, date: formatHttpDate(DATE) });
          if (facts.etag !== null) headers.set('etag', facts.etag);
          if (facts.lastModified !== null) headers.set('last-modified', formatHttpDate(facts.lastModified));
          const plan = planResponse(
            row.request.method,
            conditionalFields(request),
            {
              etag: facts.etag,
              lastModified: facts.lastModified,
              date: DATE,
              length: facts.size,
              contentType: fixture.contentType,
            },
            kind === 'sequential' ? { sequentialHoldBytes: 1024 } : {},
          );
          const response = buildResponse(plan, headers, sourceOf(new TextEncoder().encode(fixture.body), kind));
          const body = new Uint8Array(await response.arrayBuffer());
          expect(checkAnswer(row, { status: response.status, headers: response.headers, body }, facts)).toEqual([]);
        });
      }
    });
  }
});
