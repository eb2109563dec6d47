// The peer projects: vitest projects under test/ that drive a real Debian binary (a reference
// system: nginx, Varnish, Prometheus, node_exporter, Pushgateway, Chromium). Each declares its
// binaries in a peers.json beside its vitest.config.ts, `{ "<binary>": "<Debian package>" }`.
// `npm test` runs every other project; `npm run test:peers` (scripts/test-peers.mjs) runs these.
import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * @typedef {object} PeerProject
 * @property {string} name  the project's directory under test/ (also its vitest project name)
 * @property {string} dir   test/<name>
 * @property {Record<string, string>} peers binary → Debian package
 */

/** @returns {PeerProject[]} every test/<name>/ with a peers.json, by name. */
export function peerProjects() {
  return readdirSync(join(root, 'test'), { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(root, 'test', e.name, 'peers.json')))
    .map((e) => ({
      name: e.name,
      dir: `test/${e.name}`,
      peers: JSON.parse(readFileSync(join(root, 'test', e.name, 'peers.json'), 'utf8')),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Where `binary` is on PATH (the only place looked: the tests spawn what PATH finds, so a check
 * that also looked elsewhere would pass where the tests fail), or undefined.
 * @param {string} binary
 * @param {string | undefined} [path]
 * @returns {string | undefined}
 */
export function onPath(binary, path = process.env.PATH) {
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
