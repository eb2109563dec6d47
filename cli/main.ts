/**
 * `pushpull`: the push CDN's command line (docs/push.md, "Client").
 *
 *   pushpull push <dir> --to <edge-url> [--rewrite <from>=<to>]... [--cache-control <v>] [--ttl <s>]
 *                       [--concurrency <n>] [--no-activate] [--json]
 *   pushpull deploys   --to <edge-url> [--json]
 *   pushpull rollback  [<deploy-id>] --to <edge-url> [--json]
 *   pushpull ls        [<prefix>] --to <edge-url> [--json]
 *
 * The token comes from PUSHPULL_TOKEN; `--to` defaults to PUSHPULL_EDGE, else http://127.0.0.1:8787.
 * Exits 0 on success, 1 on any failure (the message names it), 2 on bad usage.
 * This module only exports {@link main}; `bin.ts` runs it (and is what the compiled bin bundles).
 */
import { parseArgs } from 'node:util';
import { parseRewrite, type Rewrite } from './push-rewrite';
import { listDeploys, listFiles, pushDir, rollback, type EdgeTarget, type PushSummary } from './push-client';

const USAGE = `usage:
  pushpull push <dir> --to <edge-url> [--rewrite <from>=<to>]... [--cache-control <value>] [--ttl <seconds>]
                      [--concurrency <n>] [--no-activate] [--json]
  pushpull deploys --to <edge-url> [--json]
  pushpull rollback [<deploy-id>] --to <edge-url> [--json]
  pushpull ls [<prefix>] --to <edge-url> [--json]
environment: PUSHPULL_TOKEN (required), PUSHPULL_EDGE (default for --to)`;

class UsageError extends Error {}

const OPTIONS = {
  to: { type: 'string' },
  rewrite: { type: 'string', multiple: true },
  'cache-control': { type: 'string' },
  ttl: { type: 'string' },
  concurrency: { type: 'string' },
  'no-activate': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Flags = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

interface Args {
  command: string;
  positional: string[];
  flags: Flags;
}

/** Parses `argv` (without node and the script) with `node:util` parseArgs (strict: unknown options are usage errors). */
function parseCommandLine(argv: string[]): Args {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  const [command = '', ...positional] = parsed.positionals;
  return { command, positional, flags: parsed.values };
}

function intFlag(args: Args, name: 'ttl' | 'concurrency'): number | undefined {
  const v = args.flags[name];
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`--${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return Number(v);
}

function target(args: Args): EdgeTarget {
  const edgeUrl = args.flags.to ?? process.env.PUSHPULL_EDGE ?? 'http://127.0.0.1:8787';
  if (!/^https?:\/\//.test(edgeUrl)) throw new UsageError(`--to must be an http(s) URL, got ${JSON.stringify(edgeUrl)}`);
  const token = process.env.PUSHPULL_TOKEN ?? '';
  if (!token) throw new UsageError('PUSHPULL_TOKEN is not set (the local token is dev-token)');
  return { edgeUrl, token };
}

const kib = (n: number): string =>
  n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`;

function summaryLine(s: PushSummary): string {
  return (
    `${s.activated ? 'deployed' : 'uploaded (not activated)'} ${s.deployId}: ${s.files} files, ${s.new} new, ${s.unchanged} unchanged, ` +
    `${kib(s.bytesUploaded)} uploaded in ${s.requests} requests, ${(s.ms / 1000).toFixed(2)} s`
  );
}

/** Runs one command; returns the exit code. */
export async function main(
  argv: string[],
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WriteStream | NodeJS.WritableStream = process.stderr,
): Promise<number> {
  let args: Args;
  try {
    args = parseCommandLine(argv);
    if (args.flags.help === true || args.command === '' || args.command === 'help') {
      out.write(USAGE + '\n');
      return args.command === '' && args.flags.help !== true ? 2 : 0;
    }
  } catch (e) {
    err.write(`pushpull: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const asJson = args.flags.json === true;
  const print = (value: unknown, text: string): void => {
    out.write(asJson ? JSON.stringify(value, null, 2) + '\n' : text + '\n');
  };
  try {
    switch (args.command) {
      case 'push': {
        const dir = args.positional[0];
        if (!dir) throw new UsageError('push needs a folder: pushpull push <dir> --to <edge-url>');
        const rewrite: Rewrite[] = (args.flags.rewrite ?? []).map(parseRewrite);
        const tty = !asJson && 'isTTY' in err && err.isTTY === true;
        const summary = await pushDir({
          ...target(args),
          dir,
          rewrite,
          cacheControl: args.flags['cache-control'],
          ttlSeconds: intFlag(args, 'ttl'),
          concurrency: intFlag(args, 'concurrency'),
          noActivate: args.flags['no-activate'] === true,
          onProgress: tty
            ? (p) => {
                const width = 30;
                const done = p.totalBytes === 0 ? width : Math.round((p.uploadedBytes / p.totalBytes) * width);
                err.write(
                  `\r[${'#'.repeat(done)}${'.'.repeat(width - done)}] ${p.blobsDone}/${p.blobsTotal} blobs, ${kib(p.uploadedBytes)} of ${kib(p.totalBytes)}`,
                );
              }
            : undefined,
        });
        if (tty) err.write('\n');
        print(summary, summaryLine(summary));
        return 0;
      }
      case 'deploys': {
        const list = await listDeploys(target(args));
        const lines = list.deploys.map(
          (d) =>
            `${d.id === list.active ? '*' : ' '} ${d.id}  ${new Date(d.createdAt).toISOString()}  ${d.status.padEnd(8)}  ${d.kind.padEnd(4)}  ${d.files} files  ${kib(d.bytes)}`,
        );
        print(list, lines.length ? lines.join('\n') : 'no deploys');
        return 0;
      }
      case 'rollback': {
        const res = await rollback(target(args), args.positional[0]);
        print(res, `active: ${res.active} (was ${res.previous ?? 'none'})`);
        return 0;
      }
      case 'ls': {
        const files = await listFiles(target(args), args.positional[0] ?? '');
        const lines = files.map(
          (f) =>
            `${f.path}  ${f.size}  ${f.contentType}${f.cacheControl ? `  ${f.cacheControl}` : ''}${f.expired ? '  (expired)' : f.expiresAt ? `  expires ${new Date(f.expiresAt).toISOString()}` : ''}`,
        );
        print(files, lines.length ? lines.join('\n') : 'no files');
        return 0;
      }
      default:
        throw new UsageError(`unknown command ${JSON.stringify(args.command)}`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err.write(`pushpull: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    const message = e instanceof Error ? e.message : String(e);
    if (asJson) out.write(JSON.stringify({ error: message }) + '\n');
    err.write(`pushpull ${args.command} failed: ${message}\n`);
    return 1;
  }
}
