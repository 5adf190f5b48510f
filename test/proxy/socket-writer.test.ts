/**
 * SocketWriter (src/proxy/http/socket-writer.ts) over real loopback sockets: writes the kernel takes
 * at once, writes queued behind a peer that does not read (false, then onDrain, every byte in order),
 * writes mixed with `socket.write` while either kind waits, a socket still connecting, and a write
 * error (the socket destroyed with node's error). The proxy's own use is covered by h1-fast-path,
 * h1-serial and h1-pool.
 */
import { createHash } from 'node:crypto';
import * as net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { directWrites, SocketWriter } from '../../src/proxy/http/socket-writer.js';
import { until } from './_harness.js';

/** A server whose accepted socket is handed over paused (not read until the test resumes it). */
async function pair(): Promise<{ client: net.Socket; peer: net.Socket; close(): void }> {
  let peer: net.Socket | undefined;
  const server = net.createServer({ pauseOnConnect: true }, (s) => { peer = s; });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = net.connect({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port });
  client.on('error', () => {});
  await new Promise((r) => client.once('connect', r));
  await until(() => peer !== undefined, 2000, 'the server to accept');
  return { client, peer: peer!, close: () => { client.destroy(); peer!.destroy(); server.close(); } };
}

/** Reads everything `peer` receives until `n` bytes arrived; resolves with their sha256. */
function readAll(peer: net.Socket, n: number): Promise<string> {
  const hash = createHash('sha256');
  let got = 0;
  return new Promise((resolve) => {
    peer.on('data', (d: Buffer) => { hash.update(d); got += d.length; if (got >= n) resolve(hash.digest('hex')); });
    peer.resume();
  });
}

const sha = (bufs: Buffer[]) => { const h = createHash('sha256'); for (const b of bufs) h.update(b); return h.digest('hex'); };

test('GIVEN this Node WHEN the module loads THEN the direct path is available (Node 20/22 ship the stream_wrap binding)', () => {
  assert.ok(directWrites);
});

test('GIVEN a peer that reads WHEN small writes (string and Buffer) go out THEN each returns true and the bytes arrive in order', async () => {
  const { client, peer, close } = await pair();
  try {
    let drains = 0;
    const w = new SocketWriter(client, () => { drains++; });
    const parts = [Buffer.from('HTTP/1.1 200 OK\r\n'), Buffer.from('\xe9t\xe9\r\n', 'latin1'), Buffer.alloc(3000, 7)];
    const read = readAll(peer, parts.reduce((n, p) => n + p.length, 0));
    assert.is(w.write('HTTP/1.1 200 OK\r\n'), true);
    assert.is(w.write('\xe9t\xe9\r\n'), true, 'a latin1 string is one byte per character');
    assert.is(w.write(parts[2]!), true);
    assert.is(await read, sha(parts));
    assert.is(drains, 0, 'no drain without a queued write');
    assert.is(client.writableLength, 0);
  } finally {
    close();
  }
});

test('GIVEN a peer that does not read WHEN writes fill the kernel buffers THEN a write returns false, onDrain runs once it is read, every byte arrives in order, socket.write in between keeps its place', async () => {
  const { client, peer, close } = await pair();
  try {
    let drains = 0;
    const w = new SocketWriter(client, () => { drains++; });
    const sent: Buffer[] = [];
    let queued = false;
    for (let i = 0; i < 400 && !queued; i++) {
      const b = Buffer.alloc(64 * 1024, i % 251);
      sent.push(b);
      queued = !w.write(b);
    }
    assert.ok(queued, 'the kernel took 25 MiB without queueing');
    // Queued in libuv, not in the Writable: socket.write goes straight behind it, a direct write after it goes through socket.write.
    const viaSocket = Buffer.alloc(1000, 1);
    sent.push(viaSocket);
    client.write(viaSocket);
    const after = Buffer.from('tail');
    sent.push(after);
    w.write(after);
    assert.is(drains, 0);
    const total = sent.reduce((n, b) => n + b.length, 0);
    assert.is(await readAll(peer, total), sha(sent));
    await until(() => drains === 1, 2000, 'onDrain after the queued writes finished');
  } finally {
    close();
  }
});

test('GIVEN a socket still connecting WHEN written THEN socket.write takes it (sent once connected)', async () => {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const got = new Promise<string>((resolve) => server.once('connection', (s) => { let t = ''; s.on('data', (d: Buffer) => { t += d.toString('latin1'); if (t.length >= 5) resolve(t); }); }));
  const client = net.connect({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port });
  try {
    const w = new SocketWriter(client, () => {});
    assert.ok(client.connecting);
    w.write('hello');
    assert.is(await got, 'hello');
  } finally {
    client.destroy();
    server.close();
  }
});

test('GIVEN a peer that reset the connection WHEN written THEN the socket is destroyed with node\'s write error (code, syscall write)', async () => {
  const { client, peer, close } = await pair();
  try {
    client.pause();
    // Stop reading at the handle too, so the reset is met by the write, not by a read.
    (client as unknown as { _handle: { readStop(): void } })._handle.readStop();
    peer.resetAndDestroy();
    await new Promise((r) => setTimeout(r, 50));
    let err: NodeJS.ErrnoException | undefined;
    client.on('error', (e: NodeJS.ErrnoException) => { err = e; });
    const w = new SocketWriter(client, () => {});
    let ok = true;
    for (let i = 0; i < 5 && ok && !client.destroyed; i++) ok = w.write(Buffer.alloc(1024, 1));
    await until(() => client.destroyed && err !== undefined, 2000, 'the socket destroyed with an error');
    assert.ok(['EPIPE', 'ECONNRESET'].includes(err!.code ?? ''), `code ${err!.code}`);
    assert.is(err!.syscall, 'write');
    assert.is(w.write('more'), false, 'a destroyed socket takes nothing');
  } finally {
    close();
  }
});

test.run();
