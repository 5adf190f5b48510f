/**
 * Per-port releases: a CanaryRelease or HeaderSplit naming one of several HTTP ports of a service
 * matches that port (`match.port`), so releases of different ports compose in one RouteTable.
 */
import { Chart, Testing } from 'cdk8s';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CanaryRelease } from '../../src/constructs/canary-release.js';
import { HeaderSplit } from '../../src/constructs/header-split.js';
import { RouteTable } from '../../src/constructs/route-table.js';
import { only, synth, throwsProp } from '../_synth.js';

const host = 'api.default.svc.cluster.local';
/** HTTP on 8080, gRPC on 9090, both HTTP-routed. */
const api = { host, namespace: 'default', subsetNames: ['v1', 'v2'], portNumbers: [8080, 9090], httpPortNumbers: [8080, 9090] };
const to = (subset: string, port: number, weight?: number) => ({ destination: { host, subset, port: { number: port } }, ...(weight !== undefined ? { weight } : {}) });

test('GIVEN CanaryReleases for port 8080 (90/10, pinned by header) and 9090 (50/50) in one RouteTable WHEN synthesized THEN every route matches its port and both splits render after the pinned route', () => {
  const vs = only(synth((chart) => {
    const table = new RouteTable(chart, 'api', { hosts: [api] });
    new CanaryRelease(chart, 'http', { service: api, stable: 'v1', canary: 'v2', canaryWeight: 10, port: 8080, routeTable: table, pinCanary: { header: 'x-canary', value: 'yes' } });
    new CanaryRelease(chart, 'grpc', { service: api, stable: 'v1', canary: 'v2', canaryWeight: 50, port: 9090, routeTable: table });
  }), 'VirtualService');
  assert.equal(vs.spec.http, [
    { name: 'http-pinned', match: [{ headers: { 'x-canary': { exact: 'yes' } }, port: 8080 }], route: [to('v2', 8080)] },
    { name: 'http-split', match: [{ port: 8080 }], route: [to('v1', 8080, 90), to('v2', 8080, 10)] },
    { name: 'grpc-split', match: [{ port: 9090 }], route: [to('v1', 9090, 50), to('v2', 9090, 50)] },
  ]);
});

test('GIVEN two CanaryReleases for port 8080 in one RouteTable WHEN synthesized THEN the second split is refused as unreachable, naming the port', () => {
  assert.throws(() => synth((chart) => {
    const table = new RouteTable(chart, 'api', { hosts: [api], requireDefaultRoute: false });
    new CanaryRelease(chart, 'a', { service: api, stable: 'v1', canary: 'v2', canaryWeight: 10, port: 8080, routeTable: table });
    new CanaryRelease(chart, 'b', { service: api, stable: 'v1', canary: 'v2', canaryWeight: 50, port: 8080, routeTable: table });
  }), /route "b-split" \(added by test\/b\) is unreachable: it follows route "a-split" \(added by test\/a\), which already takes every request to port 8080/);
});

test('GIVEN a CanaryRelease for a port the service does not serve WHEN constructed THEN MP_INVALID_PORT names the ports it has', () => {
  const err = throwsProp(() => synth((chart) => {
    new CanaryRelease(chart, 'c', { service: api, stable: 'v1', canary: 'v2', canaryWeight: 10, port: 8081 });
  }), { code: 'MP_INVALID_PORT', field: 'port', path: 'test/c', value: 8081 });
  assert.match(err.message, 'expected a port of api.default.svc.cluster.local: 8080, 9090');
});

test('GIVEN a CanaryRelease for 8080 only WHEN validated THEN nothing is reported: no route applies on 9090, so istiod keeps the service\'s default route there', () => {
  const chart = new Chart(Testing.app(), 'test');
  const release = new CanaryRelease(chart, 'c', { service: api, stable: 'v1', canary: 'v2', canaryWeight: 10, port: 8080 });
  assert.equal(release.routeTable.node.validate(), []);
});

