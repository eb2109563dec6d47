import type { TestProject } from 'vitest/node';
import { dataset } from './dataset';
import { startOracleStack, writeBoth } from './stack';

declare module 'vitest' {
  export interface ProvidedContext {
    prometheusUrl: string;
    pushpullUrl: string;
    /** The data set's base (Unix seconds, a whole hour). */
    oracleBase: number;
  }
}

/**
 * Starts a real Prometheus 2.42 and the metrics Worker (wrangler dev), both on free ports, and writes the
 * oracle's data set into both by remote_write. The data lies 4 h to 1 h in the past, a whole hour apart from
 * the base, so that queries name fixed instants relative to it.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  process.env.WRANGLER_SEND_METRICS = 'false';
  const stack = await startOracleStack();
  try {
    const base = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 4 * 3_600_000;
    await writeBoth(stack, dataset(base));
    project.provide('prometheusUrl', stack.prometheus);
    project.provide('pushpullUrl', stack.pushpull);
    project.provide('oracleBase', base / 1000);
  } catch (e) {
    await stack.stop();
    throw e;
  }
  return () => stack.stop();
}
