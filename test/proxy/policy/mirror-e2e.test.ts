/** Mirroring over real sockets: copies reach the shadow backend with a -shadow host; a slow or failing shadow never affects the main request. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FractionalPercent_DenominatorType as D } from '../../../src/xds/gen/envoy/type/v3/percent_pb.js';
import { assignment, edsCluster, startEcho, until } from '../_harness.js';
import { ms, vhost, withProxy } from './_e2e.js';
import { seeded } from './_helpers.js';

test('GIVEN a mirror to "shadow" at 100 % THEN each request and its body reach the shadow with host svc.local-shadow:8080; the client sees the main answer', async () => {
  const main = await startEcho('main');
  const shadow = await startEcho('shadow');
  try {
    await withProxy({
      clusters: [edsCluster('svc'), edsCluster('shadow')], endpoints: [assignment('svc', [{ port: main.port }]), assignment('shadow', [{ port: shadow.port }])],
      vhosts: [vhost('svc', { requestMirrorPolicies: [{ cluster: 'shadow' }] })],
    }, async (env) => {
      for (let i = 0; i < 3; i++) {
        const r = await env.request(`/m${i}`, { host: 'svc.local:8080' }, 'POST', `body${i}`);
        assert.is(JSON.parse(r.body).name, 'main');
      }
      await until(() => shadow.received.length === 3, 2000, 'shadow copies');
      assert.equal(shadow.received.map((x) => [x.url, x.headers.host, x.body]).sort(), [['/m0', 'svc.local-shadow:8080', 'body0'], ['/m1', 'svc.local-shadow:8080', 'body1'], ['/m2', 'svc.local-shadow:8080', 'body2']]);
      assert.equal(main.received.map((x) => x.headers.host), ['svc.local:8080', 'svc.local:8080', 'svc.local:8080']);
    });
  } finally { await main.close(); await shadow.close(); }
});

test('GIVEN a shadow that hangs or is down THEN the main request is neither delayed nor failed', async () => {
  const main = await startEcho('main');
  const hang = await startEcho('hang', { handler: () => true });
  try {
    await withProxy({
      clusters: [edsCluster('svc'), edsCluster('hang'), edsCluster('down')],
      endpoints: [assignment('svc', [{ port: main.port }]), assignment('hang', [{ port: hang.port }]), assignment('down', [{ port: 1 }])],
      vhosts: [vhost('svc', { timeout: ms(10_000), requestMirrorPolicies: [{ cluster: 'hang' }, { cluster: 'down' }] })],
    }, async (env) => {
      const t0 = performance.now();
      const r = await env.request();
      assert.is(r.status, 200);
      // Held up by the hanging copy, the answer would come at the 10 s route timeout (or never).
      assert.ok(performance.now() - t0 < 5000, `answered after ${(performance.now() - t0).toFixed(0)} ms`);
    });
  } finally { await main.close(); await hang.close(); }
});

test('GIVEN a shadow that hangs past the route timeout (1 s) THEN its copy is cancelled and the proxy keeps serving', async () => {
  const main = await startEcho('main');
  let copies = 0;
  const cancelledAfter: number[] = [];
  let t0 = 0;
  const hang = await startEcho('hang', { handler: (_req, res) => { copies++; res.on('close', () => cancelledAfter.push(performance.now() - t0)); return true; } });
  try {
    await withProxy({
      clusters: [edsCluster('svc'), edsCluster('hang')], endpoints: [assignment('svc', [{ port: main.port }]), assignment('hang', [{ port: hang.port }])],
      vhosts: [vhost('svc', { timeout: ms(1000), requestMirrorPolicies: [{ cluster: 'hang' }] })],
    }, async (env) => {
      t0 = performance.now();
      assert.is((await env.request()).status, 200);
      await until(() => cancelledAfter.length === 1, 1500, 'the hanging copy to be cancelled at the route timeout');
      // Not before the route timeout; well before the 30 s a copy without one would get (5x slack for a loaded machine).
      assert.ok(cancelledAfter[0]! >= 995 && cancelledAfter[0]! < 5000, `copy cancelled ${cancelledAfter[0]!.toFixed(0)} ms after the request`);
      assert.is((await env.request()).status, 200, 'still serving after the copy was cancelled');
      assert.is(copies, 2);
    });
  } finally { await main.close(); await hang.close(); }
});

test('GIVEN runtime_fraction 25 % WHEN 80 requests THEN about a quarter are mirrored; a wrong config (0 %) mirrors none', async () => {
  const main = await startEcho('main');
  const shadow = await startEcho('shadow');
  try {
    for (const [numerator, lo, hi] of [[25, 20 - 4 * Math.sqrt(15), 20 + 4 * Math.sqrt(15)], [0, 0, 0]] as const) {
      shadow.received.length = 0;
      await withProxy({
        clusters: [edsCluster('svc'), edsCluster('shadow')], endpoints: [assignment('svc', [{ port: main.port }]), assignment('shadow', [{ port: shadow.port }])],
        vhosts: [vhost('svc', { requestMirrorPolicies: [{ cluster: 'shadow', runtimeFraction: { defaultValue: { numerator, denominator: D.HUNDRED } } }] })], random: seeded(5),
      }, async (env) => {
        for (let i = 0; i < 80; i++) await env.request();
        await new Promise((r) => setTimeout(r, 100));
      });
      const n = shadow.received.length;
      assert.ok(n >= lo && n <= hi, `${numerator} %: mirrored ${n}/80`);
    }
  } finally { await main.close(); await shadow.close(); }
});

test.run();
