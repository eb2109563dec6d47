/**
 * `--rewrite <from>=<to>`: points absolute URLs in HTML and CSS at the CDN base before the
 * files are hashed (the push model's "rewriting URLs to point to the CDN"). Only URLs that
 * start a value are rewritten: after a quote, `(`, `=`, `,` or whitespace (attributes,
 * `srcset`, CSS `url()`), never a substring in the middle of a word.
 */

/** One rewrite rule. */
export interface Rewrite {
  from: string;
  to: string;
}

/** Parses `from=to` (the first `=` splits; both sides must be absolute http(s) URLs or `//` bases). */
export function parseRewrite(spec: string): Rewrite {
  const at = spec.indexOf('=');
  const from = at < 0 ? '' : spec.slice(0, at);
  const to = at < 0 ? '' : spec.slice(at + 1);
  const absolute = /^(https?:)?\/\/[^/\s]+/;
  if (!absolute.test(from) || !absolute.test(to)) {
    throw new Error(
      `--rewrite expects <from>=<to> with absolute URLs (https://old.example=https://cdn.example), got ${JSON.stringify(spec)}`,
    );
  }
  return { from, to };
}

/** Whether a file's URLs are rewritten (HTML and CSS). */
export function isRewritable(path: string): boolean {
  return /\.(html?|css)$/i.test(path);
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Applies the rules to a document's text. */
export function rewriteUrls(text: string, rules: readonly Rewrite[]): string {
  let out = text;
  for (const { from, to } of rules) {
    out = out.replace(new RegExp(`(^|["'(=,\\s])${escape(from)}`, 'g'), (_m, lead: string) => lead + to);
  }
  return out;
}
