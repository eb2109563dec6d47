/**
 * The observed origin as a process of its own: `tsx compare/cdn/origin-main.ts '<config JSON>'`
 * prints `listening <url>` once it listens, and stops on SIGTERM/SIGINT.
 */
import { startObservedOrigin, type OriginProcessConfig } from './origin';

const config = JSON.parse(process.argv[2] ?? '{}') as OriginProcessConfig;
const origin = await startObservedOrigin(config.dir, config.policy, config.withoutValidators);
process.stdout.write(`listening ${origin.url}\n`);
const stop = (): void => {
  void origin.close().finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
