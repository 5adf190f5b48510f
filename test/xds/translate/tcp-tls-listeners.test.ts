import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { checkSnapshot } from '../../../src/xds/snapshot-check.js';
import { createSnapshot } from '../../../src/xds/snapshot.js';
import { graphOf } from '../../mesh/_graph.js';
import { assertRoundTrip } from './_roundtrip.js';
import { svc, vs, route } from '../../mesh/view-fixtures.js';
import type { Listener } from '../../../src/xds/gen/envoy/config/listener/v3/listener_pb.js';
import { checkFilterChains, selectFilterChain } from '../../../src/proxy/filter-chain-match.js';
import { duplicateChainMatches, selectChain, selectListener, tcpTarget } from './_chains.js';

const client = describeProxy({ name: 'client', namespace: 'prod', labels: { app: 'client' } });
const withIp = (name: string, ip: string, ports: Record<string, unknown>[]) => {
  const s = svc(name, 'prod', ports) as { spec: Record<string, unknown> };
  s.spec.clusterIP = ip;
  return s;
};
const se = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name, namespace: 'prod' }, spec });
const translate = (objects: Record<string, unknown>[]) => {
  const view = buildProxyView(graphOf(objects), client);
  const set = translateProxy(view, []);
  assertRoundTrip(set);
  return { view, set };
};

test('GIVEN two TCP services with ClusterIPs on port 27017 WHEN translated THEN each has its own <vip>_27017 listener (bind_to_port false) and connections reach their own cluster', () => {
  const { view, set } = translate([
    withIp('mongo-a', '10.96.0.10', [{ port: 27017, name: 'tcp-mongo' }]),
    withIp('mongo-b', '10.96.0.11', [{ port: 27017, name: 'tcp-mongo' }]),
  ]);
  const l4 = set.listeners.filter((l) => l.name.endsWith('_27017'));
  assert.equal(l4.map((l) => [l.name, l.bindToPort]), [['10.96.0.10_27017', false], ['10.96.0.11_27017', false]]);
  assert.is(tcpTarget(selectChain(set.listeners, { ip: '10.96.0.10', port: 27017 })), 'outbound|27017||mongo-a.prod.svc.cluster.local');
  assert.is(tcpTarget(selectChain(set.listeners, { ip: '10.96.0.11', port: 27017 })), 'outbound|27017||mongo-b.prod.svc.cluster.local');
  assert.equal(view.problems.filter((p) => p.code === 'view/tcp-port-shared'), []);
  assert.equal(checkSnapshot(createSnapshot(set)), []);
  assert.equal(duplicateChainMatches(set.listeners), []);
});

test('GIVEN two TCP ServiceEntries without addresses on one port WHEN translated THEN the first owns 0.0.0.0_<port>, the second is a view problem and its connections reach the first', () => {
  const { view, set } = translate([
    se('db-a', { hosts: ['a.db.example.com'], ports: [{ number: 27017, name: 'tcp', protocol: 'TCP' }], resolution: 'DNS' }),
    se('db-b', { hosts: ['b.db.example.com'], ports: [{ number: 27017, name: 'tcp', protocol: 'TCP' }], resolution: 'DNS' }),
  ]);
  assert.equal(set.listeners.map((l) => [l.name, l.filterChains.length]), [['0.0.0.0_27017', 1]]);
  assert.is(tcpTarget(selectChain(set.listeners, { ip: '203.0.113.9', port: 27017 })), 'outbound|27017||a.db.example.com');
  const problems = view.problems.filter((p) => p.code === 'view/tcp-port-shared');
  assert.equal(problems.map((p) => [p.origin.ref.name, p.message.includes('reach a.db.example.com'), p.message.includes('spec.addresses')]), [['db-b', true, true]]);
});

