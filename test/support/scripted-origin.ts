/**
 * A real HTTP origin for tests, scripted per path over its own control API, so that
 * workerd tests (which cannot start servers) can set what the origin answers and count
 * what reached it.
 *
 *   PUT  /__script/<path>   body: {status, headers, body, echoUrl, delayMs, bodyDelayMs, then?}  sets the answer
 *   GET  /__hits/<path>     → {count, requests: [{method, headers}]}
 *   POST /__reset           forgets scripts and counts
 *
 * A script may answer conditional requests: when `etag` or `lastModified` is set and the
 * request's If-None-Match / If-Modified-Since matches, it answers 304 with no body (counted
 * as `notModified`). `mode: "down"` closes the connection without answering.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OriginScript {
  status?: number;
  /** Response fields; an array sends one field line per value (e.g. two Age lines). */
  headers?: Record<string, string | string[]>;
  body?: string;
  /** Bytes of body: repeats `body` to this length. */
  size?: number;
  delayMs?: number;
  etag?: string;
  lastModified?: string;
  mode?: 'normal' | 'down' | 'hang';
  /** Answer every conditional GET with 304 (and this script's ETag), whatever it names. */
  always304?: boolean;
  /** The body is the request target as it reached the origin (path and query), as an origin that echoes its URL. */
  echoUrl?: boolean;
}

interface Hit {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  status: number;
}

export interface ScriptedOrigin {
  server: Server;
  port: number;
  close(): Promise<void>;
}

export async function startScriptedOrigin(port = 0): Promise<ScriptedOrigin> {
  const scripts = new Map<string, OriginScript>();
  const hits = new Map<string, Hit[]>();

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      res.statusCode = 500;
      res.end(String(err));
    });
  });

  async function readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://origin');
    if (url.pathname.startsWith('/__script/')) {
      const path = '/' + url.pathname.slice('/__script/'.length);
      scripts.set(path, JSON.parse(await readBody(req)) as OriginScript);
      res.end('ok');
      return;
    }
    if (url.pathname.startsWith('/__hits/')) {
      const path = '/' + url.pathname.slice('/__hits/'.length);
      const list = hits.get(path) ?? [];
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          count: list.length,
          notModified: list.filter((h) => h.status === 304).length,
          requests: list,
        }),
      );
      return;
    }
    if (url.pathname === '/__reset') {
      scripts.clear();
      hits.clear();
      res.end('ok');
      return;
    }

    const script = scripts.get(url.pathname) ?? { status: 404, body: 'no script for ' + url.pathname };
    const hit: Hit = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, status: 0 };
    const list = hits.get(url.pathname) ?? [];
    list.push(hit);
    hits.set(url.pathname, list);
    const body = await readBody(req);

    if (script.mode === 'down') {
      hit.status = -1;
      req.socket.destroy();
      return;
    }
    if (script.delayMs) await new Promise((r) => setTimeout(r, script.delayMs));
    if (script.mode === 'hang') {
      hit.status = -2;
      return; // never answers; the client must time out
    }

    const headers: Record<string, string | string[]> = { date: new Date().toUTCString(), ...script.headers };
    if (script.etag) headers.etag = script.etag;
    if (script.lastModified) headers['last-modified'] = script.lastModified;
    const inm = req.headers['if-none-match'];
    const ims = req.headers['if-modified-since'];
    const conditional = inm !== undefined || ims !== undefined;
    const matches =
      (script.always304 === true && conditional) ||
      (script.etag &&
        inm &&
        inm
          .split(',')
          .map((s) => s.trim())
          .includes(script.etag)) ||
      (!inm && script.lastModified && ims && Date.parse(ims) >= Date.parse(script.lastModified));
    if (matches && (req.method === 'GET' || req.method === 'HEAD')) {
      hit.status = 304;
      res.writeHead(304, headers);
      res.end();
      return;
    }
    let text = script.echoUrl ? (req.url ?? '') : (script.body ?? '');
    if (script.size !== undefined) {
      const unit = text || 'x';
      text = unit.repeat(Math.ceil(script.size / unit.length)).slice(0, script.size);
    }
    if (req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') {
      headers['x-echo-length'] = String(body.length);
    }
    hit.status = script.status ?? 200;
    if (hit.status !== 204 && hit.status !== 304) headers['content-length'] = String(Buffer.byteLength(text));
    res.writeHead(hit.status, headers);
    res.end(req.method === 'HEAD' ? undefined : text);
  }

  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actual = (server.address() as AddressInfo).port;
  return {
    server,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
