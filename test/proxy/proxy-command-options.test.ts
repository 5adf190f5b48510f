/**
 * `meshproof proxy` option checks found by a fresh user (issue #9), in-process through `main()`: an
 * access-log path that cannot be opened and an --xds address with port 0 are usage errors (exit 2,
 * one line naming the flag and the fix) instead of a crash or an endless retry.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../src/cli/main.js';
import { captureIO } from '../cli/_io.js';

async function run(args: string[]): Promise<{ code: number; err: string }> {
  const c = captureIO(process.cwd());
  const code = await main(['proxy', ...args], c.io);
  return { code, err: c.stderr() };
}

const OFF = ['--admin', 'off', '--prometheus', 'off', '--readiness', 'off'];

test('GIVEN --access-log in a directory that does not exist WHEN run THEN exit 2 naming the path and the alternatives', async () => {
  const r = await run(['--xds', '127.0.0.1:1', '--node', 'a/b', ...OFF, '--access-log', '/nonexistent/dir/f']);
  assert.is(r.code, 2);
  assert.match(r.err, /--access-log "\/nonexistent\/dir\/f" cannot be opened for appending \(ENOENT\); pass a writable file, - for stdout, or off/);
});

test('GIVEN --xds with port 0 or off WHEN run THEN exit 2: a control plane is dialled, not bound', async () => {
  for (const xds of ['127.0.0.1:0', 'off']) {
    const r = await run(['--xds', xds, '--node', 'a/b', ...OFF, '--access-log', 'off']);
    assert.is(r.code, 2, xds);
    assert.match(r.err, /--xds ".*" must name the control plane's port \(1\.\.65535\)/);
  }
});

test('GIVEN a writable --access-log file WHEN the proxy starts and quits THEN the file is opened and the proxy runs (the check refuses only bad paths)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-alog-'));
  // A control plane that accepts and never answers: the proxy starts, then is asked to quit over the admin port.
  const accepted = new Set<net.Socket>();
  const cp = net.createServer((s) => { accepted.add(s); s.on('error', () => {}); });
  const xdsPort = await new Promise<number>((r) => cp.listen(0, '127.0.0.1', () => r((cp.address() as net.AddressInfo).port)));
  try {
    const c = captureIO(process.cwd());
    const file = join(dir, 'access.log');
    const running = main(['proxy', '--xds', `127.0.0.1:${xdsPort}`, '--node', 'a/b', '--admin', '127.0.0.1:0', '--prometheus', 'off', '--readiness', 'off', '--drain-timeout', '0', '--access-log', file], c.io);
    let adminPort = 0;
    const deadline = Date.now() + 30_000;
    while (adminPort === 0 && Date.now() < deadline) {
      adminPort = Number(/admin [^\s,]*:(\d+)/.exec(c.stderr())?.[1] ?? 0);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(adminPort > 0, c.stderr());
    await fetch(`http://127.0.0.1:${adminPort}/quitquitquit`, { method: 'POST' });
    assert.is(await running, 0);
    assert.is(readFileSync(file, 'utf8'), '');
  } finally {
    for (const s of accepted) s.destroy();
    cp.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
