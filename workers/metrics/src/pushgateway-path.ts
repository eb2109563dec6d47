/**
 * Pushgateway grouping keys from URL paths (pure), as prometheus/pushgateway handler/push.go:
 * `/metrics/job/<job>{/<label>/<value>}`, where `job@base64/<v>` and `<label>@base64/<v>`
 * carry values in URL-safe base64 (RFC 4648 §5, padding optional; `=` alone is the empty value).
 */

/** A grouping-key error, answered with 400. */
export class GroupingKeyError extends Error {}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Decodes URL-safe base64 with optional padding, as Go's base64.RawURLEncoding after trimming `=`. */
function decodeBase64Url(text: string): string {
  const s = text.replace(/=+$/, '');
  if (!/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) throw new GroupingKeyError(`illegal base64 data in ${JSON.stringify(text)}`);
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4);
  const bin = atob(b64);
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new GroupingKeyError(`base64 value ${JSON.stringify(text)} is not valid UTF-8`);
  }
}

/**
 * The grouping labels of a push path's part after `/metrics/` (`job/<j>/a/b...`, already split
 * on `/` and percent-decoded per segment). Throws {@link GroupingKeyError} for what the
 * Pushgateway refuses: a missing or empty job, an odd number of segments, improper label names.
 */
export function parseGroupingKey(segments: readonly string[]): Record<string, string> {
  if (segments.length < 2 || (segments[0] !== 'job' && segments[0] !== 'job@base64')) {
    throw new GroupingKeyError('the path must be /metrics/job/<job>{/<label>/<value>}');
  }
  const job = segments[0] === 'job@base64' ? decodeBase64Url(segments[1]) : segments[1];
  if (job === '') throw new GroupingKeyError('job name is required');
  const labels: Record<string, string> = { job };
  const rest = segments.slice(2);
  if (rest.length % 2 !== 0) throw new GroupingKeyError(`odd number of components in label string ${JSON.stringify('/' + rest.join('/'))}`);
  for (let i = 0; i < rest.length; i += 2) {
    const raw = rest[i];
    const base64 = raw.endsWith('@base64');
    const name = base64 ? raw.slice(0, -'@base64'.length) : raw;
    if (!LABEL_NAME.test(name) || name.startsWith('__') || name === 'job') {
      throw new GroupingKeyError(`improper label name ${JSON.stringify(name)}`);
    }
    labels[name] = base64 ? decodeBase64Url(rest[i + 1]) : rest[i + 1];
  }
  return labels;
}
