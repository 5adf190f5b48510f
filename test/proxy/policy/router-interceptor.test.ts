/**
 * The router interceptor's common path (Istio's default retry policy, a bodiless request, an
 * HTTP/1.1 cluster with free connections): the core attempt starts synchronously, no abort signal
 * is read and no timer armed, and the circuit-breaker resources held by the request go back exactly
 * once whatever becomes of the response. The retry behaviour itself is proven over sockets in
 * retry-e2e.test.ts; this pins what the fast path must not lose.
 */
import { create } from '@bufbuild/protobuf';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ClusterSchema } from '../../../src/xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import { RouteActionSchema, RouteSchema, VirtualHostSchema } from '../../../src/xds/gen/envoy/config/route/v3/route_components_pb.js';
import { type Exchange, type Forward, UpstreamError, type UpstreamHost, type UpstreamResponse } from '../../../src/proxy/http/pipeline.js';
import type { ForwardDecision } from '../../../src/proxy/route-select.js';
import type { CompiledRoute } from '../../../src/proxy/route-table.js';
import { ClusterPolicies } from '../../../src/proxy/policy/wiring/cluster-state.js';
import { routerPolicies } from '../../../src/proxy/policy/wiring/router-interceptor.js';
import { seeded } from './_helpers.js';

const HOST: UpstreamHost = { key: '10.0.0.1:80', address: '10.0.0.1', port: 80, weight: 1, hostname: '', locality: 'r/z/', healthy: true, active: 0 };

