import { Testing, Chart } from 'cdk8s';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RouteTable } from '../../src/constructs/route-table.js';
import { StringMatch } from '../../src/constructs/string-match.js';
import { only, synth } from '../_synth.js';

const reviews = { host: 'reviews.default.svc.cluster.local', namespace: 'default', subsetNames: ['v1', 'v2', 'v3'], portNumbers: [9080] };
const ratings = { host: 'ratings.shop.svc.cluster.local', namespace: 'shop', subsetNames: ['v1'], portNumbers: [9080] };

test('GIVEN a table for a service with a default route WHEN synthesized THEN one VirtualService named after the service', () => {
  const objects = synth((chart) => {
    new RouteTable(chart, 'ReviewsRoutes', { hosts: [reviews], defaultRoute: { name: 'default', route: [{ destination: reviews, subset: 'v1' }] } });
  });
  assert.is(objects.length, 1);
  assert.equal(only(objects, 'VirtualService'), {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'reviews', namespace: 'default' },
    spec: {
      hosts: ['reviews.default.svc.cluster.local'],
      http: [{ name: 'default', route: [{ destination: { host: 'reviews.default.svc.cluster.local', subset: 'v1' } }] }],
    },
  });
});

test('GIVEN routes added after construction, a catch-all first WHEN synthesized THEN matched routes render before the catch-all', () => {
  const vs = only(synth((chart) => {
    const table = new RouteTable(chart, 'reviews', { hosts: [reviews] });
    table.addRoute({ name: 'all-v1-mirror', route: [{ destination: reviews, subset: 'v1' }], mirror: { destination: reviews, subset: 'v3' } });
    table.addRoutes(
      { name: 'jason', match: [{ headers: { 'end-user': 'jason' } }], route: [{ destination: reviews, subset: 'v2' }] },
      { name: 'beta', match: [{ uri: StringMatch.prefix('/beta') }], route: [{ destination: reviews, subset: 'v3' }] },
    );
  }), 'VirtualService');
  assert.equal(vs.spec.http.map((r: { name: string }) => r.name), ['jason', 'beta', 'all-v1-mirror']);
});

test('GIVEN host strings, gateways, exportTo, an explicit name and namespace WHEN synthesized THEN they are rendered as given, with no name hash', () => {
  const vs = only(synth((chart) => {
    const table = new RouteTable(chart, 'web', {
      hosts: ['bookinfo.example.com', '*.bookinfo.example.com'],
      gateways: ['istio-system/public'],
      exportTo: ['.'],
      name: 'bookinfo-web',
      namespace: 'web',
    });
    table.addRoute({ route: [{ destination: { host: 'productpage.web.svc.cluster.local', port: 9080 } }] });
  }), 'VirtualService');
  assert.equal(vs, {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'bookinfo-web', namespace: 'web' },
    spec: {
      hosts: ['bookinfo.example.com', '*.bookinfo.example.com'],
      gateways: ['istio-system/public'],
      exportTo: ['.'],
      http: [{ route: [{ destination: { host: 'productpage.web.svc.cluster.local', port: { number: 9080 } } }] }],
    },
  });
});

test('GIVEN only host strings and no name WHEN synthesized THEN the construct id names the VirtualService', () => {
  const vs = only(synth((chart) => {
    new RouteTable(chart, 'public-web', { hosts: ['bookinfo.example.com'], defaultRoute: { route: [{ destination: reviews }] } });
  }), 'VirtualService');
  assert.is(vs.metadata.name, 'public-web');
});

test('GIVEN a service in another namespace WHEN synthesized THEN the table lives in the service namespace', () => {
  const vs = only(synth((chart) => {
    new RouteTable(chart, 'x', { hosts: [ratings], defaultRoute: { route: [{ destination: ratings }] } });
  }), 'VirtualService');
  assert.equal(vs.metadata, { name: 'ratings', namespace: 'shop' });
});

test('GIVEN overrides WHEN synthesized THEN they replace the rendered spec fields last', () => {
  const vs = only(synth((chart) => {
    new RouteTable(chart, 'reviews', {
      hosts: [reviews],
      defaultRoute: { route: [{ destination: reviews }] },
      overrides: { exportTo: ['*'], tcp: [{ route: [{ destination: { host: 'reviews.default.svc.cluster.local' } }] }] },
    });
  }), 'VirtualService');
  assert.equal(vs.spec, {
    hosts: ['reviews.default.svc.cluster.local'],
    exportTo: ['*'],
    http: [{ route: [{ destination: { host: 'reviews.default.svc.cluster.local' } }] }],
    tcp: [{ route: [{ destination: { host: 'reviews.default.svc.cluster.local' } }] }],
  });
});

test('GIVEN a table with only matched routes WHEN validated THEN it reports the missing default route', () => {
  const chart = new Chart(Testing.app(), 'test');
  const table = new RouteTable(chart, 'reviews', { hosts: [reviews] });
  table.addRoute({ name: 'jason', match: [{ headers: { 'end-user': 'jason' } }], route: [{ destination: reviews, subset: 'v2' }] });
  const errors = table.node.validate();
  assert.is(errors.length, 1);
  assert.match(errors[0]!, /^VirtualService reviews has only matched routes, so other requests get 404 \(NR\)/);
});

