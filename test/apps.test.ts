import { Testing, type Chart } from 'cdk8s';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Bookinfo } from '../apps/bookinfo.js';
import { Customers } from '../apps/customers.js';
import { Httpbin } from '../apps/httpbin.js';
import { Platform } from '../apps/platform.js';
import { isIstioKind, validateCrdObject } from '../src/validate/index.js';
import type { Manifest } from './_synth.js';

const app = Testing.app();
const charts: Record<string, Chart> = {
  platform: new Platform(app, 'platform'),
  bookinfo: new Bookinfo(app, 'bookinfo'),
  customers: new Customers(app, 'customers'),
  httpbin: new Httpbin(app, 'httpbin'),
};
const objects: Record<string, Manifest[]> = Object.fromEntries(Object.entries(charts).map(([k, c]) => [k, Testing.synth(c) as Manifest[]]));
const all = Object.values(objects).flat();
const spec = (chart: string, kind: string, name: string) => {
  const found = objects[chart]!.find((o) => o.kind === kind && o.metadata.name === name);
  assert.ok(found, `${chart} has no ${kind} ${name}`);
  return found!.spec;
};

test('GIVEN every app WHEN synthesized THEN every Istio object passes the CRD schema and CEL validation', () => {
  const istio = all.filter((o) => isIstioKind(o.apiVersion, o.kind));
  assert.ok(istio.length >= 30, `expected the apps to produce many Istio objects, got ${istio.length}`);
  for (const o of istio) {
    const violations = validateCrdObject(o);
    assert.equal(violations, [], `${o.kind} ${o.metadata.namespace}/${o.metadata.name}: ${violations.map((v) => v.message).join('; ')}`);
  }
});

test('GIVEN an app object with a sub-millisecond timeout WHEN validated THEN the CEL rule rejects it', () => {
  const vs = structuredClone(all.find((o) => o.kind === 'VirtualService' && o.metadata.name === 'ratings')!);
  vs.spec.http[1].timeout = '0.5ms';
  const violations = validateCrdObject(vs);
  assert.ok(violations.some((v) => v.kind === 'cel' && v.path.join('.') === 'spec.http.1.timeout'), JSON.stringify(violations));
});

test('GIVEN every app WHEN synthesized THEN no object name carries a cdk8s hash', () => {
  for (const o of all) assert.not.match(o.metadata.name, /-c8[0-9a-f]{6}$/, `${o.kind} ${o.metadata.name}`);
  assert.not.match(JSON.stringify(all), /cdk8s\.io\/metadata\.addr/);
});

test('GIVEN bookinfo WHEN synthesized THEN jason goes to reviews v2 and everyone else 75/25 to v1/v3', () => {
  const host = 'reviews.bookinfo.svc.cluster.local';
  assert.equal(spec('bookinfo', 'VirtualService', 'reviews').http, [
    { name: 'jason-on-v2', match: [{ headers: { 'end-user': { exact: 'jason' } } }], route: [{ destination: { host, subset: 'v2' } }] },
    { name: 'v1-v3-split', route: [{ destination: { host, subset: 'v1' }, weight: 75 }, { destination: { host, subset: 'v3' }, weight: 25 }] },
  ]);
});

test('GIVEN bookinfo WHEN synthesized THEN ratings has a 10s timeout, 3 retries of 2s and a 0.1 % 5s delay', () => {
  const [delay, main] = spec('bookinfo', 'VirtualService', 'ratings').http;
  assert.equal(delay.fault, { delay: { fixedDelay: '5s', percentage: { value: 0.1 } } });
  assert.is(main.timeout, '10s');
  assert.equal({ attempts: main.retries.attempts, perTryTimeout: main.retries.perTryTimeout }, { attempts: 3, perTryTimeout: '2s' });
});

test('GIVEN bookinfo WHEN synthesized THEN productpage is behind the gateway for bookinfo.app and subsets use LEAST_REQUEST and ROUND_ROBIN', () => {
  const gw = spec('bookinfo', 'Gateway', 'bookinfo-gateway');
  assert.equal(gw.servers.map((s: { hosts: string[] }) => s.hosts), [['bookinfo.app'], ['bookinfo.app']]);
  assert.equal(spec('bookinfo', 'VirtualService', 'bookinfo-gateway').gateways, ['bookinfo/bookinfo-gateway']);
  const reviews = spec('bookinfo', 'DestinationRule', 'reviews');
  assert.equal(reviews.trafficPolicy.loadBalancer, { simple: 'LEAST_REQUEST' });
  assert.equal(reviews.subsets.map((s: { name: string }) => s.name), ['v1', 'v2', 'v3']);
  assert.equal(reviews.subsets[2].trafficPolicy.loadBalancer, { simple: 'ROUND_ROBIN' });
});

test('GIVEN customers WHEN synthesized THEN the canary is 90/10 with a pinned header, 100 % mirroring to v3 (no weighted share) and the circuit breaker', () => {
  const http = spec('customers', 'VirtualService', 'customers').http;
  const host = 'customers.customers.svc.cluster.local';
  assert.equal(http[0].match, [{ headers: { 'x-canary': { exact: 'always' } } }]);
  assert.equal(http[0].route, [{ destination: { host, subset: 'v2' } }]);
  const split = http[http.length - 1];
  assert.equal(split.route.map((r: { weight: number }) => r.weight), [90, 10]);
  assert.equal(split.mirror, { host, subset: 'v3' });
  assert.equal(split.mirrorPercentage, { value: 100 });
  assert.not.ok(split.route.some((r: { destination: { subset: string } }) => r.destination.subset === 'v3'), 'v3 must take no weighted traffic');
  assert.equal(spec('customers', 'DestinationRule', 'customers').subsets.map((s: { name: string }) => s.name), ['v1', 'v2', 'v3']);
  const policy = spec('customers', 'DestinationRule', 'customers').trafficPolicy;
  assert.is(policy.connectionPool.tcp.maxConnections, 1);
  assert.is(policy.connectionPool.http.http1MaxPendingRequests, 1);
  assert.equal(policy.outlierDetection, { consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 100 });
});

test('GIVEN httpbin WHEN synthesized THEN it sits behind MUTUAL TLS with a redirect, STRICT mTLS, default deny and an egress ServiceEntry', () => {
  const servers = spec('httpbin', 'Gateway', 'httpbin-gateway').servers;
  assert.is(servers[0].tls.mode, 'MUTUAL');
  assert.equal(servers[1].tls, { httpsRedirect: true });
  assert.equal(spec('httpbin', 'PeerAuthentication', 'default').mtls, { mode: 'STRICT' });
  assert.equal(spec('httpbin', 'AuthorizationPolicy', 'allow-nothing'), {});
  const se = spec('httpbin', 'ServiceEntry', 'payments-api');
  assert.is(se.location, 'MESH_EXTERNAL');
  assert.equal(se.hosts, ['api.stripe.com']);
});

test.run();
