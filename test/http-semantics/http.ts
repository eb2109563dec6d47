/**
 * Requests with exactly the given fields, over node:http (fetch would add its own: the Fetch
 * standard adds `Cache-Control: no-cache` to conditional requests), and free ports.
 */
import { request as httpRequest } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import type { Answer } from '@pushpull/http/semantics/cases-check';

/** An answer with what framing it came with. */
export interface RawAnswer extends Answer {
  /** Field lines as received (name lower-cased, in order), e.g. to see two Age lines or chunking. */
  lines: Array<[string, string]>;
}

/** Sends one request and reads the whole answer. */
export function send(
  url: string,
  init: { method?: string; headers?: Record<string, string | string[]>; body?: string } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? 'GET', headers: init.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const headers = new Headers();
        const lines: Array<[string, string]> = [];
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
          const name = (res.rawHeaders[i] ?? '').toLowerCase();
          const value = res.rawHeaders[i + 1] ?? '';
          lines.push([name, value]);
          headers.append(name, value);
        }
        resolve({ status: res.statusCode ?? 0, headers, lines, body: new Uint8Array(Buffer.concat(chunks)) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(15_000, () => req.destroy(new Error(`no answer from ${url} within 15 s`)));
    req.end(init.body);
  });
}

/** A port nothing listens on right now (the kernel's choice for port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
