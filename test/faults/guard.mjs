// Runs one command as the leader of its own process group and kills that whole group as soon
// as the test process that started it is gone (a runner crash or a SIGKILL of vitest runs no
// cleanup code, and `wrangler dev` would otherwise live on with workerd and esbuild).
//
//   node guard.mjs <pid of the test process> <command> [args...]
//
// The harness (harness.ts) spawns this detached, so the group id is this process's pid: a
// SIGKILL to -pid reaches the guard, wrangler and every process wrangler started.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';

const [watched, command, ...args] = process.argv.slice(2);
const parent = Number(watched);
if (!Number.isInteger(parent) || parent <= 0 || command === undefined) {
  process.stderr.write('usage: node guard.mjs <pid> <command> [args...]\n');
  process.exit(2);
}

const killGroup = () => {
  try {
    process.kill(-process.pid, 'SIGKILL');
  } catch {
    process.exit(1);
  }
};

/** Kills the other processes of this group (read from /proc: Linux, as the harness). */
const killOthers = () => {
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) === process.pid) process.kill(Number(entry), 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
  }
};

const child = spawn(command, args, { stdio: 'inherit' });
child.on('error', (err) => {
  process.stderr.write(`guard: cannot start ${command}: ${err.message}\n`);
  process.exit(127);
});
const parentGone = () => {
  try {
    process.kill(parent, 0);
    return false;
  } catch {
    return true;
  }
};

// The test process is gone, so nothing will clean up after it: stop the group, remove the
// state folder the harness named (FAULTS_GUARD_STATE_DIR), then go too.
const orphaned = () => {
  killOthers();
  const state = process.env.FAULTS_GUARD_STATE_DIR;
  if (state) rmSync(state, { recursive: true, force: true });
  killGroup();
};

// The command ended by itself (or because its output pipe closed with the test process):
// take whatever it left behind in the group, and exit as it did.
child.on('exit', (code, signal) => {
  if (parentGone()) orphaned();
  killOthers();
  process.exit(code ?? (signal ? 128 : 1));
});

setInterval(() => {
  if (parentGone()) orphaned();
}, 300);
