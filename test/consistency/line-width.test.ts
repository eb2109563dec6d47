import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from './settings-docs';

/** Prettier's printWidth (.prettierrc.json): prettier cannot break a long string, comment or test name. */
const WIDTH = 140;
const SKIP = new Set(['node_modules', 'dist', '.wrangler', 'out', 'public']);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (SKIP.has(e.name)) return [];
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    // Generated binding types are wrangler's, not ours to wrap.
    return /\.(ts|mjs|js)$/.test(e.name) && e.name !== 'worker-configuration.d.ts' ? [path] : [];
  });
}

describe('line width', () => {
  it(`no source line is longer than ${WIDTH} characters (what prettier cannot wrap is wrapped by hand)`, () => {
    const files = ['packages', 'workers', 'cli', 'origin', 'test', 'bench', 'scripts', 'compare'].flatMap((d) => sources(join(root, d)));
    expect(files.length).toBeGreaterThan(100);
    const long = files.flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .flatMap((line, i) => (line.length > WIDTH ? [`${relative(root, f)}:${i + 1} (${line.length})`] : [])),
    );
    expect(long).toEqual([]);
  });
});