test('GIVEN a CanaryRelease for 8080 and a header-matched route on 9090 WHEN validated THEN the table reports that nothing catches port 9090 (its other requests get 404)', () => {
  const chart = new Chart(Testing.app(), 'test');
  const release = new CanaryRelease(chart, 'c', { service: api, stable: 'v1', canary: 'v2', canaryWeight: 10, port: 8080 });
  release.routeTable.addRoute({ name: 'jason', match: [{ headers: { 'end-user': 'jason' }, port: 9090 }], route: [{ destination: api, subset: 'v2', port: 9090 }] });
  assert.equal(release.routeTable.node.validate(), [
    'VirtualService api has only matched routes, so other requests get 404 (NR) (port-only routes catch port 8080; nothing catches port 9090). '
    + 'Add a route without match (e.g. a defaultRoute or a defaultSubset), a route for each other port, or set requireDefaultRoute: false',
  ]);
});

test('GIVEN a route without match added before a CanaryRelease for 8080 WHEN synthesized THEN the release owns 8080 and the route without match, rendered after it, serves the other ports', () => {
  const vs = only(synth((chart) => {
    const table = new RouteTable(chart, 'api', { hosts: [api] });
    table.addRoute({ name: 'stable', route: [{ destination: api, subset: 'v1', port: 9090 }] });
    table.addRoute({ name: 'jason', match: [{ headers: { 'end-user': 'jason' }, port: 9090 }], route: [{ destination: api, subset: 'v2', port: 9090 }] });
    new CanaryRelease(chart, 'c', { service: api, stable: 'v1', canary: 'v2', canaryWeight: 10, port: 8080, routeTable: table });
  }), 'VirtualService');
  assert.equal(vs.spec.http.map((r: { name: string }) => r.name), ['jason', 'c-split', 'stable']);
});

test('GIVEN port catch-alls for every HTTP port and a route without match WHEN validated THEN the route without match is reported unreachable', () => {
  const chart = new Chart(Testing.app(), 'test');
  const table = new RouteTable(chart, 'api', { hosts: [api], defaultRoute: { name: 'stable', route: [{ destination: api, subset: 'v1', port: 8080 }] } });
  new CanaryRelease(chart, 'http', { service: api, stable: 'v1', canary: 'v2', canaryWeight: 10, port: 8080, routeTable: table });
  new CanaryRelease(chart, 'grpc', { service: api, stable: 'v1', canary: 'v2', canaryWeight: 10, port: 9090, routeTable: table });
  assert.equal(table.node.validate(), [
    'route "stable" (added by test/api) is unreachable: routes matching only a port catch every HTTP port of api.default.svc.cluster.local (8080, 9090) '
    + 'before it. Remove it, or give one of those routes more conditions',
  ]);
});

test('GIVEN a HeaderSplit for 9090 and a CanaryRelease for 8080 in one RouteTable WHEN synthesized THEN every rule match gets port 9090 and its default matches 9090', () => {
  const vs = only(synth((chart) => {
    const table = new RouteTable(chart, 'api', { hosts: [api] });
    new CanaryRelease(chart, 'http', { service: api, stable: 'v1', canary: 'v2', canaryWeight: 10, port: 8080, routeTable: table });
    new HeaderSplit(chart, 'grpc', {
      service: api, port: 9090, routeTable: table, defaultSubset: 'v1',
      rules: [{ match: [{ headers: { 'end-user': 'jason' } }, { uri: '/debug', port: 9090 }], subset: 'v2' }],
    });
  }), 'VirtualService');
  assert.equal(vs.spec.http, [
    { name: 'grpc-v2', match: [{ headers: { 'end-user': { exact: 'jason' } }, port: 9090 }, { uri: { exact: '/debug' }, port: 9090 }], route: [to('v2', 9090)] },
    { name: 'http-split', match: [{ port: 8080 }], route: [to('v1', 8080, 90), to('v2', 8080, 10)] },
    { name: 'grpc-default', match: [{ port: 9090 }], route: [to('v1', 9090)] },
  ]);
});