/** Istio's mesh-default retry policy on a route of a virtual host counting attempts. */
function setup() {
  const clusters = new ClusterPolicies(() => 0, false);
  clusters.factory(create(ClusterSchema, { name: 'c' }), [HOST], seeded(1));
  const action = create(RouteActionSchema, {
    clusterSpecifier: { case: 'cluster', value: 'c' },
    retryPolicy: { retryOn: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes', numRetries: 2, retryHostPredicate: [{ name: 'envoy.retry_host_predicates.previous_hosts' }], hostSelectionRetryMaxAttempts: 5n },
  });
  const route = { name: 'r', source: create(RouteSchema, { name: 'r', action: { case: 'route', value: action } }) } as unknown as CompiledRoute;
  const d = {
    kind: 'forward', route, action, cluster: 'c', path: '/', authority: undefined, autoHostRewrite: false, requestHeaders: [], responseHeaders: [], corsHeaders: undefined,
    virtualHost: { source: create(VirtualHostSchema, { name: 'vh', includeRequestAttemptCount: true, includeAttemptCountInResponse: true }) },
  } as unknown as ForwardDecision;
  // Every read of the exchange's abort signal is counted (the core's own is made on first read).
  const signalReads = { n: 0 };
  const controller = new AbortController();
  const ex = {
    downstream: { protocol: 'HTTP/1.1' }, method: 'GET', path: '/', authority: 'a', scheme: 'http', headers: {}, decision: d, clusterName: 'c', flags: [], details: '',
    body: null, upstreamHost: undefined, attempts: 0, state: new Map(),
    get signal() { signalReads.n++; return controller.signal; },
  } as unknown as Exchange;
  return { clusters, cp: clusters.get('c')!, route, d, ex, signalReads };
}

/** A response whose body ends (or fails) when `pipe` is called. */
function response(status: number, failPipe = false): UpstreamResponse & { dumped: number } {
  return {
    status, headers: [], host: HOST, dumped: 0,
    pipe: () => (failPipe ? Promise.reject(new Error('upstream reset')) : Promise.resolve()),
    dump() { this.dumped++; },
  };
}

/** The x-envoy-attempt-count the core will send for this attempt (it reads `Exchange.attemptCount` when building the upstream head). */
const attemptCount = (ex: Exchange) => (ex.attemptCount === undefined ? undefined : String(ex.attemptCount));

test('GIVEN the mesh-default retry policy and a bodiless request WHEN the first attempt answers 200 THEN the core is called synchronously, no signal is read, and max_requests and the connection slot are held until the body ends', async () => {
  const { clusters, cp, route, d, ex, signalReads } = setup();
  const seen: string[] = [];
  const next: Forward = (_ex) => { seen.push(attemptCount(_ex) ?? 'none'); _ex.upstreamHost = HOST; return Promise.resolve(response(200)); };
  const forward = routerPolicies(clusters, seeded(2), () => 0)(route, next)!;
  const pending = forward(ex, d);
  assert.equal(seen, ['1'], 'the core attempt starts before the interceptor returns, with x-envoy-attempt-count 1');
  const r = await pending;
  assert.is(signalReads.n, 0, 'no abort signal is read when no deadline or wait needs one');
  assert.is(cp.breaker.requests.count, 1);
  assert.is(cp.breaker.connections.count, 1);
  assert.equal(r.headers, ['x-envoy-attempt-count', '1']);
  await r.pipe({ write: () => true, end: () => {}, onDrain: () => {} });
  await Promise.resolve();
  assert.is(cp.breaker.requests.count, 0);
  assert.is(cp.breaker.connections.count, 0);
  r.dump();
  assert.is(cp.breaker.requests.count, 0, 'released once only');
});

test('GIVEN the mesh-default retry policy WHEN attempts fail with connect failures THEN it retries with the attempt count and after the last one answers UF with URX, every resource back', async () => {
  const { clusters, cp, route, d, ex } = setup();
  const seen: string[] = [];
  const next: Forward = (_ex) => { seen.push(attemptCount(_ex)!); _ex.upstreamHost = HOST; return Promise.reject(new UpstreamError('UF', 503, 'upstream connect error')); };
  const forward = routerPolicies(clusters, () => 0, () => 0)(route, next)!;
  const err = await forward(ex, d).then(() => undefined, (e: unknown) => e);
  assert.instance(err, UpstreamError);
  assert.is((err as UpstreamError).flag, 'UF');
  assert.equal(seen, ['1', '2', '3']);
  assert.equal(ex.flags, ['URX']);
  assert.is(cp.breaker.requests.count, 0);
  assert.is(cp.breaker.connections.count, 0);
  assert.is(cp.breaker.retries.count, 0);
});

test('GIVEN a retriable status WHEN the first response is 503 (retriable-status-codes) THEN it is dumped, its slot freed, and the 200 of the second attempt is handed on; a body that fails releases too', async () => {
  const { clusters, cp, route, d, ex } = setup();
  (d.action.retryPolicy!.retriableStatusCodes as number[]).push(503);
  const first = response(503);
  const answers = [first, response(200, true)];
  const next: Forward = (_ex) => { _ex.upstreamHost = HOST; return Promise.resolve(answers.shift()!); };
  const r = await routerPolicies(clusters, () => 0, () => 0)(route, next)!(ex, d);
  assert.is(first.dumped, 1);
  assert.is(r.status, 200);
  assert.equal(r.headers, ['x-envoy-attempt-count', '2']);
  assert.is(cp.breaker.connections.count, 1);
  await r.pipe({ write: () => true, end: () => {}, onDrain: () => {} }).catch(() => {});
  await Promise.resolve();
  assert.is(cp.breaker.requests.count, 0);
  assert.is(cp.breaker.connections.count, 0);
});

test('GIVEN max_requests reached WHEN a request arrives THEN it is refused UO without calling the core', async () => {
  const { clusters, cp, route, d, ex } = setup();
  while (cp.breaker.requests.tryAcquire());
  let called = 0;
  const err = await routerPolicies(clusters, () => 0, () => 0)(route, () => { called++; return Promise.resolve(response(200)); })!(ex, d).then(() => undefined, (e: unknown) => e);
  assert.is((err as UpstreamError).flag, 'UO');
  assert.is(called, 0);
});

test.run();
