/**
 * `meshproof proxy` usage errors, in-process: missing or malformed flags, and an admin address that
 * cannot be bound, each exit 2 with one line naming the flag and the fix.
 */
import * as net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../src/cli/main.js';
import { captureIO } from '../cli/_io.js';

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

test('GIVEN a malformed --xds or --role WHEN run THEN exit 2 naming the value', async () => {
  assert.match((await run(['--xds', 'nowhere', '--node', 'a/b'])).err, /--xds "nowhere" is not <host>:<port>/);
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

test.run();
