/**
 * Route timeouts on the coarse sweep (src/proxy/http/route-deadlines.ts): a long timeout fires
 * between its deadline and one sweep period after it, a short one keeps a precise timer, a
 * disarmed one never fires; and over real sockets a 1.2 s route timeout to an upstream that hangs
 * answers 504 UT within its tolerance and counts upstream_rq_timeout.
 */
import * as net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { armDeadline, COARSE_MIN_MS, type DeadlineOwner, disarmDeadline, SWEEP_MS, sweptDeadlines } from '../../src/proxy/http/route-deadlines.js';
import { assignment, edsCluster, get, httpListener, routeConfig, startTestProxy, startXds, until } from './_harness.js';

/** A deadline owner that records when it fired (performance.now() ms). */
function owner(): DeadlineOwner & { firedAt: number[] } {
  const o = {
    deadlineAt: 0, deadlinePrev: undefined, deadlineNext: undefined, deadlineTimer: undefined, deadlineArmed: false,
    firedAt: [] as number[],
    onDeadline() { o.firedAt.push(performance.now()); },
  };
  return o;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The baseline a deadline is held to: a plain `setTimeout(ms)` armed now, resolving with how many ms
 * after its due time it actually ran. That is the event-loop lag at the deadline (0-2 ms on an idle
 * machine, tens or hundreds on a loaded one), which no timer of the proxy can beat.
 */
function lagAt(ms: number): Promise<number> {
  const due = performance.now() + ms;
  return new Promise((r) => setTimeout(() => r(Math.max(0, performance.now() - due)), ms));
}

test('GIVEN a route timeout of 1 s WHEN armed on the sweep THEN it fires once, after its deadline and within one sweep period plus slack', async () => {
  const o = owner();
  const lag = lagAt(COARSE_MIN_MS);
  const t0 = performance.now();
  armDeadline(o, COARSE_MIN_MS, t0);
  assert.is(sweptDeadlines(), 1, 'a timeout of 1 s is swept, not timed on its own');
  await until(() => o.firedAt.length > 0, 3000, 'the deadline to fire');
  const late = o.firedAt[0]! - (t0 + COARSE_MIN_MS);
  const loopLag = await lag;
  assert.ok(late >= 0, `fired ${-late} ms before its deadline`);
  assert.ok(late <= loopLag + SWEEP_MS + 150, `fired ${late.toFixed(0)} ms after its deadline, a plain timer ${loopLag.toFixed(0)} ms`);
  assert.is(sweptDeadlines(), 0);
  assert.is(o.deadlineArmed, false);
  await sleep(2 * SWEEP_MS);
  assert.is(o.firedAt.length, 1, 'fires once');
});

test('GIVEN a route timeout under 1 s WHEN armed THEN it keeps a precise timer of its own', async () => {
  const o = owner();
  let plainAt = 0;
  setTimeout(() => { plainAt = performance.now(); }, 120);
  const t0 = performance.now();
  armDeadline(o, 120, t0);
  assert.is(sweptDeadlines(), 0, 'not on the sweep');
  assert.ok(o.deadlineTimer !== undefined);
  await until(() => o.firedAt.length > 0, 3000, 'the deadline to fire');
  const late = o.firedAt[0]! - (t0 + 120);
  assert.ok(late >= -1, `fired ${-late} ms before its deadline`);
  // A plain timer armed at the same moment runs in the same pass of the event loop, however late that
  // pass is; the sweep would be up to SWEEP_MS after it.
  assert.ok(plainAt > 0 && o.firedAt[0]! - plainAt < 10, `fired ${(o.firedAt[0]! - plainAt).toFixed(1)} ms after a plain timer armed with it (${late.toFixed(0)} ms after its deadline)`);
});

test('GIVEN armed timeouts WHEN disarmed (or re-armed later) before their deadline THEN they do not fire early or at all', async () => {
  const a = owner();
  const b = owner();
  const c = owner();
  const now = performance.now();
  armDeadline(a, COARSE_MIN_MS, now - COARSE_MIN_MS + 60);
  armDeadline(b, 60, now);
  armDeadline(c, COARSE_MIN_MS, now - COARSE_MIN_MS + 60);
  armDeadline(c, 5000, now);
  assert.is(sweptDeadlines(), 2, 'a and c (re-armed, once) are on the sweep');
  disarmDeadline(a);
  disarmDeadline(b);
  disarmDeadline(b);
  assert.is(sweptDeadlines(), 1);
  await sleep(60 + 3 * SWEEP_MS);
  assert.equal([a.firedAt.length, b.firedAt.length, c.firedAt.length], [0, 0, 0]);
  disarmDeadline(c);
  assert.is(sweptDeadlines(), 0);
});

test('GIVEN an upstream that hangs and a route timeout of 1.2 s WHEN forwarding THEN 504 UT within the sweep tolerance, counted as upstream_rq_timeout', async () => {
  const ADDR = '127.0.9.23';
  const held: net.Socket[] = [];
  const hang = net.createServer((s) => { held.push(s); });
  const cleanup: (() => Promise<unknown> | void)[] = [() => { for (const s of held) s.destroy(); return new Promise((r) => hang.close(r)); }];
  try {
    const hangPort = await new Promise<number>((r) => hang.listen(0, '127.0.0.1', () => r((hang.address() as net.AddressInfo).port)));
    const xds = await startXds({
      clusters: [edsCluster('hang')],
      endpoints: [assignment('hang', [{ port: hangPort }])],
      listeners: [httpListener('deadline', ADDR, 'rt')],
      routes: [routeConfig('rt', [{ name: 'vh', domains: ['*'], routes: [{
        match: { pathSpecifier: { case: 'prefix', value: '/' } },
        action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: 'hang' }, timeout: { seconds: 1n, nanos: 200_000_000 } } },
      }] }])],
    });
    cleanup.push(() => xds.close());
    const proxy = await startTestProxy(xds.port);
    cleanup.push(() => proxy.close());
    await proxy.waitReady();
    const port = proxy.listenerAddress('deadline')!.port;
    const lag = lagAt(1200);
    const t0 = performance.now();
    const r = await get(port, '/slow', { host: 'svc.test' }, 'GET', undefined, ADDR);
    const took = performance.now() - t0;
    const loopLag = await lag;
    assert.is(r.status, 504);
    assert.is(r.body, 'upstream request timeout');
    assert.ok(took >= 1195 && took < 1200 + loopLag + SWEEP_MS + 400, `answered after ${took.toFixed(0)} ms, a plain 1.2 s timer ${loopLag.toFixed(0)} ms late`);
    await until(() => { proxy.accessLog!.flush(); return proxy.log.some((e) => e.path === '/slow'); }, 3000, 'access log entry');
    const e = proxy.log.find((x) => x.path === '/slow')!;
    assert.equal(e.flags, ['UT']);
    assert.is(e.details, 'response_timeout');
    assert.is(proxy.stats.clusters.get('hang')!.upstream_rq_timeout, 1);
    assert.is(sweptDeadlines(), 0, 'nothing left armed');
  } finally {
    for (const c of cleanup.reverse()) await c();
  }
});

test.run();
