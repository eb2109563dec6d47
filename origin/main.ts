/**
 * The origin's command line:
 *
 *   tsx origin/main.ts [--dir origin/public] [--port 8080] [--host 127.0.0.1] [--cache-control rules.json]
 *                      [--compress] [--no-default-metrics]
 *
 * `ORIGIN_PORT` sets the port when `--port` is absent. Stops cleanly on SIGINT/SIGTERM.
 */
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CacheRulesError, loadCachePolicy } from './cache-control-rules';
import { startOrigin } from './server';

/** How long requests in flight may take to finish after SIGINT/SIGTERM. */
const SHUTDOWN_GRACE_MS = 5000;

const USAGE =
  'usage: tsx origin/main.ts [--dir <folder>] [--port <n>] [--host <addr>] [--cache-control <rules.json>] [--compress] [--no-default-metrics]';

function fail(message: string): never {
  process.stderr.write(`origin: ${message}\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        dir: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        'cache-control': { type: 'string' },
        'no-default-metrics': { type: 'boolean', default: false },
        compress: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const portText = values.port ?? process.env.ORIGIN_PORT ?? '8080';
  if (!/^\d+$/.test(portText) || Number(portText) > 65535) fail(`port must be a number from 0 to 65535, got "${portText}"`);
  const dir = resolve(values.dir ?? join(dirname(fileURLToPath(import.meta.url)), 'public'));
  let cacheControl;
  if (values['cache-control'] !== undefined) {
    try {
      cacheControl = await loadCachePolicy(values['cache-control']);
    } catch (err) {
      fail(err instanceof CacheRulesError ? err.message : `cannot read ${values['cache-control']}: ${(err as Error).message}`);
    }
  }
  let origin;
  try {
    origin = await startOrigin({
      port: Number(portText),
      host: values.host,
      dir,
      cacheControl,
      defaultMetrics: !values['no-default-metrics'],
      compress: values.compress,
    });
  } catch (err) {
    fail(`cannot start: ${(err as Error).message}`);
  }
  process.stdout.write(`origin serving ${dir} on ${origin.url}\n`);
  const running = origin;
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`origin: ${signal}, shutting down\n`);
    running.close(SHUTDOWN_GRACE_MS).then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`origin: close failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`origin: ${String(err)}\n`);
  process.exit(1);
});
