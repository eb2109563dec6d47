/**
 * Compares one answer with a row of the cases table (cases.ts): the same check for the module
 * and for every server replayed over HTTP, so a row means the same thing everywhere.
 */
import { fillTokens, FIXTURES, type BodyExpectation, type SemanticsCase, type ServedFacts } from './cases';

/** An answer as received: status, fields, and the body's bytes. */
export interface Answer {
  status: number;
  headers: Headers;
  body: Uint8Array;
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/** Splits a multipart/byteranges body (RFC 2046 §5.1.1) into its parts' fields and bytes. */
export function parseMultipart(body: string, boundary: string): Array<{ headers: Map<string, string>; body: string }> | string {
  const delimiter = `--${boundary}`;
  const sections = body.split(delimiter);
  if (sections.length < 3) return `no parts delimited by ${delimiter}`;
  const closing = sections[sections.length - 1] ?? '';
  if (!closing.startsWith('--')) return 'no closing delimiter';
  const parts: Array<{ headers: Map<string, string>; body: string }> = [];
  for (const [i, section] of sections.slice(1, -1).entries()) {
    // Each part: CRLF, its fields, CRLF CRLF, its bytes, then the CRLF that starts the next delimiter.
    if (!section.startsWith('\r\n')) return `part ${i + 1} does not start with CRLF`;
    const split = section.indexOf('\r\n\r\n');
    if (split === -1) return `part ${i + 1} has no end of fields`;
    if (!section.endsWith('\r\n')) return `part ${i + 1} does not end with CRLF`;
    const headers = new Map<string, string>();
    for (const line of section.slice(2, split).split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    parts.push({ headers, body: section.slice(split + 4, -2) });
  }
  return parts;
}

function checkBody(expected: BodyExpectation, answer: Answer, contentType: string): string[] {
  const text = latin1(answer.body);
  if (typeof expected === 'string') {
    return text === expected
      ? []
      : [
          `body ${JSON.stringify(text.slice(0, 80))} (${answer.body.byteLength} bytes)` +
            `, expected ${JSON.stringify(expected.slice(0, 80))} (${expected.length} bytes)`,
        ];
  }
  if ('error' in expected) {
    try {
      const json = JSON.parse(text) as { error?: unknown };
      return json.error === expected.error ? [] : [`JSON error ${JSON.stringify(json.error)}, expected ${JSON.stringify(expected.error)}`];
    } catch {
      return [`body ${JSON.stringify(text.slice(0, 80))} is not a JSON error {error: ${JSON.stringify(expected.error)}}`];
    }
  }
  const boundary = /^multipart\/byteranges;\s*boundary=("?)([^";]+)\1$/i.exec(answer.headers.get('content-type') ?? '')?.[2];
  if (boundary === undefined)
    return [`content-type ${JSON.stringify(answer.headers.get('content-type'))} is not multipart/byteranges with a boundary`];
  const parts = parseMultipart(text, boundary);
  if (typeof parts === 'string') return [`multipart body: ${parts}`];
  const problems: string[] = [];
  if (parts.length !== expected.multipart.length) problems.push(`${parts.length} parts, expected ${expected.multipart.length}`);
  expected.multipart.forEach((want, i) => {
    const got = parts[i];
    if (!got) return;
    if (got.headers.get('content-range') !== want.contentRange)
      problems.push(`part ${i + 1}: Content-Range ${JSON.stringify(got.headers.get('content-range'))}, expected ${want.contentRange}`);
    if (got.headers.get('content-type') !== contentType)
      problems.push(`part ${i + 1}: Content-Type ${JSON.stringify(got.headers.get('content-type'))}, expected ${contentType}`);
    if (got.body !== want.body) problems.push(`part ${i + 1}: ${JSON.stringify(got.body)}, expected ${JSON.stringify(want.body)}`);
  });
  const length = answer.headers.get('content-length');
  if (length !== null && Number(length) !== answer.body.byteLength)
    problems.push(`Content-Length ${length} but ${answer.body.byteLength} bytes`);
  return problems;
}

/** What differs between an answer and the row's expectation (empty when it conforms). */
export function checkAnswer(row: SemanticsCase, answer: Answer, facts: ServedFacts): string[] {
  const problems: string[] = [];
  if (answer.status !== row.expect.status) problems.push(`status ${answer.status}, expected ${row.expect.status}`);
  for (const [name, want] of Object.entries(row.expect.headers ?? {})) {
    const got = answer.headers.get(name);
    if (want === null) {
      if (got !== null) problems.push(`${name}: ${JSON.stringify(got)}, expected none`);
    } else if (typeof want === 'string') {
      const value = fillTokens(want, facts);
      if (got !== value) problems.push(`${name}: ${JSON.stringify(got)}, expected ${JSON.stringify(value)}`);
    } else if (got === null || !got.startsWith(want.prefix)) {
      problems.push(`${name}: ${JSON.stringify(got)}, expected ${JSON.stringify(`${want.prefix}…`)}`);
    }
  }
  if (row.expect.body !== undefined) problems.push(...checkBody(row.expect.body, answer, FIXTURES[row.fixture].contentType));
  return problems;
}
