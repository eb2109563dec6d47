import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { peerProjects } from '../../scripts/peers.mjs';
import { root } from './settings-docs';

/** Every .ts file under `dir`, relative to the root. */
function tsFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

/** The peer binaries a file starts: the first argument of each spawnPeer/peerBinary call (test/support/process.ts). */
function binariesStartedBy(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(/\b(?:spawnPeer|peerBinary)\(\s*'([^']+)'/g)].map((m) => m[1]);
}

describe('the peer projects (peers.json, npm run test:peers)', () => {
  const projects = peerProjects();

  it('name only Debian packages that .ci/apt-packages installs', () => {
    const listed = new Set(
      readFileSync(join(root, '.ci', 'apt-packages'), 'utf8')
        .split(/\s+/)
        .filter(Boolean),
    );
    const named = projects.flatMap((p) => Object.values(p.peers).map((pkg) => `${p.dir}: ${pkg}`));
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((entry) => !listed.has(entry.slice(entry.indexOf(': ') + 2)))).toEqual([]);
  });

  it('are named after their folder (scripts/test-peers.mjs runs `vitest run --project <folder>`)', () => {
    const unnamed = projects.filter((p) => !readFileSync(join(root, p.dir, 'vitest.config.ts'), 'utf8').includes(`'${p.name}'`));
    expect(unnamed.map((p) => p.dir)).toEqual([]);
  });

  it('declare every peer their files start, and no other project starts one (npm test needs none)', () => {
    const undeclared: string[] = [];
    for (const file of tsFiles('test')) {
      if (file.startsWith('test/support/') || file.startsWith('test/consistency/')) continue;
      const project = projects.find((p) => file.startsWith(`${p.dir}/`));
      for (const binary of binariesStartedBy(file)) if (!project || !(binary in project.peers)) undeclared.push(`${file}: ${binary}`);
    }
    expect(undeclared).toEqual([]);
  });
});
