/**
 * `npm run compare [-- --size tiny|default|large] [--duration <s>] [--seed <n>] [--pairs cdn,metrics,feed] [--out <dir>]`:
 * push and pull side by side on seeded workloads against the real stack, then a report in
 * reports/compare/<timestamp>/ (index.html, summary.md, results.json, charts/*.svg).
 */
import { join } from 'node:path';
import { root } from '../scripts/workers.mjs';
import { textTable } from './report/build';
import { PAIRS, runCompare, type Pair } from './run';
import { SIZE_NAMES, type SizeName } from './sizes';
import { stopOnSignals } from './stack';

const USAGE = `usage: npm run compare -- [options]
  --size <tiny|default|large>   workload size (default: default; at most 10 minutes on 2 cores)
  --duration <seconds>          length of each phase (default: the size's)
  --seed <n>                    seed of every workload (default 1)
  --pairs <list>                which comparisons, comma-separated: cdn, metrics, feed (default: all)
  --out <dir>                   report folder (default reports/compare/<timestamp>)
  -h, --help                    this text`;

/** Thrown for bad usage: the message names the problem (exit 2). */
class UsageError extends Error {}

interface Flags {
  size: SizeName;
  seed: number;
  pairs: Pair[];
  duration?: number;
  out?: string;
}

export function parseFlags(argv: readonly string[]): Flags | 'help' {
  const flags: Flags = { size: 'default', seed: 1, pairs: [...PAIRS] };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i];
    if (name === '-h' || name === '--help') return 'help';
    const value = argv[i + 1];
    if (value === undefined || value.startsWith('--')) throw new UsageError(`${name} needs a value`);
    i++;
    if (name === '--size') {
      if (!SIZE_NAMES.includes(value as SizeName))
        throw new UsageError(`--size must be one of ${SIZE_NAMES.join(', ')}, got ${JSON.stringify(value)}`);
      flags.size = value as SizeName;
    } else if (name === '--seed') {
      if (!/^\d{1,9}$/.test(value)) throw new UsageError(`--seed must be a whole number (0 to 999999999), got ${JSON.stringify(value)}`);
      flags.seed = Number(value);
    } else if (name === '--duration') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 5 || n > 3600)
        throw new UsageError(`--duration must be whole seconds from 5 to 3600, got ${JSON.stringify(value)}`);
      flags.duration = n;
    } else if (name === '--pairs') {
      const list = value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const bad = list.filter((p) => !PAIRS.includes(p as Pair));
      if (list.length === 0 || bad.length)
        throw new UsageError(`--pairs takes ${PAIRS.join(', ')} (comma-separated), got ${JSON.stringify(value)}`);
      flags.pairs = PAIRS.filter((p) => list.includes(p));
    } else if (name === '--out') {
      flags.out = value;
    } else {
      throw new UsageError(`unknown option ${name}`);
    }
  }
  return flags;
}

async function main(): Promise<void> {
  let flags: Flags | 'help';
  try {
    flags = parseFlags(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (flags === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const started = Date.now();
  const stamp = new Date(started)
    .toISOString()
    .replace(/[:.]/g, '-')
    .replace(/-\d{3}Z$/, 'Z');
  const outDir = flags.out ?? join(root, 'reports', 'compare', stamp);
  const log = (line: string): void => {
    process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);
  };
  const run = await runCompare({
    size: flags.size,
    seed: flags.seed,
    pairs: flags.pairs,
    durationSeconds: flags.duration,
    outDir,
    command: ['npm run compare', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
    log,
    onStack: (stop) => stopOnSignals(stop),
  });
  process.stdout.write(
    `\n${run.tables.map(textTable).join('\n\n')}\n\n` +
      `report: ${join(run.dir, 'index.html')} (summary.md, results.json, ${run.charts.length} charts in charts/); ` +
      `${run.results.wallSeconds.toFixed(0)} s\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`compare failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
