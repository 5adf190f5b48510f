import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, describeProxy, proxiesOf } from '../../src/mesh/view/index.js';
import { graphOf } from './_graph.js';
import { deploy, dr, gw, route, svc, vs } from './view-fixtures.js';

const client = describeProxy({ name: 'client', namespace: 'prod', labels: { app: 'client' } });
const se = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name, namespace: 'prod' }, spec });

test('GIVEN tls routes bound to mesh and to a gateway WHEN each proxy is viewed THEN each keeps only its matches (gateways, port), with destinations resolved to clusters', () => {
  const g = graphOf([
    svc('api', 'prod', [{ port: 443, name: 'tls' }]),
    deploy('ingress', 'istio-system', { istio: 'ingressgateway' }),
    gw('pass', 'istio-system', [{ port: { number: 443, name: 'tls', protocol: 'TLS' }, hosts: ['*/api.example.com'], tls: { mode: 'PASSTHROUGH' } }]),
    vs('api', 'prod', { hosts: ['api.example.com', 'api'], gateways: ['mesh', 'istio-system/pass'], tls: [
      { match: [{ gateways: ['istio-system/pass'], sniHosts: ['api.example.com'] }], route: [route('api')] },
      { match: [{ gateways: ['mesh'], port: 443, sniHosts: ['api'] }], route: [route('api')] },
      { match: [{ port: 8443, sniHosts: ['api.example.com'] }], route: [route('api')] },
    ] }),
  ]);
  const sidecar = buildProxyView(g, client).routes.find((r) => r.host === 'api.prod.svc.cluster.local')!;
  assert.equal(sidecar.tls.map((r) => [r.origin.path[2], r.match.map((m) => m.sniHosts.join()), r.destinations.map((d) => d.cluster)]), [[1, ['api'], ['outbound|443||api.prod.svc.cluster.local']]]);
  const router = buildProxyView(g, proxiesOf(g).find((p) => p.type === 'router')!);
  assert.equal(router.gatewayServers[0]!.routes.flatMap((h) => h.tls.map((r) => [r.origin.path[2], r.match.map((m) => m.sniHosts.join())])), [[0, ['api.example.com']]]);
});

test('GIVEN tcp routes with destinationSubnets WHEN viewed THEN the subnets are kept as runtime predicates and a tcp route without match matches everything', () => {
  const g = graphOf([svc('db', 'prod', [{ port: 5432, name: 'tcp-pg' }]), vs('db', 'prod', { hosts: ['db'], tcp: [
    { match: [{ destinationSubnets: ['10.0.0.0/8'] }, { destinationSubnets: ['192.168.0.0/16'], sourceLabels: { app: 'other' } }], route: [route('db')] },
    { route: [route('db')] },
  ] })]);
  const r = buildProxyView(g, client).routes.find((x) => x.port === 5432)!;
  assert.equal(r.tcp.map((t) => t.match.map((m) => m.destinationSubnets)), [[['10.0.0.0/8']], []]);
});

test('GIVEN TCP services on one port WHEN some have no address THEN view/tcp-port-shared names each one after the first, and none when they have addresses or use TLS', () => {
  const noIp = (name: string) => se(name, { hosts: [`${name}.example.com`], ports: [{ number: 27017, name: 'mongo', protocol: 'MONGO' }], resolution: 'DNS' });
  const shared = (objs: Record<string, unknown>[]) => buildProxyView(graphOf(objs), client).problems.filter((p) => p.code === 'view/tcp-port-shared').map((p) => p.origin.ref.name);
  assert.equal(shared([noIp('a'), noIp('b'), noIp('c')]), ['b', 'c']);
  assert.equal(shared([noIp('a'), se('b', { hosts: ['b.example.com'], addresses: ['240.0.0.2'], ports: [{ number: 27017, name: 'mongo', protocol: 'MONGO' }], resolution: 'DNS' })]), []);
  assert.equal(shared([se('t1', { hosts: ['t1.example.com'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }], resolution: 'DNS' }), se('t2', { hosts: ['t2.example.com'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }], resolution: 'DNS' })]), []);
  assert.equal(shared([svc('web', 'prod', [{ port: 27017, name: 'http' }]), noIp('a')]), ['a'], 'an HTTP host owns the port first');
});

test('GIVEN ServiceEntries of each resolution WHEN viewed THEN clusters say how Envoy finds endpoints, and STATIC endpoints map ports by name with subset labels applied', () => {
  const v = buildProxyView(graphOf([
    se('s', { hosts: ['s.internal'], location: 'MESH_INTERNAL', resolution: 'STATIC', ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], endpoints: [{ address: '10.0.0.1', ports: { http: 8080 }, labels: { v: '1' } }, { address: '10.0.0.2', labels: { v: '2' }, weight: 3 }] }),
    se('d', { hosts: ['d.example.com'], resolution: 'DNS', ports: [{ number: 80, name: 'http', protocol: 'HTTP' }] }),
    se('r', { hosts: ['r.example.com'], resolution: 'DNS_ROUND_ROBIN', ports: [{ number: 80, name: 'http', protocol: 'HTTP' }] }),
    se('n', { hosts: ['n.example.com'], resolution: 'NONE', ports: [{ number: 80, name: 'http', protocol: 'HTTP' }] }),
    dr('s', 'prod', { host: 's.internal', subsets: [{ name: 'two', labels: { v: '2' } }] }),
  ]), client);
  const c = (n: string) => v.clusters.find((x) => x.name === n)!;
  assert.equal(['outbound|80||s.internal', 'outbound|80||d.example.com', 'outbound|80||r.example.com', 'outbound|80||n.example.com'].map((n) => c(n).discovery), ['EDS', 'STRICT_DNS', 'LOGICAL_DNS', 'ORIGINAL_DST']);
  assert.equal(c('outbound|80||s.internal').endpoints!.map((e) => [e.address, e.port, e.weight, e.origin.path.join('.')]), [['10.0.0.1', 8080, 1, 'spec.endpoints.0'], ['10.0.0.2', 80, 3, 'spec.endpoints.1']]);
  assert.equal(c('outbound|80|two|s.internal').endpoints!.map((e) => e.address), ['10.0.0.2']);
  assert.equal(c('outbound|80||d.example.com').endpoints!.map((e) => `${e.address}:${e.port}`), ['d.example.com:80']);
  assert.is(c('outbound|80||n.example.com').endpoints, undefined);
});

test.run();
