/**
 * `meshproof echo` answers who it is over HTTP/1.1 and h2c on one port, and `runtime smoke`'s judge
 * holds a target answered by an allowed workload and breaks on a wrong one, a missing redirect, or
 * no echo answer at all, over real sockets.
 */
import { request } from 'node:http';
import { connect } from 'node:http2';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startEcho } from '../../src/cli/echo-command.js';
import { commandUsage } from '../../src/cli/usage.js';
import { runSmoke } from '../../src/runtime/smoke.js';

const identity = { namespace: 'bookinfo', workload: 'reviews-v2', labels: { app: 'reviews', version: 'v2' } };

function h1(port: number, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/x', headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('GIVEN an echo backend WHEN asked over HTTP/1.1 and over h2c on the same port THEN both answer with its workload, version and protocol; x-echo-status sets the status', async () => {
  const echo = await startEcho(identity, [{ host: '127.0.0.1', port: 0 }]);
  const session = connect(`http://127.0.0.1:${echo.ports[0]}`);
  try {
    const one = await h1(echo.ports[0]!, { host: 'reviews:9080' });
    assert.is(one.status, 200);
    assert.is(one.headers['x-meshproof-workload'], 'bookinfo/reviews-v2');
    assert.is(one.headers['x-meshproof-version'], 'v2');
    assert.equal(JSON.parse(one.body), { ...identity, host: 'reviews:9080', path: '/x', method: 'GET', protocol: 'HTTP/1.1' });
    assert.is((await h1(echo.ports[0]!, { 'x-echo-status': '503' })).status, 503);
    const two = await new Promise<{ headers: Record<string, unknown>; body: string }>((resolve, reject) => {
      const s = session.request({ ':path': '/y', ':authority': 'reviews' });
      let body = '';
      let headers: Record<string, unknown> = {};
      s.on('response', (h) => (headers = h));
      s.setEncoding('utf8');
      s.on('data', (c: string) => (body += c));
      s.on('end', () => resolve({ headers, body }));
      s.on('error', reject);
      s.end();
    });
    assert.is(two.headers[':status'], 200);
    assert.is(two.headers['x-meshproof-workload'], 'bookinfo/reviews-v2');
    assert.is(JSON.parse(two.body).protocol, 'HTTP/2.0');
  } finally {
    session.close();
    await echo.close();
  }
});

test('GIVEN an echo backend with a request log WHEN plain, failing, delayed and mirrored requests arrive THEN each is one line with method, host and path, protocol, status, delay, shadow and request id', async () => {
  const lines: string[] = [];
  const echo = await startEcho(identity, [{ host: '127.0.0.1', port: 0 }], (l) => lines.push(l));
  try {
    await h1(echo.ports[0]!, { host: 'reviews:9080', 'x-request-id': 'r1' });
    await h1(echo.ports[0]!, { host: 'reviews:9080', 'x-echo-status': '503', 'x-echo-delay-ms': '20' });
    await h1(echo.ports[0]!, { host: 'reviews-shadow:9080' });
    assert.is(lines.length, 3, lines.join('\n'));
    assert.match(lines[0]!, /^\d{4}-\d\d-\d\dT[\d:.]+Z GET reviews:9080\/x HTTP\/1\.1 -> 200 x-request-id=r1$/);
    assert.match(lines[1]!, /^\S+ GET reviews:9080\/x HTTP\/1\.1 -> 503 after 20 ms$/);
    assert.match(lines[2]!, /^\S+ GET reviews-shadow:9080\/x HTTP\/1\.1 -> 200 \(shadow\)$/);
  } finally {
    await echo.close();
  }
});

test('GIVEN "meshproof echo --help" THEN it documents --log and the x-echo-status and x-echo-delay-ms request headers', () => {
  const help = commandUsage('echo')!;
  assert.match(help, /--log +Print one line per request on stdout/);
  assert.match(help, /x-echo-status: <200-599> answers that status/);
  assert.match(help, /x-echo-delay-ms: <ms> waits that long first \(at most 60000\)/);
});

test('GIVEN an address already taken WHEN an echo starts there THEN it rejects naming the address', async () => {
  const echo = await startEcho(identity, [{ host: '127.0.0.1', port: 0 }]);
  try {
    const err = await startEcho(identity, [{ host: '127.0.0.1', port: echo.ports[0]! }]).then(() => null, (e: Error) => e);
    assert.match(String(err?.message), new RegExp(`cannot listen on 127\\.0\\.0\\.1:${echo.ports[0]} \\(EADDRINUSE\\)`));
  } finally {
    await echo.close();
  }
});

test('GIVEN an echo standing where a proxy would WHEN smoke targets are judged THEN an allowed workload holds, and a wrong workload, a missing redirect or no listener break', async () => {
  const echo = await startEcho(identity, [{ host: '127.0.0.1', port: 0 }]);
  const port = echo.ports[0]!;
  const lines: string[] = [];
  const plan = (targets: object[]) => ({ proxies: [{ nodeId: 'bookinfo/details-v1', role: 'sidecar', service: '127.0.0.1', targets }] }) as never;
  try {
    assert.is(await runSmoke(plan([{ host: 'reviews.bookinfo.svc.cluster.local:9080', port, workloads: ['bookinfo/reviews-v1', 'bookinfo/reviews-v2'] }]), { requests: 3, waitMs: 0, log: (l) => lines.push(l) }), 0);
    assert.match(lines.at(-1)!, /✓ HELD .*4\/4 answered by echo pods \(bookinfo\/reviews-v2;/);
    const skipping = { proxies: [{ nodeId: 'bookinfo/details-v1', role: 'sidecar', service: '127.0.0.1', targets: [{ host: 'reviews', port, workloads: ['bookinfo/reviews-v2'] }], skipped: [{ host: 'ratings:9080', port: 9080, reason: 'upstream TLS on outbound|9080|v1|ratings' }] }] } as never;
    assert.is(await runSmoke(skipping, { requests: 1, waitMs: 0, log: (l) => lines.push(l) }), 0);
    assert.match(lines.at(-2)!, /^- SKIPPED sidecar bookinfo\/details-v1 → Host ratings:9080: upstream TLS on outbound\|9080\|v1\|ratings$/);
    assert.is(await runSmoke(plan([{ host: 'reviews', port, workloads: ['bookinfo/reviews-v1'] }]), { requests: 2, waitMs: 0, log: (l) => lines.push(l) }), 1);
    assert.match(lines.at(-1)!, /✗ BROKEN .*answered by bookinfo\/reviews-v2, which is not one of bookinfo\/reviews-v1/);
    assert.is(await runSmoke(plan([{ host: 'bookinfo.app', port, workloads: [], redirect: { status: 301, location: 'https://bookinfo.app/' } }]), { requests: 1, waitMs: 0, log: (l) => lines.push(l) }), 1);
    assert.match(lines.at(-1)!, /✗ BROKEN .*200, expected 301 Location https:\/\/bookinfo\.app\//);
  } finally {
    await echo.close();
  }
  assert.is(await runSmoke(plan([{ host: 'reviews', port, workloads: ['bookinfo/reviews-v2'] }]), { requests: 1, waitMs: 0, log: (l) => lines.push(l) }), 1);
  assert.match(lines.at(-1)!, /✗ BROKEN .*0\/2 answered by echo pods \(none;.*without an echo answer: ECONNREFUSED ECONNREFUSED; no echo pod answered within 0 s/);
});

test.run();
