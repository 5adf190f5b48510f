/**
 * A sidecar's outbound TCP and TLS chains for a host take the `tcp` and `tls` routes of every VirtualService of
 * the host, as istiod builds them (listener.go buildSidecarOutboundTCPListenerOpts → getConfigsForHost, then
 * tls.go buildSidecarOutboundTCPFilterChainOpts / buildSidecarOutboundTLSFilterChainOpts): `tcp` routes appended
 * in istiod's VirtualService order until the first terminal one (no match, or a match without
 * destinationSubnets), `tls` matches each adding a chain unless an earlier VirtualService had the same SNI hosts
 * and subnets. HTTP routes still come from one VirtualService.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { checkSnapshot } from '../../../src/xds/snapshot-check.js';
import { createSnapshot } from '../../../src/xds/snapshot.js';
import { graphOf } from '../../mesh/_graph.js';
import { route, svc, vs } from '../../mesh/view-fixtures.js';
import { assertRoundTrip } from './_roundtrip.js';
import { duplicateChainMatches, selectChain, tcpTarget } from './_chains.js';

const client = describeProxy({ name: 'client', namespace: 'prod', labels: { app: 'client' } });
const at = (month: number) => ({ creationTimestamp: `2025-0${month}-01T00:00:00Z` });
const withIp = (name: string, ip: string, ports: Record<string, unknown>[]) => {
  const s = svc(name, 'prod', ports) as { spec: Record<string, unknown> };
  s.spec.clusterIP = ip;
  return s;
};
const se = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name, namespace: 'prod' }, spec });
const DB = '10.96.0.20';
const pg = [{ port: 5432, name: 'tcp-pg' }];
const dbServices = [withIp('db', DB, pg), ...['db-a', 'db-b', 'db-c'].map((n) => svc(n, 'prod', pg))];
const pgCluster = (name: string) => `outbound|5432||${name}.prod.svc.cluster.local`;

function translate(objects: Record<string, unknown>[], proxy = client) {
  const view = buildProxyView(graphOf(objects), proxy);
  const set = translateProxy(view, []);
  assertRoundTrip(set);
  assert.equal(checkSnapshot(createSnapshot(set)), []);
  assert.equal(duplicateChainMatches(set.listeners), []);
  return { view, set };
}

test('GIVEN an older VirtualService routing only a subnet and a newer one with a catch-all, and a newest one WHEN the sidecar is translated THEN the subnet chain comes first, the newer catch-all ends the list (no default chain), the newest adds nothing', () => {
  const { view, set } = translate([...dbServices,
    vs('db-subnet', 'prod', { hosts: ['db'], tcp: [{ match: [{ destinationSubnets: ['10.96.0.0/16'] }], route: [route('db-a')] }] }, at(1)),
    vs('db-rest', 'prod', { hosts: ['db'], tcp: [{ route: [route('db-b')] }] }, at(2)),
    vs('db-late', 'prod', { hosts: ['db'], tcp: [{ route: [route('db-c')] }] }, at(3)),
  ]);
  const l = set.listeners.find((x) => x.name === `${DB}_5432`)!;
  assert.equal(l.filterChains.map((c) => [c.filterChainMatch?.prefixRanges.map((r) => `${r.addressPrefix}/${r.prefixLen}`) ?? [], tcpTarget(c)]), [
    [['10.96.0.0/16'], pgCluster('db-a')],
    [[], pgCluster('db-b')],
  ]);
  assert.is(tcpTarget(selectChain(set.listeners, { ip: DB, port: 5432 })), pgCluster('db-a'));
  const host = view.routes.find((r) => r.host === 'db.prod.svc.cluster.local' && r.port === 5432)!;
  assert.equal(host.virtualServices.map((o) => o.ref.name), ['db-subnet', 'db-rest']);
  assert.equal(host.ignoredVirtualServices.map((o) => o.ref.name), ['db-late']);
});

test('GIVEN an older VirtualService with only http routes and a newer one with tcp routes WHEN a TCP port is translated THEN the newer one\'s tcp route applies (the older gives no chain)', () => {
  const { set } = translate([...dbServices,
    vs('db-http', 'prod', { hosts: ['db'], http: [{ route: [route('db-a')] }] }, at(1)),
    vs('db-tcp', 'prod', { hosts: ['db'], tcp: [{ route: [route('db-b')] }] }, at(2)),
  ]);
  assert.is(tcpTarget(selectChain(set.listeners, { ip: DB, port: 5432 })), pgCluster('db-b'));
});

test('GIVEN subnet-only tcp routes in two VirtualServices and none terminal WHEN translated THEN both subnet chains and the default chain to the service remain; a repeated subnet of the later one is left out', () => {
  const { set } = translate([...dbServices,
    vs('db-one', 'prod', { hosts: ['db'], tcp: [{ match: [{ destinationSubnets: ['10.1.0.0/16'] }], route: [route('db-a')] }] }, at(1)),
    vs('db-two', 'prod', { hosts: ['db'], tcp: [
      { match: [{ destinationSubnets: ['10.1.0.0/16'] }], route: [route('db-c')] },
      { match: [{ destinationSubnets: ['10.2.0.0/16'] }], route: [route('db-b')] },
    ] }, at(2)),
  ]);
  const l = set.listeners.find((x) => x.name === `${DB}_5432`)!;
  assert.equal(l.filterChains.map((c) => [c.filterChainMatch?.prefixRanges.map((r) => `${r.addressPrefix}/${r.prefixLen}`) ?? [], tcpTarget(c)]), [
    [['10.1.0.0/16'], pgCluster('db-a')],
    [['10.2.0.0/16'], pgCluster('db-b')],
    [[], pgCluster('db')],
  ]);
});

test('GIVEN two VirtualServices with tls routes for one TLS ServiceEntry WHEN translated THEN every distinct SNI match of the newer one adds a chain and the one it repeats keeps the older one\'s destination', () => {
  const { view, set } = translate([
    se('ext', { hosts: ['api.example.com'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }], resolution: 'DNS', location: 'MESH_EXTERNAL' }),
    ...['eu', 'us', 'old'].map((r) => se(r, { hosts: [`${r}.example.com`], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }], resolution: 'DNS', location: 'MESH_EXTERNAL' })),
    vs('api-eu', 'prod', { hosts: ['api.example.com'], tls: [{ match: [{ sniHosts: ['api.example.com'] }], route: [route('eu.example.com')] }] }, at(1)),
    vs('api-more', 'prod', { hosts: ['api.example.com', 'v2.api.example.com'], tls: [
      { match: [{ sniHosts: ['api.example.com'] }], route: [route('old.example.com')] },
      { match: [{ sniHosts: ['v2.api.example.com'] }], route: [route('us.example.com')] },
    ] }, at(2)),
  ]);
  const reach = (sni: string) => tcpTarget(selectChain(set.listeners, { ip: '198.51.100.1', port: 443, sni }));
  assert.is(reach('api.example.com'), 'outbound|443||eu.example.com');
  assert.is(reach('v2.api.example.com'), 'outbound|443||us.example.com');
  const host = view.routes.find((r) => r.host === 'api.example.com' && r.port === 443)!;
  assert.equal(host.tls.map((r) => `${r.origin.ref.name} ${r.origin.path.join('.')}`), ['api-eu spec.tls.0', 'api-more spec.tls.1']);
  assert.equal(host.virtualServices.map((o) => o.ref.name), ['api-eu', 'api-more']);
});

test('GIVEN an older wildcard VirtualService *.example.com and a newer exact one with tls routes WHEN translated THEN both merge in creation order (getConfigsForHost takes every host that matches, unlike HTTP\'s most specific host)', () => {
  const { set } = translate([
    se('ext', { hosts: ['api.example.com'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }], resolution: 'DNS', location: 'MESH_EXTERNAL' }),
    ...['eu', 'us'].map((r) => se(r, { hosts: [`${r}.example.com`], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }], resolution: 'DNS', location: 'MESH_EXTERNAL' })),
    vs('wild', 'prod', { hosts: ['*.example.com'], tls: [{ match: [{ sniHosts: ['api.example.com'] }], route: [route('eu.example.com')] }] }, at(1)),
    vs('exact', 'prod', { hosts: ['api.example.com', 'beta.api.example.com'], tls: [
      { match: [{ sniHosts: ['api.example.com'] }], route: [route('us.example.com')] },
      { match: [{ sniHosts: ['beta.api.example.com'] }], route: [route('us.example.com')] },
    ] }, at(2)),
  ]);
  const reach = (sni: string) => tcpTarget(selectChain(set.listeners, { ip: '198.51.100.1', port: 443, sni }));
  assert.is(reach('api.example.com'), 'outbound|443||eu.example.com');
  assert.is(reach('beta.api.example.com'), 'outbound|443||us.example.com');
});

test.run();
