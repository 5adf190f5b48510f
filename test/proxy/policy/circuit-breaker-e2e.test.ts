/** Circuit breakers over real sockets: max_requests and max_connections + max_pending_requests overflow as 503 UO with x-envoy-overloaded. */
import { create } from '@bufbuild/protobuf';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CircuitBreakersSchema } from '../../../src/xds/gen/envoy/config/cluster/v3/circuit_breaker_pb.js';
import { assignment, edsCluster, startEcho, until } from '../_harness.js';
import { vhost, withProxy } from './_e2e.js';

/** A backend that holds every response until `release()`. */
async function gate() {
  const held: (() => void)[] = [];
  const echo = await startEcho('gate', {
    handler: (_req, res) => { held.push(() => { res.writeHead(200); res.end('ok'); }); return true; },
  });
  return { echo, held, release: () => { for (const f of held.splice(0)) f(); } };
}

function limited(thresholds: Record<string, number>) {
  const c = edsCluster('svc');
  c.circuitBreakers = create(CircuitBreakersSchema, { thresholds: [thresholds] });
  return c;
}

test('GIVEN max_requests 1 WHEN a second request arrives while one is in flight THEN 503 UO with x-envoy-overloaded: true; after release both slots work again', async () => {
  const g = await gate();
  try {
    await withProxy({ clusters: [limited({ maxRequests: 1 })], endpoints: [assignment('svc', [{ port: g.echo.port }])], vhosts: [vhost('svc')] }, async (env) => {
      const first = env.request('/1');
      await until(() => g.held.length === 1, 2000, 'first request at the backend');
      const second = await env.request('/2');
      assert.is(second.status, 503);
      assert.is(second.headers['x-envoy-overloaded'], 'true');
      assert.match(second.body, /reset reason: overflow/);
      g.release();
      assert.is((await first).status, 200);
      const third = env.request('/3');
      await until(() => g.held.length === 1, 2000, 'third request at the backend');
      g.release();
      assert.is((await third).status, 200);
      const log = await env.entries();
      assert.ok(log.some((e) => e.path === '/2' && e.flags.includes('UO') && e.details === 'upstream_reset_before_response_started{overflow}'), 'UO logged with Envoy\'s details');
    });
  } finally { g.release(); await g.echo.close(); }
});

test('GIVEN max_connections 1 and max_pending_requests 1 WHEN three requests arrive together THEN one runs, one waits and then succeeds, one overflows (UO)', async () => {
  const g = await gate();
  try {
    await withProxy({ clusters: [limited({ maxConnections: 1, maxPendingRequests: 1 })], endpoints: [assignment('svc', [{ port: g.echo.port }])], vhosts: [vhost('svc')] }, async (env) => {
      const a = env.request('/a');
      await until(() => g.held.length === 1, 2000, 'a at the backend');
      const b = env.request('/b');
      await new Promise((r) => setTimeout(r, 50));
      const c = await env.request('/c');
      assert.is(c.status, 503);
      assert.is(c.headers['x-envoy-overloaded'], 'true');
      assert.is(g.held.length, 1, 'b waits in the pending queue, not at the backend');
      g.release();
      assert.is((await a).status, 200);
      await until(() => g.held.length === 1, 2000, 'b at the backend once a finished');
      g.release();
      assert.is((await b).status, 200);
    });
  } finally { g.release(); await g.echo.close(); }
});

test('GIVEN the defaults (no circuit_breakers) WHEN three requests are in flight THEN none overflows', async () => {
  const g = await gate();
  try {
    await withProxy({ clusters: [edsCluster('svc')], endpoints: [assignment('svc', [{ port: g.echo.port }])], vhosts: [vhost('svc')] }, async (env) => {
      const rs = [env.request('/1'), env.request('/2'), env.request('/3')];
      await until(() => g.held.length === 3, 2000, 'three requests at the backend');
      g.release();
      assert.equal((await Promise.all(rs)).map((r) => r.status), [200, 200, 200]);
    });
  } finally { g.release(); await g.echo.close(); }
});

test.run();