test('GIVEN a TLS ServiceEntry without addresses and VirtualService tls routes WHEN translated THEN SNI chains with tls_inspector route by sni_hosts, weighted when split; an unknown SNI matches no chain', () => {
  const { set } = translate([
    se('ext', { hosts: ['api.example.com', 'old.example.com'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }], resolution: 'DNS', location: 'MESH_EXTERNAL' }),
    se('mirror', { hosts: ['api-eu.example.com'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }], resolution: 'DNS', location: 'MESH_EXTERNAL' }),
    vs('ext', 'prod', { hosts: ['api.example.com'], tls: [
      { match: [{ port: 443, sniHosts: ['api.example.com'] }], route: [{ destination: { host: 'api.example.com' }, weight: 90 }, { destination: { host: 'api-eu.example.com' }, weight: 10 }] },
      { match: [{ port: 443, sniHosts: ['api.example.com'] }], route: [route('api-eu.example.com')] },
    ] }),
  ]);
  const l = selectListener(set.listeners, { ip: '198.51.100.1', port: 443 })!;
  assert.is(l.name, '0.0.0.0_443');
  assert.equal(l.listenerFilters.map((f) => f.name), ['envoy.filters.listener.tls_inspector']);
  assert.is(tcpTarget(selectChain(set.listeners, { ip: '198.51.100.1', port: 443, sni: 'api.example.com' })), 'outbound|443||api.example.com=90,outbound|443||api-eu.example.com=10');
  assert.is(tcpTarget(selectChain(set.listeners, { ip: '198.51.100.1', port: 443, sni: 'api-eu.example.com' })), 'outbound|443||api-eu.example.com');
  assert.is(tcpTarget(selectChain(set.listeners, { ip: '198.51.100.1', port: 443, sni: 'old.example.com' })), 'outbound|443||old.example.com');
  assert.is(selectChain(set.listeners, { ip: '198.51.100.1', port: 443, sni: 'evil.example.com' }), undefined);
  assert.is(l.filterChains.filter((c) => c.filterChainMatch?.serverNames.includes('api.example.com')).length, 1, 'the repeated sniHosts match is unreachable and left out');
  assert.equal(checkSnapshot(createSnapshot(set)), []);
  assert.equal(duplicateChainMatches(set.listeners), []);
});

test('GIVEN tcp routes with destinationSubnets and a catch-all WHEN translated THEN subnets become prefix_ranges chains and the catch-all ends the list', () => {
  const { set } = translate([
    withIp('db', '10.96.0.20', [{ port: 5432, name: 'tcp-pg' }]),
    svc('db-replica', 'prod', [{ port: 5432, name: 'tcp-pg' }]),
    vs('db', 'prod', { hosts: ['db'], tcp: [
      { match: [{ destinationSubnets: ['10.96.0.0/16'] }], route: [route('db-replica')] },
      { route: [{ destination: { host: 'db' }, weight: 80 }, { destination: { host: 'db-replica' }, weight: 20 }, { destination: { host: 'db' }, weight: 0 }] },
      { route: [route('db-replica')] },
    ] }),
  ]);
  const vip = set.listeners.find((l) => l.name === '10.96.0.20_5432')!;
  assert.equal(vip.filterChains.map((c) => c.filterChainMatch?.prefixRanges.map((r) => `${r.addressPrefix}/${r.prefixLen}`) ?? []), [['10.96.0.0/16'], []]);
  assert.is(tcpTarget(selectChain(set.listeners, { ip: '10.96.0.20', port: 5432 })), 'outbound|5432||db-replica.prod.svc.cluster.local');
  assert.is(tcpTarget(vip.filterChains[1]), 'outbound|5432||db.prod.svc.cluster.local=80,outbound|5432||db-replica.prod.svc.cluster.local=20');
});

test('GIVEN a TCP ServiceEntry with two hosts and one address WHEN translated THEN there is one <vip>_<port> listener (Envoy refuses duplicate names), the first host owns it and the second is a view problem', () => {
  const { view, set } = translate([
    se('pair', { hosts: ['one.db.example.com', 'two.db.example.com'], addresses: ['240.0.0.9'], ports: [{ number: 5432, name: 'tcp', protocol: 'TCP' }], resolution: 'DNS' }),
  ]);
  assert.equal(set.listeners.map((l) => [l.name, l.filterChains.length]), [['240.0.0.9_5432', 1]]);
  assert.is(tcpTarget(selectChain(set.listeners, { ip: '240.0.0.9', port: 5432 })), 'outbound|5432||one.db.example.com');
  assert.equal(view.problems.filter((p) => p.code === 'view/tcp-port-shared').map((p) => p.message.includes('both have the address 240.0.0.9')), [true]);
});

