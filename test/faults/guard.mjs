// Runs one command as the leader of its own process group and kills that whole group as soon
// as the test process that started it is gone (a runner crash or a SIGKILL of vitest runs no
// cleanup code, and `wrangler dev` would otherwise live on with workerd and esbuild).
//
//   node guard.mjs <pid of the test process> <command> [args...]
//
// The harness (harness.ts) spawns this detached, so the group id is this process's pid: a
// SIGKILL to -pid reaches the guard, wrangler and every process wrangler started.
import { spawn } from 'node:child_process';

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

const child = spawn(command, args, { stdio: 'inherit' });
child.on('error', (err) => {
  process.stderr.write(`guard: cannot start ${command}: ${err.message}\n`);
  process.exit(127);
});
// The command ended by itself: take whatever it left behind in the group with us.
child.on('exit', () => killGroup());

setInterval(() => {
  try {
    process.kill(parent, 0);
  } catch {
    killGroup();
  }
}, 300);