test('GIVEN only matched routes and requireDefaultRoute false WHEN validated THEN no finding', () => {
  const chart = new Chart(Testing.app(), 'test');
  const table = new RouteTable(chart, 'reviews', { hosts: [reviews], requireDefaultRoute: false });
  table.addRoute({ match: [{ uri: '/x' }], route: [{ destination: reviews }] });
  assert.equal(table.node.validate(), []);
});

test('GIVEN two catch-all routes WHEN validated THEN the second is reported unreachable', () => {
  const chart = new Chart(Testing.app(), 'test');
  const table = new RouteTable(chart, 'reviews', { hosts: [reviews], defaultRoute: { name: 'default', route: [{ destination: reviews, subset: 'v1' }] } });
  table.addRoute({ name: 'everything', route: [{ destination: reviews, subset: 'v2' }] });
  assert.equal(table.node.validate(), [
    'route "default" (added by test/reviews) is unreachable: it follows catch-all route "everything" (added by test/reviews). Keep one route without match',
  ]);
});

test('GIVEN a default route and a matched route added later WHEN synthesized THEN the default route renders last', () => {
  const vs = only(synth((chart) => {
    const table = new RouteTable(chart, 'reviews', { hosts: [reviews], defaultRoute: { name: 'default', route: [{ destination: reviews, subset: 'v1' }] } });
    table.addRoute({ name: 'jason', match: [{ headers: { 'end-user': 'jason' } }], route: [{ destination: reviews, subset: 'v2' }] });
  }), 'VirtualService');
  assert.equal(vs.spec.http.map((r: { name: string }) => r.name), ['jason', 'default']);
});

test('GIVEN a table with no routes WHEN validated THEN it reports that Istio rejects it', () => {
  const chart = new Chart(Testing.app(), 'test');
  const table = new RouteTable(chart, 'reviews', { hosts: [reviews] });
  assert.equal(table.node.validate(), ['VirtualService reviews has no routes; Istio rejects it. Add a route (addRoute) or a defaultRoute']);
});

test('GIVEN two routes of one table with the same name WHEN validated THEN the second is reported, naming both adders', () => {
  const chart = new Chart(Testing.app(), 'test');
  const table = new RouteTable(chart, 'reviews', { hosts: [reviews] });
  table.addRoute({ name: 'r', match: [{ uri: StringMatch.prefix('/x') }], route: [{ destination: reviews, subset: 'v3' }] });
  table.addRoute({ name: 'r', route: [{ destination: reviews, subset: 'v1' }] });
  assert.equal(table.node.validate(), [
    'route name "r" is used twice in VirtualService reviews (added by test/reviews and by test/reviews): access logs, Envoy stats and meshproof verify\'s promises cannot tell the two routes apart. Give one of them another name',
  ]);
});

test('GIVEN two tables for one service, each named after it by default WHEN validated THEN the second is reported (one VirtualService default/reviews would replace the other); in another namespace, or named apart, nothing', () => {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'default' });
  const route = { route: [{ destination: reviews, subset: 'v1' }] };
  const mesh = new RouteTable(chart, 'mesh', { hosts: [reviews], defaultRoute: route });
  const edge = new RouteTable(chart, 'edge', { hosts: [reviews], gateways: ['edge'], defaultRoute: route });
  const other = new RouteTable(chart, 'other', { hosts: [reviews], namespace: 'other', defaultRoute: route });
  const named = new RouteTable(chart, 'named', { hosts: [reviews], name: 'reviews-edge', defaultRoute: route });
  assert.equal(mesh.node.validate(), []);
  assert.equal(edge.node.validate(), [
    'VirtualService default/reviews is also rendered by test/mesh: kubectl apply keeps only one of them. The two tables bind different gateways (mesh; edge), so give one table '
    + 'another name (RouteTable\'s name prop; a CanaryRelease or HeaderSplit names its own table after the service, so create a RouteTable with a name and pass it as their routeTable)',
  ]);
  assert.equal([other.node.validate(), named.node.validate()], [[], []]);
});

test('GIVEN two mesh tables for one service WHEN validated THEN the second is told to compose into the first; GIVEN a gateway and a mesh table THEN not (mesh routes in a gateway table stop applying to sidecars)', () => {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'default' });
  const route = { route: [{ destination: reviews, subset: 'v1' }] };
  new RouteTable(chart, 'first', { hosts: [reviews], defaultRoute: route });
  const second = new RouteTable(chart, 'second', { hosts: [reviews], gateways: ['mesh'], defaultRoute: route });
  const [message] = second.node.validate();
  assert.ok(message?.includes('Add these routes to that table (pass test/first as the routeTable prop, or call its addRoute), or give one table another name'), message);

  const chart2 = new Chart(Testing.app(), 'test', { namespace: 'default' });
  new RouteTable(chart2, 'public', { hosts: [reviews], gateways: ['istio-ingress/public'], defaultRoute: route });
  const mesh = new RouteTable(chart2, 'mesh', { hosts: [reviews], defaultRoute: route });
  const [other] = mesh.node.validate();
  assert.ok(other?.includes('bind different gateways (istio-ingress/public; mesh), so give one table another name'), other);
  assert.not.ok(other?.includes('Add these routes'), other);
});

test.run();
