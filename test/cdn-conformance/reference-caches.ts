/**
 * The reference shared caches, configured as a careful operator would, in front of the
 * same origin as pushpull's edge: nginx `proxy_cache` and Varnish (Debian packages).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnPeer, stopProcess, waitForHttp } from '../support/process';

/** A cache under test: where to send requests, and how to purge if it can. */
export interface CacheUnderTest {
  name: string;
  url: string;
  purge?: (path: string) => Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * nginx with proxy_cache, revalidation, stale-on-error, cache lock and byte ranges on. Not
 * `proxy_cache_use_stale updating` + `proxy_cache_background_update`: with them nginx does
 * serve stale-while-revalidate, but it then serves every stale entry without validating it
 * first (RFC 9111 §4.2.4), even when the response never allowed it.
 */
export async function startNginx(port: number, originPort: number): Promise<CacheUnderTest> {
  const dir = mkdtempSync(join(tmpdir(), 'pushpull-nginx-'));
  mkdirSync(join(dir, 'cache'));
  mkdirSync(join(dir, 'logs'));
  writeFileSync(
    join(dir, 'nginx.conf'),
    `
user root;
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  proxy_cache_path ${dir}/cache levels=1:2 keys_zone=edge:10m max_size=256m inactive=1d use_temp_path=off;
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://127.0.0.1:${originPort};
      proxy_http_version 1.1;
      proxy_cache edge;
      proxy_cache_revalidate on;
      proxy_cache_lock on;
      proxy_cache_lock_timeout 10s;
      proxy_cache_use_stale error timeout http_500 http_502 http_503 http_504;
      proxy_force_ranges on;
      proxy_connect_timeout 2s;
      proxy_read_timeout 2s;
    }
  }
}
`,
  );
  const child = spawnPeer('nginx', 'nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(url, child, 'nginx');
  return { name: 'nginx', url, stop: () => stopProcess(child, 3000) };
}

/** Varnish with the builtin VCL plus the usual additions: PURGE, keep for conditional fetches. */
export async function startVarnish(port: number, originPort: number): Promise<CacheUnderTest> {
  const dir = mkdtempSync(join(tmpdir(), 'pushpull-varnish-'));
  writeFileSync(
    join(dir, 'default.vcl'),
    `
vcl 4.1;
backend default { .host = "127.0.0.1"; .port = "${originPort}"; .first_byte_timeout = 2s; .connect_timeout = 2s; }
sub vcl_recv {
  if (req.method == "PURGE") { return (purge); }
}
sub vcl_backend_response {
  # Keep stale objects with validators so that Varnish can revalidate with a conditional fetch.
  set beresp.keep = 1d;
}
`,
  );
  const child = spawnPeer(
    'varnishd',
    'varnish',
    ['-F', '-f', join(dir, 'default.vcl'), '-a', `127.0.0.1:${port}`, '-n', join(dir, 'n'), '-s', 'malloc,64m', '-j', 'none'],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(url, child, 'varnishd');
  return {
    name: 'varnish',
    url,
    purge: async (path) => (await fetch(url + path, { method: 'PURGE' })).status === 200,
    stop: () => stopProcess(child, 3000),
  };
}