test('GIVEN tcp and tls matches with sourceLabels and port WHEN the view is built THEN only this proxy\'s matches remain, sniHosts as written, routes without destinations dropped', () => {
  const g = graphOf([
    se('ext', { hosts: ['api.example.com'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }, { number: 8443, name: 'tls-alt', protocol: 'TLS' }], resolution: 'DNS' }),
    vs('ext', 'prod', { hosts: ['api.example.com'], tls: [
      { match: [{ sniHosts: ['API.example.com'], sourceLabels: { app: 'other' } }], route: [route('api.example.com')] },
      { match: [{ sniHosts: ['api.example.com'], port: 8443 }], route: [route('api.example.com')] },
      { match: [{ sniHosts: ['API.example.com'] }], route: [] },
      { match: [{ sniHosts: ['API.example.com'], sourceLabels: { app: 'client' } }], route: [route('api.example.com')] },
    ] }),
  ]);
  const view = buildProxyView(g, client);
  const at = (port: number) => view.routes.find((r) => r.port === port)!.tls.map((r) => [r.origin.path.join('.'), r.match.map((m) => m.sniHosts)]);
  assert.equal(at(443), [['spec.tls.3', [['API.example.com']]]]);
  // istiod dedups matches by their runtime predicates as written (hashRuntimeTLSMatchPredicates), so on 8443
  // route 3's API.example.com is not a repeat of route 1's api.example.com: both stay.
  assert.equal(at(8443), [['spec.tls.1', [['api.example.com']]], ['spec.tls.3', [['API.example.com']]]]);
});

test('GIVEN a tls match sniHosts API.example.com WHEN translated THEN server_names keep the capitals (istiod tls.go) and Envoy still matches a lower-case SNI; a second chain api.example.com on the port overlaps it, which Envoy refuses', () => {
  const ext = se('ext', { hosts: ['api.example.com', 'API.example.com'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }], resolution: 'DNS' });
  const one = translate([ext, vs('ext', 'prod', { hosts: ['api.example.com', 'API.example.com'], tls: [{ match: [{ sniHosts: ['API.example.com'] }], route: [route('api.example.com')] }] })]);
  const l = one.set.listeners.find((x) => x.name === '0.0.0.0_443')!;
  assert.ok(l.filterChains.some((c) => c.filterChainMatch?.serverNames.includes('API.example.com')), JSON.stringify(l.filterChains.map((c) => c.filterChainMatch?.serverNames)));
  const hit = selectFilterChain(l, { destinationAddress: '10.0.0.9', destinationPort: 443, serverName: 'api.example.com', transportProtocol: 'tls' });
  assert.ok(hit?.filterChainMatch?.serverNames.includes('API.example.com'), hit?.name);
  const two = translate([ext, vs('ext', 'prod', { hosts: ['api.example.com', 'API.example.com'], tls: [
    { match: [{ sniHosts: ['api.example.com'] }], route: [route('api.example.com')] },
    { match: [{ sniHosts: ['API.example.com'] }], route: [route('api.example.com')] },
  ] })]);
  const errs = checkFilterChains(two.set.listeners.find((x) => x.name === '0.0.0.0_443')!);
  assert.ok(errs.some((e) => e.includes('overlaps')), errs.join('\n'));
});

const at = (day: number) => ({ creationTimestamp: `2024-01-0${day}T00:00:00Z` });
const tlsEntry = (name: string, day: number) => {
  const o = se(name, { hosts: [`${name}.example.com`], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }], resolution: 'DNS', location: 'MESH_EXTERNAL' }) as { metadata: Record<string, unknown> };
  Object.assign(o.metadata, at(day));
  return o as Record<string, unknown>;
};
const chainsOf = (l: Listener) =>
  l.filterChains.map((c) => [c.filterChainMatch?.serverNames ?? [], c.filterChainMatch?.prefixRanges.map((r) => `${r.addressPrefix}/${r.prefixLen}`) ?? []]);

