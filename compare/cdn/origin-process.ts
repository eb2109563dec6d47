/** Starts the observed origin (`origin-main.ts`) as a process of its own and reads its counts over HTTP. */
import { join } from 'node:path';
import { root } from '../../scripts/workers.mjs';
import { bin, spawnTracked } from '../stack';
import { originOwnMetrics, type OriginCounts, type OriginProcessConfig } from './origin';

/** The running origin process. */
export interface OriginProcess {
  url: string;
  /** Counts per mode since the last reset. */
  counts(): Promise<Record<string, OriginCounts>>;
  reset(): Promise<void>;
  /** The origin's own prom-client counters, summed. */
  ownMetrics(): Promise<{ requests: number; responseBytes: number; notModified: number }>;
  close(): Promise<void>;
}

/** Starts the origin process and waits (at most 30 s) until it prints its URL. */
export async function startOriginProcess(config: OriginProcessConfig): Promise<OriginProcess> {
  const { child, stop } = spawnTracked(bin('tsx'), [join(root, 'compare', 'cdn', 'origin-main.ts'), JSON.stringify(config)]);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000);
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the origin process did not start within 30 s: ${stderr}`)), 30_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the origin process exited with ${code}: ${stderr}`));
    });
  });
  return {
    url,
    counts: async () => (await (await fetch(`${url}/__observer/counts`)).json()) as Record<string, OriginCounts>,
    reset: async () => {
      await (await fetch(`${url}/__observer/reset`, { method: 'POST' })).arrayBuffer();
    },
    ownMetrics: () => originOwnMetrics(url),
    close: stop,
  };
}
