// The `pushpull` bin installs like any npm CLI: `npm pack`, then `npx <tarball>` in a folder
// outside the repository, with a PATH that has node and npm but no tsx and no node_modules/.bin.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'pushpull-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** PATH with only the folders of node and npm, none of the repository's. */
function barePath(): string {
  const npm = execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim();
  return [...new Set([dirname(process.execPath), dirname(npm), '/usr/bin', '/bin'])].filter((dir) => !dir.startsWith(root)).join(':');
}

describe('the packed pushpull CLI', () => {
  it('npm pack holds the compiled bin only, and npx runs it without tsx', () => {
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', work], {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    ) as Array<{ filename: string; files: Array<{ path: string }> }>;
    expect(packed[0].files.map((f) => f.path).sort()).toEqual(['README.md', 'cli/dist/pushpull.mjs', 'package.json']);
    expect(readFileSync(join(root, 'cli/dist/pushpull.mjs'), 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');

    const env: NodeJS.ProcessEnv = {
      HOME: work,
      PATH: barePath(),
      npm_config_cache: join(work, 'npm-cache'),
      npm_config_update_notifier: 'false',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
    };
    expect(spawnSync('sh', ['-c', 'command -v tsx'], { cwd: work, env }).status).not.toBe(0);
    // As a user types it, in the tarball's folder: `npx ./pushpull-0.1.0.tgz --help`.
    const help = spawnSync('npx', ['--yes', `./${packed[0].filename}`, '--help'], { cwd: work, env, encoding: 'utf8', timeout: 90_000 });
    expect(help.stderr).not.toMatch(/tsx/);
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^usage:\n {2}pushpull push <dir> --to <edge-url>/);

    const bad = spawnSync('npx', ['--yes', `./${packed[0].filename}`, 'push', '--bogus'], {
      cwd: work,
      env,
      encoding: 'utf8',
      timeout: 90_000,
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/Unknown option '--bogus'/);
  });
});
