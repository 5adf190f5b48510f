import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toBinary, fromBinary } from '@bufbuild/protobuf';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import { Cluster_DiscoveryType, Cluster_LbPolicy, ClusterSchema } from '../../../src/xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import type { ClusterLoadAssignment } from '../../../src/xds/gen/envoy/config/endpoint/v3/endpoint_pb.js';

import { translateProxy } from '../../../src/xds/translate/index.js';
import { checkSnapshot } from '../../../src/xds/snapshot-check.js';
import { createSnapshot } from '../../../src/xds/snapshot.js';
import { graphOf } from '../../mesh/_graph.js';
import { assertRoundTrip } from './_roundtrip.js';
import { dr } from '../../mesh/view-fixtures.js';

const client = describeProxy({ name: 'client', namespace: 'prod', labels: { app: 'client' } });
const se = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name, namespace: 'prod' }, spec });
const we = (name: string, namespace: string, spec: Record<string, unknown>) => ({ apiVersion: 'networking.istio.io/v1', kind: 'WorkloadEntry', metadata: { name, namespace }, spec });
const translate = (objects: Record<string, unknown>[]) => {
  const set = translateProxy(buildProxyView(graphOf(objects), client), []);
  assert.equal(checkSnapshot(createSnapshot(set)), []);
  assertRoundTrip(set);
  return set;
};
const endpointsOf = (a: ClusterLoadAssignment | undefined) => (a?.endpoints ?? []).flatMap((l) => l.lbEndpoints.map((e) => {
  const ep = e.hostIdentifier.case === 'endpoint' ? e.hostIdentifier.value.address?.address : undefined;
  return ep?.case === 'socketAddress' ? `${ep.value.address}:${ep.value.portSpecifier.case === 'portValue' ? ep.value.portSpecifier.value : '?'}` : '?';
}));

test('GIVEN a STATIC ServiceEntry with endpoints and a workloadSelector WHEN translated THEN its EDS assignment lists spec.endpoints and selected WorkloadEntries on the named port, and each subset only its labels', () => {
  const set = translate([
    se('vms', { hosts: ['vm.internal'], location: 'MESH_INTERNAL', resolution: 'STATIC', ports: [{ number: 8080, name: 'http', protocol: 'HTTP', targetPort: 9000 }],
      endpoints: [{ address: '10.1.0.1', labels: { version: 'v1' } }, { address: '10.1.0.2', ports: { http: 9100 }, labels: { version: 'v2' }, locality: 'eu/eu-1' }],
      workloadSelector: { labels: { app: 'vm' } } }),
    we('vm-3', 'prod', { address: '10.1.0.3', labels: { app: 'vm', version: 'v2', 'security.istio.io/tlsMode': 'istio' }, ports: { http: 9200 } }),
    we('vm-other-ns', 'other', { address: '10.1.0.4', labels: { app: 'vm', version: 'v2' } }),
    we('vm-other-app', 'prod', { address: '10.1.0.5', labels: { app: 'db', version: 'v2' } }),
    dr('vms', 'prod', { host: 'vm.internal', subsets: [{ name: 'v2', labels: { version: 'v2' } }] }),
  ]);
  const cluster = set.clusters.find((c) => c.name === 'outbound|8080||vm.internal')!;
  assert.equal([cluster.clusterDiscoveryType.value, cluster.edsClusterConfig?.serviceName], [Cluster_DiscoveryType.EDS, 'outbound|8080||vm.internal']);
  const cla = (n: string) => set.endpoints.find((e) => e.clusterName === n);
  assert.equal(endpointsOf(cla('outbound|8080||vm.internal')).sort(), ['10.1.0.1:9000', '10.1.0.2:9100', '10.1.0.3:9200']);
  assert.equal(endpointsOf(cla('outbound|8080|v2|vm.internal')).sort(), ['10.1.0.2:9100', '10.1.0.3:9200']);
  const eu = cla('outbound|8080||vm.internal')!.endpoints.find((l) => l.locality?.region === 'eu')!;
  assert.equal([eu.locality?.zone, eu.loadBalancingWeight], ['eu-1', 1]);
  const vm3 = cla('outbound|8080|v2|vm.internal')!.endpoints.flatMap((l) => l.lbEndpoints).find((e) => e.metadata?.filterMetadata['envoy.transport_socket_match']);
  assert.equal(vm3?.metadata?.filterMetadata['envoy.transport_socket_match'], { tlsMode: 'istio' });
});

test('GIVEN DNS and DNS_ROUND_ROBIN ServiceEntries WHEN translated THEN STRICT_DNS carries every endpoint host (or the host itself), LOGICAL_DNS exactly one, and neither uses EDS', () => {
  const set = translate([
    se('dns', { hosts: ['api.example.com'], resolution: 'DNS', ports: [{ number: 443, name: 'tls', protocol: 'TLS' }], endpoints: [{ address: 'a.api.example.com' }, { address: 'b.api.example.com', ports: { tls: 8443 } }] }),
    se('dns-host', { hosts: ['plain.example.com'], resolution: 'DNS', ports: [{ number: 80, name: 'http', protocol: 'HTTP' }] }),
    se('rr', { hosts: ['rr.example.com'], resolution: 'DNS_ROUND_ROBIN', ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], endpoints: [{ address: 'one.example.com' }, { address: 'two.example.com' }] }),
  ]);
  const c = (n: string) => set.clusters.find((x) => x.name === n)!;
  assert.equal([c('outbound|443||api.example.com').clusterDiscoveryType.value, endpointsOf(c('outbound|443||api.example.com').loadAssignment)], [Cluster_DiscoveryType.STRICT_DNS, ['a.api.example.com:443', 'b.api.example.com:8443']]);
  assert.equal(endpointsOf(c('outbound|80||plain.example.com').loadAssignment), ['plain.example.com:80']);
  assert.equal([c('outbound|80||rr.example.com').clusterDiscoveryType.value, endpointsOf(c('outbound|80||rr.example.com').loadAssignment)], [Cluster_DiscoveryType.LOGICAL_DNS, ['one.example.com:80']]);
  assert.equal(set.clusters.filter((x) => x.name.includes('example.com') && x.edsClusterConfig).map((x) => x.name), []);
  assert.equal(set.endpoints.filter((e) => e.clusterName.includes('example.com')).map((e) => e.clusterName), []);
  const back = fromBinary(ClusterSchema, toBinary(ClusterSchema, c('outbound|443||api.example.com')));
  assert.equal(endpointsOf(back.loadAssignment), ['a.api.example.com:443', 'b.api.example.com:8443']);
});

