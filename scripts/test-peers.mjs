// `npm run test:peers [-- project… | vitest options]`: the peer projects (a peers.json beside their
// vitest.config.ts, scripts/peers.mjs), which compare pushpull with real Debian binaries. Every
// binary they name is looked for on PATH first; if one is missing, one line names the Debian
// packages to install and the run fails at once (a missing peer is a failure, never a skip).
// Otherwise `vitest run --project <each>`. Names given select peer projects; options go to vitest.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { onPath, peerProjects } from './peers.mjs';
import { bin, root, toolEnv } from './workers.mjs';

const args = process.argv.slice(2);
const named = args.filter((a) => !a.startsWith('-'));
const vitestOptions = args.filter((a) => a.startsWith('-'));
const all = peerProjects();
const unknown = named.filter((n) => !all.some((p) => p.name === n));
if (unknown.length > 0) {
  console.error(`✗ test:peers: no peer project ${unknown.join(', ')} (peer projects: ${all.map((p) => p.name).join(', ')})`);
  process.exit(1);
}
const projects = named.length > 0 ? all.filter((p) => named.includes(p.name)) : all;

/** Where a binary missing from PATH is installed anyway (Debian puts nginx and varnishd in /usr/sbin, off a user's PATH). */
function offPath(binary) {
  for (const dir of ['/usr/sbin', '/usr/bin', '/sbin', '/usr/local/sbin']) {
    try {
      accessSync(join(dir, binary), constants.X_OK);
      return dir;
    } catch {
      // not here
    }
  }
  return undefined;
}

const wanted = new Map(projects.flatMap((p) => Object.entries(p.peers)));
const missing = [...wanted.keys()].filter((binary) => onPath(binary) === undefined).sort();
if (missing.length > 0) {
  const packages = [...new Set(missing.map((b) => wanted.get(b)))].sort();
  const byDir = new Map();
  for (const b of missing) {
    const dir = offPath(b);
    if (dir !== undefined) byDir.set(dir, [...(byDir.get(dir) ?? []), b]);
  }
  const elsewhere = [...byDir].map(([dir, found]) => `${found.join(', ')} in ${dir}`).join('; ');
  const hint = byDir.size > 0 ? ` (installed off PATH: ${elsewhere}; add the folder to PATH instead)` : '';
  console.error(`✗ test:peers: not on PATH: ${missing.join(', ')}; apt-get install ${packages.join(' ')}${hint}`);
  process.exit(1);
}

const started = Date.now();
const names = projects.map((p) => p.name);
process.stdout.write(`▶ vitest (peer projects: ${names.join(', ')})\n`);
const child = spawn(bin('vitest'), ['run', ...names.flatMap((n) => ['--project', n]), ...vitestOptions], {
  cwd: root,
  env: { ...toolEnv, NO_COLOR: '1' },
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('error', (err) => {
  console.error(`✗ test:peers: could not start vitest: ${err.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (code === 0) process.stdout.write(`✓ vitest (peer projects) (${secs}s)\n`);
  else process.stdout.write(`✗ vitest (peer projects) failed (exit ${code ?? signal}) after ${secs}s\n`);
  process.exit(code ?? 1);
});
