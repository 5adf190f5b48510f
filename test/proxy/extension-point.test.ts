/**
 * The pipeline's extension points over real sockets: an HTTP filter (local reply, delay, a throwing
 * filter costs one request), a router interceptor around the upstream call, and a load balancer
 * registered for an lb_policy.
 */
import { create } from '@bufbuild/protobuf';
import { AnySchema, anyPack } from '@bufbuild/protobuf/wkt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Cluster_LbPolicy } from '../../src/xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import { RouterSchema } from '../../src/xds/gen/envoy/extensions/filters/http/router/v3/router_pb.js';
import { createExtensions } from '../../src/proxy/extensions.js';
import type { HttpFilterFactory, ProxyExtensions, RouterInterceptor } from '../../src/proxy/http/pipeline.js';
import { assignment, edsCluster, get, httpListener, routeConfig, startEcho, startTestProxy, startXds } from './_harness.js';

const ADDR = '127.0.9.9';
const GATE_TYPE = 'type.googleapis.com/test.Gate';

const gate: HttpFilterFactory = {
  typeUrls: [GATE_TYPE],
  create: () => ({
    onRequest: (ex) => {
      if (ex.headers['x-deny'] !== undefined) return { status: 403, body: 'RBAC: access denied', details: 'rbac_access_denied_matched_policy[none]' };
      if (ex.headers['x-boom'] !== undefined) throw new Error('boom');
      if (ex.headers['x-delay'] !== undefined) return new Promise((r) => setTimeout(() => r(undefined), 50));
      return undefined;
    },
  }),
};

test('GIVEN units registered at the extension points WHEN requests flow THEN filters, interceptors and the balancer each take part', async () => {
  const a = await startEcho('a');
  const b = await startEcho('b');
  let wrapped = 0;
  const stamp: RouterInterceptor = (route, next) => (route.name === 'stamped' ? async (ex, d) => {
    wrapped++;
    const r = await next(ex, d);
    r.headers.push('x-intercepted', String(ex.attempts));
    return r;
  } : undefined);
  const base = createExtensions();
  const ext: ProxyExtensions = {
    ...base,
    httpFilters: new Map([...base.httpFilters, ['test.gate', gate]]),
    routerInterceptors: [stamp, ...base.routerInterceptors],
    loadBalancers: new Map([...base.loadBalancers, ['RANDOM', (_c, hosts) => ({ choose: () => hosts[hosts.length - 1] })]]),
  };
  const cluster = edsCluster('svc');
  cluster.lbPolicy = Cluster_LbPolicy.RANDOM;
  const xds = await startXds({
    clusters: [cluster], endpoints: [assignment('svc', [{ port: a.port }, { port: b.port }])],
    listeners: [httpListener('l', ADDR, 'r', { httpFilters: [
      { name: 'test.gate', configType: { case: 'typedConfig', value: create(AnySchema, { typeUrl: GATE_TYPE }) } },
      { name: 'envoy.filters.http.router', configType: { case: 'typedConfig', value: anyPack(RouterSchema, create(RouterSchema)) } },
    ] })],
    routes: [routeConfig('r', [{ name: 'v', domains: ['*'], routes: [
      { name: 'stamped', match: { pathSpecifier: { case: 'prefix', value: '/stamped' } }, action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: 'svc' } } } },
      { name: 'plain', match: { pathSpecifier: { case: 'prefix', value: '/' } }, action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: 'svc' } } } },
    ] }])],
  });
  const proxy = await startTestProxy(xds.port, { extensions: ext });
  try {
    await proxy.waitReady();
    const { port } = proxy.listenerAddress('l')!;
    const denied = await get(port, '/', { host: 'x', 'x-deny': '1' }, 'GET', undefined, ADDR);
    assert.equal([denied.status, denied.body], [403, 'RBAC: access denied']);
    const boom = await get(port, '/', { host: 'x', 'x-boom': '1' }, 'GET', undefined, ADDR);
    assert.is(boom.status, 500);
    const t0 = Date.now();
    const delayed = await get(port, '/', { host: 'x', 'x-delay': '1' }, 'GET', undefined, ADDR);
    assert.is(delayed.status, 200);
    assert.ok(Date.now() - t0 >= 45, 'the filter delayed the request');
    assert.is(delayed.headers['x-backend'], 'b', 'the registered RANDOM balancer picked the last host');
    const stamped = await get(port, '/stamped', { host: 'x' }, 'GET', undefined, ADDR);
    assert.is(stamped.headers['x-intercepted'], '1');
    const plain = await get(port, '/plain', { host: 'x' }, 'GET', undefined, ADDR);
    assert.is(plain.headers['x-intercepted'], undefined);
    assert.is(wrapped, 1, 'the interceptor wraps only the route it asked for');
  } finally {
    await proxy.close();
    await xds.close();
    await a.close();
    await b.close();
  }
});

test.run();