test('GIVEN resolution NONE, and loadBalancer PASSTHROUGH on a Service WHEN translated THEN the clusters are ORIGINAL_DST with CLUSTER_PROVIDED and no EDS (Envoy refuses CLUSTER_PROVIDED on EDS)', () => {
  const set = translate([
    se('any', { hosts: ['*.corp.example.com'], resolution: 'NONE', ports: [{ number: 443, name: 'tls', protocol: 'TLS' }] }),
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'prod' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, name: 'http' }] } },
    dr('web', 'prod', { host: 'web', trafficPolicy: { loadBalancer: { simple: 'PASSTHROUGH' } } }),
  ]);
  for (const name of ['outbound|443||*.corp.example.com', 'outbound|80||web.prod.svc.cluster.local']) {
    const c = set.clusters.find((x) => x.name === name)!;
    assert.equal([name, c.clusterDiscoveryType.value, c.lbPolicy, c.edsClusterConfig, c.loadAssignment], [name, Cluster_DiscoveryType.ORIGINAL_DST, Cluster_LbPolicy.CLUSTER_PROVIDED, undefined, undefined]);
  }
  assert.equal(set.endpoints.map((e) => e.clusterName).filter((n) => n.includes('corp') || n.includes('web')), []);
});

test('GIVEN a STATIC ServiceEntry endpoint on a unix socket or without address WHEN translated THEN it is left out, and a wrong port name falls back to the targetPort', () => {
  const set = translate([
    se('mixed', { hosts: ['mixed.internal'], location: 'MESH_INTERNAL', resolution: 'STATIC', ports: [{ number: 80, name: 'http', protocol: 'HTTP' }],
      endpoints: [{ address: 'unix:///var/run/app.sock' }, { labels: { a: 'b' } }, { address: '10.2.0.1', ports: { grpc: 9999 } }] }),
  ]);
  assert.equal(endpointsOf(set.endpoints.find((e) => e.clusterName === 'outbound|80||mixed.internal')), ['10.2.0.1:80']);
});

test('GIVEN ServiceEntry endpoints and WorkloadEntries with and without serviceAccount and tlsMode label WHEN translated THEN each endpoint carries tlsMode istio exactly where istiod\'s getTLSModeFromWorkloadEntry gives it (the label first, else a serviceAccount), in EDS and in a DNS cluster\'s inline assignment', () => {
  const set = translate([
    se('vms', { hosts: ['vm.internal'], location: 'MESH_INTERNAL', resolution: 'STATIC', ports: [{ number: 8080, name: 'http', protocol: 'HTTP' }],
      endpoints: [{ address: '10.2.0.1', serviceAccount: 'vm' }, { address: '10.2.0.2' }, { address: '10.2.0.3', serviceAccount: 'vm', labels: { 'security.istio.io/tlsMode': 'disabled' } }],
      workloadSelector: { labels: { app: 'vm' } } }),
    we('vm-sa', 'prod', { address: '10.2.0.4', serviceAccount: 'vm', labels: { app: 'vm' } }),
    we('vm-no-sa', 'prod', { address: '10.2.0.5', labels: { app: 'vm' } }),
    we('vm-label', 'prod', { address: '10.2.0.6', labels: { app: 'vm', 'security.istio.io/tlsMode': 'istio' } }),
    se('dns-vms', { hosts: ['dns-vm.internal'], location: 'MESH_INTERNAL', resolution: 'DNS', ports: [{ number: 80, name: 'http', protocol: 'HTTP' }],
      endpoints: [{ address: 'a.vm.internal', serviceAccount: 'vm' }, { address: 'b.vm.internal' }] }),
  ]);
  const modes = (a: ClusterLoadAssignment | undefined) => Object.fromEntries((a?.endpoints ?? []).flatMap((l) => l.lbEndpoints).map((e) => {
    const sa = e.hostIdentifier.case === 'endpoint' ? e.hostIdentifier.value.address?.address : undefined;
    const meta = e.metadata?.filterMetadata['envoy.transport_socket_match'] as { tlsMode?: string } | undefined;
    return [sa?.case === 'socketAddress' ? sa.value.address : '?', meta?.tlsMode ?? '-'];
  }));
  assert.equal(modes(set.endpoints.find((e) => e.clusterName === 'outbound|8080||vm.internal')),
    { '10.2.0.1': 'istio', '10.2.0.2': '-', '10.2.0.3': '-', '10.2.0.4': 'istio', '10.2.0.5': '-', '10.2.0.6': 'istio' });
  assert.equal(modes(set.clusters.find((c) => c.name === 'outbound|80||dns-vm.internal')?.loadAssignment), { 'a.vm.internal': 'istio', 'b.vm.internal': '-' });
});

test.run();
