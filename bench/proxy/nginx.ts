/**
 * nginx configurations for `bench/proxy`: the two backends (a small fixed body on two loopback
 * addresses, each server counting its requests in its own access log) and the comparison proxy
 * (the same 90/10 split with `split_clients` over a random per-request key, keep-alive upstreams,
 * an access log as our proxy writes one).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The response body of both backends (bytes). */
export const BODY = 'hello from the benchmark backend\n';

function common(dir: string): string {
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  return `${process.getuid?.() === 0 ? 'user root;\n' : ''}worker_processes 1;
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 4096; }
`;
}

function temps(dir: string): string {
  return ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(dir, 'tmp', t)};`).join('\n');
}

/** Writes `<dir>/nginx.conf` for the backends and returns its path. */
export function backendConfig(dir: string, addresses: { v1: string; v2: string }, port: number): string {
  mkdirSync(dir, { recursive: true });
  const server = (v: 'v1' | 'v2') => `  server {
    listen ${addresses[v]}:${port};
    keepalive_requests 1000000;
    access_log ${join(dir, `${v}.log`)} count buffer=64k flush=100ms;
    location / { default_type text/plain; return 200 ${JSON.stringify(BODY.replace('backend', `backend ${v}`))}; }
  }`;
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, `${common(dir)}http {
${temps(dir)}
  log_format count '$server_addr';
${server('v1')}
${server('v2')}
}
`);
  return file;
}

/** Writes `<dir>/nginx.conf` for the 90/10 proxy listening on `listen`, logging to `<dir>/access.log`. */
export function proxyConfig(dir: string, listen: { host: string; port: number }, addresses: { v1: string; v2: string }, backendPort: number): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, `${common(dir)}http {
${temps(dir)}
  log_format envoyish '[$time_iso8601] "$request_method $request_uri $server_protocol" $status - - - $request_length $bytes_sent $request_time $upstream_response_time "$http_x_forwarded_for" "$http_user_agent" "$request_id" "$host" "$upstream_addr" $backend';
  access_log ${join(dir, 'access.log')} envoyish buffer=64k flush=1s;
  upstream v1 { server ${addresses.v1}:${backendPort}; keepalive 128; keepalive_requests 1000000; }
  upstream v2 { server ${addresses.v2}:${backendPort}; keepalive 128; keepalive_requests 1000000; }
  split_clients "$request_id" $backend { 90% v1; * v2; }
  server {
    listen ${listen.host}:${listen.port};
    keepalive_requests 1000000;
    location / {
      proxy_pass http://$backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
    }
  }
}
`);
  return file;
}

/** Requests each backend logged so far (lines of `<dir>/v1.log`, `<dir>/v2.log`). */
export function backendCounts(dir: string): { v1: number; v2: number } {
  const lines = (v: string) => { try { return readFileSync(join(dir, `${v}.log`), 'utf8').split('\n').filter(Boolean).length; } catch { return 0; } };
  return { v1: lines('v1'), v2: lines('v2') };
}
