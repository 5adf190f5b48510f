/**
 * Gateway listener and route configuration names as istiod gives them (`model/gateway.go`
 * `MergeGateways`, `resolvePorts`, `gatewayRDSRouteName`; `core/gateway.go` `buildGatewayListeners`):
 * listeners `0.0.0.0_<port the gateway pod listens on>` (the server port mapped through the gateway
 * Service's targetPort), plain HTTP RDS `http.<that port>`, TLS-terminating HTTPS RDS
 * `https.<server port>.<port name>.<gateway>.<namespace>`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, proxiesOf } from '../../../src/mesh/view/index.js';
import type { HttpConnectionManager } from '../../../src/xds/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import { HttpConnectionManagerSchema } from '../../../src/xds/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import type { ResourceSet } from '../../../src/xds/resources.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { checkSnapshot } from '../../../src/xds/snapshot-check.js';
import { createSnapshot } from '../../../src/xds/snapshot.js';
import { graphOf } from '../../mesh/_graph.js';
import { gw, route, svc, vs } from '../../mesh/view-fixtures.js';
import { selectRoute, targetOf } from './_select.js';

/** The gateway pod, with named container ports (as istio's charts name them). */
const ingress = {
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'ingress', namespace: 'istio-system' },
  spec: { template: { metadata: { labels: { istio: 'ingressgateway' } }, spec: { containers: [{ name: 'istio-proxy', ports: [{ name: 'http2', containerPort: 8080 }, { name: 'https', containerPort: 8443 }] }] } } },
};
/** Its Service: 80 → 8080 by number, 443 → the container port named `https` (8443). */
const ingressService = {
  apiVersion: 'v1', kind: 'Service', metadata: { name: 'istio-ingressgateway', namespace: 'istio-system' },
  spec: { selector: { istio: 'ingressgateway' }, ports: [{ name: 'http2', port: 80, targetPort: 8080 }, { name: 'https', port: 443, targetPort: 'https' }] },
};
const SERVERS = [
  { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*/shop.example.com'] },
  { port: { number: 443, name: 'https-shop', protocol: 'HTTPS' }, hosts: ['*/shop.example.com'], tls: { mode: 'SIMPLE', credentialName: 'shop-cert' } },
];
const APP = [svc('web', 'prod'), vs('web', 'prod', { hosts: ['shop.example.com'], gateways: ['istio-system/edge'], http: [{ route: [route('web')] }] })];

function translate(objects: Record<string, unknown>[]): ResourceSet {
  const g = graphOf([ingress, ...objects]);
  const set = translateProxy(buildProxyView(g, proxiesOf(g).find((p) => p.type === 'router')!), []);
  assert.equal(checkSnapshot(createSnapshot(set)), [], 'every RDS name a listener uses exists');
  return set;
}

/** `[listener, [filter chain RDS names]]` for every listener. */
function rdsOf(set: ResourceSet): [string, string[]][] {
  return set.listeners.map((l) => [l.name, l.filterChains.map((c) => {
    const hcm = anyUnpack(c.filters[0]!.configType.value as never, HttpConnectionManagerSchema) as HttpConnectionManager;
    return hcm.routeSpecifier.case === 'rds' ? hcm.routeSpecifier.value.routeConfigName : '-';
  })]);
}

test('GIVEN a gateway Service mapping 80→8080 and 443→the container port named https WHEN translated THEN listeners are on the pod ports and RDS names are istiod\'s', () => {
  const set = translate([ingressService, gw('edge', 'istio-system', SERVERS), ...APP]);
  assert.equal(rdsOf(set), [['0.0.0.0_8080', ['http.8080']], ['0.0.0.0_8443', ['https.443.https-shop.edge.istio-system']]]);
  assert.equal(set.listeners.map((l) => l.address?.address.case === 'socketAddress' ? l.address.address.value.portSpecifier.value : null), [8080, 8443]);
  assert.equal(set.routes.map((r) => r.name).sort(), ['http.8080', 'https.443.https-shop.edge.istio-system']);
});

test('GIVEN the gateway route configurations WHEN a client names the host with the Service port, the pod port or none THEN the same route answers (ignore_port_in_host_matching, as istiod)', () => {
  const set = translate([ingressService, gw('edge', 'istio-system', SERVERS), ...APP]);
  const http = set.routes.find((r) => r.name === 'http.8080')!;
  assert.ok(http.ignorePortInHostMatching);
  for (const authority of ['shop.example.com', 'shop.example.com:80', 'shop.example.com:8080']) {
    assert.is(targetOf(selectRoute(http, { authority, path: '/' })), 'outbound|9080||web.prod.svc.cluster.local', authority);
  }
  assert.is(selectRoute(http, { authority: 'other.example.com:80', path: '/' }), undefined);
});

test('GIVEN no Service selecting the gateway pod, or one without the server port WHEN translated THEN the server port is used as is', () => {
  const otherPorts = { ...ingressService, spec: { ...ingressService.spec, ports: [{ name: 'status', port: 15021, targetPort: 15021 }] } };
  for (const extra of [[], [otherPorts]]) {
    const set = translate([...extra, gw('edge', 'istio-system', SERVERS), ...APP]);
    assert.equal(rdsOf(set), [['0.0.0.0_80', ['http.80']], ['0.0.0.0_443', ['https.443.https-shop.edge.istio-system']]]);
  }
});

test('GIVEN two Gateways with HTTP servers on one port WHEN translated THEN they share http.<port> with both hosts (merged servers)', () => {
  const set = translate([
    ingressService,
    gw('edge', 'istio-system', [SERVERS[0]!]),
    gw('partner', 'partners', [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*/partner.example.com'] }]),
    ...APP,
    vs('partner', 'prod', { hosts: ['partner.example.com'], gateways: ['partners/partner'], http: [{ route: [route('web')] }] }),
  ]);
  assert.equal(rdsOf(set), [['0.0.0.0_8080', ['http.8080']]]);
  assert.equal(set.routes.find((r) => r.name === 'http.8080')!.virtualHosts.map((v) => v.domains), [['shop.example.com'], ['partner.example.com']]);
});

test('GIVEN two HTTPS servers of one Gateway with the same port name WHEN translated THEN istiod keeps the first only (one RDS name, one chain)', () => {
  const set = translate([ingressService, gw('edge', 'istio-system', [
    SERVERS[1]!,
    { port: { number: 443, name: 'https-shop', protocol: 'HTTPS' }, hosts: ['*/other.example.com'], tls: { mode: 'SIMPLE', credentialName: 'other-cert' } },
  ]), ...APP]);
  assert.equal(rdsOf(set), [['0.0.0.0_8443', ['https.443.https-shop.edge.istio-system']]]);
  assert.equal(set.listeners[0]!.filterChains.map((c) => c.filterChainMatch?.serverNames), [['shop.example.com']]);
});

test.run();
