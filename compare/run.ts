/**
 * One comparison run: the chosen pairs, one after another (so that no two share the machine),
 * each on a stack of its own, then the report.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCdn } from './cdn/run';
import { runFeed } from './feed/run';
import { machineInfo } from './machine';
import { runMetrics } from './metrics/run';
import { writeReport, type RunResults, type Table } from './report/build';
import type { Chart } from './report/render';
import { SIZES, type SizeName } from './sizes';
import { Stack } from './stack';
import { root } from '../scripts/workers.mjs';

export type Pair = 'cdn' | 'metrics' | 'feed';
export const PAIRS: readonly Pair[] = ['cdn', 'metrics', 'feed'];

export interface CompareOptions {
  size: SizeName;
  seed: number;
  pairs: readonly Pair[];
  /** Overrides the phase length (seconds) of every pair. */
  durationSeconds?: number;
  /** Folder the report goes to (created). */
  outDir: string;
  /** The command line, as the report quotes it. */
  command: string;
  log: (line: string) => void;
  /** Called with a function that stops the run's Workers and removes its state, for a signal handler. */
  onStack?: (stop: () => Promise<void>) => void;
}

/** The commit measured (with `+changes` when the work tree differs from it). */
function revision(): string {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' });
  if (head.status !== 0) return 'unknown';
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' });
  return `${head.stdout.trim()}${dirty.stdout.trim() ? '+changes' : ''}`;
}

export interface CompareRun {
  dir: string;
  results: RunResults;
  charts: Chart[];
  tables: Table[];
}

/** Runs the comparison and writes its report into `outDir`. */
export async function runCompare(o: CompareOptions): Promise<CompareRun> {
  const started = Date.now();
  const atStart = machineInfo();
  const preset = SIZES[o.size];
  // Local state on tmpfs when there is one: the simulator's per-object SQLite files on a disk
  // would measure the disk (bench/feed.ts found the same).
  const stateRoot = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'pushpull-compare-'));
  const stack = new Stack({ stateDir: stateRoot, log: o.log });
  // Stopping by a signal skips the `finally` below: the handler stops the Workers and removes the state too.
  o.onStack?.(async () => {
    await stack.stop();
    rmSync(stateRoot, { recursive: true, force: true });
  });
  const results: RunResults = {
    command: o.command,
    revision: revision(),
    size: o.size,
    seed: o.seed,
    startedAt: new Date(started).toISOString(),
    wallSeconds: 0,
    machine: { atStart, atEnd: atStart },
    pairSeconds: {},
  };
  const d = o.durationSeconds;
  try {
    for (const pair of o.pairs) {
      const t0 = Date.now();
      o.log(`== ${pair} (${o.size}, seed ${o.seed})`);
      if (pair === 'cdn') {
        results.cdn = await runCdn(
          { ...preset.cdn, ...(d ? { seconds: d } : {}), seed: o.seed },
          stack,
          join(stateRoot, 'cdn-work'),
          o.log,
        );
      } else if (pair === 'metrics') {
        const rounds = d ? Math.max(2, Math.round(d / preset.metrics.intervalSeconds)) : preset.metrics.rounds;
        results.metrics = await runMetrics({ ...preset.metrics, rounds, seed: o.seed }, join(stateRoot, 'metrics'), o.log);
      } else {
        results.feed = await runFeed({ ...preset.feed, ...(d ? { phaseSeconds: d } : {}), seed: o.seed }, stack, o.log);
      }
      await stack.stop();
      results.pairSeconds[pair] = (Date.now() - t0) / 1000;
      o.log(`== ${pair} done in ${results.pairSeconds[pair].toFixed(0)} s`);
    }
  } finally {
    await stack.stop();
    rmSync(stateRoot, { recursive: true, force: true });
  }
  results.machine.atEnd = machineInfo();
  results.wallSeconds = (Date.now() - started) / 1000;
  const { charts, tables } = await writeReport(o.outDir, results);
  return { dir: o.outDir, results, charts, tables };
}
