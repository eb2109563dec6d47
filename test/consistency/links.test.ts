import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from './settings-docs';

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens (a repeat gets -1, -2, ...). */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of withoutFences(markdown).split('\n')) {
    const m = /^#{1,6}\s+(.*?)\s*#*$/.exec(line);
    if (m === null) continue;
    const base = m[1]
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1') // a link in a heading counts by its text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

function withoutFences(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '');
}

/** The text with fenced code blocks and inline code blanked (links there are examples, not links). */
function withoutCode(markdown: string): string {
  return withoutFences(markdown).replace(/`[^`\n]*`/g, '``');
}

/** Every relative link target of a markdown file: [text](target), code excluded. */
function relativeLinks(markdown: string): string[] {
  const targets: string[] = [];
  for (const m of withoutCode(markdown).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    if (!/^[a-z][a-z0-9+.-]*:/i.test(m[1])) targets.push(m[1]);
  }
  return targets;
}

const files = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => join('docs', f)),
];

describe('relative links in the README and docs/', () => {
  for (const file of files) {
    it(`every link of ${file} resolves (file or folder, and its #anchor)`, () => {
      const text = readFileSync(join(root, file), 'utf8');
      const broken: string[] = [];
      for (const link of relativeLinks(text)) {
        const [path, anchor] = link.split('#', 2);
        const target = path === '' ? join(root, file) : join(root, dirname(file), decodeURIComponent(path));
        if (!existsSync(target)) {
          broken.push(`${link} (no ${relative(root, target)})`);
          continue;
        }
        if (anchor !== undefined && target.endsWith('.md') && !anchorsOf(readFileSync(target, 'utf8')).has(anchor)) {
          broken.push(`${link} (no heading #${anchor} in ${relative(root, target)})`);
        }
      }
      expect(broken).toEqual([]);
    });
  }

  it('finds the links it checks (a link checker that finds nothing checks nothing)', () => {
    const readme = relativeLinks(readFileSync(join(root, 'README.md'), 'utf8'));
    expect(readme.length).toBeGreaterThan(30);
    expect(anchorsOf('# A\n## Query API (Prometheus `/api/v1/*`)\n## A')).toEqual(new Set(['a', 'query-api-prometheus-apiv1', 'a-1']));
  });
});
