/**
 * `meshproof proxy` as a real process: it follows our ADS server, serves, and on SIGTERM stops
 * accepting, lets the request in flight finish, and exits 0; Ctrl-C (SIGINT) drains the same way.
 */
import { spawn } from 'node:child_process';
import type * as http from 'node:http';
import * as net from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assignment, edsCluster, get, httpListener, routeConfig, startEcho, startXds, until } from './_harness.js';

const ADDR = '127.0.9.7';
const ROOT = join(import.meta.dirname, '..', '..');

test('GIVEN the proxy command serving a slow request WHEN SIGTERM arrives THEN the request completes, new connections are refused, exit 0', async () => {
  const slow = await startEcho('slow', {
    handler: (_req, res) => { setTimeout(() => { (res as http.ServerResponse).writeHead(200); res.end('done'); }, 700); return true; },
  });
  const xds = await startXds({
    clusters: [edsCluster('slow')], endpoints: [assignment('slow', [{ port: slow.port }])],
    listeners: [httpListener('l', ADDR, 'r')],
    routes: [routeConfig('r', [{ name: 'v', domains: ['*'], routes: [{ match: { pathSpecifier: { case: 'prefix', value: '/' } }, action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: 'slow' } } } }] }])],
  });
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/dev-cli.ts', 'proxy', '--xds', `127.0.0.1:${xds.port}`, '--node', 'test/proxy',
    '--admin', '127.0.0.1:0', '--prometheus', 'off', '--readiness', 'off', '--drain-timeout', '3000', '--access-log', 'off'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    await until(() => /admin [^\s,]*:(\d+)/.test(stderr), 6000, `the proxy to start (stderr: ${stderr})`);
    const admin = Number(/admin [^\s,]*:(\d+)/.exec(stderr)![1]);
    let ready = false;
    for (let i = 0; i < 200 && !ready; i++) {
      ready = (await get(admin, '/ready').catch(() => ({ status: 0 }))).status === 200;
      if (!ready) await new Promise((r) => setTimeout(r, 25));
    }
    assert.ok(ready, 'the proxy became ready');
    const ls = JSON.parse((await get(admin, '/listeners?format=json')).body) as { listener_statuses: { local_address: { socket_address: { port_value: number } } }[] };
    const port = ls.listener_statuses[0]!.local_address.socket_address.port_value;
    const inflight = get(port, '/slow', { host: 'x' }, 'GET', undefined, ADDR);
    await new Promise((r) => setTimeout(r, 200));
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 150));
    const refused = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: ADDR, port });
      s.on('connect', () => { s.destroy(); resolve(false); });
      s.on('error', () => resolve(true));
    });
    assert.ok(refused, 'no new connections while draining');
    const r = await inflight;
    assert.is(r.status, 200);
    assert.is(r.body, 'done');
    assert.is(r.headers.connection, 'close');
    const code = await Promise.race([exited, new Promise<string>((res) => setTimeout(() => res('timeout'), 5000))]);
    assert.is(code, 0, stderr);
    assert.match(stderr, /draining \(SIGTERM\)/);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await xds.close();
    await slow.close();
  }
});

test('GIVEN the proxy command running in a terminal WHEN Ctrl-C (SIGINT) arrives THEN it drains naming SIGINT, not SIGTERM, and exits 0', async () => {
  const xds = await startXds({ clusters: [], endpoints: [], listeners: [], routes: [] });
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/dev-cli.ts', 'proxy', '--xds', `127.0.0.1:${xds.port}`, '--node', 'test/proxy',
    '--admin', '127.0.0.1:0', '--prometheus', 'off', '--readiness', 'off', '--drain-timeout', '0', '--access-log', 'off'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    await until(() => /admin [^\s,]*:(\d+)/.test(stderr), 6000, `the proxy to start (stderr: ${stderr})`);
    child.kill('SIGINT');
    const code = await Promise.race([exited, new Promise<string>((res) => setTimeout(() => res('timeout'), 5000))]);
    assert.is(code, 0, stderr);
    assert.match(stderr, /proxy: draining \(SIGINT\)/);
    assert.not.match(stderr, /SIGTERM/);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await xds.close();
  }
});

test.run();
