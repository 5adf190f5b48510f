/**
 * `meshproof proxy` usage errors, in-process: missing or malformed flags, and an admin address that
 * cannot be bound, each exit 2 with one line naming the flag and the fix. A node id the control plane
 * refuses (INVALID_ARGUMENT) ends the proxy with exit 2 instead of retrying forever; a node it knows
 * no workload for is logged with the control plane's reason; a proxy that never had config does not
 * claim to keep one.
 */
import * as net from 'node:net';
import { resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../src/cli/main.js';
import { startServe } from '../../src/cli/xds-command.js';
import { startProxy } from '../../src/proxy/main.js';
import { captureIO } from '../cli/_io.js';

const ROOT = resolve(import.meta.dirname, '../..');
const until = async (cond: () => boolean, ms: number, what: () => string) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};
const OFF = ['--admin', 'off', '--prometheus', 'off', '--readiness', 'off', '--access-log', 'off'];

async function run(args: string[]): Promise<{ code: number; err: string }> {
  const c = captureIO(process.cwd());
  const code = await main(['proxy', ...args], c.io);
  return { code, err: c.stderr() };
}

test('GIVEN no --node WHEN run THEN exit 2 naming the flag', async () => {
  const r = await run(['--xds', '127.0.0.1:15010']);
  assert.is(r.code, 2);
  assert.match(r.err, /proxy: --node <id> is required/);
});

test('GIVEN a malformed --xds or --role WHEN run THEN exit 2 naming the value, with client-side hints for --xds', async () => {
  for (const xds of ['nowhere', '127.0.0.1', ':15010', '127.0.0.1:70000']) {
    const err = (await run(['--xds', xds, '--node', 'a/b'])).err;
    // A client address: no "0 picks a free port", no "or off" (those are for addresses the proxy binds).
    assert.ok(err.includes(`proxy: --xds "${xds}" is not <host>:<port> of the control plane (port 1..65535), e.g. 127.0.0.1:15010 (meshproof xds serve prints it)\n`), err);
    assert.not.match(err, /free port|or off/);
  }
  assert.match((await run(['--xds', '127.0.0.1:1', '--node', 'a/b', '--role', 'ingress'])).err, /--role "ingress" is not sidecar or gateway/);
});

test('GIVEN an admin address already taken WHEN run THEN exit 2 with the bind error and the alternatives', async () => {
  const squatter = net.createServer();
  const port = await new Promise<number>((r) => squatter.listen(0, '127.0.0.1', () => r((squatter.address() as net.AddressInfo).port)));
  try {
    const r = await run(['--xds', '127.0.0.1:1', '--node', 'a/b', '--admin', `127.0.0.1:${port}`, '--prometheus', 'off', '--readiness', 'off', '--access-log', 'off']);
    assert.is(r.code, 2);
    assert.match(r.err, new RegExp(`--admin 127\\.0\\.0\\.1:${port}: cannot bind \\(EADDRINUSE\\); pass another --admin <host:port>, port 0, or off`));
  } finally {
    squatter.close();
  }
});

test('GIVEN xds serve WHEN a proxy connects with --node ../etc, which names no node THEN it exits 2 naming the refusal, without retrying', async () => {
  const serve = await startServe({ paths: [resolve(ROOT, 'dist')], listen: '127.0.0.1:0', cwd: ROOT, log: () => {} });
  try {
    const t0 = Date.now();
    const r = await run(['--xds', `127.0.0.1:${serve.port}`, '--node', '../etc', '--admin', '127.0.0.1:0', ...OFF.slice(2)]);
    assert.is(r.code, 2, r.err);
    assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
    assert.match(r.err, /proxy: the control plane at 127\.0\.0\.1:\d+ refuses node "\.\.\/etc" \(INVALID_ARGUMENT: node\.id "\.\.\/etc" names no node: expected "<namespace>\/<workload>"[^\n]*\); not retrying; pass a --node the control plane serves/);
    assert.not.match(r.err, /reconnecting|keeping the last good config/);
    assert.match(r.err, /following ADS at 127\.0\.0\.1:\d+; admin 127\.0\.0\.1:\d+, prometheus off, readiness off\n/, 'the start-up line names each bound address with its host');
  } finally {
    await serve.close();
  }
});

test('GIVEN xds serve WHEN a proxy connects as a workload its inputs do not have THEN the proxy logs the control plane\'s reason', async () => {
  const serve = await startServe({ paths: [resolve(ROOT, 'dist')], listen: '127.0.0.1:0', cwd: ROOT, log: () => {} });
  const logs: string[] = [];
  const proxy = await startProxy({ xds: `127.0.0.1:${serve.port}`, nodeId: 'bookinfo/nosuch', admin: 'off', prometheus: 'off', readiness: 'off', log: (l) => logs.push(l) });
  try {
    await until(() => logs.some((l) => l.includes('no config')), 10_000, () => logs.join('\n'));
    assert.match(logs.join('\n'), /xds: the control plane at 127\.0\.0\.1:\d+ serves node "bookinfo\/nosuch" no config: no workload bookinfo\/nosuch in .*dist \(name a Deployment or other workload of the inputs\)/);
  } finally {
    await proxy.close();
    await serve.close();
  }
});

test('GIVEN no control plane at --xds WHEN the proxy\'s stream fails before any config THEN it says it has none yet and retries, not "keeping the last good config"', async () => {
  const closed = net.createServer();
  const port = await new Promise<number>((r) => closed.listen(0, '127.0.0.1', () => r((closed.address() as net.AddressInfo).port)));
  await new Promise((r) => closed.close(r));
  const logs: string[] = [];
  const proxy = await startProxy({ xds: `127.0.0.1:${port}`, nodeId: 'bookinfo/productpage-v1', admin: 'off', prometheus: 'off', readiness: 'off', initialBackoffMs: 50, log: (l) => logs.push(l) });
  try {
    await until(() => logs.filter((l) => l.includes('reconnecting')).length >= 2, 10_000, () => logs.join('\n'));
    assert.match(logs[0]!, /^xds: stream to 127\.0\.0\.1:\d+ ended \(UNAVAILABLE: [^)]*\); no config received yet, reconnecting in \d+ ms$/);
    assert.not.match(logs.join('\n'), /keeping the last good config/);
  } finally {
    await proxy.close();
  }
});

test.run();
