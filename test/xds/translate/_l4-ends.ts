/**
 * Raw TCP and TLS ends for the L4 e2e tests: tagged backends that answer `<name>:<bytes>`, a plain exchange, and a
 * TLS ClientHello sent with a chosen SNI.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';

/** A TCP server that answers `<name>:<bytes>` to what it receives, and counts the connections that sent anything. */
export async function tagged(name: string): Promise<{ port: number; received: string[]; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const received: string[] = [];
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('data', (d) => { received.push(d.toString('latin1')); s.write(`${name}:${d.toString('latin1')}`); });
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port, received,
    close: () => { for (const s of sockets) s.destroy(); return new Promise((r) => server.close(() => r())); },
  };
}

/** Sends `ping` and resolves with the answer (empty when the proxy closed the connection). */
export function exchange(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    s.setTimeout(3000, () => s.destroy(new Error('timeout')));
    s.on('connect', () => s.write('ping'));
    s.on('data', (d) => { got += d.toString(); if (got.endsWith(':ping')) s.end(); });
    s.on('close', () => resolve(got));
    s.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? resolve(got) : reject(e)));
  });
}

/** Opens a TLS connection with SNI `sni`; resolves when the proxy closed it or a backend got the ClientHello. */
export function sendHello(port: number, sni: string, backends: readonly { received: readonly string[] }[]): Promise<void> {
  return new Promise<void>((resolve) => {
    const before = backends.map((b) => b.received.length);
    const c = tls.connect({ host: '127.0.0.1', port, servername: sni, rejectUnauthorized: false });
    const timer = setTimeout(() => done(), 3000);
    const poll = setInterval(() => { if (backends.some((b, i) => b.received.length > before[i]!)) done(); }, 10);
    function done() { clearInterval(poll); clearTimeout(timer); c.destroy(); resolve(); }
    c.on('error', done);
    c.on('close', done);
  });
}