test('GIVEN service a (created first) with tls match [b, c] and service b joining 0.0.0.0_443 with [c, b] WHEN translated THEN one chain for b and c remains, a\'s (istiod merges in service creation order and drops the conflicting chain: listener.go mergeTCPFilterChains), and our proxy accepts the listener', () => {
  const objects = [tlsEntry('a', 1), tlsEntry('b', 2),
    vs('a', 'prod', { hosts: ['a.example.com'], tls: [{ match: [{ sniHosts: ['b.example.com', 'c.example.com'] }], route: [route('a.example.com')] }] }),
    vs('b', 'prod', { hosts: ['b.example.com'], tls: [{ match: [{ sniHosts: ['c.example.com', 'b.example.com'] }], route: [route('b.example.com')] }] }),
  ];
  const { view, set } = translate(objects);
  const l = set.listeners.find((x) => x.name === '0.0.0.0_443')!;
  assert.equal(chainsOf(l), [[['b.example.com', 'c.example.com'], []]]);
  assert.equal(checkFilterChains(l), []);
  assert.is(tcpTarget(selectChain(set.listeners, { ip: '198.51.100.1', port: 443, sni: 'c.example.com' })), 'outbound|443||a.example.com');
  assert.equal(view.outboundL4Listeners.map((x) => [x.name, x.chains.map((c) => c.match?.origin.ref.name)]), [['0.0.0.0_443', ['a']]]);
  // Made by b (now created first), b keeps its chain and a's conflicting one is dropped instead.
  (objects[0] as { metadata: Record<string, unknown> }).metadata.creationTimestamp = '2024-01-03T00:00:00Z';
  const swapped = translate(objects).set.listeners.find((x) => x.name === '0.0.0.0_443')!;
  assert.is(tcpTarget(selectFilterChain(swapped, { destinationAddress: '198.51.100.1', destinationPort: 443, serverName: 'c.example.com', transportProtocol: 'tls' })), 'outbound|443||b.example.com');
});

test('GIVEN a tls match with destinationSubnets followed by matches without WHEN the view is built and translated THEN the later matches carry the subnets (tls.go assigns destinationCIDRs inside the loop), a dropped repeat\'s included', () => {
  const { view, set } = translate([tlsEntry('a', 1),
    vs('a', 'prod', { hosts: ['a.example.com'], tls: [
      { match: [{ sniHosts: ['x.example.com'], destinationSubnets: ['10.1.0.0/16'] }, { sniHosts: ['y.example.com'], destinationSubnets: ['10.2.0.0/16'] }], route: [route('a.example.com')] },
      { match: [{ sniHosts: ['x.example.com'], destinationSubnets: ['10.1.0.0/16'] }, { sniHosts: ['z.example.com'] }], route: [route('a.example.com')] },
    ] }),
  ]);
  const h = view.routes.find((r) => r.host === 'a.example.com')!;
  assert.equal(h.tls.flatMap((r) => r.match.map((m) => [m.sniHosts, m.destinationSubnets, m.destinationCidrs])), [
    [['x.example.com'], ['10.1.0.0/16'], ['10.1.0.0/16']],
    [['y.example.com'], ['10.2.0.0/16'], ['10.2.0.0/16']],
    [['z.example.com'], [], ['10.1.0.0/16']],
  ]);
  assert.equal(chainsOf(set.listeners.find((x) => x.name === '0.0.0.0_443')!), [
    [['x.example.com'], ['10.1.0.0/16']],
    [['y.example.com'], ['10.2.0.0/16']],
    [['z.example.com'], ['10.1.0.0/16']],
  ]);
});

test('GIVEN tls matches [*, x] and [y] WHEN translated THEN the * chain has no server_names (listener.go toFilterChainMatch: it matches every SNI), the other keeps [y], and our proxy accepts the listener', () => {
  const { set } = translate([tlsEntry('a', 1),
    vs('a', 'prod', { hosts: ['a.example.com'], tls: [
      { match: [{ sniHosts: ['*', 'x.example.com'] }], route: [route('a.example.com')] },
      { match: [{ sniHosts: ['y.example.com'] }], route: [route('a.example.com')] },
    ] }),
  ]);
  const l = set.listeners.find((x) => x.name === '0.0.0.0_443')!;
  assert.equal(chainsOf(l), [[[], []], [['y.example.com'], []]]);
  assert.equal(checkFilterChains(l), []);
  assert.ok(selectChain(set.listeners, { ip: '198.51.100.1', port: 443, sni: 'other.example.com' }), 'any SNI reaches the * chain');
});

test.run();
