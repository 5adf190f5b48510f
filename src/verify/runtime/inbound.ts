/**
 * The inbound side of a workload's sidecar, as the runtime serves it: the translator's
 * `virtualInbound` listener (0.0.0.0:15006, reached through iptables in a pod) becomes one listener
 * per inbound port on the workload's own loopback address, each keeping the chains that match that
 * `destination_port` (mTLS per PeerAuthentication, RBAC per AuthorizationPolicy, unchanged), so a
 * caller connecting to `<workload address>:<port>` meets exactly the chains Istio would pick. The
 * inbound clusters `inbound|<port>||` (Istio: `127.0.0.1:<port>`, the app in the same pod) point at
 * the echo backend's own address. Passthrough chains for undeclared ports are left out: nothing
 * connects to ports no Service declares. The clusters and load assignments of the authorizers the
 * chains' ext_authz filters call (CUSTOM AuthorizationPolicies) come along, as translated.
 */
import { clone, create } from '@bufbuild/protobuf';
import { AddressSchema } from '../../xds/gen/envoy/config/core/v3/address_pb.js';
import type { Cluster } from '../../xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import type { ClusterLoadAssignment } from '../../xds/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { extAuthzClustersOf } from '../../xds/translate/ext-authz.js';
import { type Listener, ListenerSchema } from '../../xds/gen/envoy/config/listener/v3/listener_pb.js';
import type { ResourceSet } from '../../xds/resources.js';
import { VIRTUAL_INBOUND } from '../../xds/translate/index.js';

/** Listeners and clusters of the inbound side; empty when the workload has no inbound port. */
export function inboundResources(set: ResourceSet, address: string, appAddress: string): { listeners: Listener[]; clusters: Cluster[]; endpoints: ClusterLoadAssignment[] } {
  const virtual = set.listeners.find((l) => l.name === VIRTUAL_INBOUND);
  if (!virtual) return { listeners: [], clusters: [], endpoints: [] };
  const ports = [...new Set(virtual.filterChains.map((c) => c.filterChainMatch?.destinationPort ?? 0).filter((p) => p > 0))].sort((a, b) => a - b);
  const listeners = ports.map((port) => {
    const l = clone(ListenerSchema, virtual);
    l.name = `${VIRTUAL_INBOUND}_${port}`;
    l.address = create(AddressSchema, { address: { case: 'socketAddress', value: { address, portSpecifier: { case: 'portValue', value: port } } } });
    l.filterChains = l.filterChains.filter((c) => c.filterChainMatch?.destinationPort === port);
    return l;
  });
  const clusters = set.clusters.filter((c) => c.name.startsWith('inbound|')).map((c) => {
    for (const group of c.loadAssignment?.endpoints ?? []) {
      for (const lb of group.lbEndpoints) {
        const sa = lb.hostIdentifier.case === 'endpoint' ? lb.hostIdentifier.value.address?.address : undefined;
        if (sa?.case === 'socketAddress') sa.value.address = appAddress;
      }
    }
    return c;
  });
  // The authorizers CUSTOM policies call (ext_authz filters): their outbound clusters and endpoints, as the caller side has them.
  const authorizers = new Set(extAuthzClustersOf(virtual));
  clusters.push(...set.clusters.filter((c) => authorizers.has(c.name)));
  const endpoints = set.endpoints.filter((e) => authorizers.has(e.clusterName));
  return { listeners, clusters, endpoints };
}
