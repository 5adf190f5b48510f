import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { ClusterSchema } from '../../../src/xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import type { FilterChain } from '../../../src/xds/gen/envoy/config/listener/v3/listener_components_pb.js';
import { ListenerSchema } from '../../../src/xds/gen/envoy/config/listener/v3/listener_pb.js';
import { HttpConnectionManagerSchema } from '../../../src/xds/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import { TcpProxySchema } from '../../../src/xds/gen/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb.js';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import { createSnapshot } from '../../../src/xds/snapshot.js';
import { checkSnapshot } from '../../../src/xds/snapshot-check.js';
import { translateProxy, VIRTUAL_INBOUND } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';

// A pod that no Kubernetes Service selects, only a ServiceEntry's workloadSelector (istiod's
// ServiceEntry registry makes it an instance of every host of the entry, and gives its sidecar the
// inbound listener chains and clusters of those ports).
type Obj = Record<string, unknown>;
const NS = 'ledger';
const proxy = describeProxy({ name: 'ledger', namespace: NS, labels: { app: 'ledger' }, serviceAccount: 'ledger' });
const pod: Obj = {
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'ledger', namespace: NS },
  spec: { template: { metadata: { labels: { app: 'ledger' } }, spec: { serviceAccountName: 'ledger', containers: [{ name: 'app', ports: [{ containerPort: 8111, name: 'api' }, { containerPort: 9443 }] }] } } },
};
const entry: Obj = {
  apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'ledger', namespace: NS },
  spec: {
    hosts: ['ledger.internal.example'], location: 'MESH_INTERNAL', resolution: 'STATIC', workloadSelector: { labels: { app: 'ledger' } },
    ports: [{ number: 80, name: 'http-api', protocol: 'HTTP', targetPort: 8111 }, { number: 443, name: 'tls-admin', protocol: 'TLS', targetPort: 9443 }],
  },
};
const strictAdmin: Obj = {
  apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'ledger', namespace: NS },
  spec: { selector: { matchLabels: { app: 'ledger' } }, portLevelMtls: { 9443: { mode: 'STRICT' } } },
};
const allowWeb: Obj = {
  apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'from-web', namespace: NS },
  spec: { selector: { matchLabels: { app: 'ledger' } }, rules: [{ from: [{ source: { namespaces: ['web'] } }] }] },
};

function translate(objects: Obj[]) {
  const set = translateProxy(buildProxyView(graphOf(objects), proxy), []);
  const raw = set.listeners.find((l) => l.name === VIRTUAL_INBOUND);
  return { set, listener: raw && fromBinary(ListenerSchema, toBinary(ListenerSchema, raw)) };
}
const typed = (c: FilterChain, name: string) => {
  const f = c.filters.find((x) => x.name === name);
  assert.ok(f, `${c.name} has ${name}`);
  return f!.configType.value as Parameters<typeof anyUnpack>[0];
};

test('GIVEN a pod only a ServiceEntry workloadSelector picks WHEN translated THEN virtualInbound has chains on the entry\'s target ports with its protocol, PeerAuthentication mode and RBAC, and inbound|<port>|| clusters on loopback', () => {
  const { set, listener } = translate([pod, entry, strictAdmin, allowWeb]);
  assert.ok(listener, 'the sidecar of a ServiceEntry-selected pod has virtualInbound');
  assert.equal(listener!.filterChains.map((c) => [c.filterChainMatch?.destinationPort, c.filterChainMatch?.transportProtocol, c.name]), [
    [8111, 'tls', 'inbound_0.0.0.0_8111_mtls'], [8111, 'raw_buffer', 'inbound_0.0.0.0_8111_plaintext'],
    [9443, 'tls', 'inbound_0.0.0.0_9443_mtls'],
    [undefined, 'tls', 'inbound_passthrough_mtls_http'], [undefined, 'raw_buffer', 'inbound_passthrough_plaintext_http'],
    [undefined, 'tls', 'inbound_passthrough_mtls'], [undefined, 'raw_buffer', 'inbound_passthrough_plaintext'], [undefined, 'tls', 'inbound_passthrough_tls'],
  ]);
  const [http, , admin] = listener!.filterChains;
  const hcm = anyUnpack(typed(http!, 'envoy.filters.network.http_connection_manager'), HttpConnectionManagerSchema)!;
  assert.equal(hcm.httpFilters.map((f) => f.name), ['envoy.filters.http.rbac', 'envoy.filters.http.router']);
  const rc = hcm.routeSpecifier.value as { name: string; virtualHosts: { routes: { action: { value: { clusterSpecifier: { value: string } } } }[] }[] };
  assert.equal([rc.name, rc.virtualHosts[0]!.routes[0]!.action.value.clusterSpecifier.value], ['inbound|8111||', 'inbound|8111||']);
  assert.equal(admin!.filters.map((f) => f.name), ['envoy.filters.network.rbac', 'envoy.filters.network.tcp_proxy'], 'TLS port: network RBAC and tcp_proxy');
  assert.equal(anyUnpack(typed(admin!, 'envoy.filters.network.tcp_proxy'), TcpProxySchema)!.clusterSpecifier, { case: 'cluster', value: 'inbound|9443||' });

  const md = admin!.metadata!.filterMetadata.meshproof as unknown as { protocol: string; mtls: { mode: string; source: string }; services: { host: string; port: number; name: string; origin: { kind: string; name: string; path: unknown[] } }[] };
  assert.equal([md.protocol, md.mtls.mode, md.mtls.source], ['TLS', 'STRICT', 'workload-port']);
  assert.equal(md.services.map((s) => [s.host, s.port, s.name, s.origin.kind, s.origin.name, s.origin.path]), [
    ['ledger.internal.example', 443, 'tls-admin', 'ServiceEntry', 'ledger', ['spec', 'ports', 1]],
  ]);

  const clusters = set.clusters.filter((c) => c.name.startsWith('inbound|')).map((c) => fromBinary(ClusterSchema, toBinary(ClusterSchema, c)));
  assert.equal(clusters.map((c) => {
    const ep = c.loadAssignment!.endpoints[0]!.lbEndpoints[0]!.hostIdentifier.value as { address: { address: { value: { address: string; portSpecifier: { value: number } } } } };
    return [c.name, c.clusterDiscoveryType.value, ep.address.address.value.address, ep.address.address.value.portSpecifier.value];
  }), [['inbound|8111||', 0, '127.0.0.1', 8111], ['inbound|9443||', 0, '127.0.0.1', 9443]], 'STATIC, loopback, the target port');
  assert.ok(set.clusters.some((c) => c.name === 'InboundPassthroughCluster'));
  assert.equal(checkSnapshot(createSnapshot(set)), []);
});

test('GIVEN the same pod WHEN the ServiceEntry does not select it (other labels, or another namespace) THEN its sidecar has no inbound listener or cluster', () => {
  const others = { ...entry, spec: { ...(entry.spec as Obj), workloadSelector: { labels: { app: 'other' } } } };
  const elsewhere = { ...entry, metadata: { name: 'ledger', namespace: 'web' } };
  for (const e of [others, elsewhere]) {
    const { set, listener } = translate([pod, e]);
    assert.is(listener, undefined);
    assert.not.ok(set.clusters.some((c) => c.name.startsWith('inbound|')));
  }
});

test.run();