test('GIVEN a HeaderSplit for 9090 whose rule matches port 8080 WHEN constructed THEN MP_INVALID_PORT names that match', () => {
  throwsProp(() => synth((chart) => {
    new HeaderSplit(chart, 's', { service: api, port: 9090, defaultSubset: 'v1', rules: [{ match: { uri: '/x', port: 8080 }, subset: 'v2' }] });
  }), { code: 'MP_INVALID_PORT', field: 'rules[0].match.port', path: 'test/s', value: 8080 });
});

test('GIVEN a service with one HTTP port and one TCP port WHEN a CanaryRelease names the HTTP port THEN no port match is rendered (http routes apply on that port only)', () => {
  const db = { ...api, portNumbers: [8080, 5432], httpPortNumbers: [8080] };
  const vs = only(synth((chart) => {
    new CanaryRelease(chart, 'c', { service: db, stable: 'v1', canary: 'v2', canaryWeight: 10, port: 8080 });
  }), 'VirtualService');
  assert.equal(vs.spec.http, [{ name: 'c-split', route: [to('v1', 8080, 90), to('v2', 8080, 10)] }]);
});

test('GIVEN a RouteTable bound to a gateway WHEN a CanaryRelease names a port THEN no port match is rendered (there match.port is the gateway\'s port)', () => {
  const vs = only(synth((chart) => {
    const table = new RouteTable(chart, 'api', { hosts: ['api.example.com'], gateways: ['istio-system/public'] });
    new CanaryRelease(chart, 'c', { service: api, stable: 'v1', canary: 'v2', canaryWeight: 10, port: 8080, routeTable: table });
  }), 'VirtualService');
  assert.equal(vs.spec.http, [{ name: 'c-split', route: [to('v1', 8080, 90), to('v2', 8080, 10)] }]);
});

test('GIVEN hosts with no HTTP port (TLS only) WHEN a route matching only a port precedes a route without match THEN neither is reported (http routes apply on no port of theirs)', () => {
  const chart = new Chart(Testing.app(), 'test');
  const tls = { host: 'pay.example.com', namespace: 'default', subsetNames: [], portNumbers: [443], httpPortNumbers: [] };
  const table = new RouteTable(chart, 'pay', { hosts: [tls] });
  table.addRoute({ name: 'p443', match: [{ port: 443 }], route: [{ destination: tls }] });
  table.addRoute({ name: 'rest', route: [{ destination: tls }] });
  assert.equal(table.node.validate(), []);
});

test('GIVEN a CanaryRelease for 8080 and a 9090 route only for clients labelled app=web WHEN validated THEN nothing is reported: web\'s sidecars take that route for every 9090 request, the others keep the default route', () => {
  const chart = new Chart(Testing.app(), 'test');
  const release = new CanaryRelease(chart, 'c', { service: api, stable: 'v1', canary: 'v2', canaryWeight: 10, port: 8080 });
  release.routeTable.addRoute({ name: 'web', match: [{ sourceLabels: { app: 'web' }, port: 9090 }], route: [{ destination: api, subset: 'v2', port: 9090 }] });
  release.routeTable.addRoute({ name: 'loadtest', match: [{ sourceNamespace: 'loadtest', port: 9090 }, { gateways: ['edge'], port: 9090 }], route: [{ destination: api, subset: 'v2', port: 9090 }] });
  assert.equal(release.routeTable.node.validate(), []);
});

test('GIVEN a CanaryRelease for 8080 and a 9090 route for clients labelled app=web with a header WHEN validated THEN port 9090 is reported: web\'s other requests get 404', () => {
  const chart = new Chart(Testing.app(), 'test');
  const release = new CanaryRelease(chart, 'c', { service: api, stable: 'v1', canary: 'v2', canaryWeight: 10, port: 8080 });
  release.routeTable.addRoute({ name: 'web', match: [{ sourceLabels: { app: 'web' }, headers: { 'x-beta': 'yes' }, port: 9090 }], route: [{ destination: api, subset: 'v2', port: 9090 }] });
  assert.match(release.routeTable.node.validate().join('\n'), 'nothing catches port 9090');
});

test.run();
